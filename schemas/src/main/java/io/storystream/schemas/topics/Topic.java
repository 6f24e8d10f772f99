package io.storystream.schemas.topics;

import java.time.Duration;
import java.util.LinkedHashMap;
import java.util.Map;
import org.apache.avro.specific.SpecificRecord;
import org.apache.kafka.common.config.TopicConfig;

/**
 * One entry of the topic catalogue: a topic's name, the Avro class of its values, how many partitions it has and
 * how long it keeps data. Keys are always strings (a tenant id, or {@code tenantId:resourceId}; see
 * {@link TenantKeys}), so every tool can read them.
 *
 * @param partitions the topic's partition count; {@link #TENANT_PARTITIONS} means "the deployment's tenant
 *     partition count", which every tenant-keyed topic shares so that they stay co-partitioned
 * @param retention how long records are kept; null means forever
 */
public record Topic<V extends SpecificRecord>(
    String name,
    Class<V> valueType,
    int partitions,
    Cleanup cleanup,
    Duration retention,
    String description) {

  public static final int TENANT_PARTITIONS = -1;

  public enum Cleanup {
    /** Append-only log: records age out after the retention (or never). */
    DELETE,
    /** Latest value per key, forever; a null value (tombstone) removes the key. */
    COMPACT
  }

  /** Partition count once the deployment's tenant partition count is known. */
  public int partitions(int tenantPartitions) {
    return partitions == TENANT_PARTITIONS ? tenantPartitions : partitions;
  }

  /** The topic-level configs this catalogue owns and checks for drift. */
  public Map<String, String> configs() {
    Map<String, String> configs = new LinkedHashMap<>();
    configs.put(TopicConfig.CLEANUP_POLICY_CONFIG,
        cleanup == Cleanup.COMPACT ? TopicConfig.CLEANUP_POLICY_COMPACT : TopicConfig.CLEANUP_POLICY_DELETE);
    if (cleanup == Cleanup.DELETE) {
      configs.put(TopicConfig.RETENTION_MS_CONFIG, retention == null ? "-1" : Long.toString(retention.toMillis()));
    }
    return configs;
  }

  @Override
  public String toString() {
    return name;
  }
}
