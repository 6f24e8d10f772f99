package io.storystream.ingress.http;

import static org.assertj.core.api.Assertions.assertThat;

import io.javalin.Javalin;
import io.storystream.common.http.Problems;
import io.storystream.ingress.auth.ApiKeyCodec;
import io.storystream.ingress.auth.Directory;
import io.storystream.ingress.auth.EdgeRateLimiter;
import io.storystream.ingress.auth.FailedAuthThrottle;
import io.storystream.schemas.registry.InMemorySchemaRegistryClient;
import io.storystream.schemas.topics.TopicSerdes;
import java.net.URI;
import java.net.URLEncoder;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.time.Clock;
import java.time.Instant;
import java.time.ZoneOffset;
import java.util.Set;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicReference;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/**
 * The gate on a real HTTP server: signatures of forwarded requests (bound to instance, method, path, key and a short
 * window, usable once), the throttle on failed operator authentication, and 503 while the key directory is not
 * current.
 */
class GateTest {
  private static final String OPERATOR_TOKEN = "sso_5b7d9f1a3c5e7b9d0f2a4c6e8b1d3f5a7c9e2b4d6f8a0c1e3b5d7f9a2c4e6b8d";
  private static final byte[] PEPPER = "a-gate-test-pepper-long-enough!!".getBytes(StandardCharsets.UTF_8);
  private static final String KEY_A = new ApiKeyCodec(PEPPER).issue().apiKey();
  private static final String KEY_B = new ApiKeyCodec(PEPPER).issue().apiKey();

  private final AtomicReference<Instant> now = new AtomicReference<>(Instant.parse("2026-12-01T10:00:00Z"));
  private final Clock clock = new Clock() {
    @Override public java.time.ZoneId getZone() {
      return ZoneOffset.UTC;
    }

    @Override public Clock withZone(java.time.ZoneId zone) {
      return this;
    }

    @Override public Instant instant() {
      return now.get();
    }
  };
  private final AtomicBoolean directoryCurrent = new AtomicBoolean(true);
  private final HttpClient http = HttpClient.newHttpClient();
  private Javalin app;
  private Gate gate;
  private String self;

  @BeforeEach
  void start() {
    ApiKeyCodec codec = new ApiKeyCodec(PEPPER);
    Directory directory = new Directory(new TopicSerdes(new InMemorySchemaRegistryClient()), codec, clock);
    app = Javalin.create(cfg -> {
      cfg.startup.showJavalinBanner = false;
      Problems.install(cfg);
      // a signer, as the entry instance would sign a request it forwards to `target`
      cfg.routes.get("/sign", ctx -> ctx.result(gate.forwardSignature(ctx, ctx.queryParam("target"),
          ctx.queryParam("method"), ctx.queryParam("path"))));
      cfg.routes.get("/v1/things/{id}", ctx -> ctx.result(Boolean.toString(gate.forwardedBySibling(ctx))));
      cfg.routes.get("/admin/ping", ctx -> {
        gate.operator(ctx);
        ctx.result("pong");
      });
      cfg.routes.get("/v1/me", ctx -> gate.tenant(ctx, Set.of()));
    }).start("127.0.0.1", 0);
    self = "127.0.0.1:" + app.port();
    gate = new Gate(directory, directoryCurrent::get, new EdgeRateLimiter(), codec, OPERATOR_TOKEN, self, clock);
  }

  @AfterEach
  void stop() {
    app.stop();
  }

  @Test
  void aForwardSignatureHoldsForOneRequestOfThatKeyPathAndInstanceWithinItsWindow() throws Exception {
    String path = "/v1/things/job_1?wait=1s";
    assertThat(forwarded(path, KEY_A, sign(self, "GET", path, KEY_A))).as("fresh, for this request").isTrue();

    String signature = sign(self, "GET", path, KEY_A);
    assertThat(forwarded(path, KEY_A, signature)).isTrue();
    assertThat(forwarded(path, KEY_A, signature)).as("the same signature replayed").isFalse();

    assertThat(forwarded(path, KEY_B, sign(self, "GET", path, KEY_A))).as("with another key").isFalse();
    assertThat(forwarded("/v1/things/job_2", KEY_A, sign(self, "GET", path, KEY_A))).as("another path").isFalse();
    assertThat(forwarded(path, KEY_A, sign("10.0.0.9:8080", "GET", path, KEY_A))).as("meant for another instance")
        .isFalse();
    assertThat(forwarded(path, KEY_A, sign(self, "POST", path, KEY_A))).as("another method").isFalse();

    String old = sign(self, "GET", path, KEY_A);
    now.set(now.get().plusMillis(Gate.FORWARD_MAX_AGE_MS + 1));
    assertThat(forwarded(path, KEY_A, old)).as("older than the window").isFalse();
    assertThat(forwarded(path, KEY_A, "garbage")).isFalse();
    assertThat(forwarded(path, KEY_A, null)).isFalse();
  }

  @Test
  void failedOperatorLoginsAreThrottledPerAddressEvenForTheRightToken() throws Exception {
    assertThat(operator(OPERATOR_TOKEN).statusCode()).isEqualTo(200);
    for (int i = 0; i < FailedAuthThrottle.FAILURES_PER_MINUTE; i++) {
      assertThat(operator("sso_guess" + i).statusCode()).isEqualTo(401);
    }
    HttpResponse<String> throttled = operator("sso_guess-next");
    assertThat(throttled.statusCode()).isEqualTo(429);
    assertThat(throttled.body()).contains("problems/too-many-failed-logins");
    assertThat(throttled.headers().firstValue("Retry-After")).hasValueSatisfying(
        v -> assertThat(Long.parseLong(v)).isBetween(1L, 60L));
    assertThat(operator(OPERATOR_TOKEN).statusCode()).as("no answer tells a guesser the token is right")
        .isEqualTo(429);
  }

  @Test
  void tenantAuthenticationAnswers503WhileTheDirectoryIsNotCurrent() throws Exception {
    directoryCurrent.set(false);
    HttpResponse<String> response = http.send(HttpRequest.newBuilder(URI.create("http://" + self + "/v1/me"))
        .header("Authorization", "Bearer " + KEY_A).build(), HttpResponse.BodyHandlers.ofString());
    assertThat(response.statusCode()).isEqualTo(503);
    assertThat(response.body()).contains("problems/directory-unavailable");
    assertThat(response.headers().firstValue("Retry-After")).isPresent();
    directoryCurrent.set(true);
    HttpResponse<String> current = http.send(HttpRequest.newBuilder(URI.create("http://" + self + "/v1/me"))
        .header("Authorization", "Bearer " + KEY_A).build(), HttpResponse.BodyHandlers.ofString());
    assertThat(current.statusCode()).as("an unknown key, checked again").isEqualTo(401);
  }

  private String sign(String target, String method, String path, String key) throws Exception {
    String query = "target=" + enc(target) + "&method=" + method + "&path=" + enc(path);
    return http.send(HttpRequest.newBuilder(URI.create("http://" + self + "/sign?" + query))
        .header("Authorization", "Bearer " + key).build(), HttpResponse.BodyHandlers.ofString()).body();
  }

  private boolean forwarded(String path, String key, String signature) throws Exception {
    HttpRequest.Builder request = HttpRequest.newBuilder(URI.create("http://" + self + path))
        .header("Authorization", "Bearer " + key);
    if (signature != null) {
      request.header(Gate.FORWARDED_HEADER, signature);
    }
    HttpResponse<String> response = http.send(request.build(), HttpResponse.BodyHandlers.ofString());
    assertThat(response.statusCode()).isEqualTo(200);
    return Boolean.parseBoolean(response.body());
  }

  private HttpResponse<String> operator(String token) throws Exception {
    return http.send(HttpRequest.newBuilder(URI.create("http://" + self + "/admin/ping"))
        .header("Authorization", "Bearer " + token).build(), HttpResponse.BodyHandlers.ofString());
  }

  private static String enc(String s) {
    return URLEncoder.encode(s, StandardCharsets.UTF_8);
  }

}
