package io.storystream.ingress;

import static org.assertj.core.api.Assertions.assertThat;

import io.javalin.Javalin;
import io.storystream.common.http.JsonMapper;
import io.storystream.ingress.kafka.EventPublisher;
import io.storystream.schemas.AnalysisRequest;
import io.storystream.schemas.registry.HttpSchemaRegistryClient;
import io.storystream.schemas.topics.Topic;
import io.storystream.schemas.topics.TopicSerdes;
import io.storystream.schemas.topics.Topics;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Submit throughput and latency of the ingress ({@code POST /v1/analyses}: authentication, rate limit, validation,
 * one acknowledged Kafka write) measured with wrk, next to two baselines on the same machine in the same run: a bare
 * Javalin JSON POST (parse and answer, nothing else) and the same POST with one acknowledged write of a request record
 * through the ingress's own publisher (the least a durable submit can do: the floor under the ingress's figures).
 * Rounds alternate (bare, bare + write, submit; {@code -Dbench.rounds}, default 3); prints each round, the medians and
 * ranges. {@code -Dbench.jfr=<file>} records a JFR profile of the first submit round ({@code -Dbench.jfr.round=N}: of round N). Asserts only that
 * every request succeeded.
 *
 * <p>Run: {@code scripts/bench-ingress.sh} (installs wrk if missing), or
 * {@code mvn -o -pl ingress -am test -Dtest=IngressBenchmarkTest -Dsurefire.excludedGroups= -Dgroups=benchmark
 * -Dsurefire.failIfNoSpecifiedTests=false}.
 */
@Tag("benchmark")
class IngressBenchmarkTest {
  @TempDir Path dir;

  private static final Topic<AnalysisRequest> FLOOR_TOPIC = new Topic<>("bench-floor-requests", AnalysisRequest.class,
      Topic.TENANT_PARTITIONS, Topic.Cleanup.DELETE, java.time.Duration.ofDays(1), "the floor baseline's writes");

  record Figures(double requestsPerSecond, String p50, String p99, long non2xx, long requests, long timeouts) {
    @Override
    public String toString() {
      return String.format("%,.0f req/s, p50 %s, p99 %s, %d requests, %d non-2xx, %d wrk timeouts (>2 s)",
          requestsPerSecond, p50, p99, requests, non2xx, timeouts);
    }
  }

  @Test
  void submitThroughputAgainstABareJavalinPost() throws Exception {
    Assumptions.assumeTrue(Files.isExecutable(Path.of("/usr/bin/wrk")),
        "wrk is not installed: apt-get install wrk (scripts/bench-ingress.sh does it)");
    String duration = System.getProperty("bench.duration", "15s");
    String connections = System.getProperty("bench.connections", "50");
    Javalin bare = Javalin.create(cfg -> {
      cfg.startup.showJavalinBanner = false;
      cfg.routes.post("/bare", ctx -> {
        Map<?, ?> body = JsonMapper.shared().readValue(ctx.bodyAsBytes(), Map.class);
        ctx.status(202).contentType("application/json")
            .result(JsonMapper.shared().writeValueAsBytes(Map.of("jobId", "job_x", "fileId", body.get("fileId"))));
      });
    }).start("127.0.0.1", 0);
    Javalin bareWrite = null;
    try (IngressStack stack = new IngressStack(dir);
         EventPublisher publisher = new EventPublisher(stack.settings,
             new TopicSerdes(new HttpSchemaRegistryClient(stack.settings.registryUrl())), "bench-bare-write")) {
      try (org.apache.kafka.clients.admin.Admin admin = org.apache.kafka.clients.admin.Admin.create(
          Map.of("bootstrap.servers", stack.settings.bootstrapServers()))) {
        // a topic of its own, with the requests topic's partitions: nothing in the stack reads it, so the floor's
        // rounds do not feed the ingress's job-status view as the submits do
        admin.createTopics(List.of(new org.apache.kafka.clients.admin.NewTopic(FLOOR_TOPIC.name(),
            Topics.ANALYSIS_REQUESTS.partitions(stack.settings.tenantPartitions()), (short) 1))).all().get();
      }
      bareWrite = bareWithOneWrite(publisher);
      IngressService ingress = stack.startInstance();
      IngressStack.Reply created = stack.admin("POST", "/admin/tenants",
          "{\"tenantId\":\"bench\",\"plan\":\"enterprise\",\"limits\":{\"requestsPerMinute\":100000000}}");
      assertThat(created.status()).isEqualTo(201);
      String key = stack.key("bench", "{}");
      String fileId = stack.uploadCsv(key, "bench.csv", "a,b\n1,2\n").json().path("id").asText();
      String body = "{\"fileId\":\"" + fileId + "\",\"steeringPrompt\":\"revenue by month\"}";
      // warm the servers (JIT, connection pools, schema ids) before measuring, each for a round's length unless
      // -Dbench.warmup says otherwise: after 3 s the first counted round still ran at a third to a half of the later
      // ones (bare 11,866 / 18,858 / 20,226 req/s against 28,000–40,000 in rounds 2 and 3)
      String warmUp = System.getProperty("bench.warmup", duration);
      wrk("http://127.0.0.1:" + bare.port() + "/bare", body, null, warmUp, connections);
      wrk("http://127.0.0.1:" + bareWrite.port() + "/bare", body, null, warmUp, connections);
      wrk("http://127.0.0.1:" + ingress.ingressPort() + "/v1/analyses", body, key, warmUp, connections);

      // alternating rounds (bare, submit, bare, submit, …): on a shared machine the load drifts during a run, so each
      // submit round is compared with the bare round next to it, and the medians and spreads are reported
      int rounds = Integer.getInteger("bench.rounds", 3);
      String jfr = System.getProperty("bench.jfr");
      // the first round by default; a later one (-Dbench.jfr.round=N) profiles code the JIT has finished with
      int jfrRound = Integer.getInteger("bench.jfr.round", 1) - 1;
      jdk.jfr.Recording recording = null;
      List<Figures> bares = new java.util.ArrayList<>();
      List<Figures> writes = new java.util.ArrayList<>();
      List<Figures> submits = new java.util.ArrayList<>();
      for (int round = 0; round < rounds; round++) {
        bares.add(wrk("http://127.0.0.1:" + bare.port() + "/bare", body, null, duration, connections));
        writes.add(wrk("http://127.0.0.1:" + bareWrite.port() + "/bare", body, null, duration, connections));
        if (jfr != null && round == jfrRound) {
          // the profile covers one submit round only (JFR's "profile" settings: 10/20 ms execution samples, or
          // -Dbench.jfr.settings=default: 20 ms, fewer events, for a round whose figures should stay comparable)
          recording = new jdk.jfr.Recording(jdk.jfr.Configuration.getConfiguration(
              System.getProperty("bench.jfr.settings", "profile")));
          recording.start();
        }
        submits.add(wrk("http://127.0.0.1:" + ingress.ingressPort() + "/v1/analyses", body, key, duration,
            connections));
        if (recording != null && round == jfrRound) {
          recording.stop();
          recording.dump(Path.of(jfr));
          recording.close();
        }
      }
      System.out.println();
      System.out.println("=== ingress submit benchmark (wrk -t2 -c" + connections + " -d" + duration + ", " + rounds
          + " alternating rounds, same machine, same run) ===");
      for (int round = 0; round < rounds; round++) {
        System.out.printf("round %d: bare %s%n         bare+write %s%n         submit %s%n", round + 1, bares.get(round),
            writes.get(round), submits.get(round));
      }
      double[] ratio = new double[rounds];
      double[] addedP99 = new double[rounds];
      double[] floorRatio = new double[rounds];
      double[] floorAddedP99 = new double[rounds];
      double[] ratioToFloor = new double[rounds];
      for (int round = 0; round < rounds; round++) {
        ratio[round] = submits.get(round).requestsPerSecond() / bares.get(round).requestsPerSecond();
        addedP99[round] = millis(submits.get(round).p99()) - millis(bares.get(round).p99());
        floorRatio[round] = writes.get(round).requestsPerSecond() / bares.get(round).requestsPerSecond();
        floorAddedP99[round] = millis(writes.get(round).p99()) - millis(bares.get(round).p99());
        ratioToFloor[round] = submits.get(round).requestsPerSecond() / writes.get(round).requestsPerSecond();
      }
      System.out.println("bare Javalin JSON POST : " + summary(bares.stream().mapToDouble(Figures::requestsPerSecond)
          .toArray(), "req/s") + ", p99 " + summary(bares.stream().mapToDouble(f -> millis(f.p99())).toArray(), "ms"));
      System.out.println("bare + one acked write : " + summary(writes.stream().mapToDouble(Figures::requestsPerSecond)
          .toArray(), "req/s") + ", p99 " + summary(writes.stream().mapToDouble(f -> millis(f.p99())).toArray(), "ms"));
      System.out.println("POST /v1/analyses      : " + summary(submits.stream().mapToDouble(Figures::requestsPerSecond)
          .toArray(), "req/s") + ", p99 " + summary(submits.stream().mapToDouble(f -> millis(f.p99())).toArray(), "ms"));
      System.out.println("ratio submit/bare      : " + summary(ratio, ""));
      System.out.println("added p99 (submit−bare): " + summary(addedP99, "ms"));
      System.out.println("ratio write/bare       : " + summary(floorRatio, "") + "  (the floor: one acked write alone)");
      System.out.println("added p99 (write−bare) : " + summary(floorAddedP99, "ms"));
      System.out.println("ratio submit/write     : " + summary(ratioToFloor, "") + "  (what the ingress adds to the write)");
      System.out.println("machine load average   : " + Files.readString(Path.of("/proc/loadavg")).trim());
      for (int round = 0; round < rounds; round++) {
        assertThat(bares.get(round).non2xx()).isZero();
        assertThat(writes.get(round).non2xx()).isZero();
        assertThat(submits.get(round).non2xx()).isZero();
        assertThat(submits.get(round).requests()).isPositive();
      }
    } finally {
      bare.stop();
      if (bareWrite != null) {
        bareWrite.stop();
      }
    }
  }

  /**
   * The bare POST plus what any durable submit must do: one request record written through the ingress's publisher
   * (its serializer, producer settings and acks) and its acknowledgement awaited before the answer.
   */
  private static Javalin bareWithOneWrite(EventPublisher publisher) {
    return Javalin.create(cfg -> {
      cfg.startup.showJavalinBanner = false;
      cfg.routes.post("/bare", ctx -> {
        Map<?, ?> body = JsonMapper.shared().readValue(ctx.bodyAsBytes(), Map.class);
        String jobId = io.storystream.common.Ids.newId("job"); // as the ingress makes its ids
        AnalysisRequest request = AnalysisRequest.newBuilder().setJobId(jobId).setTenantId("bench-floor")
            .setFileId(String.valueOf(body.get("fileId"))).setSteeringPrompt(String.valueOf(body.get("steeringPrompt")))
            .setRequestHash("cd".repeat(32)).setSubmittedAt(java.time.Instant.now()).build();
        EventPublisher.await(publisher.send(FLOOR_TOPIC, "bench-floor", request));
        ctx.status(202).contentType("application/json")
            .result(JsonMapper.shared().writeValueAsBytes(Map.of("jobId", jobId, "fileId", body.get("fileId"))));
      });
    }).start("127.0.0.1", 0);
  }

  private Figures wrk(String url, String body, String key, String duration, String connections)
      throws IOException, InterruptedException {
    Path script = dir.resolve("post-" + System.nanoTime() + ".lua");
    Files.writeString(script, "wrk.method = \"POST\"\n"
        + "wrk.body = '" + body + "'\n"
        + "wrk.headers[\"Content-Type\"] = \"application/json\"\n"
        + (key == null ? "" : "wrk.headers[\"Authorization\"] = \"Bearer " + key + "\"\n"));
    Process p = new ProcessBuilder(List.of("wrk", "-t2", "-c" + connections, "-d" + duration, "--latency",
        "-s", script.toString(), url)).redirectErrorStream(true).start();
    String out = new String(p.getInputStream().readAllBytes());
    assertThat(p.waitFor()).as(out).isZero();
    return new Figures(number(out, "Requests/sec:\\s+([\\d.]+)"), text(out, "\\s50%\\s+(\\S+)"),
        text(out, "\\s99%\\s+(\\S+)"), (long) number(out, "Non-2xx or 3xx responses:\\s+(\\d+)"),
        (long) number(out, "(\\d+) requests in"), (long) number(out, "timeout (\\d+)"));
  }

  /** The median and the range of per-round figures, e.g. "0.41 (0.38–0.45) ratio". */
  static String summary(double[] values, String unit) {
    double[] sorted = values.clone();
    java.util.Arrays.sort(sorted);
    double median = sorted.length % 2 == 1 ? sorted[sorted.length / 2]
        : (sorted[sorted.length / 2 - 1] + sorted[sorted.length / 2]) / 2;
    return String.format("median %,.3f %s (range %,.3f–%,.3f over %d rounds)", median, unit, sorted[0],
        sorted[sorted.length - 1], sorted.length);
  }

  /** wrk's latency text (e.g. "850.00us", "3.61ms", "1.20s") in milliseconds. */
  static double millis(String latency) {
    Matcher m = Pattern.compile("([\\d.]+)(us|ms|s|m)").matcher(latency);
    if (!m.matches()) {
      return Double.NaN;
    }
    double n = Double.parseDouble(m.group(1));
    return switch (m.group(2)) {
      case "us" -> n / 1000;
      case "ms" -> n;
      case "s" -> n * 1000;
      default -> n * 60_000;
    };
  }

  private static double number(String out, String regex) {
    Matcher m = Pattern.compile(regex).matcher(out);
    return m.find() ? Double.parseDouble(m.group(1)) : 0;
  }

  private static String text(String out, String regex) {
    Matcher m = Pattern.compile(regex).matcher(out);
    return m.find() ? m.group(1) : "?";
  }
}
