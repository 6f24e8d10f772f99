package io.storystream.launcher;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.storystream.testsupport.TestTools;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The monitoring files in deploy/ are valid for the tools that read them (Prometheus' own {@code promtool}, from
 * Debian's {@code prometheus} package), and speak only of series that docs/metrics.md describes.
 */
class MonitoringFilesTest {
  private static final Path DEPLOY = Path.of("..", "deploy");
  private static final Pattern SERIES = Pattern.compile("\\b(storystream_[a-z_]+|kafka_[a-z_]+|jvm_[a-z_]+)");

  @Test
  void promtoolAcceptsTheAlertRules() throws Exception {
    TestTools.require("promtool");
    String output = run("promtool", "check", "rules", DEPLOY.resolve("prometheus/alerts.yml").toString());
    assertThat(output).contains("SUCCESS");
  }

  @Test
  void promtoolAcceptsThePrometheusConfiguration(@TempDir Path dir) throws Exception {
    TestTools.require("promtool");
    // the container's paths, moved into a scratch folder: the rule file and the token file the entrypoint writes
    Files.writeString(dir.resolve("metrics-token"), "ssm_test");
    Files.copy(DEPLOY.resolve("prometheus/alerts.yml"), dir.resolve("alerts.yml"));
    String config = Files.readString(DEPLOY.resolve("prometheus/prometheus.yml"))
        .replace("/etc/prometheus/alerts.yml", dir.resolve("alerts.yml").toString())
        .replace("/tmp/metrics-token", dir.resolve("metrics-token").toString());
    Files.writeString(dir.resolve("prometheus.yml"), config);
    assertThat(run("promtool", "check", "config", dir.resolve("prometheus.yml").toString())).contains("SUCCESS");
  }

  @Test
  void alertsAndDashboardUseOnlyDocumentedSeries() throws Exception {
    String documented = Files.readString(Path.of("..", "docs", "metrics.md"));
    List<String> used = new ArrayList<>(series(Files.readString(DEPLOY.resolve("prometheus/alerts.yml"))));
    JsonNode dashboard = new ObjectMapper().readTree(DEPLOY.resolve("grafana/dashboards/storystream.json").toFile());
    dashboard.path("panels").forEach(p -> p.path("targets").forEach(t -> used.addAll(series(t.path("expr").asText()))));
    assertThat(used).isNotEmpty();
    // documented by name, or by a family prefix written as `prefix_*` (Kafka's and the JVM's own series)
    List<String> prefixes = new ArrayList<>();
    Matcher family = Pattern.compile("`([a-z_]+_)\\*`").matcher(documented);
    while (family.find()) {
      prefixes.add(family.group(1));
    }
    assertThat(prefixes).contains("kafka_stream_", "kafka_consumer_", "jvm_memory_");
    for (String name : used) {
      String base = name.replaceAll("_(bucket|count|sum|total)$", "");
      boolean described = documented.contains("`" + name + "`") || documented.contains("`" + base + "`")
          || prefixes.stream().anyMatch(name::startsWith);
      assertThat(described).as("docs/metrics.md describes %s", name).isTrue();
    }
  }

  private static List<String> series(String text) {
    List<String> names = new ArrayList<>();
    Matcher m = SERIES.matcher(text);
    while (m.find()) {
      names.add(m.group(1));
    }
    return names;
  }

  private static String run(String... command) throws Exception {
    Process process = new ProcessBuilder(command).redirectErrorStream(true).start();
    String output = new String(process.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
    assertThat(process.waitFor(60, TimeUnit.SECONDS)).isTrue();
    assertThat(process.exitValue()).as("%s:%n%s", String.join(" ", command), output).isZero();
    return output;
  }
}
