package io.storystream.common.ops;

import io.javalin.config.JavalinConfig;
import io.javalin.http.Context;
import io.javalin.router.Endpoint;
import io.micrometer.core.instrument.MeterRegistry;
import io.micrometer.core.instrument.Timer;
import java.time.Duration;

/**
 * The one latency histogram of every HTTP server storystream runs ({@code storystream_http_requests_seconds}, labels
 * {@code server}, {@code method}, {@code route}, {@code status}). The route is the path template
 * ({@code /tenants/{tenantId}/usage}), never the raw path, so ids never become label values and the series count is
 * bounded by the routes × statuses of each server.
 */
public final class HttpServerMetrics {
  public static final String TIMER = "storystream_http_requests";
  private static final String STARTED = "storystream.metrics.started";

  private HttpServerMetrics() {}

  /** Times every request of a Javalin server under {@code server}. */
  public static void install(JavalinConfig cfg, MeterRegistry registry, String server) {
    cfg.routes.before(ctx -> ctx.attribute(STARTED, System.nanoTime()));
    cfg.routes.after(ctx -> {
      Long started = ctx.attribute(STARTED);
      record(registry, server, ctx.method().name(), route(ctx), ctx.statusCode(),
          started == null ? 0 : System.nanoTime() - started);
    });
  }

  public static void record(MeterRegistry registry, String server, String method, String route, int status,
      long nanos) {
    Timer.builder(TIMER)
        .description("HTTP requests by server, route template and status")
        .tag("server", server)
        .tag("method", method)
        .tag("route", route)
        .tag("status", Integer.toString(status))
        .publishPercentileHistogram()
        .minimumExpectedValue(Duration.ofMillis(1))
        .maximumExpectedValue(Duration.ofSeconds(60))
        .register(registry)
        .record(Duration.ofNanos(nanos));
  }

  private static String route(Context ctx) {
    Endpoint matched = ctx.endpoints().matchedHttpEndpoint();
    return matched == null ? "unmatched" : matched.path;
  }
}
