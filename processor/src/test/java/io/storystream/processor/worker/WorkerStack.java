package io.storystream.processor.worker;

import java.io.UncheckedIOException;
import java.io.IOException;
import java.nio.file.Files;
import io.storystream.common.crypto.MasterKeys;
import io.storystream.common.config.Secrets;
import io.storystream.processor.ProcessorTopics;
import io.storystream.common.blob.BlobStore;
import io.storystream.common.kafka.KafkaSettings;
import io.storystream.datastorybot.client.ApiKeySource;
import io.storystream.datastorybot.client.DataStoryBotConfig;
import io.storystream.embedded.EmbeddedKafka;
import io.storystream.embedded.EmbeddedS3;
import io.storystream.embedded.registry.SchemaRegistryServer;
import io.storystream.schemas.AnalysisWork;
import io.storystream.schemas.registry.HttpSchemaRegistryClient;
import io.storystream.schemas.registry.SchemaRegistryClient;
import io.storystream.schemas.serde.AvroDeserializer;
import io.storystream.schemas.serde.AvroSerializer;
import io.storystream.schemas.topics.Topic;
import io.storystream.schemas.topics.Topics;
import io.storystream.common.Ids;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.atomic.AtomicBoolean;
import org.apache.avro.specific.SpecificRecordBase;
import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerRecord;

/**
 * The real parts the worker runs against, one set per test class: a KRaft broker, S3Proxy, the schema registry
 * endpoint and the DataStoryBot stand-in over HTTP. Plus helpers to submit work and to watch output topics.
 */
final class WorkerStack implements AutoCloseable {
  static final int PARTITIONS = 3;
  static final byte[] CSV;

  static {
    try (java.io.InputStream sample = WorkerStack.class.getResourceAsStream("/saas_mrr.csv")) {
      CSV = java.util.Objects.requireNonNull(sample, "saas_mrr.csv is a test resource of this module").readAllBytes();
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }

  final Path dir;
  final EmbeddedKafka kafka;
  final EmbeddedS3 s3;
  final SchemaRegistryServer registryServer;
  final StandIn standIn;
  final SchemaRegistryClient registry;
  final BlobStore blobs;
  private final KafkaProducer<String, byte[]> producer;
  private final AvroSerializer<SpecificRecordBase> serializer;
  private final List<Tail<?>> tails = new ArrayList<>();

  WorkerStack(Path dir, Duration standInLatency) throws Exception {
    this.dir = dir;
    kafka = EmbeddedKafka.forTests(dir.resolve("kafka")).start();
    s3 = new EmbeddedS3(null, 0, "storystream").start();
    registryServer = new SchemaRegistryServer("127.0.0.1", 0, kafka.bootstrapServers(), (short) 1).start();
    standIn = standInLatency == null ? null : StandIn.start(standInLatency);
    registry = new HttpSchemaRegistryClient(registryServer.url(), Duration.ofSeconds(30));
    registry.register("analysis-work-value", AnalysisWork.getClassSchema()); // cached: submits need no HTTP call
    blobs = new BlobStore(s3.settings());
    try (Admin admin = Admin.create(kafkaSettings().admin())) {
      ProcessorTopics.catalogue(PARTITIONS, (short) 1).ensure(admin);
    }
    producer = new KafkaProducer<>(kafkaSettings().producer("test-submitter"));
    serializer = new AvroSerializer<>(registry, false);
  }

  KafkaSettings kafkaSettings() {
    return new KafkaSettings(kafka.bootstrapServers(), registryServer.url(), PARTITIONS, (short) 1);
  }

  DataStoryBotConfig datastorybot() {
    return DataStoryBotConfig.defaults(standIn == null ? java.net.URI.create("http://127.0.0.1:9") : standIn.baseUri(),
        ApiKeySource.none());
  }

  WorkerConfig workerConfig(int maxInFlight, String instanceId) {
    Path data = dir.resolve("worker-" + instanceId);
    shareMasterKeys(data);
    return WorkerConfig.of(kafkaSettings(), s3.settings(), datastorybot(), data, maxInFlight)
        .withInstanceId(instanceId);
  }

  /**
   * Gives a service's data folder the stack's master keys, as a deployment gives every service the same
   * STORYSTREAM_MASTER_KEYS: a worker that generated its own could not unwrap the data keys earlier ones made (and
   * refuses to start when the topic holds such keys).
   */
  void shareMasterKeys(Path data) {
    try {
      String keys = Secrets.readOrCreate(
          dir.resolve(MasterKeys.DEFAULT_FILE), "");
      Files.createDirectories(data);
      Path file = data.resolve(MasterKeys.DEFAULT_FILE);
      if (!Files.exists(file)) {
        Files.writeString(file, keys + "\n");
      }
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }

  /** Uploads the sample CSV as the tenant's file and returns its object key. */
  String upload(String tenantId, String fileId) {
    String key = "tenants/" + tenantId + "/files/" + fileId;
    blobs.put(key, CSV, "text/csv");
    return key;
  }

  AnalysisWork work(String tenantId, String objectKey, int concurrentJobs) {
    String jobId = Ids.newId("job");
    Instant now = Instant.now();
    return AnalysisWork.newBuilder()
        .setJobId(jobId)
        .setTenantId(tenantId)
        .setFileId(objectKey.substring(objectKey.lastIndexOf('/') + 1))
        .setObjectKey(objectKey)
        .setFileName("saas_mrr.csv")
        .setFileSha256("0".repeat(64))
        .setFileRows(288)
        .setSteeringPrompt("churn by region")
        .setRefinementPrompt(null)
        .setCacheKey(io.storystream.processor.admission.CacheKeys.of(tenantId, "0".repeat(64), "churn by region", null))
        .setConcurrentJobs(concurrentJobs)
        .setSubmittedAt(now)
        .setAdmittedAt(now)
        .build();
  }

  void submit(AnalysisWork work) {
    producer.send(new ProducerRecord<>(Topics.ANALYSIS_WORK.name(), work.getTenantId(),
        serializer.serialize(Topics.ANALYSIS_WORK.name(), work)));
  }

  void submitRaw(String key, byte[] value) {
    producer.send(new ProducerRecord<>(Topics.ANALYSIS_WORK.name(), key, value));
  }

  void flush() {
    producer.flush();
  }

  /** Collects every committed record of a topic from the beginning, decoded, in a background thread. */
  <V extends SpecificRecordBase> Tail<V> tail(Topic<V> topic) {
    Tail<V> tail = new Tail<>(kafkaSettings(), registry, topic);
    tails.add(tail);
    return tail;
  }

  static final class Tail<V extends SpecificRecordBase> implements AutoCloseable {
    final List<ConsumerRecord<String, V>> records = new CopyOnWriteArrayList<>();
    /** When each record was seen here, in epoch millis (for completion → status-visible latency). */
    final List<Long> seenAt = new CopyOnWriteArrayList<>();
    private final AtomicBoolean running = new AtomicBoolean(true);
    private final Thread thread;

    Tail(KafkaSettings settings, SchemaRegistryClient registry, Topic<V> topic) {
      AvroDeserializer<V> deserializer = new AvroDeserializer<>(registry, topic.valueType());
      KafkaConsumer<String, byte[]> consumer = new KafkaConsumer<>(settings.consumer(null));
      thread = new Thread(() -> {
        try (consumer) {
          var partitions = consumer.partitionsFor(topic.name()).stream()
              .map(p -> new org.apache.kafka.common.TopicPartition(p.topic(), p.partition())).toList();
          consumer.assign(partitions);
          consumer.seekToBeginning(partitions);
          while (running.get()) {
            for (ConsumerRecord<String, byte[]> r : consumer.poll(Duration.ofMillis(50))) {
              long now = System.currentTimeMillis();
              V value = deserializer.deserialize(r.topic(), r.value());
              records.add(new ConsumerRecord<>(r.topic(), r.partition(), r.offset(), r.key(), value));
              seenAt.add(now);
            }
          }
        }
      }, "tail-" + topic.name());
      thread.setDaemon(true);
      thread.start();
    }

    List<V> values() {
      return records.stream().map(ConsumerRecord::value).toList();
    }

    @Override
    public void close() throws InterruptedException {
      running.set(false);
      thread.join(5_000);
    }
  }

  @Override
  public void close() throws Exception {
    for (Tail<?> tail : tails) {
      tail.close();
    }
    producer.close();
    blobs.close();
    if (standIn != null) {
      standIn.close();
    }
    registryServer.close();
    s3.close();
    kafka.close();
  }

  static Map<String, String> env() {
    return Map.of();
  }
}
