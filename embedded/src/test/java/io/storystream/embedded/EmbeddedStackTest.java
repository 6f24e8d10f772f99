package io.storystream.embedded;

import static org.assertj.core.api.Assertions.assertThat;

import io.storystream.common.blob.BlobStore;
import io.storystream.embedded.registry.SchemaRegistryServer;
import io.storystream.schemas.SampleRecords;
import io.storystream.schemas.registry.HttpSchemaRegistryClient;
import io.storystream.schemas.topics.Topic;
import io.storystream.schemas.topics.TopicCatalogue;
import io.storystream.schemas.topics.TopicSerdes;
import io.storystream.schemas.topics.Topics;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Properties;
import org.apache.avro.Schema;
import org.apache.avro.specific.SpecificRecord;
import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.admin.NewTopic;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.common.config.ConfigResource;
import org.apache.kafka.common.serialization.Serdes;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The embedded infrastructure as the launcher runs it: a real broker, S3Proxy on a folder and the registry
 * endpoint. Everything written before a restart is there after it.
 */
class EmbeddedStackTest {
  @TempDir Path data;

  @Test
  void catalogueRecordsObjectsAndSchemasSurviveARestart() throws Exception {
    int kafkaPort = FreePorts.pick();
    int controllerPort = FreePorts.pick();
    int schemaId;
    try (EmbeddedKafka kafka = new EmbeddedKafka(data.resolve("kafka"), kafkaPort, controllerPort, Map.of()).start();
         EmbeddedS3 s3 = new EmbeddedS3(data.resolve("s3"), 0, "storystream").start();
         SchemaRegistryServer registry = new SchemaRegistryServer("127.0.0.1", 0, kafka.bootstrapServers(), (short) 1).start();
         Admin admin = Admin.create(Map.of("bootstrap.servers", kafka.bootstrapServers()))) {

      TopicCatalogue.Report first = TopicCatalogue.standard(3, (short) 1).ensure(admin);
      assertThat(first.created()).hasSize(Topics.all().size());
      assertThat(first.drifts()).isEmpty();
      TopicCatalogue.Report second = TopicCatalogue.standard(3, (short) 1).ensure(admin);
      assertThat(second.created()).isEmpty();
      assertThat(second.consistent()).isTrue();
      assertThat(liveConfig(admin, "usage-events", "retention.ms")).isEqualTo("-1");
      assertThat(liveConfig(admin, "tenants", "cleanup.policy")).isEqualTo("compact");

      roundTripEveryRecordType(kafka.bootstrapServers(), registry.url());
      schemaId = new HttpSchemaRegistryClient(registry.url()).register("tenants-value", io.storystream.schemas.Tenant.getClassSchema());

      try (BlobStore blobs = new BlobStore(s3.settings())) {
        blobs.put("tenants/acme/files/file_1", "a,b\n1,2\n".getBytes(StandardCharsets.UTF_8), "text/csv");
      }
    }

    try (EmbeddedKafka kafka = new EmbeddedKafka(data.resolve("kafka"), kafkaPort, controllerPort, Map.of()).start();
         EmbeddedS3 s3 = new EmbeddedS3(data.resolve("s3"), 0, "storystream").start();
         SchemaRegistryServer registry = new SchemaRegistryServer("127.0.0.1", 0, kafka.bootstrapServers(), (short) 1).start();
         Admin admin = Admin.create(Map.of("bootstrap.servers", kafka.bootstrapServers()));
         BlobStore blobs = new BlobStore(s3.settings())) {
      assertThat(admin.listTopics().names().get()).containsAll(Topics.all().stream().map(Topic::name).toList());
      assertThat(new String(blobs.get("tenants/acme/files/file_1").orElseThrow(), StandardCharsets.UTF_8))
          .isEqualTo("a,b\n1,2\n");
      HttpSchemaRegistryClient client = new HttpSchemaRegistryClient(registry.url());
      assertThat(client.schemaById(schemaId)).isEqualTo(io.storystream.schemas.Tenant.getClassSchema());
      assertThat(client.register("tenants-value", io.storystream.schemas.Tenant.getClassSchema())).isEqualTo(schemaId);
      assertThat(client.subjects()).contains("tenants-value", "usage-events-value");
    }
  }

  @Test
  void driftIsReportedNotRepaired() throws Exception {
    try (EmbeddedKafka kafka = EmbeddedKafka.forTests(data.resolve("kafka")).start();
         Admin admin = Admin.create(Map.of("bootstrap.servers", kafka.bootstrapServers()))) {
      admin.createTopics(List.of(new NewTopic("audit", 2, (short) 1)
          .configs(Map.of("cleanup.policy", "compact")))).all().get();
      TopicCatalogue.Report report = TopicCatalogue.standard(3, (short) 1).ensure(admin);
      assertThat(report.created()).doesNotContain("audit").hasSize(Topics.all().size() - 1);
      assertThat(report.drifts()).extracting(TopicCatalogue.Drift::setting)
          .containsExactlyInAnyOrder("partitions", "cleanup.policy", "retention.ms");
      assertThat(liveConfig(admin, "audit", "cleanup.policy")).isEqualTo("compact");
    }
  }

  private static void roundTripEveryRecordType(String bootstrap, String registryUrl) {
    TopicSerdes serdes = new TopicSerdes(new HttpSchemaRegistryClient(registryUrl));
    List<SpecificRecord> samples = SampleRecords.all();
    Map<String, SpecificRecord> sent = new java.util.HashMap<>();
    Properties props = new Properties();
    props.put("bootstrap.servers", bootstrap);
    props.put("acks", "all");
    try (KafkaProducer<String, byte[]> producer = new KafkaProducer<>(props, Serdes.String().serializer(),
        Serdes.ByteArray().serializer())) {
      for (SpecificRecord sample : samples) {
        Topic<?> topic = Topics.all().stream().filter(t -> t.valueType() == sample.getClass()).findFirst().orElseThrow();
        byte[] bytes = serialize(serdes, topic, sample);
        producer.send(new ProducerRecord<>(topic.name(), "acme", bytes));
        sent.put(topic.name(), sample);
      }
      producer.flush();
    }
    Properties consumerProps = new Properties();
    consumerProps.put("bootstrap.servers", bootstrap);
    consumerProps.put("group.id", "round-trip");
    consumerProps.put("auto.offset.reset", "earliest");
    Map<String, Object> received = new java.util.HashMap<>();
    try (KafkaConsumer<String, byte[]> consumer = new KafkaConsumer<>(consumerProps, Serdes.String().deserializer(),
        Serdes.ByteArray().deserializer())) {
      consumer.subscribe(new ArrayList<>(sent.keySet()));
      long deadline = System.currentTimeMillis() + 30_000;
      while (received.size() < sent.size() && System.currentTimeMillis() < deadline) {
        for (ConsumerRecord<String, byte[]> record : consumer.poll(Duration.ofMillis(200))) {
          Topic<?> topic = Topics.all().stream().filter(t -> t.name().equals(record.topic())).findFirst().orElseThrow();
          received.put(record.topic(), serdes.value(topic).deserializer().deserialize(record.topic(), record.value()));
        }
      }
    }
    assertThat(received).isEqualTo(sent);
  }

  @SuppressWarnings({"unchecked", "rawtypes"})
  private static byte[] serialize(TopicSerdes serdes, Topic topic, SpecificRecord record) {
    return serdes.value(topic).serializer().serialize(topic.name(), record);
  }

  private static String liveConfig(Admin admin, String topic, String name) throws Exception {
    ConfigResource resource = new ConfigResource(ConfigResource.Type.TOPIC, topic);
    return admin.describeConfigs(List.of(resource)).all().get().get(resource).get(name).value();
  }

}
