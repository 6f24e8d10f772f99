package io.storystream.ingress.http;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import io.javalin.Javalin;
import io.storystream.common.http.JsonMapper;
import io.storystream.common.http.Problems;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.util.Set;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/** The one JSON-object body reader, behind a real Javalin route with the platform's problem handling. */
class JsonBodiesTest {
  static Javalin app;
  static final HttpClient http = HttpClient.newHttpClient();

  @BeforeAll
  static void start() {
    app = Javalin.create(cfg -> {
      cfg.startup.showJavalinBanner = false;
      Problems.install(cfg);
      cfg.routes.post("/echo", ctx -> Json.write(ctx, 200,
          JsonBodies.readObject(ctx, 64, Set.of("name", "plan", "limits"))));
    }).start("127.0.0.1", 0);
  }

  @AfterAll
  static void stop() {
    app.stop();
  }

  @Test
  void anObjectWithAllowedFieldsIsReturnedAsRead() throws Exception {
    HttpResponse<String> reply = post("application/json; charset=utf-8", "{\"name\":\"Acme\",\"limits\":{\"x\":1}}");
    assertThat(reply.statusCode()).isEqualTo(200);
    JsonNode body = JsonMapper.shared().readTree(reply.body());
    assertThat(body.get("name").asText()).isEqualTo("Acme");
    assertThat(body.get("limits").get("x").asInt()).isEqualTo(1);
  }

  @Test
  void eachKindOfBadBodyGetsItsOwnProblem() throws Exception {
    assertProblem(post("text/plain", "{}"), 415, "unsupported-media-type");
    assertProblem(post("application/json", "{\"name\":\"" + "x".repeat(64) + "\"}"), 413, "request-too-large");
    assertProblem(post("application/json", "{\"name\":"), 400, "malformed-json");
    assertProblem(post("application/json", "[1,2]"), 422, "invalid-body");
    assertProblem(post("application/json", "\"just a string\""), 422, "invalid-body");
    assertProblem(post("application/json", ""), 422, "invalid-body");
  }

  @Test
  void unknownFieldsAreNamedSafelyAndTheAllowedOnesListedInAStableOrder() throws Exception {
    HttpResponse<String> reply = post("application/json", "{\"name\":\"a\",\"co\\u202elor\":1,\"tenantId\":\"b\"}");
    JsonNode problem = assertProblem(reply, 422, "unknown-field");
    assertThat(problem.get("fields")).extracting(JsonNode::asText).containsExactly("co?lor", "tenantId");
    assertThat(problem.get("detail").asText()).isEqualTo("allowed fields are limits, name, plan");
  }

  private static JsonNode assertProblem(HttpResponse<String> reply, int status, String slug) throws Exception {
    assertThat(reply.statusCode()).as(reply.body()).isEqualTo(status);
    assertThat(reply.headers().firstValue("Content-Type")).hasValueSatisfying(
        type -> assertThat(type).startsWith("application/problem+json"));
    JsonNode problem = JsonMapper.shared().readTree(reply.body());
    assertThat(problem.get("type").asText()).isEqualTo("https://storystream.dev/problems/" + slug);
    assertThat(problem.get("status").asInt()).isEqualTo(status);
    return problem;
  }

  private static HttpResponse<String> post(String contentType, String body) throws Exception {
    return http.send(HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + app.port() + "/echo"))
        .header("Content-Type", contentType).POST(HttpRequest.BodyPublishers.ofString(body)).build(),
        HttpResponse.BodyHandlers.ofString());
  }
}
