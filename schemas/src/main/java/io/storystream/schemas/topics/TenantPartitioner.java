package io.storystream.schemas.topics;

import java.nio.charset.StandardCharsets;
import java.util.Map;
import org.apache.kafka.clients.producer.Partitioner;
import org.apache.kafka.common.Cluster;
import org.apache.kafka.common.utils.Utils;
import org.apache.kafka.streams.processor.StreamPartitioner;

/**
 * Partitions by the tenant part of the key ({@link TenantKeys#tenantOf}). For a plain tenant-id key this is exactly
 * Kafka's default partitioner (murmur2 of the key bytes), so {@code acme} and {@code acme:file_…} land on the same
 * partition whichever client wrote them: one tenant's requests, files, usage and statements stay together.
 *
 * <p>Use it as a producer's {@code partitioner.class}, or through {@link #streams()} in Kafka Streams.
 */
public final class TenantPartitioner implements Partitioner {

  public static int partition(String key, int numPartitions) {
    byte[] tenant = TenantKeys.tenantOf(key).getBytes(StandardCharsets.UTF_8);
    return Utils.toPositive(Utils.murmur2(tenant)) % numPartitions;
  }

  /** The same rule for Kafka Streams outputs. */
  public static <V> StreamPartitioner<String, V> streams() {
    return new StreamPartitioner<>() {
      @Override
      public java.util.Optional<java.util.Set<Integer>> partitions(String topic, String key, V value, int numPartitions) {
        return java.util.Optional.of(java.util.Set.of(partition(key, numPartitions)));
      }
    };
  }

  @Override
  public int partition(String topic, Object key, byte[] keyBytes, Object value, byte[] valueBytes, Cluster cluster) {
    int numPartitions = cluster.partitionsForTopic(topic).size();
    if (key == null) {
      throw new IllegalArgumentException("records on " + topic + " must have a tenant key");
    }
    return partition(key.toString(), numPartitions);
  }

  @Override
  public void close() {}

  @Override
  public void configure(Map<String, ?> configs) {}
}
