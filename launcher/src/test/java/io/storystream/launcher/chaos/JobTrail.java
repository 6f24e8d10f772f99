package io.storystream.launcher.chaos;

import com.fasterxml.jackson.databind.JsonNode;
import io.storystream.common.http.JsonMapper;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.stream.Stream;

/**
 * One job's path through the deployment, read back from its children's logs ({@code target/child-logs/chaos-*.log}):
 * the submit's partition and offset, admission's decisions, the worker's start, ending and commit, and any warning
 * naming the job. A lost job's problem line carries it, so a failed run says where the job stopped even where its
 * logs are gone afterwards (a CI machine).
 */
final class JobTrail {
  private final Path logs;

  JobTrail(Path logs) {
    this.logs = logs;
  }

  static JobTrail ofChildLogs() {
    return new JobTrail(Path.of("target", "child-logs"));
  }

  /**
   * The lines that name {@code jobId}, oldest first, as "time process: message"; at most {@code limit}. A message a
   * process repeats (a router retrying an instance that is down, several times a second) is one line with its count.
   */
  List<String> of(String jobId, int limit) throws IOException {
    if (!Files.isDirectory(logs)) {
      return List.of();
    }
    Map<String, Seen> found = new LinkedHashMap<>();
    try (Stream<Path> files = Files.list(logs)) {
      for (Path file : files.filter(f -> f.getFileName().toString().startsWith("chaos-")).sorted().toList()) {
        String process = file.getFileName().toString().replaceFirst("\\.log$", "");
        try (Stream<String> lines = Files.lines(file, StandardCharsets.UTF_8)) {
          lines.filter(line -> line.contains(jobId)).map(line -> entry(process, line))
              .forEach(e -> found.computeIfAbsent(e[1], k -> new Seen(e[0])).again(e[0]));
        }
      }
    }
    List<Map.Entry<String, Seen>> ordered = new ArrayList<>(found.entrySet());
    ordered.sort(Comparator.comparing(e -> e.getValue().first));
    List<String> trail = new ArrayList<>();
    for (Map.Entry<String, Seen> e : ordered.subList(0, Math.min(limit, ordered.size()))) {
      Seen seen = e.getValue();
      trail.add((seen.first + " " + e.getKey()).strip()
          + (seen.count > 1 ? " (" + seen.count + " times, last " + seen.last + ")" : ""));
    }
    if (ordered.size() > limit) {
      trail.add("… " + (ordered.size() - limit) + " more");
    }
    return trail;
  }

  /** When a message was first and last seen, and how often. */
  private static final class Seen {
    final String first;
    String last;
    int count;

    Seen(String first) {
      this.first = first;
    }

    Seen again(String at) {
      last = at;
      count++;
      return this;
    }
  }

  private static String[] entry(String process, String line) {
    try {
      JsonNode json = JsonMapper.shared().readTree(line);
      String level = json.path("log.level").asText("");
      return new String[] {json.path("@timestamp").asText(""),
          process + (level.isEmpty() ? "" : " " + level) + ": " + json.path("message").asText("")};
    } catch (IOException notJson) {
      return new String[] {"", process + ": " + line};
    }
  }
}
