package io.storystream.common.ops;

import static org.assertj.core.api.Assertions.assertThat;

import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.util.concurrent.atomic.AtomicBoolean;
import org.junit.jupiter.api.Test;

class ManagementTest {
  private static final String TOKEN = "ssm_1f3e5d7c9b0a2f4e6d8c1b3a5f7e9d0c2b4a6f8e1d3c5b7a9f0e2d4c6b8a1f3e";
  private final HttpClient http = HttpClient.newHttpClient();

  @Test
  void theTenantLabelIsBoundedAndStableForTenantsAlreadyLabelled() {
    TenantLabels labels = new TenantLabels(3);
    assertThat(labels.label("a")).isEqualTo("a");
    assertThat(labels.label(null)).isEqualTo(TenantLabels.NONE);
    assertThat(labels.label("b")).isEqualTo("b");
    assertThat(labels.label("c")).isEqualTo("c");
    for (int i = 0; i < 1000; i++) {
      assertThat(labels.label("t" + i)).isEqualTo(TenantLabels.OVERFLOW);
    }
    assertThat(labels.label("a")).as("a labelled tenant keeps its label").isEqualTo("a");
  }

  @Test
  void servesMetricsAndTheReadinessOfEveryRegisteredService() throws Exception {
    Management management = new Management();
    AtomicBoolean billing = new AtomicBoolean(false);
    management.readiness("ingress.kafka", () -> true).readiness("billing.streams", billing::get)
        .readiness("worker.loop", () -> {
          throw new IllegalStateException("a check that throws is down");
        });
    management.registry().counter("storystream_test_things").increment();
    try (ManagementServer server = ManagementServer.start("127.0.0.1", 0, management, TOKEN)) {
      String base = "http://127.0.0.1:" + server.port();
      assertThat(get(base + "/health/live").statusCode()).isEqualTo(200);
      HttpResponse<String> ready = get(base + "/health/ready");
      assertThat(ready.statusCode()).isEqualTo(503);
      assertThat(ready.body()).contains("\"ingress.kafka\":\"up\"", "\"billing.streams\":\"down\"",
          "\"worker.loop\":\"down\"");
      management.removeReadiness("worker.loop");
      billing.set(true);
      assertThat(get(base + "/health/ready").statusCode()).isEqualTo(200);
      for (String auth : new String[] {null, "Bearer wrong", "Bearer " + TOKEN + "0"}) {
        HttpRequest.Builder anonymous = HttpRequest.newBuilder(URI.create(base + "/metrics"));
        if (auth != null) {
          anonymous.header("Authorization", auth);
        }
        HttpResponse<String> refused = http.send(anonymous.build(), HttpResponse.BodyHandlers.ofString());
        assertThat(refused.statusCode()).as("metrics with %s", auth).isEqualTo(401);
        assertThat(refused.body()).doesNotContain("storystream_test_things");
      }
      HttpResponse<String> metrics = http.send(HttpRequest.newBuilder(URI.create(base + "/metrics"))
          .header("Authorization", "Bearer " + TOKEN).build(), HttpResponse.BodyHandlers.ofString());
      assertThat(metrics.headers().firstValue("Content-Type")).hasValueSatisfying(
          v -> assertThat(v).startsWith("text/plain"));
      assertThat(metrics.body()).contains("storystream_test_things_total 1.0", "jvm_memory_used_bytes");
    }
  }

  @Test
  void aProcessWithoutChecksIsNotReady() {
    assertThat(new Management().readiness().ready()).isFalse();
  }

  private HttpResponse<String> get(String url) throws Exception {
    return http.send(HttpRequest.newBuilder(URI.create(url)).build(), HttpResponse.BodyHandlers.ofString());
  }
}
