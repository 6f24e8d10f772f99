package io.storystream.ingress.http;

import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.function.BooleanSupplier;
import java.util.function.Supplier;

/** Unauthenticated operations routes of the tenant port: health probes, Prometheus metrics, the OpenAPI document. */
public final class OpsRoutes {
  private OpsRoutes() {}

  public static List<Route> routes(Map<String, BooleanSupplier> readiness, HttpMetrics metrics,
                                   Supplier<Object> openApi) {
    return List.of(
        Route.get("/health/live").doc("live", "The process is up").reply(200, "alive")
            .handle(ctx -> Json.write(ctx, 200, Map.of("status", "up"))),
        Route.get("/health/ready").doc("ready", "Ready only when Kafka, S3 and the local stores are")
            .reply(200, "ready").reply(503, "not ready", "application/json")
            .handle(ctx -> {
              Map<String, String> checks = new LinkedHashMap<>();
              boolean ready = true;
              for (var check : readiness.entrySet()) {
                boolean ok;
                try {
                  ok = check.getValue().getAsBoolean();
                } catch (RuntimeException e) {
                  ok = false;
                }
                checks.put(check.getKey(), ok ? "up" : "down");
                ready &= ok;
              }
              Json.write(ctx, ready ? 200 : 503, Map.of("status", ready ? "up" : "down", "checks", checks));
            }),
        Route.get("/metrics").doc("metrics", "Prometheus metrics").reply(200, "metrics", "text/plain")
            .handle(ctx -> ctx.contentType("text/plain; version=0.0.4; charset=utf-8").result(metrics.scrape())),
        Route.get("/openapi.json").doc("openapi", "This API's OpenAPI 3.1 document").reply(200, "the document")
            .handle(ctx -> Json.write(ctx, 200, openApi.get())));
  }
}
