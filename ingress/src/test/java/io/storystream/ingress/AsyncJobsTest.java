package io.storystream.ingress;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import com.fasterxml.jackson.databind.JsonNode;
import io.storystream.schemas.JobState;
import io.storystream.schemas.QuotaUsage;
import io.storystream.schemas.topics.TenantKeys;
import io.storystream.schemas.topics.Topics;
import java.net.http.HttpRequest;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.time.YearMonth;
import java.time.ZoneOffset;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The asynchronous job API as a client meets it, on two ingress instances over a real broker, with the processor
 * played by the test: a 202 is never followed by a 404 on either instance, long polls answer when the job changes,
 * cancel answers with the job's ending, the job list filters and pages, and {@code /v1/usage} reports admission's
 * quota figures.
 */
class AsyncJobsTest {
  @TempDir static Path dir;
  static IngressStack stack;
  static io.javalin.Javalin billing;

  @BeforeAll
  static void start() throws Exception {
    // the test's webhook receiver is on loopback over plain http (WebhookTargetsTest covers the refusals)
    System.setProperty(io.storystream.common.webhooks.WebhookTargets.ALLOW_PRIVATE_PROPERTY, "true");
    billing = io.javalin.Javalin.create(cfg -> {
      cfg.startup.showJavalinBanner = false;
      cfg.routes.get("/tenants/{t}/usage", ctx -> ctx.json(BillingStandInBodies.usage(ctx.pathParam("t"),
          YearMonth.now(ZoneOffset.UTC).toString(), 0, 10_000)));
    }).start("127.0.0.1", 0);
    stack = new IngressStack(dir).billingUrl("http://127.0.0.1:" + billing.port());
    stack.startInstance();
    stack.startInstance();
  }

  @AfterAll
  static void stop() throws Exception {
    System.clearProperty(io.storystream.common.webhooks.WebhookTargets.ALLOW_PRIVATE_PROPERTY);
    stack.close();
    billing.stop();
  }

  @Test
  void hundredsOfSubmitsAcrossTwoInstancesPolledAtOnceOnEitherInstanceAreNeverDenied() throws Exception {
    int perTenant = 150;
    List<String> keys = List.of(stack.tenantWithKey("burst-a", "enterprise"),
        stack.tenantWithKey("burst-b", "enterprise"));
    List<String> fileIds = new ArrayList<>();
    for (String key : keys) {
      fileIds.add(upload(key));
    }
    ExecutorService clients = Executors.newFixedThreadPool(16);
    Map<Integer, Integer> pollStatuses = new ConcurrentHashMap<>();
    Map<Integer, Integer> resultStatuses = new ConcurrentHashMap<>();
    Set<String> jobs = ConcurrentHashMap.newKeySet();
    try {
      List<Future<?>> done = new ArrayList<>();
      for (int i = 0; i < 2 * perTenant; i++) {
        int n = i;
        done.add(clients.submit(() -> {
          String key = keys.get(n % 2);
          IngressService submitOn = stack.instances.get(n % 2);
          IngressService pollOn = stack.instances.get((n / 2) % 2); // half the polls go to the other instance
          IngressStack.Reply submitted = stack.send(stack.tenant(submitOn, key, "POST", "/v1/analyses",
              HttpRequest.BodyPublishers.ofString("{\"fileId\":\"" + fileIds.get(n % 2) + "\"}"))
              .header("Content-Type", "application/json"));
          assertThat(submitted.status()).as(submitted.text()).isEqualTo(202);
          String jobId = submitted.json().path("jobId").asText();
          jobs.add(jobId);
          if (n % 3 == 0) { // a third ask for the result first, at once and on the other instance: not done, not gone
            IngressStack.Reply result = stack.send(stack.tenant(stack.instances.get((n + 1) % 2), key, "GET",
                "/v1/analyses/" + jobId + "/result", null));
            resultStatuses.merge(result.status(), 1, Integer::sum);
            assertThat(result.status()).as("result of %s: %s", jobId, result.text()).isEqualTo(409);
          }
          IngressStack.Reply polled = stack.send(stack.tenant(pollOn, key, "GET", "/v1/analyses/" + jobId, null));
          pollStatuses.merge(polled.status(), 1, Integer::sum);
          assertThat(polled.status()).as("poll of %s: %s", jobId, polled.text()).isEqualTo(200);
          assertThat(polled.json().path("jobId").asText()).isEqualTo(jobId);
          return null;
        }));
      }
      for (Future<?> f : done) {
        f.get(120, TimeUnit.SECONDS);
      }
    } finally {
      clients.shutdownNow();
    }
    assertThat(jobs).hasSize(2 * perTenant);
    assertThat(pollStatuses).containsOnly(Map.entry(200, 2 * perTenant));
    assertThat(resultStatuses).containsOnly(Map.entry(409, 2 * perTenant / 3));
  }

  @Test
  void aLongPollAnswersWithinASecondOfTheStateChangeNotAtTheEndOfItsWait() throws Exception {
    String key = stack.tenantWithKey("poller", "pro");
    String fileId = upload(key);
    for (IngressService pollOn : stack.instances) {
      String jobId = submit(key, fileId, stack.instances.get(0));
      await().atMost(Duration.ofSeconds(10)).until(() -> state(pollOn, key, jobId).equals("queued"));

      long sentAt = System.nanoTime();
      CompletableFuture<IngressStack.Reply> poll = CompletableFuture.supplyAsync(() ->
          stack.send(stack.tenant(pollOn, key, "GET", "/v1/analyses/" + jobId + "?wait=30s", null)));
      // give the poll time to be waiting; it must still be waiting, as nothing changed
      Thread.sleep(500);
      assertThat(poll).as("a long poll on an unchanged job keeps waiting").isNotDone();

      long changedAt = System.nanoTime();
      stack.fakeProcessorStatus("poller", jobId, fileId, JobState.RUNNING, 3, null, null, false);
      IngressStack.Reply answer = poll.get(40, TimeUnit.SECONDS);
      long answeredAt = System.nanoTime();

      assertThat(answer.status()).isEqualTo(200);
      assertThat(answer.json().path("state").asText()).isEqualTo("running");
      long afterChange = TimeUnit.NANOSECONDS.toMillis(answeredAt - changedAt);
      long afterSend = TimeUnit.NANOSECONDS.toMillis(answeredAt - sentAt);
      // the aim is well under a second; the bound is generous for a loaded machine, and far from the 30 s wait
      assertThat(afterChange).as("ms from the change to the answer").isLessThan(5_000);
      assertThat(afterSend).as("ms from the poll to its answer").isLessThan(25_000);
      System.out.printf("long poll on instance %d answered %d ms after the change%n",
          stack.instances.indexOf(pollOn), afterChange);
    }
  }

  @Test
  void cancelAnswersWithTheJobsEndingAndAnEndedJobCannotBeCancelled() throws Exception {
    String key = stack.tenantWithKey("cancels", "pro");
    String otherKey = stack.tenantWithKey("cancels-other", "pro");
    String fileId = upload(key);
    String jobId = submit(key, fileId, stack.instances.get(1));

    CompletableFuture<IngressStack.Reply> cancel = CompletableFuture.supplyAsync(() ->
        stack.send(stack.tenant(stack.instances.get(0), key, "POST", "/v1/analyses/" + jobId + "/cancel", null)));
    // the processor's part: the cancel reaches the topic, admission answers with the ending
    await().atMost(Duration.ofSeconds(20)).until(() -> stack.records(Topics.ANALYSIS_CANCELLATIONS.name()).stream()
        .anyMatch(r -> "cancels".equals(r.key())));
    stack.fakeProcessorStatus("cancels", jobId, fileId, JobState.CANCELLED, 4, "cancelled", null, false);
    IngressStack.Reply cancelled = cancel.get(30, TimeUnit.SECONDS);
    assertThat(cancelled.status()).as(cancelled.text()).isEqualTo(200);
    assertThat(cancelled.json().path("state").asText()).isEqualTo("cancelled");
    assertThat(cancelled.json().path("links").has("cancel")).isFalse();

    IngressStack.Reply again = stack.send(stack.tenant(stack.instances.get(1), key, "POST",
        "/v1/analyses/" + jobId + "/cancel", null));
    assertThat(again.status()).isEqualTo(409);
    assertThat(again.contentType()).startsWith("application/problem+json");
    assertThat(again.problemType()).endsWith("/job-ended");
    assertThat(again.json().path("state").asText()).isEqualTo("cancelled");

    IngressStack.Reply foreign = stack.send(stack.tenant(stack.instances.get(0), otherKey, "POST",
        "/v1/analyses/" + jobId + "/cancel", null));
    IngressStack.Reply missing = stack.send(stack.tenant(stack.instances.get(0), otherKey, "POST",
        "/v1/analyses/job_00000000000000000000000000/cancel", null));
    IngressEndToEndTest.assertSameNotFound(foreign, missing, "cancel of another tenant's job");
  }

  @Test
  void theJobListFiltersByStateAndSinceAndPagesThroughEveryJobOnce() throws Exception {
    String key = stack.tenantWithKey("lister", "pro");
    String fileId = upload(key);
    List<String> jobs = new ArrayList<>();
    Instant cut = null;
    for (int i = 0; i < 7; i++) {
      if (i == 4) {
        Thread.sleep(20); // submit times are the wall clock's: the last three are strictly after the cut
        cut = Instant.now();
        Thread.sleep(20);
      }
      jobs.add(submit(key, fileId, stack.instances.get(i % 2)));
    }
    for (String done : jobs.subList(0, 3)) {
      stack.fakeProcessorStatus("lister", done, fileId, JobState.COMPLETED, 4, null, null, false);
    }
    await().atMost(Duration.ofSeconds(10)).until(() ->
        stack.get(key, "/v1/analyses?state=completed&limit=100").json().path("jobs").size() == 3);

    assertThat(ids(stack.get(key, "/v1/analyses?state=completed&limit=100"))).containsExactlyInAnyOrderElementsOf(
        jobs.subList(0, 3));
    assertThat(ids(stack.get(key, "/v1/analyses?state=queued&limit=100"))).containsExactlyInAnyOrderElementsOf(
        jobs.subList(3, 7));
    assertThat(ids(stack.get(key, "/v1/analyses?since=" + cut + "&limit=100")))
        .containsExactlyElementsOf(List.of(jobs.get(6), jobs.get(5), jobs.get(4)));
    assertThat(stack.get(key, "/v1/analyses?state=sleeping").status()).isEqualTo(400);
    assertThat(stack.get(key, "/v1/analyses?since=yesterday").problemType()).endsWith("/invalid-query");

    List<String> paged = new ArrayList<>();
    String token = null;
    int pages = 0;
    do {
      IngressStack.Reply page = stack.get(key, "/v1/analyses?limit=2" + (token == null ? "" : "&pageToken=" + token));
      assertThat(page.status()).isEqualTo(200);
      assertThat(page.json().path("jobs").size()).isLessThanOrEqualTo(2);
      paged.addAll(ids(page));
      token = page.json().path("nextPageToken").isNull() ? null : page.json().path("nextPageToken").asText();
      pages++;
    } while (token != null && pages < 10);
    assertThat(pages).isEqualTo(4);
    assertThat(paged).hasSize(7).doesNotHaveDuplicates();
    List<String> newestFirst = new ArrayList<>(jobs);
    java.util.Collections.reverse(newestFirst);
    assertThat(paged).containsExactlyElementsOf(newestFirst);
  }

  @Test
  void usageReportsTheQuotaFiguresAdmissionDecidesWith() {
    String key = stack.tenantWithKey("counted", "starter");
    String month = YearMonth.now(ZoneOffset.UTC).toString();
    QuotaUsage figures = QuotaUsage.newBuilder().setTenantId("counted").setMonth(month).setAnalysesPerMonth(50)
        .setUsed(12).setReserved(3).setQueued(1).setRunning(2).setUpdatedAt(Instant.now()).build();
    stack.produce(Topics.QUOTA_USAGE.name(), TenantKeys.of("counted", month),
        stack.serdes.value(Topics.QUOTA_USAGE).serializer().serialize(Topics.QUOTA_USAGE.name(), figures));

    await().atMost(Duration.ofSeconds(10)).untilAsserted(() -> {
      JsonNode quota = stack.get(key, "/v1/usage").json().path("quota");
      assertThat(quota.path("analysesUsed").asLong()).isEqualTo(12);
      assertThat(quota.path("analysesReserved").asLong()).isEqualTo(3);
      assertThat(quota.path("analysesRemaining").asLong()).isEqualTo(35);
      assertThat(quota.path("queuedJobs").asInt()).isEqualTo(1);
      assertThat(quota.path("runningJobs").asInt()).isEqualTo(2);
    });
    // another tenant sees its own (nothing counted yet), never these
    String otherKey = stack.tenantWithKey("uncounted", "starter");
    JsonNode other = stack.get(otherKey, "/v1/usage").json().path("quota");
    assertThat(other.path("analysesUsed").asLong()).isZero();
    assertThat(other.path("analysesRemaining").asLong()).isEqualTo(50);
  }

  @Test
  void aTenantRegistersListsInspectsAndRemovesWebhooksAndSeesOnlyItsOwn() throws Exception {
    String key = stack.tenantWithKey("hooked", "pro");
    String otherKey = stack.tenantWithKey("hooked-other", "pro");
    IngressStack.Reply created = stack.postJson(key, "/v1/webhooks",
        "{\"url\":\"http://127.0.0.1:9/hook\",\"events\":[\"job.completed\",\"job.cancelled\"]}");
    assertThat(created.status()).as(created.text()).isEqualTo(201);
    String id = created.json().path("id").asText();
    String secret = created.json().path("secret").asText();
    assertThat(id).startsWith("wh_");
    assertThat(secret).startsWith("whsec_");
    assertThat(java.util.Base64.getDecoder().decode(secret.substring(6))).hasSize(32);

    IngressStack.Reply listed = stack.get(key, "/v1/webhooks");
    assertThat(listed.json().path("webhooks")).hasSize(1);
    assertThat(listed.json().path("webhooks").get(0).path("id").asText()).isEqualTo(id);
    assertThat(listed.text()).doesNotContain(secret).doesNotContain("whsec_");
    assertThat(stack.get(otherKey, "/v1/webhooks").json().path("webhooks")).isEmpty();

    IngressStack.Reply badEvent = stack.postJson(key, "/v1/webhooks",
        "{\"url\":\"https://127.0.0.1/x\",\"events\":[\"job.exploded\"]}");
    assertThat(badEvent.status()).isEqualTo(422);
    IngressStack.Reply badUrl = stack.postJson(key, "/v1/webhooks",
        "{\"url\":\"ftp://127.0.0.1/x\",\"events\":[\"job.completed\"]}");
    assertThat(badUrl.status()).isEqualTo(422);
    assertThat(badUrl.problemType()).endsWith("/invalid-webhook-target");

    // the dispatcher's record of a delivery, as the processor writes it
    Instant now = Instant.now();
    stack.produce(Topics.WEBHOOK_DELIVERIES.name(), TenantKeys.of("hooked", "msg_1"),
        stack.serdes.value(Topics.WEBHOOK_DELIVERIES).serializer().serialize(Topics.WEBHOOK_DELIVERIES.name(),
            io.storystream.schemas.WebhookDelivery.newBuilder().setDeliveryId("msg_1").setTenantId("hooked")
                .setWebhookId(id).setEventType("job.completed").setPayload("{}")
                .setStatus(io.storystream.schemas.DeliveryStatus.PENDING).setAttempts(3).setCreatedAt(now)
                .setNextAttemptAt(now.plusSeconds(1800)).setLastAttemptAt(now).setLastStatusCode(500)
                .setLastError("HTTP 500").build()));
    await().atMost(Duration.ofSeconds(10)).untilAsserted(() -> {
      JsonNode deliveries = stack.get(key, "/v1/webhooks/" + id + "/deliveries").json().path("deliveries");
      assertThat(deliveries).hasSize(1);
      assertThat(deliveries.get(0).path("status").asText()).isEqualTo("pending");
      assertThat(deliveries.get(0).path("attempts").asInt()).isEqualTo(3);
      assertThat(deliveries.get(0).path("lastError").asText()).isEqualTo("HTTP 500");
    });
    IngressEndToEndTest.assertSameNotFound(stack.get(otherKey, "/v1/webhooks/" + id + "/deliveries"),
        stack.get(otherKey, "/v1/webhooks/wh_00000000000000000000000000/deliveries"), "another tenant's webhook");
    assertThat(stack.delete(otherKey, "/v1/webhooks/" + id).status()).isEqualTo(404);

    assertThat(stack.delete(key, "/v1/webhooks/" + id).status()).isEqualTo(204);
    assertThat(stack.get(key, "/v1/webhooks").json().path("webhooks")).isEmpty();
    assertThat(stack.delete(key, "/v1/webhooks/" + id).status()).isEqualTo(404);
  }

  // ---- helpers --------------------------------------------------------------------------------------------------

  private static String upload(String key) {
    IngressStack.Reply upload = stack.uploadCsv(key, "data.csv", "month,revenue\n2026-01,10\n2026-02,12\n");
    assertThat(upload.status()).as(upload.text()).isEqualTo(201);
    return upload.json().path("id").asText();
  }

  private static String submit(String key, String fileId, IngressService on) {
    IngressStack.Reply submitted = stack.send(stack.tenant(on, key, "POST", "/v1/analyses",
        HttpRequest.BodyPublishers.ofString("{\"fileId\":\"" + fileId + "\"}")).header("Content-Type", "application/json"));
    assertThat(submitted.status()).as(submitted.text()).isEqualTo(202);
    return submitted.json().path("jobId").asText();
  }

  private static String state(IngressService on, String key, String jobId) {
    return stack.send(stack.tenant(on, key, "GET", "/v1/analyses/" + jobId, null)).json().path("state").asText();
  }

  private static List<String> ids(IngressStack.Reply page) {
    List<String> ids = new ArrayList<>();
    page.json().path("jobs").forEach(j -> ids.add(j.path("jobId").asText()));
    Set<String> unique = new HashSet<>(ids);
    assertThat(unique).hasSameSizeAs(ids);
    return ids;
  }
}
