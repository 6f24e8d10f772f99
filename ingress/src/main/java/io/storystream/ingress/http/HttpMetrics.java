package io.storystream.ingress.http;

import io.micrometer.core.instrument.Counter;
import io.storystream.common.ops.HttpServerMetrics;
import io.storystream.common.ops.Management;

/**
 * Prometheus metrics of the HTTP APIs, recorded into the process's {@link Management} registry and served only on the
 * management port. Two families keep the series count bounded:
 * <ul>
 *   <li>{@code storystream_http_requests_seconds}: a latency histogram per server, route template, method and status
 *       (paths are templates, never raw ids), without a tenant label;</li>
 *   <li>{@code storystream_tenant_requests_total}: a plain counter per server, tenant, route template and status
 *       class ({@code 2xx}, {@code 4xx}, {@code 5xx}), where the tenant label is bounded by
 *       {@link io.storystream.common.ops.TenantLabels} ({@code --metrics-max-tenants}, tenants past the limit share
 *       {@code _other}).</li>
 * </ul>
 */
public final class HttpMetrics {
  private final Management management;

  public HttpMetrics(Management management) {
    this.management = management;
  }

  public void record(String server, String tenant, String method, String route, int status, long nanos) {
    HttpServerMetrics.record(management.registry(), server, method, route, status, nanos);
    Counter.builder("storystream_tenant_requests")
        .description("HTTP requests by tenant (bounded label), route and status class")
        .tag("server", server)
        .tag("tenant", management.tenantLabels().label(tenant))
        .tag("route", route)
        .tag("status", (status / 100) + "xx")
        .register(management.registry())
        .increment();
  }
}
