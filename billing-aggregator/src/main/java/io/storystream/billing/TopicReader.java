package io.storystream.billing;

import io.storystream.common.kafka.KafkaSettings;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.Properties;
import java.util.function.BiConsumer;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.common.serialization.Deserializer;

/** Reads a whole topic from the beginning to its current end (committed records only), without a consumer group. */
final class TopicReader {
  private TopicReader() {}

  static <V> void readAll(KafkaSettings kafka, String topic, Deserializer<V> values, BiConsumer<String, V> sink) {
    readRecords(kafka, topic, r -> sink.accept(r.key(), r.value() == null ? null : values.deserialize(topic, r.value())));
  }

  /** Every committed record of the topic, as it lies there (key decoded, value bytes). */
  static void readRecords(KafkaSettings kafka, String topic,
                          java.util.function.Consumer<ConsumerRecord<String, byte[]>> sink) {
    Properties props = kafka.consumer(null);
    props.put("max.poll.records", 5000);
    try (KafkaConsumer<String, byte[]> consumer = new KafkaConsumer<>(props)) {
      List<TopicPartition> partitions = consumer.partitionsFor(topic, Duration.ofSeconds(30)).stream()
          .map(p -> new TopicPartition(topic, p.partition())).toList();
      consumer.assign(partitions);
      consumer.seekToBeginning(partitions);
      Map<TopicPartition, Long> end = consumer.endOffsets(partitions);
      long deadline = System.nanoTime() + Duration.ofMinutes(10).toNanos();
      while (partitions.stream().anyMatch(tp -> consumer.position(tp) < end.get(tp))) {
        if (System.nanoTime() > deadline) {
          throw new IllegalStateException("could not read " + topic + " to its end within 10 minutes");
        }
        for (ConsumerRecord<String, byte[]> r : consumer.poll(Duration.ofMillis(200))) {
          sink.accept(r);
        }
      }
    }
  }
}
