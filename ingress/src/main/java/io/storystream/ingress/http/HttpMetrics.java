package io.storystream.ingress.http;

import io.micrometer.core.instrument.Timer;
import io.micrometer.prometheusmetrics.PrometheusConfig;
import io.micrometer.prometheusmetrics.PrometheusMeterRegistry;
import java.time.Duration;

/**
 * Prometheus metrics of the HTTP APIs: a latency histogram per tenant, route template, method and status (tenant ids
 * are few and operator-made, so they are a safe label; paths are templates, never raw ids).
 */
public final class HttpMetrics {
  private final PrometheusMeterRegistry registry = new PrometheusMeterRegistry(PrometheusConfig.DEFAULT);

  public PrometheusMeterRegistry registry() {
    return registry;
  }

  public void record(String server, String tenant, String method, String route, int status, long nanos) {
    Timer.builder("storystream_http_requests")
        .description("HTTP requests by tenant, route and status")
        .tag("server", server)
        .tag("tenant", tenant == null ? "none" : tenant)
        .tag("method", method)
        .tag("route", route)
        .tag("status", Integer.toString(status))
        .publishPercentileHistogram()
        .minimumExpectedValue(Duration.ofMillis(1))
        .maximumExpectedValue(Duration.ofSeconds(60))
        .register(registry)
        .record(Duration.ofNanos(nanos));
  }

  public String scrape() {
    return registry.scrape();
  }
}
