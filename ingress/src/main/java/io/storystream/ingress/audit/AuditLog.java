package io.storystream.ingress.audit;

import io.storystream.common.kafka.KafkaSettings;
import io.storystream.common.http.ProblemException;
import io.storystream.ingress.kafka.TopicMirror;
import io.storystream.schemas.AuditEvent;
import io.storystream.schemas.topics.TenantPartitioner;
import io.storystream.schemas.topics.TopicSerdes;
import io.storystream.schemas.topics.Topics;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Properties;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.Semaphore;
import java.util.concurrent.TimeUnit;
import org.apache.kafka.clients.consumer.ConsumerConfig;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.clients.consumer.OffsetAndTimestamp;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.common.serialization.Deserializer;

/**
 * The audit queries, answered from the {@code audit} topic itself: the tenant's partition is read from the offset of
 * {@code from} (found by the record timestamps, with {@link #SLACK} to spare) up to {@code to} or the limit, and
 * nothing of the trail is kept on the heap. The 400-day topic grows with every call; this instance's memory does not.
 * A query holds one short-lived consumer and at most {@code limit} events; at most {@link #CONCURRENT_QUERIES} run at
 * once, a further one is answered 503.
 *
 * <p>As a by-product of following the topic ({@link TopicMirror.Sink}) it keeps the last successful use of each key
 * (every authenticated call is audited, so the audit topic is the record of key use: nothing extra is written on the
 * request path, and no instance overwrites another's key record). That map grows with the number of keys, not with
 * the trail.
 */
public final class AuditLog implements TopicMirror.Sink {
  /** Record timestamps trail {@code occurredAt} (the publish happens after it; refusals are published a minute late). */
  static final Duration SLACK = Duration.ofMinutes(5);
  static final int CONCURRENT_QUERIES = 4;
  private static final Duration READ_TIMEOUT = Duration.ofSeconds(30);

  private final Map<String, Instant> lastUsedByKey = new ConcurrentHashMap<>();
  private final Deserializer<AuditEvent> reader;
  private final KafkaSettings kafka;
  private final Semaphore queries = new Semaphore(CONCURRENT_QUERIES);

  public AuditLog(TopicSerdes serdes, KafkaSettings kafka) {
    this.reader = serdes.value(Topics.AUDIT).deserializer();
    this.kafka = kafka;
  }

  @Override
  public void apply(String topic, String key, byte[] value) {
    if (value == null) {
      return;
    }
    AuditEvent event = reader.deserialize(topic, value);
    if (event.getKeyId() != null && "success".equals(event.getOutcome())) {
      lastUsedByKey.merge(event.getKeyId(), event.getOccurredAt(), (a, b) -> a.isAfter(b) ? a : b);
    }
  }

  /**
   * The tenant's events with {@code from <= occurredAt < to}, at most {@code limit} (the first ones in log order),
   * in the order of {@code occurredAt}.
   */
  public List<AuditEvent> query(String tenantId, Instant from, Instant to, int limit) {
    boolean admitted;
    try {
      admitted = queries.tryAcquire(5, TimeUnit.SECONDS);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      admitted = false;
    }
    if (!admitted) {
      throw new ProblemException(503, "unavailable", "Service unavailable", "too many audit queries at once; retry");
    }
    try {
      List<AuditEvent> found = read(tenantId, from, to, limit);
      // in the order things happened: a submit's event is derived from its request record a moment after the call
      // (and refusals are published after their minute), so log order can trail time order; ties keep log order
      found.sort(java.util.Comparator.comparing(AuditEvent::getOccurredAt));
      return found;
    } finally {
      queries.release();
    }
  }

  private List<AuditEvent> read(String tenantId, Instant from, Instant to, int limit) {
    Properties props = kafka.consumer(null);
    props.put(ConsumerConfig.MAX_POLL_RECORDS_CONFIG, 500);
    props.put(ConsumerConfig.CLIENT_ID_CONFIG, "ingress-audit-query");
    List<AuditEvent> found = new ArrayList<>();
    try (KafkaConsumer<String, byte[]> consumer = new KafkaConsumer<>(props)) {
      int partitions = consumer.partitionsFor(Topics.AUDIT.name(), READ_TIMEOUT).size();
      TopicPartition partition = new TopicPartition(Topics.AUDIT.name(),
          TenantPartitioner.partition(tenantId, partitions));
      consumer.assign(List.of(partition));
      long end = consumer.endOffsets(List.of(partition), READ_TIMEOUT).get(partition);
      long start = startOffset(consumer, partition, from);
      if (start >= end) {
        return found;
      }
      consumer.seek(partition, start);
      long stopAfter = to.equals(Instant.MAX) ? Long.MAX_VALUE : to.plus(SLACK).toEpochMilli();
      long deadline = System.nanoTime() + READ_TIMEOUT.toNanos();
      while (consumer.position(partition) < end && System.nanoTime() < deadline) {
        for (ConsumerRecord<String, byte[]> r : consumer.poll(Duration.ofMillis(200))) {
          if (r.offset() >= end || r.timestamp() > stopAfter) {
            return found;
          }
          if (!tenantId.equals(r.key()) || r.value() == null) {
            continue; // the partition is shared with other tenants
          }
          AuditEvent e = reader.deserialize(r.topic(), r.value());
          if (!e.getOccurredAt().isBefore(from) && e.getOccurredAt().isBefore(to)) {
            found.add(e);
            if (found.size() >= limit) {
              return found;
            }
          }
        }
      }
    }
    return found;
  }

  private static long startOffset(KafkaConsumer<String, byte[]> consumer, TopicPartition partition, Instant from) {
    if (!from.isAfter(Instant.EPOCH.plus(SLACK))) {
      return consumer.beginningOffsets(List.of(partition), READ_TIMEOUT).get(partition);
    }
    OffsetAndTimestamp at = consumer.offsetsForTimes(Map.of(partition, from.minus(SLACK).toEpochMilli()), READ_TIMEOUT)
        .get(partition);
    return at == null ? Long.MAX_VALUE : at.offset();
  }

  public Optional<Instant> lastUsed(String keyId) {
    return Optional.ofNullable(lastUsedByKey.get(keyId));
  }
}
