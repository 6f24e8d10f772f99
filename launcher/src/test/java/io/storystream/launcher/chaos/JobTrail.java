package io.storystream.launcher.chaos;

import com.fasterxml.jackson.databind.JsonNode;
import io.storystream.common.http.JsonMapper;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
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

  /** The lines that name {@code jobId}, oldest first, as "time process: message"; at most {@code limit}. */
  List<String> of(String jobId, int limit) throws IOException {
    if (!Files.isDirectory(logs)) {
      return List.of();
    }
    List<String[]> found = new ArrayList<>();
    try (Stream<Path> files = Files.list(logs)) {
      for (Path file : files.filter(f -> f.getFileName().toString().startsWith("chaos-")).sorted().toList()) {
        String process = file.getFileName().toString().replaceFirst("\\.log$", "");
        try (Stream<String> lines = Files.lines(file, StandardCharsets.UTF_8)) {
          lines.filter(line -> line.contains(jobId)).forEach(line -> found.add(entry(process, line)));
        }
      }
    }
    found.sort(Comparator.comparing(e -> e[0]));
    List<String> trail = new ArrayList<>();
    for (String[] e : found.subList(0, Math.min(limit, found.size()))) {
      trail.add((e[0] + " " + e[1]).strip());
    }
    if (found.size() > limit) {
      trail.add("… " + (found.size() - limit) + " more");
    }
    return trail;
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
