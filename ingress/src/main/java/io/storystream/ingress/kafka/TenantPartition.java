package io.storystream.ingress.kafka;

import io.storystream.common.kafka.KafkaSettings;
import io.storystream.schemas.topics.TenantPartitioner;
import java.time.Duration;
import java.util.List;
import java.util.Properties;
import java.util.function.Consumer;
import org.apache.kafka.clients.consumer.ConsumerConfig;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.common.PartitionInfo;
import org.apache.kafka.common.TopicPartition;

/**
 * One tenant's partition of a topic (the tenant partitioner's rule), read raw from the beginning to the end it had
 * when the read began, with a short-lived consumer of no group. Erasure, retention and export read a tenant's records
 * this way: it sees what no local copy holds, and values are decoded by the caller, only for that tenant.
 */
public final class TenantPartition {
  private TenantPartition() {}

  /** Hands every record of the tenant's partition, up to its end at the start, to {@code each}, in offset order. */
  public static void read(KafkaSettings kafka, String topic, String tenantId, String clientId, Duration timeout,
                          Consumer<ConsumerRecord<String, byte[]>> each) {
    Properties props = kafka.consumer(null);
    props.put(ConsumerConfig.CLIENT_ID_CONFIG, clientId);
    props.put(ConsumerConfig.ALLOW_AUTO_CREATE_TOPICS_CONFIG, false); // a missing topic has no records; never create it
    props.put(ConsumerConfig.FETCH_MAX_WAIT_MS_CONFIG, 50);
    props.put(ConsumerConfig.MAX_POLL_RECORDS_CONFIG, 500);
    try (KafkaConsumer<String, byte[]> consumer = new KafkaConsumer<>(props)) {
      List<PartitionInfo> infos = consumer.partitionsFor(topic, timeout);
      if (infos == null || infos.isEmpty()) {
        return;
      }
      TopicPartition partition = new TopicPartition(topic, TenantPartitioner.partition(tenantId, infos.size()));
      consumer.assign(List.of(partition));
      consumer.seekToBeginning(List.of(partition));
      long end = consumer.endOffsets(List.of(partition), timeout).get(partition);
      long deadline = System.nanoTime() + timeout.toNanos();
      while (consumer.position(partition, timeout) < end) {
        if (System.nanoTime() > deadline) {
          throw new IllegalStateException("reading " + partition + " did not reach offset " + end + " in " + timeout);
        }
        for (ConsumerRecord<String, byte[]> record : consumer.poll(Duration.ofMillis(100))) {
          if (record.offset() < end) {
            each.accept(record);
          }
        }
      }
    }
  }
}
