package io.storystream.ingress.http;

import static org.assertj.core.api.Assertions.assertThat;

import io.javalin.Javalin;
import io.javalin.http.HandlerType;
import io.storystream.common.http.ProblemException;
import io.storystream.common.http.Problems;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * A route answers only the problem types it declares: the same declarations the document lists. An undeclared one is
 * logged and, under test (assertions enabled), answered as a 500 so that the test reaching it fails.
 */
class DeclaredProblemsTest {
  private static final Route FILE = Route.get("/v1/files/{fileId}").doc("getFile", "a file")
      .reply(404, "no such file").problems(404, "not-found").handle(ctx -> { });
  private static Javalin app;

  @BeforeAll
  static void start() {
    app = Javalin.create(cfg -> {
      Problems.install(cfg);
      cfg.routes.before(ctx -> ctx.attribute(Problems.VET_ATTRIBUTE, DeclaredProblems.VET));
      endpoint(cfg, "/declared", () -> new ProblemException(404, "not-found", "Not found", "no such file"));
      endpoint(cfg, "/another-type", () -> new ProblemException(404, "export-not-found", "Export not found", "x"));
      endpoint(cfg, "/another-status", () -> new ProblemException(409, "job-ended", "Job already ended", "x"));
    }).start("127.0.0.1", 0);
  }

  private static void endpoint(io.javalin.config.JavalinConfig cfg, String path,
                               java.util.function.Supplier<ProblemException> problem) {
    cfg.routes.addEndpoint(new io.javalin.router.Endpoint(HandlerType.GET, path, ctx -> {
      ctx.attribute(Attrs.ROUTE, FILE);
      throw problem.get();
    }));
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
  void aDeclaredProblemIsAnsweredAsItIs() throws Exception {
    HttpResponse<String> reply = get("/declared");
    assertThat(reply.statusCode()).isEqualTo(404);
    assertThat(reply.body()).contains("problems/not-found");
  }

  @Test
  void anUndeclaredTypeOrStatusIsAnInternalErrorUnderTestNotASilentlyUndocumentedAnswer() throws Exception {
    assertThat(DeclaredProblems.STRICT).as("Maven's test runner enables assertions").isTrue();
    long before = DeclaredProblems.undeclared();
    for (String path : new String[] {"/another-type", "/another-status"}) {
      HttpResponse<String> reply = get(path);
      assertThat(reply.statusCode()).as(path).isEqualTo(500);
      assertThat(reply.body()).as(path).contains("problems/internal", "undeclared problem");
    }
    assertThat(DeclaredProblems.undeclared()).isEqualTo(before + 2);
  }

  @Test
  void everyRouteDeclaresTheInternalErrorAndWhatItsGateAnswers() {
    Route tenant = Route.get("/v1/x").tenant(io.storystream.ingress.auth.Scope.FILES_WRITE).doc("x", "x")
        .handle(ctx -> { });
    assertThat(tenant.declares(500, "https://storystream.dev/problems/internal")).isTrue();
    assertThat(tenant.declares(401, "https://storystream.dev/problems/api-key-revoked")).isTrue();
    assertThat(tenant.declares(403, "https://storystream.dev/problems/insufficient-scope")).isTrue();
    assertThat(tenant.declares(429, "https://storystream.dev/problems/rate-limited")).isTrue();
    assertThat(tenant.declares(401, "https://storystream.dev/problems/invalid-operator-token")).isFalse();
    Route operator = Route.get("/admin/x").operator().doc("y", "y").handle(ctx -> { });
    assertThat(operator.declares(401, "https://storystream.dev/problems/invalid-operator-token")).isTrue();
    assertThat(operator.declares(401, "https://storystream.dev/problems/missing-api-key")).isFalse();
    assertThat(operator.declares(404, "https://storystream.dev/problems/not-found")).isFalse();
  }
}
