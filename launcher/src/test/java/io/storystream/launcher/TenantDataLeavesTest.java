package io.storystream.launcher;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import com.fasterxml.jackson.databind.JsonNode;
import io.storystream.common.blob.BlobStore;
import io.storystream.embedded.FreePorts;
import io.storystream.common.crypto.MasterKeys;
import io.storystream.common.http.JsonMapper;
import io.storystream.common.webhooks.WebhookTargets;
import io.storystream.schemas.MeterQuantities;
import io.storystream.schemas.Statement;
import io.storystream.schemas.StatementLine;
import io.storystream.schemas.StatementStatus;
import io.storystream.schemas.registry.HttpSchemaRegistryClient;
import io.storystream.schemas.topics.TenantKeys;
import io.storystream.schemas.topics.TopicSerdes;
import io.storystream.schemas.topics.Topics;
import java.io.IOException;
import java.io.InputStream;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.security.MessageDigest;
import java.security.SecureRandom;
import java.time.Duration;
import java.time.Instant;
import java.time.YearMonth;
import java.time.ZoneOffset;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.HexFormat;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Properties;
import java.util.TreeMap;
import java.util.zip.ZipEntry;
import java.util.zip.ZipInputStream;
import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.common.PartitionInfo;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.common.serialization.ByteArrayDeserializer;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.MethodOrderer;
import org.junit.jupiter.api.Order;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInstance;
import org.junit.jupiter.api.TestMethodOrder;
import org.junit.jupiter.api.io.TempDir;

/**
 * A tenant's data leaves completely, through public HTTP against the whole embedded system: its export holds every
 * item with verifiable checksums; a master-key rotation (restart with a new key first, re-wrap, restart without the
 * old one) keeps everything readable; and after its erasure — with a job running at that moment — no topic or
 * changelog holds its planted prompt, file name or webhook URL and secret in readable form, S3 holds nothing under its prefix, and the other
 * tenant's records and objects are byte-identical.
 */
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
@TestMethodOrder(MethodOrderer.OrderAnnotation.class)
class TenantDataLeavesTest {
  private static final String LEAVER = "leaver-co";
  private static final String STAYER = "stayer-co";

  @TempDir static Path data;
  private final HttpClient http = HttpClient.newBuilder().version(HttpClient.Version.HTTP_1_1).build();
  private final Map<String, Integer> ports = new LinkedHashMap<>();
  private final String unique = HexFormat.of().formatHex(random(6));
  /** Planted strings that must be unreadable everywhere after the erasure. */
  private final String prompt = "promptmark_" + unique + " churn by region";
  private final String runningPrompt = "promptmark_running_" + unique;
  private final String fileName = "filemark_" + unique + ".csv";
  private final String runningFileName = "filemark_running_" + unique + ".csv";
  private final String column = "colmark_" + unique;
  private final String hookPath = "hookmark_" + unique;
  private EmbeddedDefault system;
  private String leaverKey;
  private String stayerKey;
  private String leaverFile;
  private String leaverJob;
  private String cachedJob;
  private String exportId;

  @Test
  @Order(1)
  void theExportHoldsFilesResultsJobsCacheHitsTwoMonthsOfBillingAndTheAuditTrailWithChecksumsThatVerify()
      throws Exception {
    start();
    leaverKey = provision(LEAVER);
    stayerKey = provision(STAYER);
    leaverFile = upload(leaverKey, fileName);
    leaverJob = submitAndComplete(leaverKey, leaverFile, prompt);
    cachedJob = submitAndComplete(leaverKey, leaverFile, prompt);
    assertThat(json(send(tenant("GET", "/v1/analyses/" + cachedJob, leaverKey))).path("fromCache").asBoolean())
        .as("the second identical analysis is a cache hit").isTrue();
    String stayerFile = upload(stayerKey, "stayer.csv");
    submitAndComplete(stayerKey, stayerFile, "growth");
    String month = YearMonth.now(ZoneOffset.UTC).toString();
    await().atMost(Duration.ofMinutes(2)).pollInterval(Duration.ofMillis(500)).until(() ->
        send(tenant("GET", "/v1/statements/" + month, leaverKey)).statusCode() == 200);
    String lastMonth = YearMonth.now(ZoneOffset.UTC).minusMonths(1).toString();
    publishFinalStatement(LEAVER, lastMonth);

    long exportStart = System.nanoTime();
    HttpResponse<String> started = send(tenant("POST", "/v1/export", leaverKey));
    assertThat(started.statusCode()).as(started.body()).isEqualTo(202);
    exportId = json(started).path("exportId").asText();
    assertThat(started.headers().firstValue("Location")).hasValue("/v1/exports/" + exportId);
    // another tenant asking for this export id: as if it did not exist
    assertThat(send(tenant("GET", "/v1/exports/" + exportId, stayerKey)).statusCode()).isEqualTo(404);
    assertThat(send(tenant("GET", "/v1/exports/" + exportId + "/archive", stayerKey)).statusCode()).isEqualTo(404);
    await().atMost(Duration.ofMinutes(2)).pollInterval(Duration.ofMillis(300)).until(() ->
        json(send(tenant("GET", "/v1/exports/" + exportId, leaverKey))).path("state").asText().equals("completed"));
    JsonNode done = json(send(tenant("GET", "/v1/exports/" + exportId, leaverKey)));
    System.out.println("export completed (as polled) in " + (System.nanoTime() - exportStart) / 1_000_000 + " ms: "
        + done.path("bytes").asLong() + " bytes, " + done.path("entries").asInt() + " entries");
    assertThat(done.path("links").path("download").asText()).isEqualTo("/v1/exports/" + exportId + "/archive");

    HttpResponse<InputStream> download = http.send(tenant("GET", "/v1/exports/" + exportId + "/archive", leaverKey)
        .build(), HttpResponse.BodyHandlers.ofInputStream());
    assertThat(download.statusCode()).isEqualTo(200);
    assertThat(download.headers().firstValue("Content-Type")).hasValueSatisfying(v -> assertThat(v)
        .startsWith("application/zip"));
    Map<String, byte[]> entries = new TreeMap<>();
    MessageDigest whole = MessageDigest.getInstance("SHA-256");
    try (InputStream body = new java.security.DigestInputStream(download.body(), whole);
         ZipInputStream zip = new ZipInputStream(body)) {
      for (ZipEntry entry; (entry = zip.getNextEntry()) != null; ) {
        entries.put(entry.getName(), zip.readAllBytes());
      }
      body.transferTo(java.io.OutputStream.nullOutputStream());
    }
    assertThat(HexFormat.of().formatHex(whole.digest())).as("the archive's own checksum")
        .isEqualTo(done.path("sha256").asText());

    JsonNode manifest = JsonMapper.shared().readTree(entries.get("manifest.json"));
    assertThat(manifest.path("entries").size()).isEqualTo(entries.size() - 1);
    for (JsonNode listed : manifest.path("entries")) {
      byte[] content = entries.get(listed.path("path").asText());
      assertThat(content).as("entry %s", listed.path("path").asText()).isNotNull();
      assertThat(content.length).isEqualTo(listed.path("bytes").asInt());
      assertThat(sha256(content)).as("checksum of %s", listed.path("path").asText())
          .isEqualTo(listed.path("sha256").asText());
    }
    String prefix = "objects/results/";
    assertThat(entries.keySet()).as("the uploaded file and the job's result, charts and dataset")
        .anyMatch(p -> p.startsWith("objects/files/") && p.contains(leaverFile))
        .anyMatch(p -> p.startsWith(prefix) && p.contains(leaverJob) && p.endsWith("result.json"))
        .anyMatch(p -> p.startsWith(prefix) && p.contains(leaverJob) && p.endsWith(".png"))
        .anyMatch(p -> p.startsWith(prefix) && p.contains(leaverJob) && p.endsWith("dataset.csv"))
        .noneMatch(p -> p.startsWith("objects/exports/"));
    assertThat(new String(entries.get(entries.keySet().stream().filter(p -> p.startsWith(prefix)
        && p.contains(leaverJob) && p.endsWith("result.json")).findFirst().orElseThrow()), StandardCharsets.UTF_8))
        .contains("narrativeMarkdown");
    assertThat(text(entries, "files.json")).contains(fileName, column, leaverFile).doesNotContain("stayer.csv");
    JsonNode jobs = JsonMapper.shared().readTree(entries.get("jobs.json"));
    assertThat(jobs.findValuesAsText("jobId")).contains(leaverJob, cachedJob);
    assertThat(jobs.findValues("fromCache").stream().anyMatch(JsonNode::asBoolean)).as("the cache hit").isTrue();
    assertThat(text(entries, "requests.jsonl")).contains(prompt, leaverJob, cachedJob);
    assertThat(text(entries, "usage-events.jsonl")).contains("ANALYSIS_COMPLETE", "FILE_UPLOAD", leaverJob)
        .doesNotContain(STAYER);
    JsonNode statements = JsonMapper.shared().readTree(entries.get("statements.json"));
    assertThat(statements.findValuesAsText("month")).contains(month, lastMonth);
    assertThat(text(entries, "audit.jsonl")).contains("file.upload", "job.submit", leaverFile)
        .doesNotContain(STAYER);
    assertThat(manifest.path("counts").path("jobs").asInt()).isEqualTo(2);

    // one export at a time; the operator's route makes the same archive for any tenant
    HttpResponse<String> operatorExport = send(operator("POST", "/admin/tenants/" + STAYER + "/export"));
    assertThat(operatorExport.statusCode()).as(operatorExport.body()).isEqualTo(202);
    String stayerExport = json(operatorExport).path("exportId").asText();
    assertThat(send(operator("GET", "/admin/tenants/" + LEAVER + "/exports/" + stayerExport)).statusCode())
        .isEqualTo(404);
    await().atMost(Duration.ofMinutes(2)).pollInterval(Duration.ofMillis(300)).until(() ->
        json(send(operator("GET", "/admin/tenants/" + STAYER + "/exports/" + stayerExport))).path("state").asText()
            .equals("completed"));
  }

  @Test
  @Order(2)
  void aMasterKeyRotationKeepsEverythingReadable() throws Exception {
    Path keyFile = data.resolve(MasterKeys.DEFAULT_FILE);
    String oldKey = Files.readString(keyFile).trim();
    String newKey = HexFormat.of().formatHex(random(32));
    system.close();
    Files.writeString(keyFile, newKey + "\n" + oldKey + "\n"); // the new key first: it wraps from now on
    start();
    HttpResponse<String> rewrap = send(operator("POST", "/admin/master-keys/rewrap"));
    assertThat(rewrap.statusCode()).as(rewrap.body()).isEqualTo(200);
    assertThat(json(rewrap).path("rewrapped").asInt()).as("both tenants' data keys").isGreaterThanOrEqualTo(2);
    assertThat(json(rewrap).path("keysByMasterKey").size()).as("all under the new key").isEqualTo(1);
    system.close();
    Files.writeString(keyFile, newKey + "\n"); // the old master key is gone
    start();
    JsonNode file = json(send(tenant("GET", "/v1/files/" + leaverFile, leaverKey)));
    assertThat(file.path("name").asText()).isEqualTo(fileName);
    // a restarted system may answer 503 (jobs-catching-up) while its job store restores
    await().atMost(Duration.ofMinutes(2)).pollInterval(Duration.ofMillis(500)).until(() ->
        send(tenant("GET", "/v1/analyses/" + leaverJob + "/result", leaverKey)).statusCode() == 200);
    assertThat(send(tenant("GET", "/v1/analyses/" + leaverJob + "/result", leaverKey)).body())
        .contains("narrativeMarkdown");
    HttpResponse<String> audit = send(operator("GET", "/admin/tenants/" + LEAVER + "/audit?limit=500"));
    assertThat(audit.statusCode()).as(audit.body()).isEqualTo(200);
    assertThat(audit.body()).contains(leaverFile);
  }

  @Test
  @Order(3)
  void afterErasureNothingOfTheTenantIsReadableAnywhereEvenWithAJobRunningAtThatMomentAndTheOtherTenantIsUntouched()
      throws Exception {
    String runningFile = upload(leaverKey, runningFileName);
    // a webhook: its URL and signing secret rest in the webhooks topic and must go with the tenant too
    HttpResponse<String> hook = send(tenant("POST", "/v1/webhooks", leaverKey).header("Content-Type",
        "application/json").POST(HttpRequest.BodyPublishers.ofString("{\"url\":\"http://127.0.0.1:9/" + hookPath
        + "\",\"events\":[\"job.completed\"]}")));
    assertThat(hook.statusCode()).as(hook.body()).isEqualTo(201);
    String hookSecret = json(hook).path("secret").asText();
    assertThat(hookSecret).startsWith("whsec_");
    Map<String, List<String>> stayerRecordsBefore = tenantRecords(STAYER);
    Map<String, String> stayerObjectsBefore = objects(STAYER);
    assertThat(stayerRecordsBefore).isNotEmpty();
    assertThat(stayerObjectsBefore).isNotEmpty();

    system.standIn().faults().latency(Duration.ofSeconds(2)); // every DataStoryBot call of the job takes 2 s
    HttpResponse<String> submit = send(tenant("POST", "/v1/analyses", leaverKey).header("Content-Type",
        "application/json").POST(HttpRequest.BodyPublishers.ofString("{\"fileId\":\"" + runningFile
        + "\",\"steeringPrompt\":\"" + runningPrompt + "\"}")));
    assertThat(submit.statusCode()).as(submit.body()).isEqualTo(202);
    String runningJob = json(submit).path("jobId").asText();
    await().atMost(Duration.ofMinutes(1)).pollInterval(Duration.ofMillis(100)).until(() ->
        json(send(tenant("GET", "/v1/analyses/" + runningJob, leaverKey))).path("state").asText().equals("running"));

    long t0 = System.nanoTime();
    HttpResponse<String> erased = send(operator("DELETE", "/admin/tenants/" + LEAVER));
    long erasureMillis = (System.nanoTime() - t0) / 1_000_000;
    assertThat(erased.statusCode()).as(erased.body()).isEqualTo(200);
    System.out.println("erasure receipt after " + erasureMillis + " ms: "
        + erased.body().replaceAll("\\[[^]]*]", "[…]"));
    assertThat(json(erased).path("dataKeys").path("count").asInt()).isPositive();
    assertThat(objects(LEAVER)).as("nothing under the prefix when the receipt is returned").isEmpty();
    // the job that was running: the worker stops it at its next step and writes nothing
    await().atMost(Duration.ofMinutes(1)).pollInterval(Duration.ofMillis(100))
        .until(() -> system.worker().jobsRunning() == 0);
    system.standIn().faults().latency(Duration.ZERO);
    assertThat(objects(LEAVER)).as("nothing under the prefix once the running job has ended").isEmpty();

    List<String> planted = List.of(prompt, runningPrompt, fileName, runningFileName, column, "promptmark_",
        "filemark_", "colmark_", hookPath, hookSecret);
    Map<String, Integer> scanned = new TreeMap<>();
    List<String> found = new ArrayList<>();
    List<String> deadLetters = new ArrayList<>();
    forEveryRecord((topic, record) -> {
      scanned.merge(topic, 1, Integer::sum);
      if (topic.equals(Topics.DEAD_LETTER.name()) && record.key() != null
          && new String(record.key(), StandardCharsets.UTF_8).startsWith(LEAVER)) {
        deadLetters.add(record.partition() + "@" + record.offset());
      }
      for (byte[] bytes : new byte[][] {record.key(), record.value()}) {
        if (bytes == null) {
          continue;
        }
        String text = new String(bytes, StandardCharsets.ISO_8859_1);
        for (String mark : planted) {
          if (text.contains(mark)) {
            found.add(topic + "-" + record.partition() + "@" + record.offset() + " holds " + mark);
          }
        }
      }
    });
    System.out.println("erasure scan: " + scanned.values().stream().mapToInt(Integer::intValue).sum()
        + " records in " + scanned.size() + " topics and changelogs " + scanned);
    assertThat(scanned).containsKeys(Topics.ANALYSIS_REQUESTS.name(), Topics.ANALYSIS_WORK.name(),
        Topics.FILES.name(), Topics.AUDIT.name());
    assertThat(scanned.keySet()).as("changelogs are scanned too").anyMatch(t -> t.endsWith("-changelog"));
    assertThat(found).as("planted content readable after the erasure").isEmpty();
    assertThat(deadLetters).as("an erased tenant's unreadable records are erased, not poison").isEmpty();

    // every record the other tenant had is still there, byte for byte and in order (it may have gained some:
    // statement revisions and quota figures are written on their own schedule)
    Map<String, List<String>> stayerRecordsAfter = tenantRecords(STAYER);
    stayerRecordsBefore.forEach((topic, records) -> assertThat(stayerRecordsAfter.get(topic))
        .as("the other tenant's records in %s", topic).startsWith(records.toArray(String[]::new)));
    assertThat(objects(STAYER)).as("the other tenant's objects, byte for byte").isEqualTo(stayerObjectsBefore);
    assertThat(json(send(tenant("GET", "/v1/files/" + leaverFile, stayerKey))).path("status").asInt())
        .isEqualTo(404);
  }

  @BeforeAll
  void allowTheLoopbackWebhook() {
    System.setProperty(WebhookTargets.ALLOW_PRIVATE_PROPERTY, "true"); // read when the ingress starts
  }

  @AfterAll
  void stop() {
    System.clearProperty(WebhookTargets.ALLOW_PRIVATE_PROPERTY);
    if (system != null) {
      system.close();
    }
  }

  // ---------------------------------------------------------------------------------------------------- helpers

  private void start() throws Exception {
    if (ports.isEmpty()) {
      Files.setPosixFilePermissions(data, PosixFilePermissions.fromString("rwxr-xr-x"));
      for (String name : List.of("kafka", "kafka-controller", "s3", "registry", "tenant", "operator", "billing",
          "datastorybot-standin", "management", "postgres")) {
        ports.put(name, FreePorts.pick());
      }
    }
    system = new EmbeddedDefault(new EmbeddedDefault.Settings(data, "127.0.0.1", ports.get("kafka"),
        ports.get("kafka-controller"), ports.get("s3"), "storystream", ports.get("registry"), 2, ports.get("tenant"),
        ports.get("operator"), ports.get("billing"), ports.get("datastorybot-standin"), null, null, null,
        ports.get("management"), ports.get("postgres"), null)).start();
  }

  /** The other tenant's records per topic (key and value bytes, hex), in offset order. */
  private Map<String, List<String>> tenantRecords(String tenantId) throws Exception {
    Map<String, List<String>> records = new TreeMap<>();
    forEveryRecord((topic, record) -> {
      if (record.key() != null && TenantKeys.tenantOf(new String(record.key(), StandardCharsets.UTF_8))
          .equals(tenantId)) {
        records.computeIfAbsent(topic, t -> new ArrayList<>()).add(HexFormat.of().formatHex(record.key()) + "="
            + (record.value() == null ? "null" : HexFormat.of().formatHex(record.value())));
      }
    });
    return records;
  }

  private Map<String, String> objects(String tenantId) throws Exception {
    Map<String, String> objects = new TreeMap<>();
    try (BlobStore blobs = new BlobStore(system.s3().settings())) {
      for (var object : blobs.list("tenants/" + tenantId + "/")) {
        objects.put(object.key(), sha256(blobs.get(object.key()).orElse(new byte[0])));
      }
    }
    return objects;
  }

  /** Every record of every topic and changelog, every partition from the beginning, as raw bytes. */
  private void forEveryRecord(java.util.function.BiConsumer<String, ConsumerRecord<byte[], byte[]>> each)
      throws Exception {
    String bootstrap = system.kafka().bootstrapServers();
    List<String> topics;
    try (Admin admin = Admin.create(Map.of("bootstrap.servers", bootstrap))) {
      topics = admin.listTopics(new org.apache.kafka.clients.admin.ListTopicsOptions().listInternal(false)).names()
          .get().stream().sorted().toList();
    }
    Properties props = new Properties();
    props.put("bootstrap.servers", bootstrap);
    props.put("isolation.level", "read_uncommitted"); // aborted transactions' records are at rest too
    try (KafkaConsumer<byte[], byte[]> consumer = new KafkaConsumer<>(props, new ByteArrayDeserializer(),
        new ByteArrayDeserializer())) {
      for (String topic : topics) {
        List<TopicPartition> partitions = new ArrayList<>();
        for (PartitionInfo p : consumer.partitionsFor(topic)) {
          partitions.add(new TopicPartition(topic, p.partition()));
        }
        consumer.assign(partitions);
        consumer.seekToBeginning(partitions);
        Map<TopicPartition, Long> end = consumer.endOffsets(partitions);
        Map<TopicPartition, Long> left = new HashMap<>(end);
        left.entrySet().removeIf(e -> e.getValue() == 0);
        while (!left.isEmpty()) {
          for (ConsumerRecord<byte[], byte[]> record : consumer.poll(Duration.ofMillis(200))) {
            each.accept(topic, record);
          }
          left.keySet().removeIf(tp -> consumer.position(tp) >= end.get(tp));
        }
      }
    }
  }

  private void publishFinalStatement(String tenantId, String month) throws Exception {
    TopicSerdes serdes = new TopicSerdes(new HttpSchemaRegistryClient(system.registry().url()));
    Instant now = Instant.now();
    Statement statement = Statement.newBuilder().setTenantId(tenantId).setMonth(month).setPlan("pro")
        .setCurrency("USD").setPriceBookVersion(1).setRevision(1).setStatus(StatementStatus.FINAL)
        .setQuantities(new MeterQuantities(3L, 0L, 1L, 300L, 0L, 0L, 0L))
        .setLines(List.of(new StatementLine("base_fee", "Pro plan", 1L, 29_000_000L, 29_000_000L)))
        .setTotalMicros(29_000_000L).setPreviousTotalMicros(null).setGeneratedAt(now).build();
    Properties props = new Properties();
    props.put("bootstrap.servers", system.kafka().bootstrapServers());
    props.put("partitioner.class", io.storystream.schemas.topics.TenantPartitioner.class.getName());
    try (KafkaProducer<String, byte[]> producer = new KafkaProducer<>(props,
        new org.apache.kafka.common.serialization.StringSerializer(),
        new org.apache.kafka.common.serialization.ByteArraySerializer())) {
      producer.send(new ProducerRecord<>(Topics.BILLING_STATEMENTS.name(), TenantKeys.of(tenantId, month),
          serdes.value(Topics.BILLING_STATEMENTS).serializer().serialize(Topics.BILLING_STATEMENTS.name(), statement)))
          .get();
    }
  }

  private String upload(String key, String name) throws Exception {
    StringBuilder csv = new StringBuilder("month,region," + column + "\n");
    for (int m = 1; m <= 12; m++) {
      for (String region : List.of("north", "south", "east")) {
        csv.append(String.format(Locale.ROOT, "2025-%02d,%s,%d%n", m, region, 1000 + m * 37 + region.length() * 11));
      }
    }
    HttpResponse<String> upload = send(tenant("POST", "/v1/files?name=" + name, key)
        .header("Content-Type", "text/csv").POST(HttpRequest.BodyPublishers.ofString(csv.toString())));
    assertThat(upload.statusCode()).as(upload.body()).isEqualTo(201);
    return json(upload).path("id").asText();
  }

  private String submitAndComplete(String key, String fileId, String steering) throws Exception {
    HttpResponse<String> submit = send(tenant("POST", "/v1/analyses", key).header("Content-Type", "application/json")
        .POST(HttpRequest.BodyPublishers.ofString("{\"fileId\":\"" + fileId + "\",\"steeringPrompt\":\""
            + steering + "\"}")));
    assertThat(submit.statusCode()).as(submit.body()).isEqualTo(202);
    String job = json(submit).path("jobId").asText();
    await().atMost(Duration.ofMinutes(3)).pollInterval(Duration.ofMillis(300)).until(() ->
        json(send(tenant("GET", "/v1/analyses/" + job + "?wait=10s", key))).path("state").asText()
            .equals("completed"));
    return job;
  }

  private String provision(String tenantId) throws Exception {
    HttpResponse<String> created = send(operator("POST", "/admin/tenants/" + tenantId + "/provision")
        .header("Content-Type", "application/json")
        .POST(HttpRequest.BodyPublishers.ofString("{\"name\":\"" + tenantId + "\",\"plan\":\"pro\"}")));
    assertThat(created.statusCode()).as(created.body()).isEqualTo(201);
    return json(created).path("key").path("apiKey").asText();
  }

  private HttpRequest.Builder tenant(String method, String path, String key) {
    return HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + ports.get("tenant") + path))
        .timeout(Duration.ofSeconds(60)).header("Authorization", "Bearer " + key)
        .method(method, HttpRequest.BodyPublishers.noBody());
  }

  private HttpRequest.Builder operator(String method, String path) {
    return HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + ports.get("operator") + path))
        .timeout(Duration.ofSeconds(60)).header("Authorization", "Bearer " + system.operatorToken())
        .method(method, HttpRequest.BodyPublishers.noBody());
  }

  private HttpResponse<String> send(HttpRequest.Builder request) throws Exception {
    return http.send(request.build(), HttpResponse.BodyHandlers.ofString());
  }

  private static JsonNode json(HttpResponse<String> response) throws IOException {
    return JsonMapper.shared().readTree(response.body());
  }

  private static String text(Map<String, byte[]> entries, String path) {
    assertThat(entries).containsKey(path);
    return new String(entries.get(path), StandardCharsets.UTF_8);
  }

  private static String sha256(byte[] bytes) throws Exception {
    return HexFormat.of().formatHex(MessageDigest.getInstance("SHA-256").digest(bytes));
  }

  private static byte[] random(int n) {
    byte[] b = new byte[n];
    new SecureRandom().nextBytes(b);
    return b;
  }
}
