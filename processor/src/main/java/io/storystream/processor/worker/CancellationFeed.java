package io.storystream.processor.worker;

import io.storystream.common.kafka.KafkaSettings;
import io.storystream.schemas.JobCancellation;
import io.storystream.schemas.registry.SchemaRegistryClient;
import io.storystream.schemas.serde.AvroDeserializer;
import io.storystream.schemas.topics.TenantKeys;
import io.storystream.schemas.topics.Topics;
import java.time.Clock;
import java.time.Duration;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Properties;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.clients.consumer.OffsetAndTimestamp;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.common.errors.WakeupException;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The jobs tenants cancelled recently, read by every worker instance from all partitions of
 * {@code analysis-cancellations} (no consumer group: each instance needs every cancel, whichever partitions of the
 * work it holds). A job the worker is about to start, or is running, checks here before each DataStoryBot call and
 * before storing its result. On start it reads back {@link #LOOK_BACK}, so a cancel sent while the worker restarted
 * still reaches the job it names; a cancel older than that names a job long ended.
 */
final class CancellationFeed implements AutoCloseable {
  private static final Logger log = LoggerFactory.getLogger(CancellationFeed.class);
  static final Duration LOOK_BACK = Duration.ofHours(2);

  private final KafkaSettings kafka;
  private final AvroDeserializer<JobCancellation> deserializer;
  private final Clock clock;
  private final String clientId;
  /** tenantId:jobId → when the cancel was asked for. */
  private final Map<String, Long> cancelled = new ConcurrentHashMap<>();
  private final CountDownLatch caughtUp = new CountDownLatch(1);
  private volatile boolean running;
  private volatile KafkaConsumer<String, byte[]> consumer;
  private Thread thread;

  CancellationFeed(KafkaSettings kafka, SchemaRegistryClient registry, Clock clock, String clientId) {
    this.kafka = kafka;
    this.deserializer = new AvroDeserializer<>(registry, JobCancellation.class);
    this.clock = clock;
    this.clientId = clientId;
  }

  CancellationFeed start() {
    running = true;
    thread = new Thread(this::run, "cancellations-" + clientId);
    thread.setDaemon(true);
    thread.start();
    return this;
  }

  /** Whether the tenant cancelled the job (within {@link #LOOK_BACK}). */
  boolean cancelled(String tenantId, String jobId) {
    return cancelled.containsKey(TenantKeys.of(tenantId, jobId));
  }

  /** Waits until the cancels already on the topic when the feed started have been read. */
  boolean awaitCaughtUp(Duration timeout) throws InterruptedException {
    return caughtUp.await(timeout.toMillis(), TimeUnit.MILLISECONDS);
  }

  private void run() {
    Properties props = kafka.consumer(null);
    props.put("client.id", "storystream-cancellations-" + clientId);
    while (running) {
      try (KafkaConsumer<String, byte[]> created = new KafkaConsumer<>(props)) {
        consumer = created;
        follow(created);
      } catch (WakeupException closing) {
        return;
      } catch (RuntimeException e) {
        if (!running) {
          return;
        }
        log.warn("reading cancellations failed ({}); starting again in 1 s", e.getClass().getSimpleName());
        try {
          Thread.sleep(1_000);
        } catch (InterruptedException interrupted) {
          return;
        }
      }
    }
  }

  private void follow(KafkaConsumer<String, byte[]> consumer) {
    List<TopicPartition> partitions = consumer.partitionsFor(Topics.ANALYSIS_CANCELLATIONS.name()).stream()
        .map(p -> new TopicPartition(p.topic(), p.partition())).toList();
    consumer.assign(partitions);
    long since = clock.millis() - LOOK_BACK.toMillis();
    Map<TopicPartition, Long> times = new HashMap<>();
    partitions.forEach(p -> times.put(p, since));
    Map<TopicPartition, OffsetAndTimestamp> starts = consumer.offsetsForTimes(times);
    Map<TopicPartition, Long> ends = consumer.endOffsets(partitions);
    for (TopicPartition partition : partitions) {
      OffsetAndTimestamp start = starts.get(partition);
      consumer.seek(partition, start == null ? ends.get(partition) : start.offset());
    }
    while (running) {
      for (ConsumerRecord<String, byte[]> record : consumer.poll(Duration.ofMillis(200))) {
        try {
          JobCancellation cancel = deserializer.deserialize(record.topic(), record.value());
          if (cancel != null && cancel.getTenantId().equals(record.key())) {
            cancelled.put(TenantKeys.of(cancel.getTenantId(), cancel.getJobId()), cancel.getRequestedAt().toEpochMilli());
          }
        } catch (RuntimeException unreadable) {
          log.warn("cancellation {}-{}@{} unreadable, skipped: {}", record.topic(), record.partition(),
              record.offset(), unreadable.getClass().getSimpleName());
        }
      }
      if (caughtUp.getCount() > 0 && partitions.stream().allMatch(p -> consumer.position(p) >= ends.get(p))) {
        caughtUp.countDown();
      }
      long forgetBefore = clock.millis() - LOOK_BACK.toMillis();
      cancelled.values().removeIf(at -> at < forgetBefore);
    }
  }

  @Override
  public void close() {
    running = false;
    KafkaConsumer<String, byte[]> current = consumer;
    if (current != null) {
      try {
        current.wakeup();
      } catch (RuntimeException ignored) {
        // closed meanwhile
      }
    }
    if (thread != null) {
      try {
        thread.join(5_000);
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
      }
    }
  }
}
