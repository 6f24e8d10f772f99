package io.storystream.common.ops;

import io.micrometer.core.instrument.binder.jvm.JvmGcMetrics;
import io.micrometer.core.instrument.binder.jvm.JvmMemoryMetrics;
import io.micrometer.core.instrument.binder.jvm.JvmThreadMetrics;
import io.micrometer.core.instrument.binder.system.ProcessorMetrics;
import io.micrometer.prometheusmetrics.PrometheusConfig;
import io.micrometer.prometheusmetrics.PrometheusMeterRegistry;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.function.BooleanSupplier;

/**
 * What the management port shows for every service of one process: one Prometheus registry they all record into,
 * and their named readiness checks. Each service registers its checks under its own prefix ({@code ingress.kafka},
 * {@code billing.streams}, {@code worker.loop}), so one process running several services has one port and one
 * readiness answer that names the part that is not ready.
 *
 * <p>Nothing here is served on a tenant port: it lists tenant ids and every tenant's request counts, which is the
 * operator's business only ({@link ManagementServer} binds to 127.0.0.1 or an internal network).
 */
public final class Management {
  private final PrometheusMeterRegistry registry = new PrometheusMeterRegistry(PrometheusConfig.DEFAULT);
  private final Map<String, BooleanSupplier> checks = new LinkedHashMap<>();
  private final TenantLabels tenantLabels;
  private final java.util.List<Runnable> beforeScrape = new java.util.concurrent.CopyOnWriteArrayList<>();

  public Management() {
    this(TenantLabels.DEFAULT_LIMIT);
  }

  /** @param maxTenantLabels how many distinct tenant ids get their own label before the rest share one */
  public Management(int maxTenantLabels) {
    this.tenantLabels = new TenantLabels(maxTenantLabels);
    new JvmMemoryMetrics().bindTo(registry);
    new JvmThreadMetrics().bindTo(registry);
    new ProcessorMetrics().bindTo(registry);
    @SuppressWarnings("resource") // lives as long as the process
    JvmGcMetrics gc = new JvmGcMetrics();
    gc.bindTo(registry);
  }

  public PrometheusMeterRegistry registry() {
    return registry;
  }

  /** The bounded tenant label every per-tenant series must use. */
  public TenantLabels tenantLabels() {
    return tenantLabels;
  }

  /** Adds (or replaces) a readiness check; a check that throws counts as not ready. */
  public synchronized Management readiness(String name, BooleanSupplier check) {
    checks.put(name, check);
    return this;
  }

  public synchronized void removeReadiness(String name) {
    checks.remove(name);
  }

  /** Each check's state, in registration order, and whether all are up. */
  public Readiness readiness() {
    Map<String, BooleanSupplier> copy;
    synchronized (this) {
      copy = new LinkedHashMap<>(checks);
    }
    Map<String, Boolean> states = new LinkedHashMap<>();
    copy.forEach((name, check) -> {
      boolean ok;
      try {
        ok = check.getAsBoolean();
      } catch (RuntimeException e) {
        ok = false;
      }
      states.put(name, ok);
    });
    return new Readiness(states);
  }

  /** Runs {@code refresh} before every scrape: gauges computed from a whole table (per-plan sums). */
  public void beforeScrape(Runnable refresh) {
    beforeScrape.add(refresh);
  }

  public String scrape() {
    for (Runnable refresh : beforeScrape) {
      try {
        refresh.run();
      } catch (RuntimeException e) {
        // a gauge that cannot be computed now keeps its last value; the scrape itself still answers
      }
    }
    return registry.scrape();
  }

  /** The outcome of every readiness check; ready only when there is at least one and all are up. */
  public record Readiness(Map<String, Boolean> checks) {
    public boolean ready() {
      return !checks.isEmpty() && checks.values().stream().allMatch(Boolean::booleanValue);
    }
  }
}
