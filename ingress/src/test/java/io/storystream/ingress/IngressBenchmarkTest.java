package io.storystream.ingress;

import static org.assertj.core.api.Assertions.assertThat;

import io.javalin.Javalin;
import io.storystream.common.http.JsonMapper;
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
 * two acknowledged Kafka writes) measured with wrk, next to a bare Javalin JSON POST (parse and answer, nothing else)
 * on the same machine in the same run. Prints the figures; asserts only that every request succeeded.
 *
 * <p>Run: {@code scripts/bench-ingress.sh} (installs wrk if missing), or
 * {@code mvn -o -pl ingress -am test -Dtest=IngressBenchmarkTest -Dsurefire.excludedGroups= -Dgroups=benchmark
 * -Dsurefire.failIfNoSpecifiedTests=false}.
 */
@Tag("benchmark")
class IngressBenchmarkTest {
  @TempDir Path dir;

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
    try (IngressStack stack = new IngressStack(dir)) {
      IngressService ingress = stack.startInstance();
      IngressStack.Reply created = stack.admin("POST", "/admin/tenants",
          "{\"tenantId\":\"bench\",\"plan\":\"enterprise\",\"limits\":{\"requestsPerMinute\":100000000}}");
      assertThat(created.status()).isEqualTo(201);
      String key = stack.key("bench", "{}");
      String fileId = stack.uploadCsv(key, "bench.csv", "a,b\n1,2\n").json().path("id").asText();
      String body = "{\"fileId\":\"" + fileId + "\",\"steeringPrompt\":\"revenue by month\"}";
      // warm both servers (JIT, connection pools, schema ids) before measuring
      wrk("http://127.0.0.1:" + bare.port() + "/bare", body, null, "3s", connections);
      wrk("http://127.0.0.1:" + ingress.ingressPort() + "/v1/analyses", body, key, "3s", connections);

      Figures baseline = wrk("http://127.0.0.1:" + bare.port() + "/bare", body, null, duration, connections);
      Figures submit = wrk("http://127.0.0.1:" + ingress.ingressPort() + "/v1/analyses", body, key, duration,
          connections);
      System.out.println();
      System.out.println("=== ingress submit benchmark (wrk -t2 -c" + connections + " -d" + duration
          + ", same machine, same run) ===");
      System.out.println("bare Javalin JSON POST : " + baseline);
      System.out.println("POST /v1/analyses      : " + submit);
      System.out.printf("ratio submit/bare      : %.3f%n", submit.requestsPerSecond() / baseline.requestsPerSecond());
      System.out.println("machine load average   : " + Files.readString(Path.of("/proc/loadavg")).trim());
      assertThat(baseline.non2xx()).isZero();
      assertThat(submit.non2xx()).isZero();
      assertThat(submit.requests()).isPositive();
    } finally {
      bare.stop();
    }
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

  private static double number(String out, String regex) {
    Matcher m = Pattern.compile(regex).matcher(out);
    return m.find() ? Double.parseDouble(m.group(1)) : 0;
  }

  private static String text(String out, String regex) {
    Matcher m = Pattern.compile(regex).matcher(out);
    return m.find() ? m.group(1) : "?";
  }
}
