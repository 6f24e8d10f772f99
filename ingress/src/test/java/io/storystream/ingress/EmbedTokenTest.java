package io.storystream.ingress;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.storystream.common.http.JsonMapper;
import io.storystream.ingress.auth.ApiKeyCodec;
import java.net.http.HttpRequest;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.Base64;
import java.util.List;
import java.util.Map;
import javax.crypto.Mac;
import javax.crypto.spec.SecretKeySpec;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.MethodOrderer;
import org.junit.jupiter.api.Order;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestMethodOrder;
import org.junit.jupiter.api.io.TempDir;

/**
 * Embed tokens against a real ingress (broker, S3Proxy, registry): what a token reads, and every way it is refused —
 * expiry, scope (every write route among them), job narrowing, tampering, another tenant, a revoked issuing key — plus
 * signing-key rotation across instances and the dashboard page's security headers.
 */
@TestMethodOrder(MethodOrderer.OrderAnnotation.class)
class EmbedTokenTest {
  @TempDir static Path dir;
  static IngressStack stack;
  static final io.storystream.testsupport.TestClock clock = io.storystream.testsupport.TestClock.ticking();
  static io.javalin.Javalin billing;
  static String acmeKey;
  static String globexKey;
  static String acmeJobA;
  static String acmeJobB;
  static String globexJob;

  @BeforeAll
  static void start() throws Exception {
    billing = io.javalin.Javalin.create(cfg -> {
      cfg.startup.showJavalinBanner = false;
      cfg.routes.get("/tenants/{t}/usage", ctx -> ctx.json(BillingStandInBodies.usage(ctx.pathParam("t"),
          java.time.YearMonth.now(java.time.ZoneOffset.UTC).toString(), 3, 100)));
      cfg.routes.get("/tenants/{t}/statements/{m}", ctx -> ctx.json(BillingStandInBodies.statement(
          ctx.pathParam("t"), ctx.pathParam("m"), 1_500_000)));
      cfg.routes.get("/tenants/{t}/statements/{m}/revisions", ctx -> ctx.json(BillingStandInBodies.revisions(
          ctx.pathParam("t"), ctx.pathParam("m"), ctx.queryParam("limit"))));
    }).start("127.0.0.1", 0);
    System.setProperty("storystream.embed.frameAncestors", "acme=https://app.acme.example https://*.acme.example");
    try {
      stack = new IngressStack(dir).billingUrl("http://127.0.0.1:" + billing.port());
      stack.startInstance(clock);
    } finally {
      System.clearProperty("storystream.embed.frameAncestors");
    }
    await().atMost(Duration.ofSeconds(60)).until(() -> stack.ingress().ready());
    acmeKey = stack.tenantWithKey("acme", "pro");
    globexKey = stack.tenantWithKey("globex", "pro");
    acmeJobA = completedJob("acme", acmeKey);
    acmeJobB = completedJob("acme", acmeKey);
    globexJob = completedJob("globex", globexKey);
  }

  @AfterAll
  static void stop() throws Exception {
    stack.close();
    billing.stop();
  }

  private static String completedJob(String tenant, String key) {
    IngressStack.Reply upload = stack.uploadCsv(key, "sales.csv", "month,revenue\n2026-01,10\n2026-02,12\n");
    assertThat(upload.status()).as(upload.text()).isEqualTo(201);
    String fileId = upload.json().path("id").asText();
    IngressStack.Reply submitted = stack.postJson(key, "/v1/analyses", "{\"fileId\":\"" + fileId + "\"}");
    assertThat(submitted.status()).as(submitted.text()).isEqualTo(202);
    String jobId = submitted.json().path("jobId").asText();
    stack.fakeProcessorComplete(tenant, jobId, fileId);
    await().atMost(Duration.ofSeconds(30)).untilAsserted(() ->
        assertThat(stack.get(key, "/v1/analyses/" + jobId).json().path("state").asText()).isEqualTo("completed"));
    return jobId;
  }

  private static String mint(String key, String body) {
    IngressStack.Reply minted = stack.postJson(key, "/v1/embed-tokens", body);
    assertThat(minted.status()).as(minted.text()).isEqualTo(201);
    return minted.json().path("token").asText();
  }

  private static JsonNode part(String token, int index) throws Exception {
    return JsonMapper.shared().readTree(Base64.getUrlDecoder().decode(token.split("\\.")[index]));
  }

  @Test
  void aTokenReadsItsTenantsResultsUsageAndStatements() throws Exception {
    IngressStack.Reply minted = stack.postJson(acmeKey, "/v1/embed-tokens",
        "{\"scopes\":[\"results:read\",\"usage:read\",\"statements:read\"],\"ttlSeconds\":3600}");
    assertThat(minted.status()).as(minted.text()).isEqualTo(201);
    assertThat(minted.header("Cache-Control")).isEqualTo("no-store");
    String token = minted.json().path("token").asText();
    Instant expiresAt = Instant.parse(minted.json().path("expiresAt").asText());
    assertThat(Duration.between(clock.instant(), expiresAt)).isBetween(Duration.ofSeconds(3590), Duration.ofSeconds(3600));
    assertThat(part(token, 0).path("alg").asText()).isEqualTo("HS256");
    assertThat(part(token, 0).path("kid").asText()).isEqualTo("e1");
    assertThat(part(token, 1).path("sub").asText()).isEqualTo("acme");
    assertThat(part(token, 1).path("exp").asLong()).isEqualTo(expiresAt.getEpochSecond());

    assertThat(stack.get(token, "/v1/analyses/" + acmeJobA).json().path("state").asText()).isEqualTo("completed");
    assertThat(stack.get(token, "/v1/analyses/" + acmeJobA + "/result").status()).isEqualTo(200);
    assertThat(stack.get(token, "/v1/analyses/" + acmeJobA + "/charts/0").contentType()).startsWith("image/png");
    assertThat(stack.get(token, "/v1/analyses/" + acmeJobA + "/dataset").text()).startsWith("month,revenue");
    JsonNode list = stack.get(token, "/v1/analyses").json();
    assertThat(list.path("jobs").findValuesAsText("jobId")).contains(acmeJobA, acmeJobB).doesNotContain(globexJob);
    assertThat(stack.get(token, "/v1/usage").json().path("tenantId").asText()).isEqualTo("acme");
    assertThat(stack.get(token, "/v1/statements/2026-11").json().path("tenantId").asText()).isEqualTo("acme");
    assertThat(stack.get(token, "/v1/statements/2026-11/revisions").json().path("tenantId").asText()).isEqualTo("acme");
  }

  @Test
  void aTokenStopsAtItsExpiry() {
    String token = mint(acmeKey, "{\"scopes\":[\"results:read\"],\"ttlSeconds\":60}");
    assertThat(stack.get(token, "/v1/analyses/" + acmeJobA).status()).isEqualTo(200);
    clock.advance(Duration.ofSeconds(61));
    try {
      IngressStack.Reply expired = stack.get(token, "/v1/analyses/" + acmeJobA);
      assertThat(expired.status()).isEqualTo(401);
      assertThat(expired.problemType()).endsWith("/embed-token-expired");
      assertThat(expired.header("WWW-Authenticate")).contains("invalid_token");
    } finally {
      clock.advance(Duration.ofSeconds(-61));
    }
  }

  @Test
  void aTokenIsRefusedOutsideItsScopesAndOnEveryWriteRoute() {
    String usageOnly = mint(acmeKey, "{\"scopes\":[\"usage:read\"]}");
    assertThat(stack.get(usageOnly, "/v1/usage").status()).isEqualTo(200);
    for (String path : List.of("/v1/analyses/" + acmeJobA, "/v1/analyses/" + acmeJobA + "/result",
        "/v1/analyses", "/v1/statements/2026-11", "/v1/statements/2026-11/revisions", "/v1/files", "/v1/audit")) {
      IngressStack.Reply refused = stack.get(usageOnly, path);
      assertThat(refused.status()).as(path).isEqualTo(403);
      assertThat(refused.problemType()).as(path).endsWith("/embed-token-scope");
    }
    String everything = mint(acmeKey, "{\"scopes\":[\"results:read\",\"usage:read\",\"statements:read\"]}");
    IngressStack.Reply upload = stack.uploadCsv(everything, "x.csv", "a,b\n1,2\n");
    assertThat(upload.status()).isEqualTo(403);
    assertThat(stack.postJson(everything, "/v1/analyses", "{\"fileId\":\"file_x\"}").status()).isEqualTo(403);
    IngressStack.Reply again = stack.postJson(everything, "/v1/embed-tokens", "{\"scopes\":[\"usage:read\"]}");
    assertThat(again.status()).as("a token cannot mint a token").isEqualTo(403);
    assertThat(stack.delete(everything, "/v1/files/file_x").status()).isEqualTo(403);
  }

  @Test
  void aNarrowedTokenReadsOnlyItsJobs() {
    String token = mint(acmeKey, "{\"scopes\":[\"results:read\"],\"jobIds\":[\"" + acmeJobA + "\"]}");
    assertThat(stack.get(token, "/v1/analyses/" + acmeJobA).status()).isEqualTo(200);
    assertThat(stack.get(token, "/v1/analyses/" + acmeJobA + "/charts/0").status()).isEqualTo(200);
    for (String path : List.of("/v1/analyses/" + acmeJobB, "/v1/analyses/" + acmeJobB + "/result",
        "/v1/analyses/" + acmeJobB + "/charts/0", "/v1/analyses/" + acmeJobB + "/dataset")) {
      IngressStack.Reply hidden = stack.get(token, path);
      assertThat(hidden.status()).as("a job of the same tenant it does not list: %s", path).isEqualTo(404);
      assertThat(hidden.problemType()).endsWith("/not-found");
    }
    IngressStack.Reply list = stack.get(token, "/v1/analyses");
    assertThat(list.status()).isEqualTo(403);
    assertThat(list.problemType()).endsWith("/embed-token-narrowed");
  }

  @Test
  void aTamperedTokenIsRefused() throws Exception {
    String token = mint(acmeKey, "{\"scopes\":[\"results:read\"],\"jobIds\":[\"" + acmeJobA + "\"]}");
    String[] parts = token.split("\\.");
    ObjectNode claims = (ObjectNode) part(token, 1);
    claims.remove("jobs"); // widen it to every job
    String widened = parts[0] + "." + b64(JsonMapper.shared().writeValueAsBytes(claims)) + "." + parts[2];
    char last = parts[2].charAt(0);
    String badSignature = parts[0] + "." + parts[1] + "." + (last == 'A' ? 'B' : 'A') + parts[2].substring(1);
    ObjectNode none = JsonMapper.shared().createObjectNode().put("alg", "none").put("typ", "JWT").put("kid", "e1");
    String unsigned = b64(JsonMapper.shared().writeValueAsBytes(none)) + "." + parts[1] + ".";
    ObjectNode otherKid = ((ObjectNode) part(token, 0)).put("kid", "e9");
    String unknownKid = b64(JsonMapper.shared().writeValueAsBytes(otherKid)) + "." + parts[1] + "." + parts[2];
    for (String bad : List.of(widened, badSignature, unsigned, unknownKid, token + "x")) {
      IngressStack.Reply refused = stack.get(bad, "/v1/analyses/" + acmeJobB);
      assertThat(refused.status()).isEqualTo(401);
      assertThat(refused.problemType()).endsWith("/invalid-embed-token");
    }
  }

  @Test
  void aTokenIsBoundToItsTenant() throws Exception {
    String acmeToken = mint(acmeKey, "{\"scopes\":[\"results:read\",\"usage:read\"]}");
    IngressStack.Reply foreign = stack.get(acmeToken, "/v1/analyses/" + globexJob);
    assertThat(foreign.status()).as("another tenant's job does not exist for this token").isEqualTo(404);
    assertThat(stack.get(acmeToken, "/v1/analyses/" + globexJob + "/dataset").status()).isEqualTo(404);
    // a token claiming globex, correctly signed (the test knows the pepper) but issued by acme's key: refused
    ObjectNode claims = ((ObjectNode) part(acmeToken, 1)).put("sub", "globex");
    String signingInput = acmeToken.split("\\.")[0] + "." + b64(JsonMapper.shared().writeValueAsBytes(claims));
    String forged = signingInput + "." + b64(hs256(new ApiKeyCodec(IngressStack.PEPPER).sign("embed-signing-key:e1"),
        signingInput));
    IngressStack.Reply refused = stack.get(forged, "/v1/analyses/" + globexJob);
    assertThat(refused.status()).isEqualTo(401);
    assertThat(refused.problemType()).endsWith("/invalid-embed-token");
  }

  @Test
  void revokingTheIssuingKeyEndsItsTokens() {
    IngressStack.Reply issued = stack.admin("POST", "/admin/tenants/acme/keys", "{}");
    String key = issued.json().path("apiKey").asText();
    String keyId = issued.json().path("keyId").asText();
    String token = mint(key, "{\"scopes\":[\"results:read\"]}");
    assertThat(stack.get(token, "/v1/analyses/" + acmeJobA).status()).isEqualTo(200);
    assertThat(stack.admin("DELETE", "/admin/keys/" + keyId, null).status()).isEqualTo(200);
    await().atMost(Duration.ofSeconds(30)).untilAsserted(() ->
        assertThat(stack.get(key, "/v1/analyses/" + acmeJobA).status()).isEqualTo(401));
    IngressStack.Reply refused = stack.get(token, "/v1/analyses/" + acmeJobA);
    assertThat(refused.status()).isEqualTo(401);
    assertThat(refused.problemType()).endsWith("/embed-token-revoked");
  }

  @Test
  void mintingChecksItsRequest() {
    record Bad(String body, int status, String type) {}
    for (Bad bad : List.of(
        new Bad("{\"scopes\":[\"results:read\"],\"ttlSeconds\":86401}", 422, "invalid-field"),
        new Bad("{\"scopes\":[\"results:read\"],\"ttlSeconds\":0}", 422, "invalid-field"),
        new Bad("{\"scopes\":[\"results:read\"],\"ttlSeconds\":1.5}", 422, "invalid-field"),
        new Bad("{\"scopes\":[\"files:write\"]}", 422, "invalid-field"),
        new Bad("{\"scopes\":[]}", 422, "invalid-field"),
        new Bad("{\"ttlSeconds\":60}", 422, "missing-field"),
        new Bad("{\"scopes\":[\"results:read\"],\"jobIds\":[\"../x\"]}", 422, "invalid-field"),
        new Bad("{\"scopes\":[\"usage:read\"],\"jobIds\":[\"" + acmeJobA + "\"]}", 422, "invalid-field"),
        new Bad("{\"scopes\":[\"results:read\"],\"audience\":\"x\"}", 422, "unknown-field"))) {
      IngressStack.Reply reply = stack.postJson(acmeKey, "/v1/embed-tokens", bad.body());
      assertThat(reply.status()).as(bad.body()).isEqualTo(bad.status());
      assertThat(reply.problemType()).as(bad.body()).endsWith("/" + bad.type());
    }
    String resultsOnlyKey = stack.key("acme", "{\"scopes\":[\"analyses:read\"]}");
    IngressStack.Reply beyond = stack.postJson(resultsOnlyKey, "/v1/embed-tokens", "{\"scopes\":[\"usage:read\"]}");
    assertThat(beyond.status()).as("a token never reaches further than its key").isEqualTo(403);
    assertThat(stack.postJson(resultsOnlyKey, "/v1/embed-tokens", "{\"scopes\":[\"results:read\"]}").status())
        .isEqualTo(201);
  }

  @Test
  @Order(Integer.MAX_VALUE) // last: a second instance moves job-store partitions
  void signingKeysRotateAcrossInstances() throws Exception {
    String oldToken = mint(acmeKey, "{\"scopes\":[\"results:read\"]}");
    IngressService rotated;
    System.setProperty("storystream.embed.keyIds", "e2,e1");
    try {
      rotated = stack.startInstance(clock);
    } finally {
      System.clearProperty("storystream.embed.keyIds");
    }
    await().atMost(Duration.ofSeconds(60)).until(rotated::ready);
    IngressStack.Reply minted = stack.send(stack.tenant(rotated, acmeKey, "POST", "/v1/embed-tokens",
        HttpRequest.BodyPublishers.ofString("{\"scopes\":[\"results:read\",\"usage:read\"]}"))
        .header("Content-Type", "application/json"));
    assertThat(minted.status()).as(minted.text()).isEqualTo(201);
    String newToken = minted.json().path("token").asText();
    assertThat(part(newToken, 0).path("kid").asText()).isEqualTo("e2");
    String path = "/v1/analyses/" + acmeJobA;
    // while the job store's partitions move to the new instance a read may answer 503; the token is checked first
    await().atMost(Duration.ofSeconds(60)).untilAsserted(() ->
        assertThat(stack.send(stack.tenant(rotated, oldToken, "GET", path, null)).status())
            .as("the rotated instance still verifies e1 tokens").isEqualTo(200));
    // /v1/usage is answered where it arrives (a job read may be forwarded to the instance owning the tenant's jobs,
    // which verifies the token again: why a rotation first adds the new id as verify-only everywhere)
    assertThat(stack.send(stack.tenant(rotated, newToken, "GET", "/v1/usage", null)).status()).isEqualTo(200);
    IngressStack.Reply unknown = stack.send(stack.tenant(stack.instances.get(0), newToken, "GET", "/v1/usage", null));
    assertThat(unknown.status()).as("an instance that does not accept e2 yet").isEqualTo(401);
  }

  @Test
  void theDashboardPageCarriesItsSecurityHeaders() {
    IngressStack.Reply page = stack.get(null, "/");
    assertThat(page.status()).isEqualTo(200);
    assertThat(page.contentType()).startsWith("text/html");
    String csp = page.header("Content-Security-Policy");
    assertThat(csp).contains("default-src 'none'", "script-src 'self';", "frame-ancestors 'none'")
        .doesNotContain("unsafe-inline", "unsafe-eval", "http:", "https:");
    assertThat(page.header("X-Content-Type-Options")).isEqualTo("nosniff");
    assertThat(page.header("Referrer-Policy")).isEqualTo("no-referrer");
    assertThat(page.text()).doesNotContain("<script>").doesNotContainPattern("<script(?![^>]*\\bsrc=)");
    assertThat(page.text()).doesNotContainPattern("(src|href)=\"(https?:)?//");

    assertThat(stack.get(null, "/embed/acme").header("Content-Security-Policy"))
        .endsWith("frame-ancestors https://app.acme.example https://*.acme.example");
    assertThat(stack.get(null, "/embed/globex").header("Content-Security-Policy")).endsWith("frame-ancestors 'none'");

    IngressStack.Reply script = stack.get(null, "/assets/app.mjs");
    assertThat(script.status()).isEqualTo(200);
    assertThat(script.contentType()).startsWith("text/javascript");
    assertThat(script.header("X-Content-Type-Options")).isEqualTo("nosniff");
    assertThat(stack.get(null, "/assets/..%2Fpepper").status()).isEqualTo(404);
    assertThat(stack.get(null, "/assets/nothing.js").status()).isEqualTo(404);
  }

  private static String b64(byte[] bytes) {
    return Base64.getUrlEncoder().withoutPadding().encodeToString(bytes);
  }

  private static byte[] hs256(byte[] key, String input) throws Exception {
    Mac mac = Mac.getInstance("HmacSHA256");
    mac.init(new SecretKeySpec(key, "HmacSHA256"));
    return mac.doFinal(input.getBytes(StandardCharsets.US_ASCII));
  }
}
