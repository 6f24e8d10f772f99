package io.storystream.ingress.jobs;

import io.micrometer.core.instrument.Counter;
import io.micrometer.core.instrument.MeterRegistry;
import io.micrometer.core.instrument.MultiGauge;
import io.micrometer.core.instrument.Tags;
import io.micrometer.core.instrument.Timer;
import io.storystream.ingress.auth.Directory;
import io.storystream.ingress.billing.QuotaBook;
import io.storystream.schemas.AnalysisStatus;
import io.storystream.schemas.JobState;
import io.storystream.schemas.QuotaUsage;
import io.storystream.schemas.Tenant;
import java.time.Clock;
import java.time.Duration;
import java.time.YearMonth;
import java.time.ZoneOffset;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.TreeMap;

/**
 * The jobs' series on the management port, from the two places the ingress sees every job: the job-status view
 * (each transition it applies, once: stale and replayed transitions are not applied) and the quota figures
 * admission publishes. Labels are the job state, its reason (fixed sets: rejection and failure reasons) and the
 * tenant's plan, never the tenant: the series count is bounded by states × reasons and by the number of plans.
 * <ul>
 *   <li>{@code storystream_jobs_total{state,reason}}: transitions applied;</li>
 *   <li>{@code storystream_queue_wait_seconds{plan}}: submitted → running;</li>
 *   <li>{@code storystream_cache_requests_total{plan,result}}: {@code hit} (completed from the cache) or {@code miss}
 *       (admitted to run while the plan caches);</li>
 *   <li>{@code storystream_queue_depth{plan}}, {@code storystream_jobs_running{plan}}: this month's queued and
 *       running jobs of the plan's tenants;</li>
 *   <li>{@code storystream_quota_used_units{plan}}, {@code storystream_quota_used_ratio_max{plan}} (the fullest
 *       tenant's used+reserved ÷ limit), {@code storystream_quota_exhausted_tenants{plan}}.</li>
 * </ul>
 */
public final class JobMetrics {
  static final String UNKNOWN_PLAN = "unknown";

  private final MeterRegistry registry;
  private final Directory directory;
  private final QuotaBook quotas;
  private final Clock clock;
  private final MultiGauge queueDepth;
  private final MultiGauge running;
  private final MultiGauge quotaUsed;
  private final MultiGauge quotaRatio;
  private final MultiGauge quotaExhausted;

  public JobMetrics(MeterRegistry registry, Directory directory, QuotaBook quotas, Clock clock) {
    this.registry = registry;
    this.directory = directory;
    this.quotas = quotas;
    this.clock = clock;
    queueDepth = MultiGauge.builder("storystream_queue_depth")
        .description("Jobs queued behind their plan's concurrency cap, this month").register(registry);
    running = MultiGauge.builder("storystream_jobs_running")
        .description("Jobs running, by the tenant's plan, this month").register(registry);
    quotaUsed = MultiGauge.builder("storystream_quota_used_units")
        .description("Analyses used this month by the plan's tenants").register(registry);
    quotaRatio = MultiGauge.builder("storystream_quota_used_ratio_max")
        .description("The fullest tenant of the plan: (used + reserved) / monthly limit").register(registry);
    quotaExhausted = MultiGauge.builder("storystream_quota_exhausted_tenants")
        .description("Tenants of the plan with no analysis left this month").register(registry);
  }

  /** One transition the job-status view applied. */
  public void transition(AnalysisStatus status) {
    JobState state = status.getState();
    String reason = status.getReason() == null ? "none" : status.getReason();
    Counter.builder("storystream_jobs").description("Job state transitions by state and reason")
        .tag("state", state.name().toLowerCase(Locale.ROOT)).tag("reason", reason)
        .register(registry).increment();
    String plan = planOf(status.getTenantId());
    if (state == JobState.RUNNING && status.getStartedAt() != null && status.getSubmittedAt() != null) {
      Timer.builder("storystream_queue_wait").description("Submitted → running, by the tenant's plan")
          .tag("plan", plan).publishPercentileHistogram()
          .minimumExpectedValue(Duration.ofMillis(10)).maximumExpectedValue(Duration.ofHours(1))
          .register(registry)
          .record(Duration.ofMillis(Math.max(0, status.getStartedAt().toEpochMilli()
              - status.getSubmittedAt().toEpochMilli())));
    }
    if (state == JobState.COMPLETED && Boolean.TRUE.equals(status.getFromCache())) {
      cacheRequest(plan, "hit");
    } else if (state == JobState.ADMITTED && cacheEnabled(status.getTenantId())) {
      cacheRequest(plan, "miss");
    }
  }

  private void cacheRequest(String plan, String result) {
    Counter.builder("storystream_cache_requests").description("Cache look-ups of cache-enabled plans")
        .tag("plan", plan).tag("result", result).register(registry).increment();
  }

  /** Recomputes the per-plan gauges from the quota figures (called before each scrape). */
  public void refresh() {
    String month = YearMonth.now(clock.withZone(ZoneOffset.UTC)).toString();
    Map<String, long[]> byPlan = new TreeMap<>(); // plan → queued, running, used, exhausted
    Map<String, Double> fullest = new TreeMap<>();
    for (Tenant tenant : directory.tenants()) {
      String plan = tenant.getPlan() == null ? UNKNOWN_PLAN : tenant.getPlan();
      long[] sums = byPlan.computeIfAbsent(plan, p -> new long[4]);
      fullest.putIfAbsent(plan, 0.0);
      QuotaUsage usage = quotas.find(tenant.getTenantId(), month).orElse(null);
      if (usage == null) {
        continue;
      }
      sums[0] += usage.getQueued();
      sums[1] += usage.getRunning();
      sums[2] += usage.getUsed();
      long limit = usage.getAnalysesPerMonth();
      if (limit > 0) {
        double ratio = (double) (usage.getUsed() + usage.getReserved()) / limit;
        fullest.merge(plan, ratio, Math::max);
        if (usage.getUsed() + usage.getReserved() >= limit) {
          sums[3]++;
        }
      }
    }
    queueDepth.register(rows(byPlan, 0), true);
    running.register(rows(byPlan, 1), true);
    quotaUsed.register(rows(byPlan, 2), true);
    quotaExhausted.register(rows(byPlan, 3), true);
    List<MultiGauge.Row<?>> ratios = new ArrayList<>();
    fullest.forEach((plan, ratio) -> ratios.add(MultiGauge.Row.of(Tags.of("plan", plan), ratio)));
    quotaRatio.register(ratios, true);
  }

  private static List<MultiGauge.Row<?>> rows(Map<String, long[]> byPlan, int index) {
    List<MultiGauge.Row<?>> rows = new ArrayList<>();
    byPlan.forEach((plan, sums) -> rows.add(MultiGauge.Row.of(Tags.of("plan", plan), sums[index])));
    return rows;
  }

  private String planOf(String tenantId) {
    return directory.tenant(tenantId).map(Tenant::getPlan).orElse(UNKNOWN_PLAN);
  }

  private boolean cacheEnabled(String tenantId) {
    return directory.tenant(tenantId).map(t -> t.getLimits() != null && t.getLimits().getCacheEnabled())
        .orElse(false);
  }
}
