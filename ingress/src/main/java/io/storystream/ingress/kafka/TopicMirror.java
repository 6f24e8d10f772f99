package io.storystream.ingress.kafka;

import io.storystream.common.kafka.KafkaSettings;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.OptionalLong;
import java.util.Properties;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import org.apache.kafka.clients.consumer.ConsumerConfig;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.consumer.ConsumerRecords;
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
 *
 * <p>The copy never silently stops being current. A record the sink cannot apply (say it cannot be decoded while the
 * schema registry is unreachable) is retried, with a growing pause up to {@value #MAX_BACKOFF_MS} ms, and nothing
 * after it in its partition is applied meanwhile: skipping it could skip a revocation. An error of the consumer
 * itself closes it and opens a new one at the next unapplied offsets. While a record is stuck, the reader is
 * recovering, or records known to exist have waited longer than {@link #maxBehind} to be applied, {@link #ready()}
 * is false (the key directory's gate answers 503 then).
 */
public final class TopicMirror implements AutoCloseable {
  private static final Logger log = LoggerFactory.getLogger(TopicMirror.class);
  static final long MAX_BACKOFF_MS = 5_000;
  private static final Duration DEFAULT_MAX_BEHIND = Duration.ofSeconds(5);
  /** How long the reader asks the broker for end offsets when a caller asks whether the copy is current. */
  private static final Duration END_OFFSETS_LIMIT = Duration.ofSeconds(2);

  /** Receives each record's key and raw value (null for a tombstone). */
  public interface Sink {
    void apply(String topic, String key, byte[] value);
  }

  private final String name;
  private final KafkaSettings kafka;
  private final List<String> topics;
  private final Sink sink;
  private final Map<String, Long> appliedOffsets = new ConcurrentHashMap<>();
  /** Next offset to apply per partition: where a new consumer resumes after a failure. */
  private final Map<TopicPartition, Long> nextOffsets = new HashMap<>();
  private final CountDownLatch caughtUp = new CountDownLatch(1);
  private final CountDownLatch stopping = new CountDownLatch(1);
  private final Set<TopicPartition> stuck = ConcurrentHashMap.newKeySet();
  private volatile Duration maxBehind = DEFAULT_MAX_BEHIND;
  private volatile boolean running = true;
  private volatile boolean recovering;
  private volatile long behindSinceNanos; // 0: not behind
  private volatile Throwable lastFailure;
  private volatile KafkaConsumer<String, byte[]> consumer;
  private Thread thread;
  private volatile io.micrometer.core.instrument.MeterRegistry meters;
  /** Questions "is this copy current?" not yet taken up by the reader thread. */
  private final java.util.concurrent.ConcurrentLinkedQueue<java.util.concurrent.CompletableFuture<Boolean>> asked =
      new java.util.concurrent.ConcurrentLinkedQueue<>();
  /** Taken-up questions with the end offsets they wait for (reader thread only). */
  private final List<Barrier> barriers = new ArrayList<>();

  private record Barrier(Map<TopicPartition, Long> ends, java.util.concurrent.CompletableFuture<Boolean> answer) {}

  public TopicMirror(String name, KafkaSettings kafka, List<String> topics, Sink sink) {
    this.name = name;
    this.kafka = kafka;
    this.topics = topics;
    this.sink = sink;
  }

  /** How long known records may wait to be applied before the copy counts as not current (default 5 s). */
  public TopicMirror maxBehind(Duration limit) {
    this.maxBehind = limit;
    return this;
  }

  /**
   * Binds the mirror's consumer metrics ({@code kafka_consumer_*} with {@code client_id=ingress-mirror-<name>}) to this
   * registry, the management port's; each consumer the mirror opens is bound while it is open. Call before start.
   */
  public TopicMirror meters(io.micrometer.core.instrument.MeterRegistry registry) {
    this.meters = registry;
    return this;
  }

  public TopicMirror start() {
    thread = new Thread(this::run, "mirror-" + name);
    thread.setDaemon(true);
    thread.start();
    return this;
  }

  private KafkaConsumer<String, byte[]> open() {
    Properties props = kafka.consumer(null);
    props.put(ConsumerConfig.CLIENT_ID_CONFIG, "ingress-mirror-" + name);
    props.put(ConsumerConfig.FETCH_MAX_WAIT_MS_CONFIG, 50);
    KafkaConsumer<String, byte[]> c = new KafkaConsumer<>(props);
    consumer = c;
    if (!running) {
      c.wakeup(); // close() ran before this consumer existed
    }
    List<TopicPartition> partitions = new ArrayList<>();
    for (String topic : topics) {
      List<PartitionInfo> infos = c.partitionsFor(topic, Duration.ofSeconds(30));
      infos.forEach(i -> partitions.add(new TopicPartition(i.topic(), i.partition())));
    }
    c.assign(partitions);
    for (TopicPartition tp : partitions) {
      Long next = nextOffsets.get(tp);
      if (next == null) {
        c.seekToBeginning(List.of(tp));
      } else {
        c.seek(tp, next);
      }
    }
    return c;
  }

  private void run() {
    long backoffMs = 0;
    Map<TopicPartition, Long> startEnds = null;
    while (running) {
      KafkaConsumer<String, byte[]> opened = null;
      io.storystream.common.ops.KafkaMeters.Binding bound = null;
      try {
        opened = open();
        KafkaConsumer<String, byte[]> c = opened;
        io.micrometer.core.instrument.MeterRegistry registry = meters;
        bound = registry == null ? null : io.storystream.common.ops.KafkaMeters.bind(registry, c);
        if (startEnds == null) {
          startEnds = new HashMap<>(c.endOffsets(c.assignment()));
        }
        recovering = false;
        while (running) {
          ConsumerRecords<String, byte[]> records = c.poll(Duration.ofMillis(100));
          boolean failed = applyAll(c, records);
          trackLag(c);
          answerBarriers(c);
          if (caughtUp.getCount() > 0) {
            startEnds.entrySet().removeIf(e -> c.position(e.getKey()) >= e.getValue());
            if (startEnds.isEmpty()) {
              caughtUp.countDown();
              log.info("mirror {} caught up with {}", name, topics);
            }
          }
          backoffMs = failed ? Math.min(MAX_BACKOFF_MS, Math.max(100, backoffMs * 2)) : 0;
          if (failed) {
            pause(backoffMs);
          }
        }
      } catch (WakeupException stopping) {
        // close() woke the poll
      } catch (Throwable e) {
        if (!running) {
          break;
        }
        recovering = true;
        lastFailure = e;
        backoffMs = Math.min(MAX_BACKOFF_MS, Math.max(100, backoffMs * 2));
        log.error("mirror {} failed, reopening in {} ms: {}", name, backoffMs, e.toString());
        pause(backoffMs);
      } finally {
        if (bound != null) {
          bound.close(); // before the consumer: a closed consumer leaves no series behind
        }
        if (opened != null) {
          try {
            opened.close(Duration.ofSeconds(2));
          } catch (RuntimeException ignored) {
            // already broken
          }
        }
      }
    }
  }

  /** Applies records in offset order per partition; at the first one that fails, rewinds its partition to it. */
  private boolean applyAll(KafkaConsumer<String, byte[]> c, ConsumerRecords<String, byte[]> records) {
    boolean failed = false;
    for (TopicPartition tp : records.partitions()) {
      for (ConsumerRecord<String, byte[]> record : records.records(tp)) {
        try {
          applyIfNewer(record.topic(), record.key(), record.value(), record.offset());
        } catch (RuntimeException e) {
          if (stuck.add(tp)) {
            log.error("mirror {} cannot apply {}@{}, retrying it (nothing after it in the partition is applied "
                + "meanwhile): {}", name, tp, record.offset(), e.toString());
          }
          lastFailure = e;
          c.seek(tp, record.offset());
          failed = true;
          break;
        }
        nextOffsets.put(tp, record.offset() + 1);
        if (stuck.remove(tp)) {
          log.info("mirror {} applied {}@{} after retrying", name, tp, record.offset());
        }
      }
    }
    return failed;
  }

  private void trackLag(KafkaConsumer<String, byte[]> c) {
    long lag = 0;
    for (TopicPartition tp : c.assignment()) {
      OptionalLong known = c.currentLag(tp);
      if (known.isPresent()) {
        lag += known.getAsLong();
      }
    }
    if (lag == 0) {
      behindSinceNanos = 0;
    } else if (behindSinceNanos == 0) {
      behindSinceNanos = System.nanoTime();
    }
  }

  /**
   * Completes with true once this copy has applied every record the topics held when it was called (the end offsets
   * then, as this reader's isolation level sees them), so a write acknowledged to another instance before the call is
   * here afterwards; with false when the end offsets cannot be read within 2 s (the broker away). Callers bound the
   * wait themselves. One broker round trip answers every question asked during the same poll.
   */
  public java.util.concurrent.CompletableFuture<Boolean> awaitCurrent() {
    java.util.concurrent.CompletableFuture<Boolean> answer = new java.util.concurrent.CompletableFuture<>();
    asked.add(answer);
    return answer;
  }

  private void answerBarriers(KafkaConsumer<String, byte[]> c) {
    if (!asked.isEmpty()) {
      List<java.util.concurrent.CompletableFuture<Boolean>> taken = new ArrayList<>();
      for (var next = asked.poll(); next != null; next = asked.poll()) {
        if (!next.isDone()) {
          taken.add(next); // a question whose caller gave up is not worth a round trip
        }
      }
      if (!taken.isEmpty()) {
        try {
          // bounded: this thread also applies the records, and must not stall for the client's default minute
          Map<TopicPartition, Long> ends = new HashMap<>(c.endOffsets(c.assignment(), END_OFFSETS_LIMIT));
          taken.forEach(answer -> barriers.add(new Barrier(ends, answer)));
        } catch (org.apache.kafka.common.errors.TimeoutException brokerAway) {
          taken.forEach(answer -> answer.complete(false)); // cannot tell: the caller says "retry"
        }
      }
    }
    if (barriers.isEmpty()) {
      return;
    }
    Map<TopicPartition, Long> positions = new HashMap<>();
    for (TopicPartition tp : c.assignment()) {
      positions.put(tp, c.position(tp)); // a stuck record holds its partition's position before it
    }
    barriers.removeIf(b -> {
      if (b.answer().isDone()) {
        return true;
      }
      boolean current = b.ends().entrySet().stream()
          .allMatch(e -> positions.getOrDefault(e.getKey(), 0L) >= e.getValue());
      if (current) {
        b.answer().complete(true);
      }
      return current;
    });
  }

  /** Waits before a retry; close() ends the wait at once. */
  private void pause(long millis) {
    try {
      stopping.await(millis, TimeUnit.MILLISECONDS);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      running = false;
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
    sink.apply(topic, key, value); // first: a record that fails is not marked as applied
    appliedOffsets.put(slot, offset);
  }

  /**
   * True once every record that existed at start has been applied, while the reader runs, no record is stuck, and
   * nothing known has waited longer than {@link #maxBehind}.
   */
  public boolean ready() {
    long behindSince = behindSinceNanos;
    boolean behind = behindSince != 0 && System.nanoTime() - behindSince > maxBehind.toNanos();
    return caughtUp.getCount() == 0 && !recovering && stuck.isEmpty() && !behind && running && thread != null
        && thread.isAlive();
  }

  /** The last error the reader met (null when none); for diagnostics. */
  public Throwable lastFailure() {
    return lastFailure;
  }

  public boolean awaitCaughtUp(Duration timeout) throws InterruptedException {
    return caughtUp.await(timeout.toMillis(), TimeUnit.MILLISECONDS);
  }

  @Override
  public void close() {
    running = false;
    stopping.countDown();
    KafkaConsumer<String, byte[]> c = consumer;
    if (c != null) {
      c.wakeup();
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
