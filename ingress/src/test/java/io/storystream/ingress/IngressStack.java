package io.storystream.ingress;

import java.nio.file.Files;
import io.storystream.common.crypto.MasterKeys;
import io.storystream.common.config.Secrets;
import io.storystream.common.results.ResultDocument;
import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import io.storystream.common.blob.BlobStore;
import io.storystream.common.config.PlatformOptions;
import io.storystream.common.http.JsonMapper;
import io.storystream.common.kafka.KafkaSettings;
import io.storystream.embedded.EmbeddedKafka;
import io.storystream.embedded.EmbeddedS3;
import io.storystream.embedded.registry.SchemaRegistryServer;
import io.storystream.schemas.AnalysisStatus;
import io.storystream.schemas.JobState;
import io.storystream.schemas.registry.HttpSchemaRegistryClient;
import io.storystream.schemas.topics.TenantKeys;
import io.storystream.schemas.topics.TopicSerdes;
import io.storystream.schemas.topics.Topics;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Clock;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Properties;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.common.TopicPartition;

/**
 * The real parts an ingress test needs: a KRaft broker, S3Proxy, the registry endpoint, and one or more ingress
 * instances; plus small HTTP helpers and a fake processor that writes what the real one would.
 */
final class IngressStack implements AutoCloseable {
  // strong enough for the start-up check (at least 128 bits): 64 hex characters
  static final String OPERATOR_TOKEN = "sso_7c1e9a3f5b2d4c6e8a0b1d3f5e7a9c2b4d6f8e0a1c3e5b7d9f2a4c6e8b0d1f3a";
  static final byte[] PEPPER = "a-test-pepper-of-enough-length!!".getBytes(StandardCharsets.UTF_8);

  final EmbeddedKafka kafka;
  final EmbeddedS3 s3;
  final SchemaRegistryServer registry;
  final KafkaSettings settings;
  final TopicSerdes serdes;
  final BlobStore blobs;
  final List<IngressService> instances = new ArrayList<>();
  final HttpClient http = HttpClient.newBuilder().version(HttpClient.Version.HTTP_1_1).build();
  private final Path dir;
  private String billingUrl = "http://127.0.0.1:9";

  IngressStack(Path dir) throws Exception {
    this.dir = dir;
    kafka = EmbeddedKafka.forTests(dir.resolve("kafka")).start();
    s3 = new EmbeddedS3(null, 0, "storystream").start();
    registry = new SchemaRegistryServer("127.0.0.1", 0, kafka.bootstrapServers(), (short) 1).start();
    settings = new KafkaSettings(kafka.bootstrapServers(), registry.url(), 3, (short) 1);
    serdes = new TopicSerdes(new HttpSchemaRegistryClient(registry.url()));
    blobs = new BlobStore(s3.settings());
  }

  IngressStack billingUrl(String url) {
    this.billingUrl = url;
    return this;
  }

  IngressService startInstance() throws Exception {
    return startInstance(Clock.systemUTC());
  }

  IngressService startInstance(Clock clock) throws Exception {
    return startInstance(clock, null);
  }

  /** An instance with these extensions instead of the standard ones (null: the standard ones). */
  IngressService startInstance(Clock clock, List<IngressExtension> extensions) throws Exception {
    Path data = dir.resolve("ingress-" + instances.size());
    // every instance gets the stack's master keys, as a deployment gives every service the same
    // STORYSTREAM_MASTER_KEYS: one that generated its own could not unwrap the data keys the others made
    String keys = Secrets.readOrCreate(
        dir.resolve(MasterKeys.DEFAULT_FILE), "");
    Files.createDirectories(data);
    if (!Files.exists(data.resolve(MasterKeys.DEFAULT_FILE))) {
      Files.writeString(data.resolve(MasterKeys.DEFAULT_FILE), keys + "\n");
    }
    IngressConfig config = new IngressConfig(PlatformOptions.of(settings, s3.settings(), data), "127.0.0.1", 0, 0,
        "127.0.0.1", OPERATOR_TOKEN, PEPPER, billingUrl, clock);
    IngressService service = (extensions == null ? new IngressService(config)
        : new IngressService(config, extensions)).start();
    instances.add(service);
    awaitSettled();
    return service;
  }

  /**
   * Waits until the running instances' job views have settled: each is running and together they hold every
   * partition of the jobs store as an active task exactly once. A newly started instance joins the group in two
   * cooperative rounds; between them a moved partition is active nowhere and its tenants' job questions are answered
   * 503 jobs-rebalancing (documented, with Retry-After). Tests that script exact answers start after the move.
   */
  void awaitSettled() {
    int partitions = Topics.ANALYSIS_REQUESTS.partitions(settings.tenantPartitions());
    org.awaitility.Awaitility.await("the job views of " + instances.size() + " instance(s) settled")
        .atMost(java.time.Duration.ofSeconds(90)).pollInterval(java.time.Duration.ofMillis(50)).until(() -> {
          List<IngressService> live = instances.stream().filter(i -> !i.parts().jobs().stopped()).toList();
          List<Integer> held = new ArrayList<>();
          for (IngressService instance : live) {
            if (!instance.ready()) {
              return false;
            }
            held.addAll(instance.parts().jobs().activePartitions());
          }
          return held.size() == partitions && new java.util.HashSet<>(held).size() == partitions;
        });
  }

  IngressService ingress() {
    return instances.get(0);
  }

  // ---- HTTP -----------------------------------------------------------------------------------------------------

  record Reply(int status, Map<String, List<String>> headers, byte[] body) {
    JsonNode json() {
      try {
        return JsonMapper.shared().readTree(body);
      } catch (Exception e) {
        throw new AssertionError("not JSON (" + status + "): " + text(), e);
      }
    }

    String text() {
      return new String(body, StandardCharsets.UTF_8);
    }

    String header(String name) {
      return headers.entrySet().stream().filter(e -> e.getKey().equalsIgnoreCase(name)).findFirst()
          .map(e -> e.getValue().get(0)).orElse(null);
    }

    String contentType() {
      return header("Content-Type");
    }

    String problemType() {
      return json().path("type").asText();
    }
  }

  Reply send(HttpRequest.Builder request) {
    try {
      HttpResponse<byte[]> r = http.send(request.build(), HttpResponse.BodyHandlers.ofByteArray());
      return new Reply(r.statusCode(), r.headers().map(), r.body());
    } catch (Exception e) {
      throw new AssertionError("request failed: " + e, e);
    }
  }

  HttpRequest.Builder tenant(IngressService instance, String key, String method, String path,
                             HttpRequest.BodyPublisher body) {
    HttpRequest.Builder b = HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + instance.ingressPort() + path))
        .method(method, body == null ? HttpRequest.BodyPublishers.noBody() : body);
    if (key != null) {
      b.header("Authorization", "Bearer " + key);
    }
    return b;
  }

  Reply get(String key, String path) {
    return send(tenant(ingress(), key, "GET", path, null));
  }

  Reply delete(String key, String path) {
    return send(tenant(ingress(), key, "DELETE", path, null));
  }

  Reply postJson(String key, String path, String json) {
    return send(tenant(ingress(), key, "POST", path, HttpRequest.BodyPublishers.ofString(json))
        .header("Content-Type", "application/json"));
  }

  Reply uploadCsv(String key, String name, String csv) {
    return send(tenant(ingress(), key, "POST", "/v1/files?name=" + name,
        HttpRequest.BodyPublishers.ofString(csv)).header("Content-Type", "text/csv"));
  }

  Reply multipart(String key, String field, String fileName, String partType, byte[] content) {
    String boundary = "----storystream-test-boundary";
    byte[] head = ("--" + boundary + "\r\nContent-Disposition: form-data; name=\"" + field + "\"; filename=\""
        + fileName + "\"\r\nContent-Type: " + partType + "\r\n\r\n").getBytes(StandardCharsets.UTF_8);
    byte[] tail = ("\r\n--" + boundary + "--\r\n").getBytes(StandardCharsets.UTF_8);
    byte[] body = new byte[head.length + content.length + tail.length];
    System.arraycopy(head, 0, body, 0, head.length);
    System.arraycopy(content, 0, body, head.length, content.length);
    System.arraycopy(tail, 0, body, head.length + content.length, tail.length);
    return send(tenant(ingress(), key, "POST", "/v1/files", HttpRequest.BodyPublishers.ofByteArray(body))
        .header("Content-Type", "multipart/form-data; boundary=" + boundary));
  }

  Reply admin(String method, String path, String json) {
    HttpRequest.Builder b = HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + ingress().adminPort() + path))
        .header("Authorization", "Bearer " + OPERATOR_TOKEN)
        .method(method, json == null ? HttpRequest.BodyPublishers.noBody() : HttpRequest.BodyPublishers.ofString(json));
    if (json != null) {
      b.header("Content-Type", "application/json");
    }
    return send(b);
  }

  /** Creates a tenant on a plan and issues it a key with every scope; returns the key. */
  String tenantWithKey(String tenantId, String plan) {
    Reply created = admin("POST", "/admin/tenants", "{\"tenantId\":\"" + tenantId + "\",\"name\":\"" + tenantId
        + " Corp\",\"plan\":\"" + plan + "\"}");
    assertThat(created.status()).as(created.text()).isIn(200, 201);
    return key(tenantId, "{}");
  }

  String key(String tenantId, String body) {
    Reply key = admin("POST", "/admin/tenants/" + tenantId + "/keys", body);
    assertThat(key.status()).as(key.text()).isEqualTo(201);
    return key.json().path("apiKey").asText();
  }

  // ---- fake processor -------------------------------------------------------------------------------------------

  /**
   * Plays the processor for a job: publishes its status transition and, on completion, the result objects under the
   * tenant's prefix, as the processor's worker does (common's {@code ResultDocument} is the contract).
   */
  void fakeProcessorStatus(String tenantId, String jobId, String fileId, JobState state, int sequence,
                           String reason, String resultPrefix, boolean fromCache) {
    Instant now = Instant.now();
    AnalysisStatus status = AnalysisStatus.newBuilder().setJobId(jobId).setTenantId(tenantId).setFileId(fileId)
        .setState(state).setSequence(sequence).setReason(reason).setFromCache(fromCache)
        .setResultPrefix(resultPrefix).setSubmittedAt(now).setUpdatedAt(now)
        .setCompletedAt(state == JobState.COMPLETED || state == JobState.FAILED ? now : null).build();
    produce(Topics.ANALYSIS_STATUS.name(), TenantKeys.of(tenantId, jobId),
        serdes.value(Topics.ANALYSIS_STATUS).serializer().serialize(Topics.ANALYSIS_STATUS.name(), status));
  }

  String fakeProcessorComplete(String tenantId, String jobId, String fileId) {
    String prefix = ResultDocument.prefix(tenantId, jobId);
    // the processor's own document type: what the worker writes is what the ingress reads
    ResultDocument.Story first = new ResultDocument.Story("Revenue climbs", "up 12%");
    ResultDocument document = new ResultDocument(jobId, tenantId, fileId,
        List.of(first, new ResultDocument.Story("East leads", "east region"), new ResultDocument.Story("Outlier", "one spike")),
        first, "# Revenue\nIt climbs.",
        List.of(new ResultDocument.ChartRef(0, "chart-0.png", "Revenue by month", prefix + "charts/0.png")),
        new ResultDocument.DatasetRef("dataset.csv", 2, 2, prefix + "dataset.csv"), 2, Instant.now().toEpochMilli());
    blobs.put(prefix + ResultDocument.OBJECT_NAME, document.toJson(), "application/json");
    blobs.put(prefix + "charts/0.png", new byte[] {(byte) 0x89, 'P', 'N', 'G', 13, 10, 26, 10, 1, 2, 3}, "image/png");
    blobs.put(prefix + "dataset.csv", ("month,revenue\n2026-01," + tenantId.length() + "\n").getBytes(StandardCharsets.UTF_8),
        "text/csv");
    fakeProcessorStatus(tenantId, jobId, fileId, JobState.ADMITTED, 2, null, null, false);
    fakeProcessorStatus(tenantId, jobId, fileId, JobState.RUNNING, 3, null, null, false);
    fakeProcessorStatus(tenantId, jobId, fileId, JobState.COMPLETED, 4, null, prefix, false);
    return prefix;
  }

  void produce(String topic, String key, byte[] value) {
    try (KafkaProducer<String, byte[]> producer = new KafkaProducer<>(settings.producer("fake-processor"))) {
      producer.send(new ProducerRecord<>(topic, key, value)).get();
    } catch (Exception e) {
      throw new AssertionError(e);
    }
  }

  /** Every record currently in a topic (all partitions), as key → raw value pairs. */
  List<ConsumerRecord<String, byte[]>> records(String topic) {
    Properties props = settings.consumer(null);
    try (KafkaConsumer<String, byte[]> consumer = new KafkaConsumer<>(props)) {
      List<TopicPartition> partitions = consumer.partitionsFor(topic).stream()
          .map(p -> new TopicPartition(topic, p.partition())).toList();
      consumer.assign(partitions);
      consumer.seekToBeginning(partitions);
      Map<TopicPartition, Long> end = consumer.endOffsets(partitions);
      List<ConsumerRecord<String, byte[]>> records = new ArrayList<>();
      long deadline = System.nanoTime() + java.util.concurrent.TimeUnit.SECONDS.toNanos(60);
      while (partitions.stream().anyMatch(p -> consumer.position(p) < end.get(p))) {
        if (System.nanoTime() > deadline) { // a partial read would let an absence check pass: fail instead
          throw new AssertionError("could not read " + topic + " to its end offsets " + end + " within 60 s");
        }
        consumer.poll(java.time.Duration.ofMillis(100)).forEach(records::add);
      }
      return records;
    }
  }

  @Override
  public void close() throws Exception {
    for (IngressService s : instances) {
      s.close();
    }
    blobs.close();
    registry.close();
    s3.close();
    kafka.close();
  }
}
