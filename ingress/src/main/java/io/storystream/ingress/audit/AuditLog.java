package io.storystream.ingress.audit;

import io.storystream.ingress.kafka.TopicMirror;
import io.storystream.schemas.AuditEvent;
import io.storystream.schemas.topics.TopicSerdes;
import io.storystream.schemas.topics.Topics;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.ConcurrentHashMap;
import org.apache.kafka.common.serialization.Deserializer;

/**
 * This instance's copy of the {@code audit} topic, per tenant in log order, for the audit queries; and, as a by-product,
 * the last time each key was used (every authenticated call is audited, so the audit topic is the record of key
 * use: nothing extra is written on the request path, and no instance overwrites another's key record).
 */
public final class AuditLog implements TopicMirror.Sink {
  private final Map<String, List<AuditEvent>> byTenant = new ConcurrentHashMap<>();
  private final Map<String, Instant> lastUsedByKey = new ConcurrentHashMap<>();
  private final Deserializer<AuditEvent> reader;

  public AuditLog(TopicSerdes serdes) {
    this.reader = serdes.value(Topics.AUDIT).deserializer();
  }

  @Override
  public void apply(String topic, String key, byte[] value) {
    if (value == null) {
      return;
    }
    AuditEvent event = reader.deserialize(topic, value);
    List<AuditEvent> events = byTenant.computeIfAbsent(event.getTenantId(), t -> new ArrayList<>());
    synchronized (events) {
      events.add(event);
    }
    if (event.getKeyId() != null && "success".equals(event.getOutcome())) {
      lastUsedByKey.merge(event.getKeyId(), event.getOccurredAt(), (a, b) -> a.isAfter(b) ? a : b);
    }
  }

  /** The tenant's events with {@code from <= occurredAt < to}, in log order, at most {@code limit}. */
  public List<AuditEvent> query(String tenantId, Instant from, Instant to, int limit) {
    List<AuditEvent> events = byTenant.get(tenantId);
    if (events == null) {
      return List.of();
    }
    List<AuditEvent> found = new ArrayList<>();
    synchronized (events) {
      for (AuditEvent e : events) {
        if (!e.getOccurredAt().isBefore(from) && e.getOccurredAt().isBefore(to)) {
          found.add(e);
          if (found.size() >= limit) {
            break;
          }
        }
      }
    }
    return found;
  }

  public Optional<Instant> lastUsed(String keyId) {
    return Optional.ofNullable(lastUsedByKey.get(keyId));
  }
}
