package io.storystream.ingress.audit;

import io.storystream.common.Ids;
import io.storystream.ingress.kafka.EventPublisher;
import io.storystream.schemas.AuditActor;
import io.storystream.schemas.AuditEvent;
import io.storystream.schemas.topics.Topics;
import java.time.Clock;
import java.util.concurrent.atomic.AtomicLong;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Publishes one {@code audit} event (key = tenant id) per access or change: who (tenant key or operator), what
 * (action, resource), the outcome and the request id. Never content. Events of one tenant from one instance keep
 * their order, because they share a partition and a producer; the ingress answers a call only once its event is
 * acknowledged, so a client's sequential calls are recorded in their order whichever instances serve them.
 */
public final class AuditTrail {
  private static final Logger log = LoggerFactory.getLogger(AuditTrail.class);

  private final EventPublisher publisher;
  private final Clock clock;
  private final AtomicLong failures = new AtomicLong();

  public AuditTrail(EventPublisher publisher, Clock clock) {
    this.publisher = publisher;
    this.clock = clock;
  }

  /** One audit record; {@code keyId} is null for the operator and the system. */
  public record Entry(String tenantId, String keyId, AuditActor actor, String action, String resourceId,
                      String outcome, Integer httpStatus, String requestId) {}

  /** Publishes the event; the future completes when the broker has it (or with the publishing error). */
  public java.util.concurrent.CompletableFuture<?> record(Entry e) {
    AuditEvent event = AuditEvent.newBuilder()
        .setEventId(Ids.newId("aud"))
        .setTenantId(e.tenantId())
        .setKeyId(e.keyId())
        .setActor(e.actor())
        .setAction(e.action())
        .setResourceType(resourceType(e.action()))
        .setResourceId(e.resourceId())
        .setOutcome(e.outcome())
        .setHttpStatus(e.httpStatus())
        .setRequestId(e.requestId())
        .setOccurredAt(clock.instant())
        .build();
    return publisher.send(Topics.AUDIT, e.tenantId(), event).whenComplete((m, error) -> {
      if (error != null) {
        failures.incrementAndGet();
        log.error("audit event {} of tenant {} ({}) not published: {}", event.getEventId(), e.tenantId(),
            e.action(), error.toString());
      }
    });
  }

  public long failures() {
    return failures.get();
  }

  /** The outcome word of an HTTP status. */
  public static String outcome(int status) {
    if (status < 400) {
      return "success";
    }
    return switch (status) {
      case 401, 403 -> "denied";
      case 404 -> "not_found";
      case 429 -> "rate_limited";
      default -> status >= 500 ? "error" : "invalid";
    };
  }

  static String resourceType(String action) {
    int dot = action.indexOf('.');
    return dot < 0 ? null : action.substring(0, dot);
  }
}
