package io.storystream.embedded.registry;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.Properties;
import java.util.Set;
import java.util.concurrent.ExecutionException;
import java.util.function.BiConsumer;
import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.admin.NewTopic;
import org.apache.kafka.clients.consumer.ConsumerConfig;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerConfig;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.common.config.TopicConfig;
import org.apache.kafka.common.errors.TopicExistsException;
import org.apache.kafka.common.serialization.ByteArrayDeserializer;
import org.apache.kafka.common.serialization.ByteArraySerializer;

/**
 * The registry's durable state: a compacted single-partition topic ({@code _schemas}) in the record format of
 * Confluent's own registry (JSON keys {@code {"keytype":"SCHEMA","subject":…,"version":…}} and
 * {@code {"keytype":"CONFIG","subject":…}}), read from the start at boot and appended to synchronously.
 */
final class SchemaLog implements AutoCloseable {
  static final String TOPIC = "_schemas";
  private static final ObjectMapper JSON = new ObjectMapper();

  private final String bootstrapServers;
  private final KafkaProducer<byte[], byte[]> producer;

  SchemaLog(String bootstrapServers) {
    this.bootstrapServers = bootstrapServers;
    Properties props = new Properties();
    props.put(ProducerConfig.BOOTSTRAP_SERVERS_CONFIG, bootstrapServers);
    props.put(ProducerConfig.ACKS_CONFIG, "all");
    props.put(ProducerConfig.ENABLE_IDEMPOTENCE_CONFIG, true);
    props.put(ProducerConfig.LINGER_MS_CONFIG, 0);
    props.put(ProducerConfig.KEY_SERIALIZER_CLASS_CONFIG, ByteArraySerializer.class.getName());
    props.put(ProducerConfig.VALUE_SERIALIZER_CLASS_CONFIG, ByteArraySerializer.class.getName());
    this.producer = new KafkaProducer<>(props);
  }

  void ensureTopic(short replicationFactor) throws InterruptedException {
    Properties props = new Properties();
    props.put("bootstrap.servers", bootstrapServers);
    try (Admin admin = Admin.create(props)) {
      Set<String> names = admin.listTopics().names().get();
      if (!names.contains(TOPIC)) {
        try {
          admin.createTopics(List.of(new NewTopic(TOPIC, 1, replicationFactor)
              .configs(Map.of(TopicConfig.CLEANUP_POLICY_CONFIG, TopicConfig.CLEANUP_POLICY_COMPACT)))).all().get();
        } catch (ExecutionException e) {
          if (!(e.getCause() instanceof TopicExistsException)) {
            throw new IllegalStateException("could not create " + TOPIC, e.getCause());
          }
        }
      }
    } catch (ExecutionException e) {
      throw new IllegalStateException("could not list topics", e.getCause());
    }
  }

  /** Replays every record from the beginning to the current end, in order. */
  void replay(BiConsumer<JsonNode, JsonNode> apply) {
    Properties props = new Properties();
    props.put(ConsumerConfig.BOOTSTRAP_SERVERS_CONFIG, bootstrapServers);
    props.put(ConsumerConfig.KEY_DESERIALIZER_CLASS_CONFIG, ByteArrayDeserializer.class.getName());
    props.put(ConsumerConfig.VALUE_DESERIALIZER_CLASS_CONFIG, ByteArrayDeserializer.class.getName());
    TopicPartition partition = new TopicPartition(TOPIC, 0);
    try (KafkaConsumer<byte[], byte[]> consumer = new KafkaConsumer<>(props)) {
      consumer.assign(List.of(partition));
      consumer.seekToBeginning(List.of(partition));
      long end = consumer.endOffsets(List.of(partition)).get(partition);
      while (consumer.position(partition) < end) {
        for (ConsumerRecord<byte[], byte[]> record : consumer.poll(Duration.ofMillis(200))) {
          apply.accept(read(record.key()), record.value() == null ? null : read(record.value()));
        }
      }
    }
  }

  void append(ObjectNode key, ObjectNode value) {
    try {
      producer.send(new ProducerRecord<>(TOPIC, 0, JSON.writeValueAsBytes(key), JSON.writeValueAsBytes(value))).get();
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new RegistryError(500, RegistryError.STORE_ERROR, "Interrupted while storing the schema");
    } catch (Exception e) {
      throw new RegistryError(500, RegistryError.STORE_ERROR, "Error while storing the schema: " + e.getMessage());
    }
  }

  private static JsonNode read(byte[] bytes) {
    try {
      return JSON.readTree(new String(bytes, StandardCharsets.UTF_8));
    } catch (Exception e) {
      throw new IllegalStateException("unreadable record in " + TOPIC, e);
    }
  }

  @Override
  public void close() {
    producer.close(Duration.ofSeconds(5));
  }
}
