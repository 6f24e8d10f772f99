package io.storystream.ingress.kafka;

import io.storystream.common.kafka.KafkaSettings;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Properties;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import org.apache.kafka.clients.consumer.ConsumerConfig;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.common.PartitionInfo;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.common.errors.WakeupException;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Reads whole topics (every partition, from the beginning, no consumer group) into this instance's memory and keeps
 * following them, so that lookups on the request path never leave the process. Each instance holds its own copy;
 * a change published anywhere reaches every copy within one poll (about 100 ms).
 *
 * <p>A writer on this instance can {@link #applyOwn apply its own record} as soon as the broker acknowledged it, so
 * the writer reads its write at once; the mirror remembers the offset per key and skips older records that arrive
 * later, so an acknowledged delete is never undone by a lagging earlier put.
 */
public final class TopicMirror implements AutoCloseable {
  private static final Logger log = LoggerFactory.getLogger(TopicMirror.class);

  /** Receives each record's key and raw value (null for a tombstone). */
  public interface Sink {
    void apply(String topic, String key, byte[] value);
  }

  private final String name;
  private final KafkaSettings kafka;
  private final List<String> topics;
  private final Sink sink;
  private final Map<String, Long> appliedOffsets = new ConcurrentHashMap<>();
  private final CountDownLatch caughtUp = new CountDownLatch(1);
  private volatile boolean running = true;
  private volatile Throwable failure;
  private KafkaConsumer<String, byte[]> consumer;
  private Thread thread;

  public TopicMirror(String name, KafkaSettings kafka, List<String> topics, Sink sink) {
    this.name = name;
    this.kafka = kafka;
    this.topics = topics;
    this.sink = sink;
  }

  public TopicMirror start() {
    Properties props = kafka.consumer(null);
    props.put(ConsumerConfig.CLIENT_ID_CONFIG, "ingress-mirror-" + name);
    props.put(ConsumerConfig.FETCH_MAX_WAIT_MS_CONFIG, 50);
    consumer = new KafkaConsumer<>(props);
    thread = new Thread(this::run, "mirror-" + name);
    thread.setDaemon(true);
    thread.start();
    return this;
  }

  private void run() {
    try {
      List<TopicPartition> partitions = new ArrayList<>();
      for (String topic : topics) {
        List<PartitionInfo> infos = consumer.partitionsFor(topic, Duration.ofSeconds(30));
        infos.forEach(i -> partitions.add(new TopicPartition(i.topic(), i.partition())));
      }
      consumer.assign(partitions);
      consumer.seekToBeginning(partitions);
      Map<TopicPartition, Long> ends = new HashMap<>(consumer.endOffsets(partitions));
      while (running) {
        for (ConsumerRecord<String, byte[]> record : consumer.poll(Duration.ofMillis(100))) {
          try {
            applyIfNewer(record.topic(), record.key(), record.value(), record.offset());
          } catch (RuntimeException e) {
            log.warn("mirror {} skipped {}-{}@{}: {}", name, record.topic(), record.partition(), record.offset(),
                e.toString());
          }
        }
        if (caughtUp.getCount() > 0) {
          ends.entrySet().removeIf(e -> consumer.position(e.getKey()) >= e.getValue());
          if (ends.isEmpty()) {
            caughtUp.countDown();
            log.info("mirror {} caught up with {}", name, topics);
          }
        }
      }
    } catch (WakeupException stopping) {
      // close() woke the poll
    } catch (Throwable e) {
      failure = e;
      log.error("mirror {} stopped: {}", name, e.toString());
    } finally {
      consumer.close(Duration.ofSeconds(2));
    }
  }

  /** Applies a record this instance wrote and the broker acknowledged at {@code offset}. */
  public void applyOwn(String topic, String key, byte[] value, long offset) {
    applyIfNewer(topic, key, value, offset);
  }

  private synchronized void applyIfNewer(String topic, String key, byte[] value, long offset) {
    String slot = topic + "/" + key;
    Long seen = appliedOffsets.get(slot);
    if (seen != null && seen >= offset) {
      return; // this instance already applied this write, or a newer one, when it was acknowledged
    }
    appliedOffsets.put(slot, offset);
    sink.apply(topic, key, value);
  }

  /** True once every record that existed at start has been applied, and while the reader is healthy. */
  public boolean ready() {
    return caughtUp.getCount() == 0 && failure == null && thread != null && thread.isAlive();
  }

  public boolean awaitCaughtUp(Duration timeout) throws InterruptedException {
    return caughtUp.await(timeout.toMillis(), TimeUnit.MILLISECONDS);
  }

  @Override
  public void close() {
    running = false;
    if (consumer != null) {
      consumer.wakeup();
    }
    if (thread != null) {
      try {
        thread.join(5000);
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
      }
    }
  }
}
