package io.storystream.ingress.embed;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.javalin.http.Context;
import io.javalin.http.HandlerType;
import io.storystream.common.Ids;
import io.storystream.common.http.Problem;
import io.storystream.common.http.ProblemException;
import io.storystream.ingress.auth.ApiKeyCodec;
import io.storystream.ingress.auth.Directory;
import io.storystream.ingress.auth.Principal;
import io.storystream.ingress.auth.Scope;
import io.storystream.ingress.http.Attrs;
import io.storystream.ingress.http.Json;
import io.storystream.ingress.http.Route;
import io.storystream.schemas.ApiKey;
import io.storystream.schemas.ApiKeyStatus;
import io.storystream.schemas.Tenant;
import io.storystream.schemas.TenantStatus;
import java.nio.charset.StandardCharsets;
import java.security.GeneralSecurityException;
import java.security.MessageDigest;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.Arrays;
import java.util.Base64;
import java.util.EnumSet;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeSet;
import javax.crypto.Mac;
import javax.crypto.spec.SecretKeySpec;

/**
 * Embed tokens: read-only JWTs (HS256) a tenant mints with its API key to show its own users the dashboard or the
 * read API without handing out the key. A token is bound to the tenant and the issuing key (claims {@code sub},
 * {@code key}), carries its scopes ({@code results:read}, {@code usage:read}, {@code statements:read}), optionally
 * the only jobs it may read ({@code jobs}), and lives at most 24 h.
 *
 * <p>Verification is local: the signing key of key id {@code kid} is {@code HMAC-SHA-256(pepper, "embed-signing-key:"
 * + kid)}. The pepper is already identical on every instance (key hashes depend on it) and lives outside Kafka, so
 * every instance derives the same signing keys without distributing anything, and a copy of the topics alone cannot
 * forge a token. Rotation changes the key id, not the pepper (which would void every API key): {@link EmbedSettings}
 * lists the accepted ids, the first signs. The issuing key is looked up in the local {@link Directory} on every
 * request, so revoking it (or suspending the tenant) ends its tokens as fast as it ends the key.
 */
public final class EmbedTokens {
  public static final Duration MAX_TTL = Duration.ofHours(24);
  public static final int MAX_JOBS = 100;
  private static final String ISSUER = "storystream";
  private static final Base64.Encoder B64 = Base64.getUrlEncoder().withoutPadding();

  /** What an embed token may be granted, and which read routes each grant opens. */
  public enum EmbedScope {
    RESULTS_READ("results:read", Scope.ANALYSES_READ, Set.of("/v1/analyses", "/v1/analyses/{jobId}",
        "/v1/analyses/{jobId}/result", "/v1/analyses/{jobId}/charts/{n}", "/v1/analyses/{jobId}/dataset")),
    USAGE_READ("usage:read", Scope.USAGE_READ, Set.of("/v1/usage")),
    STATEMENTS_READ("statements:read", Scope.USAGE_READ, Set.of("/v1/statements/{month}",
        "/v1/statements/{month}/revisions"));

    final String wire;
    final Scope keyScope;
    final Set<String> routes;

    EmbedScope(String wire, Scope keyScope, Set<String> routes) {
      this.wire = wire;
      this.keyScope = keyScope;
      this.routes = routes;
    }

    public String wire() {
      return wire;
    }

    static EmbedScope parse(String wire) {
      return Arrays.stream(values()).filter(s -> s.wire.equals(wire)).findFirst().orElse(null);
    }

    static List<String> wireNames() {
      return Arrays.stream(values()).map(EmbedScope::wire).toList();
    }
  }

  /** A minted token and when it stops working. */
  public record Minted(String token, Instant expiresAt) {
    @Override
    public String toString() {
      return "Minted[expiresAt=" + expiresAt + "]"; // never the token
    }
  }

  /** A verified token's claims. */
  public record Grant(String tenantId, String keyId, Set<EmbedScope> scopes, Set<String> jobIds, Instant expiresAt) {
    boolean narrowed() {
      return !jobIds.isEmpty();
    }
  }

  private final Directory directory;
  private final ApiKeyCodec codec;
  private final EmbedSettings settings;
  private final Clock clock;

  public EmbedTokens(Directory directory, ApiKeyCodec codec, EmbedSettings settings, Clock clock) {
    this.directory = directory;
    this.codec = codec;
    this.settings = settings;
    this.clock = clock;
  }

  /** A bearer credential with the JWT shape (three base64url parts, a JSON header); API keys start {@code ssk_}. */
  public static boolean looksLikeToken(String presented) {
    return presented.startsWith("eyJ") && presented.chars().filter(c -> c == '.').count() == 2;
  }

  // ---- minting ----------------------------------------------------------------------------------------------------

  /**
   * Mints a token for the issuing key. Every scope must be one the key itself holds (results need
   * {@code analyses:read}, usage and statements {@code usage:read}): a token never reaches further than its key.
   */
  public Minted mint(Principal issuer, List<String> scopeNames, long ttlSeconds, List<String> jobIds) {
    if (scopeNames.isEmpty()) {
      throw invalid("scopes", "scopes lists at least one of " + EmbedScope.wireNames());
    }
    Set<EmbedScope> scopes = EnumSet.noneOf(EmbedScope.class);
    for (String name : scopeNames) {
      EmbedScope scope = EmbedScope.parse(name);
      if (scope == null) {
        throw invalid("scopes", "an embed token's scopes are " + EmbedScope.wireNames());
      }
      scopes.add(scope);
    }
    if (ttlSeconds < 1 || ttlSeconds > MAX_TTL.toSeconds()) {
      throw invalid("ttlSeconds", "ttlSeconds is between 1 and " + MAX_TTL.toSeconds() + " (24 h)");
    }
    if (jobIds.size() > MAX_JOBS || jobIds.stream().anyMatch(id -> !Ids.looksLike("job", id))) {
      throw invalid("jobIds", "jobIds lists at most " + MAX_JOBS + " job ids (job_…)");
    }
    if (!jobIds.isEmpty() && !scopes.contains(EmbedScope.RESULTS_READ)) {
      throw invalid("jobIds", "jobIds narrows results:read, which the scopes do not grant");
    }
    List<String> beyondKey = scopes.stream().filter(s -> !issuer.can(s.keyScope)).map(EmbedScope::wire).toList();
    if (!beyondKey.isEmpty()) {
      throw new ProblemException(Problem.of(403, "insufficient-scope", "Insufficient scope",
          "an embed token cannot reach further than the key minting it; this key cannot grant " + beyondKey)
          .with("requiredScopes", scopes.stream().map(s -> s.keyScope.wire()).distinct().sorted().toList()));
    }
    Instant now = clock.instant();
    Instant expiresAt = now.plusSeconds(ttlSeconds);
    String kid = settings.signingKeyIds().get(0);
    ObjectNode header = Json.mapper().createObjectNode().put("alg", "HS256").put("typ", "JWT").put("kid", kid);
    ObjectNode claims = Json.mapper().createObjectNode()
        .put("iss", ISSUER).put("sub", issuer.tenantId()).put("key", issuer.keyId())
        .put("jti", Ids.newId("emb")).put("iat", now.getEpochSecond()).put("exp", expiresAt.getEpochSecond())
        .put("scope", String.join(" ", scopes.stream().map(EmbedScope::wire).toList()));
    if (!jobIds.isEmpty()) {
      ArrayNode jobs = claims.putArray("jobs");
      new TreeSet<>(jobIds).forEach(jobs::add);
    }
    String signingInput = part(header) + "." + part(claims);
    return new Minted(signingInput + "." + B64.encodeToString(signature(kid, signingInput)), expiresAt);
  }

  private static ProblemException invalid(String field, String detail) {
    return new ProblemException(Problem.of(422, "invalid-field", "Invalid field", detail).with("field", field));
  }

  private static String part(ObjectNode node) {
    try {
      return B64.encodeToString(Json.mapper().writeValueAsBytes(node));
    } catch (Exception e) {
      throw new IllegalStateException(e);
    }
  }

  private byte[] signature(String kid, String signingInput) {
    try {
      Mac mac = Mac.getInstance("HmacSHA256");
      mac.init(new SecretKeySpec(codec.sign("embed-signing-key:" + kid), "HmacSHA256"));
      return mac.doFinal(signingInput.getBytes(StandardCharsets.US_ASCII));
    } catch (GeneralSecurityException e) {
      throw new IllegalStateException("HmacSHA256 is part of every JDK", e);
    }
  }

  // ---- verifying --------------------------------------------------------------------------------------------------

  /**
   * The principal of a presented token on the route being served, or a problem: 401 for a token that is not ours,
   * tampered, expired, or whose issuing key no longer works; 403 for a route outside its scopes (every write
   * route among them); 404 for a job it was not narrowed to, exactly as for a job that does not exist.
   */
  public Principal authenticate(Context ctx, String token) {
    Grant grant = verify(token);
    Tenant tenant = issuerTenant(ctx, grant);
    Route route = ctx.attribute(Attrs.ROUTE);
    boolean reachable = route != null && route.method() == HandlerType.GET
        && grant.scopes().stream().anyMatch(s -> s.routes.contains(route.path()));
    if (!reachable) {
      throw new ProblemException(Problem.of(403, "embed-token-scope", "Outside the embed token's scopes",
          "an embed token is read-only and reaches only the read routes of its scopes "
              + grant.scopes().stream().map(EmbedScope::wire).toList()));
    }
    if (grant.narrowed()) {
      Map<String, String> params = ctx.pathParamMap();
      if (!params.containsKey("jobId")) {
        throw new ProblemException(403, "embed-token-narrowed", "Embed token narrowed to jobs",
            "this embed token reads only the jobs it lists; read each by id");
      }
      if (!grant.jobIds().contains(params.get("jobId"))) {
        throw new ProblemException(404, "not-found", "Not found", "no such job");
      }
    }
    Set<Scope> scopes = EnumSet.noneOf(Scope.class);
    grant.scopes().forEach(s -> scopes.add(s.keyScope));
    return new Principal(grant.tenantId(), grant.keyId(), scopes, tenant.getPlan(), tenant.getLimits());
  }

  /**
   * {@code route} with what {@link #authenticate} may answer on it declared: on every tenant route 401 for a token
   * that is not valid, expired or whose key is revoked, 403 outside its scopes; on a read route of a scope, 404 for a
   * job the token is not narrowed to (routes with a job id) or 403 for a token narrowed to jobs (the others).
   */
  public static Route declare(Route route) {
    Route declared = route.withProblems(401, "invalid-embed-token", "embed-token-expired", "embed-token-revoked")
        .withProblems(403, "embed-token-scope");
    boolean reachable = route.method() == HandlerType.GET
        && java.util.Arrays.stream(EmbedScope.values()).anyMatch(s -> s.routes.contains(route.path()));
    if (!reachable) {
      return declared;
    }
    return route.pathParams().contains("jobId") ? declared.withProblems(404, "not-found")
        : declared.withProblems(403, "embed-token-narrowed");
  }

  /** {@link #authenticate} in the form the gate takes a key's outcome in; a 401 asks for a bearer token again. */
  public Directory.Verdict verdict(Context ctx, String token) {
    try {
      Principal principal = authenticate(ctx, token);
      return new Directory.Verdict(principal, null, principal.keyId(), principal.tenantId());
    } catch (ProblemException e) {
      if (e.problem().status() == 401) {
        ctx.header("WWW-Authenticate", "Bearer error=\"invalid_token\"");
      }
      throw e;
    }
  }

  /** Checks signature, key id, algorithm and expiry, and reads the claims. */
  Grant verify(String token) {
    String[] parts = token.split("\\.", -1);
    if (parts.length != 3) {
      throw refused("invalid-embed-token", "Invalid embed token", "the token is not valid");
    }
    try {
      JsonNode header = Json.mapper().readTree(Base64.getUrlDecoder().decode(parts[0]));
      String kid = header.path("kid").asText("");
      if (!"HS256".equals(header.path("alg").asText()) || !settings.signingKeyIds().contains(kid)) {
        throw refused("invalid-embed-token", "Invalid embed token", "the token is not valid");
      }
      byte[] presented = Base64.getUrlDecoder().decode(parts[2]);
      if (!MessageDigest.isEqual(signature(kid, parts[0] + "." + parts[1]), presented)) {
        throw refused("invalid-embed-token", "Invalid embed token", "the token is not valid");
      }
      JsonNode claims = Json.mapper().readTree(Base64.getUrlDecoder().decode(parts[1]));
      Instant expiresAt = Instant.ofEpochSecond(claims.path("exp").asLong(0));
      if (!expiresAt.isAfter(clock.instant())) {
        throw refused("embed-token-expired", "Embed token expired", "this embed token has expired");
      }
      Set<EmbedScope> scopes = EnumSet.noneOf(EmbedScope.class);
      for (String name : claims.path("scope").asText("").split(" ")) {
        EmbedScope scope = EmbedScope.parse(name);
        if (scope != null) {
          scopes.add(scope);
        }
      }
      Set<String> jobs = new LinkedHashSet<>();
      claims.path("jobs").forEach(j -> jobs.add(j.asText()));
      return new Grant(claims.path("sub").asText(), claims.path("key").asText(), scopes, Set.copyOf(jobs), expiresAt);
    } catch (ProblemException e) {
      throw e;
    } catch (Exception malformed) {
      throw refused("invalid-embed-token", "Invalid embed token", "the token is not valid");
    }
  }

  /** The issuing key must still work, for the same tenant, right now. */
  private Tenant issuerTenant(Context ctx, Grant grant) {
    ApiKey key = directory.key(grant.keyId()).orElse(null);
    if (key == null || !key.getTenantId().equals(grant.tenantId())) {
      throw refused("invalid-embed-token", "Invalid embed token", "the token is not valid");
    }
    Attrs.auditTenant(ctx, grant.tenantId());
    ctx.attribute(Attrs.AUDIT_KEY, grant.keyId());
    if (key.getStatus() == ApiKeyStatus.REVOKED
        || (key.getExpiresAt() != null && !key.getExpiresAt().isAfter(clock.instant()))) {
      throw refused("embed-token-revoked", "Embed token revoked",
          "the API key that minted this embed token was revoked or has expired");
    }
    Tenant tenant = directory.tenant(grant.tenantId()).orElse(null);
    if (tenant == null || tenant.getStatus() != TenantStatus.ACTIVE) {
      throw refused("tenant-inactive", "Tenant not active", "the tenant of this token is not active");
    }
    return tenant;
  }

  private static ProblemException refused(String slug, String title, String detail) {
    return new ProblemException(401, slug, title, detail);
  }
}
