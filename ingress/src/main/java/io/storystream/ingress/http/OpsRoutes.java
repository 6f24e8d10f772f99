package io.storystream.ingress.http;

import io.storystream.ingress.api.OpsBodies;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.function.BooleanSupplier;
import java.util.function.Supplier;

/**
 * Unauthenticated routes of the tenant port: health probes for a load balancer (they name checks, never a tenant)
 * and the OpenAPI document. Metrics are not here: they name every tenant, so they live on the management port.
 */
public final class OpsRoutes {
  private OpsRoutes() {}

  public static List<Route> routes(Map<String, BooleanSupplier> readiness, Supplier<Object> openApi) {
    return List.of(
        Route.get("/health/live").doc("live", "The process is up").returns(200, "alive", OpsBodies.Liveness.class)
            .handle(ctx -> Json.write(ctx, 200, new OpsBodies.Liveness("up"))),
        Route.get("/health/ready").doc("ready", "Ready only when Kafka, S3 and the local stores are")
            .returns(200, "ready", OpsBodies.Readiness.class).returns(503, "not ready", OpsBodies.Readiness.class)
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
              Json.write(ctx, ready ? 200 : 503, new OpsBodies.Readiness(ready ? "up" : "down", checks));
            }),
        Route.get("/openapi.json").doc("openapi", "This API's OpenAPI 3.1 document")
            .returns(200, "the document (its schema: OpenApiDocument)",
                com.fasterxml.jackson.databind.node.ObjectNode.class)
            .handle(ctx -> Json.write(ctx, 200, openApi.get())));
  }
}
