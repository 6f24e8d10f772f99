package io.storystream.launcher;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import io.storystream.common.http.JsonMapper;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The README's quick start, walked exactly as written: its shell blocks run in order in one bash session against the
 * embedded default (on free ports, so the only edit is the port number), and every step's output must have the shape
 * of the response the README shows after it — the same field names, the same one-word values (states, plan,
 * currency), the same status line for the chart download.
 */
class QuickStartTest {
  private static final Path README = Path.of("..", "README.md");
  private static final Pattern FENCE = Pattern.compile("```(\\w*)\\n(.*?)```", Pattern.DOTALL);
  private static final Pattern JSON_KEY = Pattern.compile("\"([A-Za-z]+)\":");
  private static final Pattern ONE_WORD_VALUE = Pattern.compile("\"[A-Za-z]+\":\"([a-z]+|[A-Z]+)\"");

  @TempDir Path home;

  record Step(String script, String expectedKind, String expected) {}

  @Test
  void theQuickStartWorksAsWritten() throws Exception {
    List<Step> steps = quickStartSteps();
    assertThat(steps).as("quick start steps in README.md").hasSizeGreaterThanOrEqualTo(7);

    FreePortSystem ports = FreePortSystem.pick();
    int tenantPort = ports.tenant();
    int standInPort = ports.standIn();
    int managementPort = ports.management();
    List<String> args = ports.args(home);
    try (ChildProcess system = ChildProcess.start("storystream", args, Map.of())) {
      system.awaitLine("Press Ctrl-C", Duration.ofSeconds(180));

      StringBuilder script = new StringBuilder("set -euo pipefail\n");
      for (int i = 0; i < steps.size(); i++) {
        script.append("printf '\\n@@step ").append(i).append("\\n'\n") // a response may lack its last newline
            .append(steps.get(i).script().replace("127.0.0.1:8080", "127.0.0.1:" + tenantPort)).append('\n');
      }
      Process bash = new ProcessBuilder("bash", "-c", script.toString()).directory(home.toFile())
          .redirectErrorStream(true).start();
      String output = new String(bash.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
      assertThat(bash.waitFor(5, TimeUnit.MINUTES)).as("the quick start finishes").isTrue();
      assertThat(bash.exitValue()).as("every step succeeds:%n%s", output).isZero();

      Map<Integer, String> outputs = splitByStep(output);
      for (int i = 0; i < steps.size(); i++) {
        Step step = steps.get(i);
        String actual = outputs.getOrDefault(i, "");
        if (step.expected() == null) {
          continue;
        }
        if (step.expectedKind().equals("json")) {
          for (String key : matches(JSON_KEY, step.expected())) {
            assertThat(actual).as("step %d shows field %s:%n%s", i, key, actual).contains("\"" + key + "\":");
          }
          for (String pair : matchedPairs(step.expected())) {
            assertThat(actual).as("step %d: %s", i, pair).contains(pair);
          }
        } else {
          for (String token : step.expected().trim().split("\\s+")) {
            if (!token.matches("\\d{4,}")) { // sizes vary from run to run
              assertThat(actual).as("step %d shows %s", i, token).contains(token);
            }
          }
        }
      }
      assertThat(Files.size(home.resolve("chart-0.png"))).isPositive();

      repeatingTheAnalysisIsServedFromTheCache("http://127.0.0.1:" + tenantPort, "http://127.0.0.1:" + standInPort);
      theManagementPortShowsEveryPartsMetrics("http://127.0.0.1:" + managementPort);
      everyLogLineIsEcsJson(system.output());
    }
  }

  /**
   * After the quick start, one scrape of the management port has the series docs/metrics.md lists, with their labels:
   * Kafka's own (Streams and clients), the JVM's, every HTTP server's, and the domain's.
   */
  private void theManagementPortShowsEveryPartsMetrics(String management) throws Exception {
    String token = Files.readString(home.resolve("data/operator-token")).trim();
    HttpClient http = HttpClient.newHttpClient();
    HttpResponse<String> refused = http.send(HttpRequest.newBuilder(URI.create(management + "/metrics")).build(),
        HttpResponse.BodyHandlers.ofString());
    assertThat(refused.statusCode()).as("no token, no metrics").isEqualTo(401);
    // the billing statement is issued on the aggregator's interval: wait for its lag series, then read them all
    String[] scrape = new String[1];
    org.awaitility.Awaitility.await().atMost(Duration.ofSeconds(90)).pollInterval(Duration.ofSeconds(1)).until(() -> {
      scrape[0] = send(http, HttpRequest.newBuilder(URI.create(management + "/metrics"))
          .header("Authorization", "Bearer " + token).build());
      return scrape[0].contains("storystream_billing_lag_seconds_count{");
    });
    String metrics = scrape[0];
    Files.writeString(Files.createDirectories(Path.of("target")).resolve("management-scrape.txt"), metrics); // post-mortem
    long series = metrics.lines().filter(l -> !l.startsWith("#") && !l.isBlank()).count();
    System.out.printf("management port after the quick start: %d series, %d metric families%n", series,
        metrics.lines().filter(l -> l.startsWith("# TYPE")).count());
    assertThat(metrics).contains(
        // Kafka Streams (admission, job-status view, billing) and plain clients (worker, webhooks, ingress)
        "kafka_stream_", "application_id=\"storystream-admission\"", "kafka_consumer_", "kafka_producer_",
        "kafka_stream_alive_stream_threads{client_id=\"storystream-admission-",
        "kafka_stream_alive_stream_threads{client_id=\"storystream-ingress-jobs-",
        "kafka_stream_alive_stream_threads{client_id=\"storystream-billing-",
        "kafka_consumer_fetch_manager_fetch_total{client_id=\"storystream-worker-",
        "kafka_producer_record_send_total{client_id=\"storystream-webhooks-",
        // the JVM
        "jvm_memory_used_bytes{", "jvm_gc_", "jvm_threads_live_threads",
        // every HTTP server: tenant, operator, billing and the management port itself
        "storystream_http_requests_seconds_count{method=\"POST\",route=\"/v1/analyses\",server=\"tenant\"",
        "server=\"operator\"", "server=\"billing\"", "server=\"management\"",
        // the domain: jobs by state and reason, queue wait per plan, DataStoryBot by step, cache, quota, webhooks,
        // billing lag, dead letters
        "storystream_jobs_total{reason=\"none\",state=\"completed\"}",
        "storystream_jobs_total{reason=\"none\",state=\"running\"}",
        "storystream_queue_wait_seconds_count{plan=\"pro\"}",
        "storystream_queue_depth{plan=\"pro\"}",
        "storystream_datastorybot_calls_seconds_count{outcome=\"ok\",step=\"analyze\"}",
        "storystream_datastorybot_calls_seconds_count{outcome=\"ok\",step=\"upload\"}",
        "storystream_cache_requests_total{plan=\"pro\",result=\"hit\"}",
        "storystream_cache_requests_total{plan=\"pro\",result=\"miss\"}",
        "storystream_quota_used_units{plan=\"pro\"}", "storystream_quota_used_ratio_max{plan=\"pro\"}",
        "storystream_worker_jobs_running", "storystream_billing_lag_seconds_count{plan=\"pro\"}",
        "storystream_billing_unbilled_oldest_seconds", "storystream_billing_usage_events_total{outcome=\"counted\"}",
        // series that count failures exist at 0 before the first one
        "storystream_dead_letters_total{reason=\"processing_failed\",source=\"admission\"} 0.0",
        "storystream_dead_letters_total{reason=\"deserialization_failed\",source=\"worker\"} 0.0",
        "storystream_dead_letters_total{reason=\"too_late\",source=\"billing\"} 0.0",
        "storystream_webhook_deliveries_total{outcome=\"failed\"} 0.0");
    // the only tenant label is the bounded one of the request counter; no domain series names a tenant
    assertThat(metrics.lines().filter(l -> l.contains("tenant=\"demo\"")))
        .allSatisfy(l -> assertThat(l).startsWith("storystream_tenant_requests_total{"));
  }

  /** The child runs without a terminal: every log line is one ECS JSON object. */
  private void everyLogLineIsEcsJson(List<String> output) throws Exception {
    List<String> logLines = output.stream().filter(l -> l.startsWith("{")).toList();
    assertThat(logLines).as("JSON log lines of the embedded default").isNotEmpty();
    for (String line : logLines) {
      JsonNode event = JsonMapper.shared().readTree(line);
      assertThat(event.has("@timestamp") && event.has("log.level") && event.has("message")).as(line).isTrue();
    }
    System.out.printf("embedded default: %d JSON log lines checked%n", logLines.size());
  }

  /** The same file and prompts again (spaced and cased differently): completed from the cache, DataStoryBot idle. */
  private void repeatingTheAnalysisIsServedFromTheCache(String api, String standIn) throws Exception {
    HttpClient http = HttpClient.newHttpClient();
    String key = Files.readString(home.resolve("data/demo-api-key")).trim();
    JsonNode files = JsonMapper.shared().readTree(send(http, HttpRequest.newBuilder(URI.create(api + "/v1/files"))
        .header("Authorization", "Bearer " + key).build()));
    String fileId = files.path("files").path(0).path("id").asText();
    assertThat(fileId).as("the quick start's file: %s", files).startsWith("file_");
    JsonNode before = JsonMapper.shared().readTree(send(http, HttpRequest.newBuilder(URI.create(standIn + "/_standin/stats")).build()));

    String submitted = send(http, HttpRequest.newBuilder(URI.create(api + "/v1/analyses"))
        .header("Authorization", "Bearer " + key).header("Content-Type", "application/json")
        .POST(HttpRequest.BodyPublishers.ofString("{\"fileId\":\"" + fileId + "\",\"steeringPrompt\":\"  Churn BY   region \"}"))
        .build());
    String jobId = JsonMapper.shared().readTree(submitted).path("jobId").asText();
    JsonNode status = JsonMapper.shared().readTree(submitted);
    for (int polls = 0; polls < 10 && !status.path("state").asText().equals("completed"); polls++) {
      status = JsonMapper.shared().readTree(send(http, HttpRequest.newBuilder(
          URI.create(api + "/v1/analyses/" + jobId + "?wait=30s")).header("Authorization", "Bearer " + key).build()));
    }
    assertThat(status.path("state").asText()).as("%s", status).isEqualTo("completed");
    assertThat(status.path("fromCache").asBoolean()).as("%s", status).isTrue();
    JsonNode after = JsonMapper.shared().readTree(send(http, HttpRequest.newBuilder(URI.create(standIn + "/_standin/stats")).build()));
    assertThat(after.path("total").asLong()).as("DataStoryBot calls before %s, after %s", before, after)
        .isEqualTo(before.path("total").asLong()); // the stand-in counts API calls only
  }

  private static String send(HttpClient http, HttpRequest request) throws Exception {
    HttpResponse<String> response = http.send(request, HttpResponse.BodyHandlers.ofString());
    assertThat(response.statusCode()).as("%s %s: %s", request.method(), request.uri(), response.body()).isLessThan(300);
    return response.body();
  }

  private static List<Step> quickStartSteps() throws Exception {
    String readme = Files.readString(README);
    String section = readme.substring(readme.indexOf("<!-- quickstart:begin -->"), readme.indexOf("<!-- quickstart:end -->"));
    List<String[]> blocks = new ArrayList<>();
    Matcher fence = FENCE.matcher(section);
    while (fence.find()) {
      blocks.add(new String[] {fence.group(1), fence.group(2)});
    }
    List<Step> steps = new ArrayList<>();
    for (int i = 0; i < blocks.size(); i++) {
      if (!blocks.get(i)[0].equals("bash")) {
        continue;
      }
      boolean answered = i + 1 < blocks.size() && !blocks.get(i + 1)[0].equals("bash");
      steps.add(new Step(blocks.get(i)[1], answered ? blocks.get(i + 1)[0] : null,
          answered ? blocks.get(i + 1)[1] : null));
    }
    return steps;
  }

  private static Map<Integer, String> splitByStep(String output) {
    Map<Integer, String> byStep = new LinkedHashMap<>();
    int current = -1;
    StringBuilder text = new StringBuilder();
    for (String line : output.split("\n", -1)) {
      if (line.startsWith("@@step ")) {
        byStep.put(current, text.toString());
        current = Integer.parseInt(line.substring(7).trim());
        text.setLength(0);
      } else {
        text.append(line).append('\n');
      }
    }
    byStep.put(current, text.toString());
    return byStep;
  }

  private static List<String> matches(Pattern pattern, String text) {
    List<String> found = new ArrayList<>();
    Matcher m = pattern.matcher(text);
    while (m.find()) {
      found.add(m.group(1));
    }
    return found;
  }

  private static List<String> matchedPairs(String text) {
    List<String> found = new ArrayList<>();
    Matcher m = ONE_WORD_VALUE.matcher(text);
    while (m.find()) {
      found.add(m.group());
    }
    return found;
  }
}
