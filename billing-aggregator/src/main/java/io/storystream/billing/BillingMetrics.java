package io.storystream.billing;

import io.micrometer.core.instrument.Counter;
import io.micrometer.core.instrument.Gauge;
import io.micrometer.core.instrument.MeterRegistry;
import io.micrometer.core.instrument.Timer;
import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import java.time.Clock;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;

/**
 * What the aggregator reports on the management port. No series has a tenant label: lag is labelled by plan, dead
 * letters by reason, so the series count is bounded by the price book's plans and the fixed reasons.
 * <ul>
 *   <li>{@code storystream_billing_lag_seconds{plan}}: from a usage event being logged to the first statement
 *       revision that counts it (the longest wait of the events a revision takes in);</li>
 *   <li>{@code storystream_billing_unbilled_oldest_seconds}: how long the oldest counted event not yet on a statement
 *       has waited (grows when statements stop);</li>
 *   <li>{@code storystream_billing_usage_events_total{outcome}}: counted, duplicate, too_late, invalid;</li>
 *   <li>{@code storystream_dead_letters_total{source="billing",reason}}.</li>
 * </ul>
 * Figures are per process and in memory: a restart starts them again (Prometheus' rate() copes with that).
 */
public final class BillingMetrics {
  private final MeterRegistry registry;
  private final Clock clock;
  /** tenantId:yyyy-MM → when its oldest event not yet on a statement was logged (epoch ms). */
  private final Map<String, Long> unbilledSince = new ConcurrentHashMap<>();
  private final Map<String, Counter> outcomes = new ConcurrentHashMap<>();

  public BillingMetrics(MeterRegistry registry, Clock clock) {
    this.registry = registry;
    this.clock = clock;
    Gauge.builder("storystream_billing_unbilled_oldest_seconds", this, BillingMetrics::oldestUnbilledSeconds)
        .description("Age of the oldest counted usage event that no statement includes yet")
        .register(registry);
    // the dead-letter series exist from the start at 0, so a scrape lists them and alerts see the first one
    for (String reason : List.of(BillingTopology.INVALID_EVENT, BillingTopology.TOO_LATE)) {
      deadLetterCounter(reason);
    }
  }

  /** Records into a registry nobody scrapes (tests of the topology alone). */
  public static BillingMetrics none() {
    return new BillingMetrics(new SimpleMeterRegistry(), Clock.systemUTC());
  }

  void counted(String monthKey, long loggedAt) {
    unbilledSince.merge(monthKey, loggedAt, Math::min);
    outcome("counted");
  }

  void outcome(String outcome) {
    // one look-up per event on the stream thread: the counters are kept once registered
    outcomes.computeIfAbsent(outcome, o -> Counter.builder("storystream_billing_usage_events")
        .description("Usage events by what metering did with them").tag("outcome", o).register(registry))
        .increment();
  }

  void deadLettered(String reason) {
    deadLetterCounter(reason).increment();
  }

  private Counter deadLetterCounter(String reason) {
    return Counter.builder("storystream_dead_letters").description("Records sent to the dead-letter topic")
        .tag("source", "billing").tag("reason", reason).register(registry);
  }

  /** A statement revision was issued for the month: its events are billed now. */
  void issued(String monthKey, String plan, long issuedAt) {
    Long since = unbilledSince.remove(monthKey);
    if (since != null) {
      Timer.builder("storystream_billing_lag").description("Usage event logged → first statement that counts it")
          .tag("plan", plan).publishPercentileHistogram()
          .minimumExpectedValue(Duration.ofSeconds(1)).maximumExpectedValue(Duration.ofHours(2))
          .register(registry).record(Duration.ofMillis(Math.max(0, issuedAt - since)));
    }
  }

  /** A settled month with nothing new to bill: nothing waits for it any more. */
  void settled(String monthKey) {
    unbilledSince.remove(monthKey);
  }

  private double oldestUnbilledSeconds() {
    long now = clock.millis();
    return unbilledSince.values().stream().mapToLong(since -> Math.max(0, now - since)).max().orElse(0) / 1000.0;
  }
}
