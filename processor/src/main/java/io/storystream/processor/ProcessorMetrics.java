package io.storystream.processor;

import io.micrometer.core.instrument.Counter;
import io.micrometer.core.instrument.MeterRegistry;
import io.micrometer.core.instrument.Timer;
import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import io.storystream.datastorybot.client.CallObserver;
import io.storystream.processor.admission.DeadLetters;
import java.time.Duration;
import java.util.List;

/**
 * The processor's own series on the management port; none has a tenant label (a tenant's figures are on its usage
 * endpoint), so each is bounded by its fixed label values:
 * <ul>
 *   <li>{@code storystream_datastorybot_calls_seconds{step,outcome}}: every HTTP attempt to DataStoryBot, step one of
 *       upload, analyze, refine, download; outcome one of {@link CallObserver#outcomeOf}'s six;</li>
 *   <li>{@code storystream_dead_letters_total{source,reason}}: source admission or worker;</li>
 *   <li>{@code storystream_webhook_deliveries_total{outcome}}: delivered, retrying, failed.</li>
 * </ul>
 */
public final class ProcessorMetrics {
  private final MeterRegistry registry;

  public ProcessorMetrics(MeterRegistry registry) {
    this.registry = registry;
    // Every series with fixed label values exists from the start at 0: a scrape lists them before the first dead
    // letter or delivery, and rate()/increase() in the alert rules see the first one as a change.
    for (String source : List.of("admission", "worker")) {
      for (String reason : List.of(DeadLetters.DESERIALIZATION_FAILED, DeadLetters.PROCESSING_FAILED)) {
        deadLetterCounter(registry, source, reason);
      }
    }
    for (String outcome : List.of("delivered", "retrying", "failed")) {
      webhookCounter(outcome);
    }
  }

  /** Records into a registry nobody scrapes (tests and benchmarks of one part). */
  public static ProcessorMetrics none() {
    return new ProcessorMetrics(new SimpleMeterRegistry());
  }

  public MeterRegistry registry() {
    return registry;
  }

  public CallObserver datastorybotCalls() {
    return (step, outcome, nanos) -> Timer.builder("storystream_datastorybot_calls")
        .description("HTTP attempts to DataStoryBot by step and outcome")
        .tag("step", step).tag("outcome", outcome)
        .publishPercentileHistogram()
        .minimumExpectedValue(Duration.ofMillis(5)).maximumExpectedValue(Duration.ofMinutes(5))
        .register(registry).record(Duration.ofNanos(nanos));
  }

  public void deadLettered(String source, String reason) {
    deadLettered(registry, source, reason);
  }

  /** The one dead-letter counter of every part (billing has its own copy of the name: it does not see this class). */
  public static void deadLettered(MeterRegistry registry, String source, String reason) {
    deadLetterCounter(registry, source, reason).increment();
  }

  private static Counter deadLetterCounter(MeterRegistry registry, String source, String reason) {
    return Counter.builder("storystream_dead_letters").description("Records sent to the dead-letter topic")
        .tag("source", source).tag("reason", reason).register(registry);
  }

  public void webhookDelivery(String outcome) {
    webhookCounter(outcome).increment();
  }

  private Counter webhookCounter(String outcome) {
    return Counter.builder("storystream_webhook_deliveries").description("Webhook delivery attempts by outcome")
        .tag("outcome", outcome).register(registry);
  }
}
