package io.storystream.common.ops;

import com.fasterxml.jackson.core.JsonProcessingException;
import io.javalin.Javalin;
import io.javalin.http.Context;
import io.storystream.common.http.JsonMapper;
import io.storystream.common.http.ProblemException;
import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import io.storystream.common.http.Problems;
import java.util.LinkedHashMap;
import java.util.Map;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The management port (default {@value #DEFAULT_PORT}): {@code GET /metrics} (Prometheus text format),
 * {@code GET /health/live} and {@code GET /health/ready} for every service of the process. Metrics carry every
 * tenant's request counts, so the port binds to 127.0.0.1 unless told otherwise, is never published beyond the
 * operator's network, and {@code /metrics} answers only {@code Authorization: Bearer <metrics token>} (Prometheus:
 * {@code authorization: {credentials_file: …}}). The health probes name checks, never a tenant, and stay open for
 * orchestrators.
 */
public final class ManagementServer implements AutoCloseable {
  public static final int DEFAULT_PORT = 8084;
  private static final Logger log = LoggerFactory.getLogger(ManagementServer.class);

  private final Management management;
  private final Javalin app;

  private ManagementServer(Management management, Javalin app) {
    this.management = management;
    this.app = app;
  }

  /** @param metricsToken the bearer token {@code /metrics} requires; null or blank refuses every scrape */
  public static ManagementServer start(String host, int port, Management management, String metricsToken) {
    byte[] token = metricsToken == null || metricsToken.isBlank() ? null
        : metricsToken.trim().getBytes(StandardCharsets.UTF_8);
    Javalin app = Javalin.create(cfg -> {
      cfg.startup.showJavalinBanner = false;
      cfg.startup.showOldJavalinVersionWarning = false;
      Problems.install(cfg);
      HttpServerMetrics.install(cfg, management.registry(), "management");
      cfg.routes.get("/metrics", ctx -> {
        String auth = ctx.header("Authorization");
        byte[] presented = auth != null && auth.regionMatches(true, 0, "Bearer ", 0, 7)
            ? auth.substring(7).trim().getBytes(StandardCharsets.UTF_8) : new byte[0];
        if (token == null || !MessageDigest.isEqual(presented, token)) {
          ctx.header("WWW-Authenticate", "Bearer");
          throw new ProblemException(401, "invalid-metrics-token", "Metrics token required",
              "send the metrics token as 'Authorization: Bearer <token>'");
        }
        ctx.contentType("text/plain; version=0.0.4; charset=utf-8").result(management.scrape());
      });
      cfg.routes.get("/health/live", ctx -> json(ctx, 200, Map.of("status", "up")));
      cfg.routes.get("/health/ready", ctx -> {
        Management.Readiness readiness = management.readiness();
        Map<String, String> checks = new LinkedHashMap<>();
        readiness.checks().forEach((name, ok) -> checks.put(name, ok ? "up" : "down"));
        json(ctx, readiness.ready() ? 200 : 503,
            Map.of("status", readiness.ready() ? "up" : "down", "checks", checks));
      });
    });
    app.start(host, port);
    log.info("management port on http://{}:{} (/metrics, /health/live, /health/ready)", host, app.port());
    return new ManagementServer(management, app);
  }

  public int port() {
    return app.port();
  }

  public Management management() {
    return management;
  }

  private static void json(Context ctx, int status, Object body) {
    try {
      ctx.status(status).contentType("application/json").result(JsonMapper.shared().writeValueAsBytes(body));
    } catch (JsonProcessingException e) {
      throw new IllegalStateException(e);
    }
  }

  @Override
  public void close() {
    app.stop();
  }
}
