package io.storystream.ingress;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import com.fasterxml.jackson.databind.JsonNode;
import io.storystream.schemas.AnalysisRequest;
import io.storystream.schemas.FileRegistered;
import io.storystream.schemas.UsageEvent;
import io.storystream.schemas.UsageType;
import io.storystream.schemas.topics.Topics;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Two tenants, each through the whole flow on the real broker and S3Proxy: upload, submit, poll (long-poll woken by
 * the fake processor's transition), fetch result, chart and dataset; events on the topics as the contract says.
 */
class TwoTenantFlowTest {
  @TempDir static Path dir;
  static IngressStack stack;
  static String acmeKey;
  static String globexKey;

  @BeforeAll
  static void start() throws Exception {
    stack = new IngressStack(dir);
    stack.startInstance();
    acmeKey = stack.tenantWithKey("acme", "pro");
    globexKey = stack.tenantWithKey("globex", "starter");
  }

  @AfterAll
  static void stop() throws Exception {
    stack.close();
  }

  @Test
  void eachTenantUploadsSubmitsPollsAndFetches() throws Exception {
    for (String[] t : new String[][] {{"acme", acmeKey}, {"globex", globexKey}}) {
      String tenant = t[0];
      String key = t[1];
      IngressStack.Reply upload = stack.uploadCsv(key, "sales.csv", "month,revenue\n2026-01,10\n2026-02,12\n");
      assertThat(upload.status()).as(upload.text()).isEqualTo(201);
      JsonNode file = upload.json();
      String fileId = file.path("id").asText();
      assertThat(fileId).startsWith("file_");
      assertThat(file.path("rows").asLong()).isEqualTo(2);
      assertThat(file.path("columns").asInt()).isEqualTo(2);
      assertThat(file.path("sha256").asText()).hasSize(64);
      assertThat(stack.blobs.exists("tenants/" + tenant + "/files/" + fileId)).isTrue();
      assertThat(stack.get(key, "/v1/files/" + fileId).status()).isEqualTo(200);

      IngressStack.Reply submitted = stack.postJson(key, "/v1/analyses",
          "{\"fileId\":\"" + fileId + "\",\"steeringPrompt\":\"focus on revenue\"}");
      assertThat(submitted.status()).as(submitted.text()).isEqualTo(202);
      String jobId = submitted.json().path("jobId").asText();
      assertThat(jobId).startsWith("job_");
      assertThat(submitted.header("Location")).isEqualTo("/v1/analyses/" + jobId);
      assertThat(submitted.json().path("state").asText()).isEqualTo("queued");

      await().atMost(Duration.ofSeconds(15)).untilAsserted(() ->
          assertThat(stack.get(key, "/v1/analyses/" + jobId).json().path("state").asText()).isEqualTo("queued"));

      CompletableFuture<IngressStack.Reply> longPoll = CompletableFuture.supplyAsync(() ->
          stack.get(key, "/v1/analyses/" + jobId + "?wait=30s"));
      String prefix = stack.fakeProcessorComplete(tenant, jobId, fileId);
      IngressStack.Reply woken = longPoll.get();
      assertThat(woken.status()).isEqualTo(200);
      assertThat(woken.json().path("state").asText()).isIn("admitted", "running", "completed");

      await().atMost(Duration.ofSeconds(15)).untilAsserted(() ->
          assertThat(stack.get(key, "/v1/analyses/" + jobId).json().path("state").asText()).isEqualTo("completed"));
      IngressStack.Reply result = stack.get(key, "/v1/analyses/" + jobId + "/result");
      assertThat(result.status()).as(result.text()).isEqualTo(200);
      assertThat(result.json().path("stories")).hasSize(3);
      assertThat(result.json().path("charts").get(0).path("href").asText())
          .isEqualTo("/v1/analyses/" + jobId + "/charts/0");
      IngressStack.Reply chart = stack.get(key, "/v1/analyses/" + jobId + "/charts/0");
      assertThat(chart.status()).isEqualTo(200);
      assertThat(chart.contentType()).startsWith("image/png");
      assertThat(chart.body()).isEqualTo(stack.blobs.get(prefix + "charts/0.png").orElseThrow());
      IngressStack.Reply dataset = stack.get(key, "/v1/analyses/" + jobId + "/dataset");
      assertThat(dataset.status()).isEqualTo(200);
      assertThat(dataset.text()).startsWith("month,revenue");

      JsonNode list = stack.get(key, "/v1/analyses").json();
      assertThat(list.path("jobs").findValuesAsText("jobId")).contains(jobId);
    }

    List<AnalysisRequest> requests = stack.records(Topics.ANALYSIS_REQUESTS.name()).stream()
        .map(r -> stack.serdes.value(Topics.ANALYSIS_REQUESTS).deserializer().deserialize(r.topic(), r.value()))
        .toList();
    assertThat(requests).extracting(AnalysisRequest::getTenantId).contains("acme", "globex");
    List<FileRegistered> files = stack.records(Topics.FILES.name()).stream().filter(r -> r.value() != null)
        .map(r -> stack.serdes.value(Topics.FILES).deserializer().deserialize(r.topic(), r.value())).toList();
    assertThat(files).allSatisfy(f -> assertThat(f.getObjectKey()).startsWith("tenants/" + f.getTenantId() + "/files/"));
    await().atMost(Duration.ofSeconds(10)).untilAsserted(() -> {
      List<UsageEvent> usage = stack.records(Topics.USAGE_EVENTS.name()).stream()
          .map(r -> stack.serdes.value(Topics.USAGE_EVENTS).deserializer().deserialize(r.topic(), r.value())).toList();
      assertThat(usage).filteredOn(u -> u.getType() == UsageType.FILE_UPLOAD).hasSizeGreaterThanOrEqualTo(2);
      assertThat(usage).filteredOn(u -> u.getType() == UsageType.FILE_DOWNLOAD).hasSizeGreaterThanOrEqualTo(4);
    });
  }
}
