package io.storystream.ingress.lifecycle;

import io.storystream.common.kafka.KafkaSettings;
import io.storystream.ingress.kafka.TenantPartition;
import io.storystream.schemas.topics.TenantKeys;
import java.time.Duration;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Set;
import java.util.function.BiConsumer;
import org.apache.kafka.clients.consumer.ConsumerRecord;

/**
 * The live keys of one tenant on a compacted topic keyed {@code tenantId:…}: the tenant's partition (the tenant
 * partitioner's rule) read from the beginning to its end, keeping per key the last record, and dropping keys whose
 * last record is a tombstone. This is the authoritative list for erasure and retention — it sees records no local
 * copy holds (another instance's jobs, the processor's cache index) — and it never decodes a value.
 */
final class TenantPartitionScan {
  private TenantPartitionScan() {}

  /** Key → timestamp of its last record, for every key of the tenant whose last record is not a tombstone. */
  static Map<String, Long> liveKeys(KafkaSettings kafka, String topic, String tenantId, Duration timeout) {
    return keys(kafka, topic, tenantId, timeout).live();
  }

  /**
   * The tenant's keys on a compacted topic: {@code live} as {@link #liveKeys}, and {@code seen}, every key with any
   * record still on the topic, tombstones included (a key erased before is seen but not live).
   */
  record Keys(Map<String, Long> live, Set<String> seen) {}

  static Keys keys(KafkaSettings kafka, String topic, String tenantId, Duration timeout) {
    String prefix = TenantKeys.of(tenantId, "");
    Map<String, Long> live = new LinkedHashMap<>();
    Set<String> seen = new HashSet<>();
    read(kafka, topic, tenantId, timeout, record -> {
      if (record.key() == null || !record.key().startsWith(prefix)) {
        return;
      }
      seen.add(record.key());
      if (record.value() == null) {
        live.remove(record.key());
      } else {
        live.put(record.key(), record.timestamp());
      }
    });
    return new Keys(live, seen);
  }

  /**
   * Every record keyed exactly {@code tenantId} on an append-only topic keyed by tenant (e.g. analysis-requests),
   * handed to {@code each} with its value bytes and timestamp. Values are decoded by the caller, only for this tenant.
   */
  static void tenantRecords(KafkaSettings kafka, String topic, String tenantId, Duration timeout,
                            BiConsumer<byte[], Long> each) {
    read(kafka, topic, tenantId, timeout, record -> {
      if (tenantId.equals(record.key()) && record.value() != null) {
        each.accept(record.value(), record.timestamp());
      }
    });
  }

  private static void read(KafkaSettings kafka, String topic, String tenantId, Duration timeout,
                           java.util.function.Consumer<ConsumerRecord<String, byte[]>> each) {
    TenantPartition.read(kafka, topic, tenantId, "ingress-lifecycle-scan", timeout, each);
  }
}
