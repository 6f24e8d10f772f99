package io.storystream.processor.webhooks;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import com.sun.net.httpserver.HttpServer;
import io.storystream.common.http.JsonMapper;
import io.storystream.common.kafka.KafkaSettings;
import io.storystream.common.webhooks.WebhookTargets;
import io.storystream.embedded.EmbeddedKafka;
import io.storystream.embedded.registry.SchemaRegistryServer;
import io.storystream.processor.ProcessorTopics;
import io.storystream.schemas.AnalysisStatus;
import io.storystream.schemas.DeliveryStatus;
import io.storystream.schemas.JobState;
import io.storystream.schemas.WebhookDelivery;
import io.storystream.schemas.WebhookSubscription;
import io.storystream.schemas.registry.HttpSchemaRegistryClient;
import io.storystream.schemas.registry.SchemaRegistryClient;
import io.storystream.schemas.serde.AvroDeserializer;
import io.storystream.schemas.serde.AvroSerializer;
import io.storystream.schemas.topics.TenantKeys;
import io.storystream.schemas.topics.Topics;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.security.MessageDigest;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Base64;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.function.BooleanSupplier;
import javax.crypto.Mac;
import javax.crypto.spec.SecretKeySpec;
import org.apache.avro.specific.SpecificRecordBase;
import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.common.TopicPartition;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInstance;
import org.junit.jupiter.api.io.TempDir;

/**
 * Webhook deliveries from Kafka to a real local receiver: Standard Webhooks signatures checked by an independent
 * implementation of the specification, retries with the dispatcher restarted between attempts, one tenant's dead
 * endpoint not delaying another's, and a target that turned private refused at delivery time.
 */
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
class WebhookDeliveryTest {
  private static final Duration WAIT = Duration.ofSeconds(60);
  private static final int PARTITIONS = 3;
  /** Fast retries for the test; the third wait is long so the restart happens between attempts, not during one. */
  private static final List<Duration> SCHEDULE = List.of(Duration.ZERO, Duration.ofMillis(100), Duration.ofSeconds(3),
      Duration.ofMillis(100), Duration.ofMillis(100), Duration.ofMillis(100));

  private EmbeddedKafka kafka;
  private SchemaRegistryServer registryServer;
  private KafkaSettings settings;
  private SchemaRegistryClient registry;
  private KafkaProducer<String, byte[]> producer;
  private AvroSerializer<SpecificRecordBase> serializer;
  private HttpServer receiver;
  private final List<Received> received = new CopyOnWriteArrayList<>();
  private final AtomicInteger flakyCalls = new AtomicInteger();
  private final AtomicInteger deadArrivals = new AtomicInteger();
  private final List<WebhookDispatcher> dispatchers = new ArrayList<>();
  private final Map<String, WebhookDelivery> deliveries = new ConcurrentHashMap<>();
  private volatile boolean tailing = true;
  private Thread tail;
  private int jobs;

  private record Received(String path, Map<String, String> headers, String body, int answered) {}

  @BeforeAll
  void start(@TempDir Path dir) throws Exception {
    kafka = EmbeddedKafka.forTests(dir.resolve("kafka")).start();
    registryServer = new SchemaRegistryServer("127.0.0.1", 0, kafka.bootstrapServers(), (short) 1).start();
    settings = new KafkaSettings(kafka.bootstrapServers(), registryServer.url(), PARTITIONS, (short) 1);
    registry = new HttpSchemaRegistryClient(registryServer.url());
    try (Admin admin = Admin.create(settings.admin())) {
      ProcessorTopics.catalogue(PARTITIONS, (short) 1).ensure(admin);
    }
    producer = new KafkaProducer<>(settings.producer("webhook-test"));
    serializer = new AvroSerializer<>(registry, false);
    receiver = HttpServer.create(new InetSocketAddress("127.0.0.1", 0), 0);
    receiver.createContext("/", exchange -> {
      String path = exchange.getRequestURI().getPath();
      String body = new String(exchange.getRequestBody().readAllBytes(), StandardCharsets.UTF_8);
      int status = 200;
      if (path.equals("/flaky") && flakyCalls.incrementAndGet() <= 3) {
        status = 500;
      }
      if (path.equals("/dead")) {
        deadArrivals.incrementAndGet();
        try {
          Thread.sleep(10_000); // never answers in time
        } catch (InterruptedException e) {
          Thread.currentThread().interrupt();
        }
      }
      Map<String, String> headers = new java.util.HashMap<>();
      exchange.getRequestHeaders().forEach((k, v) -> headers.put(k.toLowerCase(java.util.Locale.ROOT), v.get(0)));
      received.add(new Received(path, headers, body, status));
      exchange.sendResponseHeaders(status, -1);
      exchange.close();
    });
    receiver.setExecutor(java.util.concurrent.Executors.newCachedThreadPool());
    receiver.start();
    AvroDeserializer<WebhookDelivery> reader = new AvroDeserializer<>(registry, WebhookDelivery.class);
    tail = new Thread(() -> {
      try (KafkaConsumer<String, byte[]> consumer = new KafkaConsumer<>(settings.consumer(null))) {
        List<TopicPartition> partitions = new ArrayList<>();
        for (int p = 0; p < PARTITIONS; p++) {
          partitions.add(new TopicPartition(Topics.WEBHOOK_DELIVERIES.name(), p));
        }
        consumer.assign(partitions);
        consumer.seekToBeginning(partitions);
        while (tailing) {
          consumer.poll(Duration.ofMillis(50)).forEach(r -> {
            WebhookDelivery d = reader.deserialize(r.topic(), r.value());
            deliveries.merge(d.getDeliveryId(), d, (a, b) -> b.getAttempts() >= a.getAttempts() ? b : a);
          });
        }
      }
    }, "deliveries-tail");
    tail.start();
  }

  @AfterAll
  void stop() throws Exception {
    tailing = false;
    tail.join(5_000);
    dispatchers.forEach(WebhookDispatcher::close);
    receiver.stop(0);
    producer.close();
    registryServer.close();
    kafka.close();
  }

  /** A new dispatcher, the only one running (so it owns every tenant's partition). */
  private WebhookDispatcher dispatcher(String instance, WebhookTargets targets) {
    dispatchers.forEach(WebhookDispatcher::close);
    // 8 attempts in flight at most, 4 per tenant: one tenant's backlog can never take every slot
    WebhookDispatcher d = new WebhookDispatcher(WebhookDispatcher.Config.of(settings, instance)
        .withRetrySchedule(SCHEDULE).withInFlight(4, 8), registry, targets, Clock.systemUTC()).start();
    dispatchers.add(d);
    return d;
  }

  @Test
  void signedDeliveriesVerifyWithAnIndependentImplementationAndARetriedOneArrivesOnceAcrossARestart()
      throws Exception {
    WebhookDispatcher first = dispatcher("first", new WebhookTargets(true, InetAddress::getAllByName));
    String secret = "whsec_" + Base64.getEncoder().encodeToString("0123456789abcdef0123456789abcdef".getBytes());
    subscribe("acme", "wh_ok", url("/ok"), secret, List.of("job.completed", "job.failed"));
    subscribe("acme", "wh_flaky", url("/flaky"), secret, List.of("job.failed"));
    producer.flush();
    waitUntil(() -> first.knows("acme", "wh_ok") && first.knows("acme", "wh_flaky"));

    String completed = ending("acme", JobState.COMPLETED);
    waitUntil(() -> receivedAt("/ok").size() == 1);
    Received delivery = receivedAt("/ok").get(0);
    assertThat(verify(secret, delivery.headers(), delivery.body())).as("signature").isTrue();
    assertThat(verify(secret.replace('0', '1'), delivery.headers(), delivery.body())).isFalse();
    JsonNode body = JsonMapper.shared().readTree(delivery.body());
    assertThat(body.path("type").asText()).isEqualTo("job.completed");
    assertThat(Instant.parse(body.path("timestamp").asText())).isNotNull();
    assertThat(body.path("data").path("jobId").asText()).isEqualTo(completed);
    assertThat(body.path("data").path("state").asText()).isEqualTo("completed");
    assertThat(delivery.headers().get("webhook-id")).startsWith("msg_");

    // a failure: /ok gets it at once; /flaky answers 500 three times, with the dispatcher replaced after the second
    String failed = ending("acme", JobState.FAILED);
    String flakyId = WebhookDispatcher.deliveryId("wh_flaky", failed, "job.failed");
    waitUntil(() -> deliveries.containsKey(flakyId) && deliveries.get(flakyId).getAttempts() == 2);
    first.close();
    dispatcher("second", new WebhookTargets(true, InetAddress::getAllByName));
    waitUntil(() -> deliveries.containsKey(flakyId)
        && deliveries.get(flakyId).getStatus() == DeliveryStatus.DELIVERED);

    List<Received> flaky = receivedAt("/flaky");
    assertThat(flaky).extracting(Received::answered).containsExactly(500, 500, 500, 200);
    assertThat(flaky).allMatch(r -> r.headers().get("webhook-id").equals(flakyId))
        .allMatch(r -> verify(secret, r.headers(), r.body()));
    assertThat(deliveries.get(flakyId).getAttempts()).isEqualTo(4);

    // nothing more follows: another event goes through, and the flaky endpoint saw no fifth call
    String later = ending("acme", JobState.COMPLETED);
    waitUntil(() -> receivedAt("/ok").stream().anyMatch(r -> r.body().contains(later)));
    assertThat(receivedAt("/flaky")).hasSize(4);
    assertThat(receivedAt("/ok")).extracting(r -> r.headers().get("webhook-id")).doesNotHaveDuplicates();
  }

  @Test
  void oneTenantsDeadEndpointDoesNotDelayAnothersAndAPrivateTargetIsRefusedAtDelivery() throws Exception {
    // a name that resolved to a public address at registration now points at loopback (DNS rebinding)
    WebhookTargets strict = new WebhookTargets(false, host -> host.equals("hooks.rebound.test")
        ? new InetAddress[] {InetAddress.getLoopbackAddress()} : InetAddress.getAllByName(host));
    WebhookDispatcher fair = dispatcher("fair", new WebhookTargets(true, InetAddress::getAllByName));
    String secret = "whsec_" + Base64.getEncoder().encodeToString(new byte[32]);
    subscribe("slowco", "wh_dead", url("/dead"), secret, List.of("job.completed"));
    subscribe("quickco", "wh_quick", url("/quick"), secret, List.of("job.completed"));
    producer.flush();
    waitUntil(() -> fair.knows("slowco", "wh_dead") && fair.knows("quickco", "wh_quick"));
    List<String> slow = new ArrayList<>();
    for (int i = 0; i < 12; i++) {
      slow.add(ending("slowco", JobState.COMPLETED));
    }
    // slowco's calls hang at its endpoint, holding every slot it may take, before quickco's event exists
    waitUntil(() -> deadArrivals.get() >= 4);
    String quick = ending("quickco", JobState.COMPLETED);
    waitUntil(() -> receivedAt("/quick").stream().anyMatch(r -> r.body().contains(quick)));
    // the dead endpoint holds every call 10 s: none of slowco's had finished when quickco's arrived, so quickco's
    // was not queued behind them (with one shared queue of 8 slots, slowco's 12 would have taken them all)
    assertThat(receivedAt("/dead")).as("dead endpoint calls finished when the other tenant's arrived").isEmpty();
    assertThat(slow.stream().map(job -> deliveries.get(WebhookDispatcher.deliveryId("wh_dead", job, "job.completed")))
        .filter(d -> d != null && d.getStatus() == DeliveryStatus.DELIVERED)).isEmpty();
    fair.close();

    WebhookDispatcher guarded = dispatcher("guarded", strict);
    subscribe("rebound", "wh_rebound", "https://hooks.rebound.test/x", secret, List.of("job.completed"));
    producer.flush();
    waitUntil(() -> guarded.knows("rebound", "wh_rebound"));
    String job = ending("rebound", JobState.COMPLETED);
    String id = WebhookDispatcher.deliveryId("wh_rebound", job, "job.completed");
    waitUntil(() -> deliveries.containsKey(id) && deliveries.get(id).getAttempts() >= 1);
    assertThat(deliveries.get(id).getLastError()).isEqualTo("private_target");
    assertThat(deliveries.get(id).getStatus()).isNotEqualTo(DeliveryStatus.DELIVERED);
    guarded.close();
  }

  @Test
  void quotaThresholdsAndAFinalStatementAreAnnouncedOnceEach() throws Exception {
    WebhookDispatcher metered = dispatcher("metered", new WebhookTargets(true, InetAddress::getAllByName));
    String secret = "whsec_" + Base64.getEncoder().encodeToString(new byte[32]);
    subscribe("metered", "wh_metered", url("/metered"), secret,
        List.of("quota.threshold", "statement.finalized", "job.completed"));
    producer.flush();
    waitUntil(() -> metered.knows("metered", "wh_metered"));
    String month = "2026-12";
    for (long counted : new long[] {50, 79, 80, 85, 99, 100, 100}) {
      send(Topics.QUOTA_USAGE.name(), TenantKeys.of("metered", month), io.storystream.schemas.QuotaUsage.newBuilder()
          .setTenantId("metered").setMonth(month).setAnalysesPerMonth(100).setUsed(counted - 2).setReserved(2)
          .setQueued(0).setRunning(2).setUpdatedAt(Instant.now()).build());
    }
    for (io.storystream.schemas.StatementStatus status : List.of(io.storystream.schemas.StatementStatus.OPEN,
        io.storystream.schemas.StatementStatus.FINAL)) {
      send(Topics.BILLING_STATEMENTS.name(), TenantKeys.of("metered", "2026-11"),
          io.storystream.schemas.Statement.newBuilder().setTenantId("metered").setMonth("2026-11").setPlan("pro")
              .setCurrency("EUR").setPriceBookVersion(1).setRevision(3).setStatus(status)
              .setQuantities(new io.storystream.schemas.MeterQuantities(1L, 0L, 0L, 10L, 1L, 0L, 0L))
              .setLines(List.of()).setTotalMicros(49_000_000L).setGeneratedAt(Instant.now()).build());
    }
    producer.flush();
    String job = ending("metered", JobState.COMPLETED);
    waitUntil(() -> receivedAt("/metered").stream().anyMatch(r -> r.body().contains(job)));
    waitUntil(() -> receivedAt("/metered").size() >= 4);

    List<JsonNode> bodies = new ArrayList<>();
    for (Received r : receivedAt("/metered")) {
      assertThat(verify(secret, r.headers(), r.body())).isTrue();
      bodies.add(JsonMapper.shared().readTree(r.body()));
    }
    assertThat(bodies).extracting(b -> b.path("type").asText() + ":" + b.path("data").path("threshold").asText(""))
        .containsExactlyInAnyOrder("quota.threshold:80", "quota.threshold:100", "statement.finalized:",
            "job.completed:");
    JsonNode statement = bodies.stream().filter(b -> b.path("type").asText().equals("statement.finalized"))
        .findFirst().orElseThrow();
    assertThat(statement.path("data").path("totalMicros").asLong()).isEqualTo(49_000_000L);
    assertThat(statement.path("data").path("status").asText()).isEqualTo("final");
    metered.close();
  }

  // ---- an independent reading of the Standard Webhooks specification -------------------------------------------

  /**
   * "The signature is computed over {msg_id}.{timestamp}.{payload} with HMAC-SHA256, keyed by the base64-decoded
   * part of the secret after whsec_; the header carries space-separated version,signature pairs."
   */
  private static boolean verify(String secret, Map<String, String> headers, String body) {
    try {
      String signed = headers.get("webhook-id") + "." + headers.get("webhook-timestamp") + "." + body;
      Mac hmac = Mac.getInstance("HmacSHA256");
      hmac.init(new SecretKeySpec(Base64.getDecoder().decode(secret.split("_", 2)[1]), "HmacSHA256"));
      byte[] expected = hmac.doFinal(signed.getBytes(StandardCharsets.UTF_8));
      long age = Math.abs(System.currentTimeMillis() / 1000 - Long.parseLong(headers.get("webhook-timestamp")));
      if (age > 300) {
        return false; // the spec's replay window
      }
      for (String candidate : headers.get("webhook-signature").split(" ")) {
        String[] parts = candidate.split(",", 2);
        if (parts.length == 2 && parts[0].equals("v1")
            && MessageDigest.isEqual(Base64.getDecoder().decode(parts[1]), expected)) {
          return true;
        }
      }
      return false;
    } catch (Exception e) {
      return false;
    }
  }

  // ---- helpers --------------------------------------------------------------------------------------------------

  private String url(String path) {
    return "http://127.0.0.1:" + receiver.getAddress().getPort() + path;
  }

  private List<Received> receivedAt(String path) {
    return received.stream().filter(r -> r.path().equals(path)).toList();
  }

  private void subscribe(String tenantId, String webhookId, String url, String secret, List<String> events) {
    send(Topics.WEBHOOKS.name(), TenantKeys.of(tenantId, webhookId), WebhookSubscription.newBuilder()
        .setWebhookId(webhookId).setTenantId(tenantId).setUrl(url).setEvents(events).setSecret(secret)
        .setCreatedAt(Instant.now()).build());
  }

  /** A job's ending as the worker writes it to analysis-status. */
  private String ending(String tenantId, JobState state) {
    String jobId = "job_" + tenantId + "_" + (++jobs);
    Instant now = Instant.now();
    send(Topics.ANALYSIS_STATUS.name(), TenantKeys.of(tenantId, jobId), AnalysisStatus.newBuilder()
        .setJobId(jobId).setTenantId(tenantId).setFileId("file_1").setState(state).setSequence(4)
        .setReason(state == JobState.FAILED ? "upstream_permanent" : null).setSubmittedAt(now).setUpdatedAt(now)
        .setCompletedAt(now).build());
    producer.flush();
    return jobId;
  }

  private void send(String topic, String key, SpecificRecordBase value) {
    producer.send(new ProducerRecord<>(topic, key, serializer.serialize(topic, value)));
  }

  private static void waitUntil(BooleanSupplier condition) throws InterruptedException {
    long deadline = System.nanoTime() + WAIT.toNanos();
    while (!condition.getAsBoolean()) {
      if (System.nanoTime() > deadline) {
        throw new AssertionError("condition not met within " + WAIT);
      }
      Thread.sleep(50);
    }
  }
}
