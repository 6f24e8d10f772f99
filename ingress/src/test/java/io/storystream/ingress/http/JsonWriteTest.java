package io.storystream.ingress.http;

import static org.assertj.core.api.Assertions.assertThat;

import io.javalin.Javalin;
import io.javalin.http.HandlerType;
import io.storystream.ingress.api.OpsBodies;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.util.Map;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/** A handler cannot answer with another body than the record its route declares: the document cannot drift. */
class JsonWriteTest {
  private static final Route LIVE = Route.get("/live").doc("live", "live")
      .returns(200, "alive", OpsBodies.Liveness.class).handle(ctx -> { });
  private static Javalin app;

  @BeforeAll
  static void start() {
    app = Javalin.create(cfg -> {
      io.storystream.common.http.Problems.install(cfg);
      cfg.routes.addEndpoint(new io.javalin.router.Endpoint(HandlerType.GET, "/declared", ctx -> {
        ctx.attribute(Attrs.ROUTE, LIVE);
        Json.write(ctx, 200, new OpsBodies.Liveness("up"));
      }));
      cfg.routes.addEndpoint(new io.javalin.router.Endpoint(HandlerType.GET, "/a-map", ctx -> {
        ctx.attribute(Attrs.ROUTE, LIVE);
        Json.write(ctx, 200, Map.of("status", "up"));
      }));
      cfg.routes.addEndpoint(new io.javalin.router.Endpoint(HandlerType.GET, "/undeclared-status", ctx -> {
        ctx.attribute(Attrs.ROUTE, LIVE);
        Json.write(ctx, 201, new OpsBodies.Liveness("up"));
      }));
    }).start("127.0.0.1", 0);
  }

  @AfterAll
  static void stop() {
    app.stop();
  }

  private static HttpResponse<String> get(String path) throws Exception {
    return HttpClient.newHttpClient().send(HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + app.port() + path))
        .build(), HttpResponse.BodyHandlers.ofString());
  }

  @Test
  void theDeclaredRecordIsWritten() throws Exception {
    HttpResponse<String> reply = get("/declared");
    assertThat(reply.statusCode()).isEqualTo(200);
    assertThat(reply.body()).isEqualTo("{\"status\":\"up\"}");
  }

  @Test
  void anythingElseIsAnInternalErrorNotASilentlyDifferentBody() throws Exception {
    for (String path : new String[] {"/a-map", "/undeclared-status"}) {
      HttpResponse<String> reply = get(path);
      assertThat(reply.statusCode()).as(path).isEqualTo(500);
      assertThat(reply.body()).as(path).doesNotContain("\"status\":\"up\"");
    }
  }
}
