package io.storystream.ingress.export;

import io.storystream.common.kafka.KafkaSettings;
import io.storystream.ingress.kafka.TenantPartition;
import io.storystream.schemas.topics.TenantKeys;
import io.storystream.schemas.topics.Topic;
import io.storystream.schemas.topics.TopicSerdes;
import java.time.Duration;
import java.util.function.BiConsumer;
import org.apache.avro.specific.SpecificRecord;
import org.apache.kafka.common.serialization.Deserializer;

/**
 * Every record of one tenant on a topic: the tenant's partition read from the beginning to the end it had when the
 * read began, one record at a time (the caller streams them on), decoded — and opened — by the topic's serde.
 * Records of other tenants sharing the partition (and keys that name no tenant, such as billing's ticks) are skipped
 * before they are decoded. Tombstones reach the caller as null values.
 */
final class TenantRecords {
  private TenantRecords() {}

  static <V extends SpecificRecord> void read(KafkaSettings kafka, TopicSerdes serdes, Topic<V> topic, String tenantId,
                                              Duration timeout, BiConsumer<String, V> each) {
    Deserializer<V> values = serdes.value(topic).deserializer();
    TenantPartition.read(kafka, topic.name(), tenantId, "ingress-export", timeout, record -> {
      if (record.key() != null && TenantKeys.tenantOf(record.key()).equals(tenantId)) {
        each.accept(record.key(), record.value() == null ? null : values.deserialize(topic.name(), record.value()));
      }
    });
  }
}
