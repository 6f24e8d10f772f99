package io.storystream.ingress.export;

import io.storystream.common.kafka.KafkaSettings;
import io.storystream.schemas.topics.TenantKeys;
import io.storystream.schemas.topics.TenantPartitioner;
import io.storystream.schemas.topics.Topic;
import io.storystream.schemas.topics.TopicSerdes;
import java.time.Duration;
import java.util.List;
import java.util.Properties;
import java.util.function.BiConsumer;
import org.apache.avro.specific.SpecificRecord;
import org.apache.kafka.clients.consumer.ConsumerConfig;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.common.PartitionInfo;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.common.serialization.Deserializer;

/**
 * Every record of one tenant on a topic: the tenant's partition read from the beginning to the end it had when the
 * read began, one record at a time (the caller streams them on), decoded — and opened — by the topic's serde.
 * Tombstones reach the caller as null values.
 */
final class TenantRecords {
  private TenantRecords() {}

  static <V extends SpecificRecord> void read(KafkaSettings kafka, TopicSerdes serdes, Topic<V> topic, String tenantId,
                                              Duration timeout, BiConsumer<String, V> each) {
    Properties props = kafka.consumer(null);
    props.put(ConsumerConfig.CLIENT_ID_CONFIG, "ingress-export");
    props.put(ConsumerConfig.ALLOW_AUTO_CREATE_TOPICS_CONFIG, false);
    props.put(ConsumerConfig.FETCH_MAX_WAIT_MS_CONFIG, 50);
    props.put(ConsumerConfig.MAX_POLL_RECORDS_CONFIG, 500);
    Deserializer<V> values = serdes.value(topic).deserializer();
    try (KafkaConsumer<String, byte[]> consumer = new KafkaConsumer<>(props)) {
      List<PartitionInfo> infos = consumer.partitionsFor(topic.name(), timeout);
      if (infos == null || infos.isEmpty()) {
        return;
      }
      TopicPartition partition = new TopicPartition(topic.name(), TenantPartitioner.partition(tenantId, infos.size()));
      consumer.assign(List.of(partition));
      consumer.seekToBeginning(List.of(partition));
      long end = consumer.endOffsets(List.of(partition), timeout).get(partition);
      long deadline = System.nanoTime() + timeout.toNanos();
      while (consumer.position(partition, timeout) < end) {
        if (System.nanoTime() > deadline) {
          throw new IllegalStateException("reading " + partition + " did not reach offset " + end + " in " + timeout);
        }
        for (ConsumerRecord<String, byte[]> record : consumer.poll(Duration.ofMillis(100))) {
          if (record.offset() >= end || record.key() == null || !TenantKeys.tenantOf(record.key()).equals(tenantId)) {
            continue;
          }
          each.accept(record.key(), record.value() == null ? null : values.deserialize(topic.name(), record.value()));
        }
      }
    }
  }
}
