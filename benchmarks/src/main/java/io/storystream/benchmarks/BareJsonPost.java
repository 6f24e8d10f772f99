package io.storystream.benchmarks;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.javalin.Javalin;
import io.storystream.common.http.JsonMapper;
import java.util.UUID;

/**
 * The ingress submit's baseline: a bare Javalin (same version, same JSON mapper) POST handler that reads the same JSON
 * body, and answers 202 with a small JSON document, in its own JVM like the ingress. No auth, no Kafka: what is left
 * is what HTTP + JSON cost on this machine. {@code BareJsonPost <port>}; prints READY; stops when stdin closes.
 */
public final class BareJsonPost {
  private BareJsonPost() {}

  public static void main(String[] args) throws Exception {
    Javalin app = Javalin.create(cfg -> {
      cfg.startup.showJavalinBanner = false;
      cfg.routes.post("/v1/analyses", ctx -> {
        JsonNode body = JsonMapper.shared().readTree(ctx.bodyAsBytes());
        ObjectNode out = JsonMapper.shared().createObjectNode()
            .put("jobId", "job_" + UUID.randomUUID()).put("fileId", body.path("fileId").asText()).put("state", "queued");
        ctx.status(202).contentType("application/json").result(JsonMapper.shared().writeValueAsBytes(out));
      });
    }).start("127.0.0.1", Integer.parseInt(args[0]));
    System.out.println("READY bare-javalin " + app.port());
    System.out.flush();
    while (System.in.read() >= 0) {
      // runs until the benchmark closes our standard input
    }
    app.stop();
    System.exit(0);
  }
}
