package io.storystream.ingress.audit;

import io.storystream.common.Ids;
import io.storystream.ingress.kafka.EventPublisher;
import io.storystream.schemas.AuditActor;
import io.storystream.schemas.AuditEvent;
import io.storystream.schemas.topics.Topics;
import java.time.Clock;
import java.time.Instant;
import java.time.temporal.ChronoUnit;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Publishes one {@code audit} event (key = tenant id) per access or change: who (tenant key or operator), what
 * (action, resource), the outcome and the request id. Never content. Events of one tenant from one instance keep
 * their order, because they share a partition and a producer; the ingress answers a call only once its event is
 * acknowledged, so a client's sequential calls are recorded in their order whichever instances serve them. The one
 * exception is an accepted submit: its {@code job.submit} event is derived from the request record (the submit's only
 * write) by the job-status topology, exactly once and a moment later; queries order events by {@code occurredAt}.
 *
 * <p>Refusals ({@code rate_limited}, {@code denied}: a flood past the rate limit, a revoked or expired key) are not one
 * event per call: {@link #refusal} counts them per tenant, key, action, outcome and status within a minute, and one
 * event per such group ({@code count}, {@code occurredAt} = the minute's start, the first call's request id) is
 * published once the minute is over (checked every {@link #FLUSH_EVERY_SECONDS} s, and on close). The groups held are
 * bounded by {@link #MAX_GROUPS}: past it, the oldest groups are published early.
 */
public final class AuditTrail implements AutoCloseable {
  static final int FLUSH_EVERY_SECONDS = 5;
  static final int MAX_GROUPS = 50_000;

  private static final Logger log = LoggerFactory.getLogger(AuditTrail.class);

  private final EventPublisher publisher;
  private final Clock clock;
  private final AtomicLong failures = new AtomicLong();
  private final Map<RefusalGroup, Refusals> refusals = new ConcurrentHashMap<>();
  private final ScheduledExecutorService flusher;

  /** One key's refusals of one kind in one minute. */
  private record RefusalGroup(String tenantId, String keyId, AuditActor actor, String action, String outcome,
                              Integer httpStatus, Instant minute) {}

  private static final class Refusals {
    final String firstRequestId;
    int count;

    Refusals(String firstRequestId) {
      this.firstRequestId = firstRequestId;
    }
  }

  public AuditTrail(EventPublisher publisher, Clock clock) {
    this.publisher = publisher;
    this.clock = clock;
    this.flusher = Executors.newSingleThreadScheduledExecutor(r -> {
      Thread t = new Thread(r, "audit-refusals");
      t.setDaemon(true);
      return t;
    });
    flusher.scheduleWithFixedDelay(() -> flush(false), FLUSH_EVERY_SECONDS, FLUSH_EVERY_SECONDS, TimeUnit.SECONDS);
  }

  /** Whether a response of this status is a refusal that is aggregated rather than recorded one by one. */
  public static boolean aggregated(int httpStatus) {
    return httpStatus == 429 || httpStatus == 401;
  }

  /** Counts a refused call into its minute's group; published when the minute is over. */
  public void refusal(Entry e) {
    Instant minute = clock.instant().truncatedTo(ChronoUnit.MINUTES);
    RefusalGroup group = new RefusalGroup(e.tenantId(), e.keyId(), e.actor(), e.action(), e.outcome(), e.httpStatus(),
        minute);
    refusals.compute(group, (g, r) -> {
      Refusals counted = r == null ? new Refusals(e.requestId()) : r;
      counted.count++;
      return counted;
    });
    if (refusals.size() > MAX_GROUPS) {
      flush(true);
    }
  }

  /** Publishes the groups of minutes that are over (all of them when {@code everything}). */
  synchronized List<CompletableFuture<?>> flush(boolean everything) {
    Instant thisMinute = clock.instant().truncatedTo(ChronoUnit.MINUTES);
    List<CompletableFuture<?>> sent = new ArrayList<>();
    for (RefusalGroup g : List.copyOf(refusals.keySet())) {
      if (!everything && !g.minute().isBefore(thisMinute)) {
        continue;
      }
      Refusals r = refusals.remove(g);
      if (r == null) {
        continue;
      }
      sent.add(publish(new Entry(g.tenantId(), g.keyId(), g.actor(), g.action(), null, g.outcome(), g.httpStatus(),
          r.firstRequestId), g.minute(), r.count));
    }
    return sent;
  }

  /** Publishes every refusal counted so far, whether or not its minute is over (shutdown, tests). */
  public void publishRefusals() {
    flush(true);
  }

  /** Publishes what is still counted and stops the flusher. */
  @Override
  public void close() {
    flusher.shutdownNow();
    for (CompletableFuture<?> f : flush(true)) {
      try {
        f.get(5, TimeUnit.SECONDS);
      } catch (Exception e) {
        // logged and counted by publish()
      }
    }
  }

  /** One audit record; {@code keyId} is null for the operator and the system. */
  public record Entry(String tenantId, String keyId, AuditActor actor, String action, String resourceId,
                      String outcome, Integer httpStatus, String requestId) {}

  /** Publishes the event; the future completes when the broker has it (or with the publishing error). */
  public CompletableFuture<?> record(Entry e) {
    return publish(e, clock.instant(), null);
  }

  private CompletableFuture<?> publish(Entry e, Instant occurredAt, Integer count) {
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
        .setOccurredAt(occurredAt)
        .setCount(count)
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
