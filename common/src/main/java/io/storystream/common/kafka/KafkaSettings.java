package io.storystream.common.kafka;

import io.storystream.schemas.topics.TenantPartitioner;
import java.nio.file.Path;
import java.util.Map;
import java.util.Properties;
import org.apache.kafka.clients.CommonClientConfigs;
import org.apache.kafka.clients.consumer.ConsumerConfig;
import org.apache.kafka.clients.producer.ProducerConfig;
import org.apache.kafka.common.serialization.ByteArrayDeserializer;
import org.apache.kafka.common.serialization.ByteArraySerializer;
import org.apache.kafka.common.serialization.StringDeserializer;
import org.apache.kafka.common.serialization.StringSerializer;
import org.apache.kafka.streams.StreamsConfig;

/**
 * Client settings every service shares: string keys (so the tenant partitioner sees the tenant), durable producers (acks=all, idempotent, the tenant partitioner) and
 * exactly-once Streams with state under the data folder and static group membership (see {@link StaticMembership}).
 *
 * <p>{@code clientProperties} ({@link ClientProperties}: SASL, SSL, …) are added to every client this creates —
 * producers, consumers, admin clients and Streams (which passes them to its own clients) — after the settings above.
 */
public record KafkaSettings(String bootstrapServers, String registryUrl, int tenantPartitions, short replicationFactor,
                           Map<String, String> clientProperties) {

  public KafkaSettings {
    clientProperties = clientProperties == null ? Map.of() : Map.copyOf(clientProperties);
  }

  /** Settings without extra client properties (a plaintext cluster without authentication). */
  public KafkaSettings(String bootstrapServers, String registryUrl, int tenantPartitions, short replicationFactor) {
    this(bootstrapServers, registryUrl, tenantPartitions, replicationFactor, Map.of());
  }

  public KafkaSettings withClientProperties(Map<String, String> props) {
    return new KafkaSettings(bootstrapServers, registryUrl, tenantPartitions, replicationFactor, props);
  }

  private Properties withClientProperties(Properties props) {
    props.putAll(clientProperties);
    return props;
  }

  @Override
  public String toString() {
    return "KafkaSettings[bootstrapServers=" + bootstrapServers + ", registryUrl="
        + registryUrl.replaceFirst("//[^/@]*@", "//[hidden]@") + ", tenantPartitions=" + tenantPartitions
        + ", replicationFactor=" + replicationFactor + ", clientProperties="
        + ClientProperties.masked(clientProperties) + "]";
  }

  public Properties producer(String clientId) {
    Properties props = new Properties();
    props.put(CommonClientConfigs.BOOTSTRAP_SERVERS_CONFIG, bootstrapServers);
    props.put(ProducerConfig.CLIENT_ID_CONFIG, clientId);
    props.put(ProducerConfig.ACKS_CONFIG, "all");
    props.put(ProducerConfig.ENABLE_IDEMPOTENCE_CONFIG, true);
    props.put(ProducerConfig.COMPRESSION_TYPE_CONFIG, "lz4");
    props.put(ProducerConfig.LINGER_MS_CONFIG, 5);
    props.put(ProducerConfig.BATCH_SIZE_CONFIG, 128 * 1024);
    props.put(ProducerConfig.PARTITIONER_CLASS_CONFIG, TenantPartitioner.class.getName());
    props.put(ProducerConfig.KEY_SERIALIZER_CLASS_CONFIG, StringSerializer.class.getName());
    props.put(ProducerConfig.VALUE_SERIALIZER_CLASS_CONFIG, ByteArraySerializer.class.getName());
    return withClientProperties(props);
  }

  public Properties consumer(String groupId) {
    Properties props = new Properties();
    props.put(CommonClientConfigs.BOOTSTRAP_SERVERS_CONFIG, bootstrapServers);
    if (groupId != null) {
      props.put(ConsumerConfig.GROUP_ID_CONFIG, groupId);
    }
    props.put(ConsumerConfig.AUTO_OFFSET_RESET_CONFIG, "earliest");
    props.put(ConsumerConfig.ENABLE_AUTO_COMMIT_CONFIG, false);
    props.put(ConsumerConfig.ISOLATION_LEVEL_CONFIG, "read_committed");
    props.put(ConsumerConfig.KEY_DESERIALIZER_CLASS_CONFIG, StringDeserializer.class.getName());
    props.put(ConsumerConfig.VALUE_DESERIALIZER_CLASS_CONFIG, ByteArrayDeserializer.class.getName());
    return withClientProperties(props);
  }

  public Properties admin() {
    Properties props = new Properties();
    props.put(CommonClientConfigs.BOOTSTRAP_SERVERS_CONFIG, bootstrapServers);
    return withClientProperties(props);
  }

  /** Exactly-once Streams settings; state lives under {@code dataDir/streams/<applicationId>}. */
  public Properties streams(String applicationId, Path dataDir) {
    Properties props = new Properties();
    props.put(StreamsConfig.APPLICATION_ID_CONFIG, applicationId);
    props.put(StreamsConfig.BOOTSTRAP_SERVERS_CONFIG, bootstrapServers);
    props.put(StreamsConfig.PROCESSING_GUARANTEE_CONFIG, StreamsConfig.EXACTLY_ONCE_V2);
    props.put(StreamsConfig.STATE_DIR_CONFIG, dataDir.resolve("streams").toAbsolutePath().toString());
    props.put(StreamsConfig.REPLICATION_FACTOR_CONFIG, (int) replicationFactor);
    props.put(StreamsConfig.COMMIT_INTERVAL_MS_CONFIG, 100);
    props.put(StreamsConfig.producerPrefix(ProducerConfig.COMPRESSION_TYPE_CONFIG), "lz4");
    props.put(StreamsConfig.consumerPrefix(ConsumerConfig.AUTO_OFFSET_RESET_CONFIG), "earliest");
    // static membership (Streams appends "-<thread>" for each stream thread): a restart after kill -9 takes its
    // predecessor's place in the group at once instead of waiting out the dead member; see StaticMembership
    props.put(StreamsConfig.mainConsumerPrefix(ConsumerConfig.GROUP_INSTANCE_ID_CONFIG),
        applicationId + "-" + StaticMembership.instanceId(dataDir));
    props.put(StreamsConfig.mainConsumerPrefix(ConsumerConfig.SESSION_TIMEOUT_MS_CONFIG),
        (int) StaticMembership.SESSION_TIMEOUT.toMillis());
    return withClientProperties(props);
  }
}
