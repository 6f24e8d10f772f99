package io.storystream.ingress.http;

import com.github.benmanes.caffeine.cache.Cache;
import com.github.benmanes.caffeine.cache.Caffeine;
import io.javalin.http.Context;
import io.storystream.common.Ids;
import io.storystream.common.http.Problem;
import io.storystream.common.http.ProblemException;
import io.storystream.ingress.auth.ApiKeyCodec;
import io.storystream.ingress.auth.Directory;
import io.storystream.ingress.auth.EdgeRateLimiter;
import io.storystream.ingress.auth.FailedAuthThrottle;
import io.storystream.ingress.auth.Principal;
import io.storystream.ingress.auth.Scope;
import io.storystream.ingress.embed.EmbedTokens;
import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.time.Clock;
import java.time.Duration;
import java.util.HexFormat;
import java.util.Set;
import java.util.function.BooleanSupplier;

/**
 * The checks in front of every route: tenant key (Bearer or X-Api-Key) → edge rate limit → scope, or the operator
 * token (with failed attempts throttled per client address). While the local copy of the key directory is behind or
 * its reader has failed, tenant authentication answers 503 rather than trust a copy that may miss a revocation.
 * Refused keys are rate limited too: every refusal (missing, malformed, unknown, revoked, expired key) is charged to
 * the presented key id ({@link #REFUSALS_PER_MINUTE_PER_KEY}) and to the client address
 * ({@link #REFUSALS_PER_MINUTE_PER_ADDRESS}); once either is spent, further refused calls are answered 429 and not
 * audited, so a flood of bad keys costs no audit events; calls with a valid key are never charged or held back.
 *
 * <p>Requests that another ingress instance forwarded here carry a signature made with the shared pepper over the
 * time, a one-time nonce, the receiving instance, the method, the path and query, and the key id; they were rate
 * limited and audited where they entered, so they are not charged a second time. The signature holds for
 * {@value #FORWARD_MAX_AGE_MS} ms and each nonce is accepted once, so a captured forwarded request replayed (to this
 * instance or another, with this key or another) is an ordinary request: rate limited and audited.
 */
public final class Gate {
  public static final String FORWARDED_HEADER = "Storystream-Forwarded";
  static final long FORWARD_MAX_AGE_MS = 10_000;
  private static final String FORWARD_VERDICT = "gate.forwarded";
  static final int REFUSALS_PER_MINUTE_PER_KEY = 30;
  static final int REFUSALS_PER_MINUTE_PER_ADDRESS = 300;

  private final Directory directory;
  private final BooleanSupplier directoryCurrent;
  private final EdgeRateLimiter limiter;
  private final ApiKeyCodec codec;
  private final byte[] operatorToken;
  private final FailedAuthThrottle operatorFailures = new FailedAuthThrottle();
  private final String self;
  private final Clock clock;
  private final EmbedTokens embed;
  private final EdgeRateLimiter refusals = new EdgeRateLimiter();
  private final Cache<String, Boolean> usedNonces = Caffeine.newBuilder()
      .expireAfterWrite(Duration.ofMillis(3 * FORWARD_MAX_AGE_MS)).maximumSize(1_000_000).build();

  /**
   * @param directoryCurrent true while the local directory is caught up and its reader healthy
   * @param self this instance's advertised {@code host:port}, the audience of requests forwarded to it
   */
  public Gate(Directory directory, BooleanSupplier directoryCurrent, EdgeRateLimiter limiter, ApiKeyCodec codec,
              String operatorToken, String self, Clock clock) {
    this(directory, directoryCurrent, limiter, codec, operatorToken, self, clock, null);
  }

  /** A gate that also takes embed tokens (read-only JWTs) in place of a key, on the routes of their scopes. */
  public Gate(Directory directory, BooleanSupplier directoryCurrent, EdgeRateLimiter limiter, ApiKeyCodec codec,
              String operatorToken, String self, Clock clock, EmbedTokens embed) {
    this.embed = embed;
    this.directory = directory;
    this.directoryCurrent = directoryCurrent;
    this.limiter = limiter;
    this.codec = codec;
    this.operatorToken = operatorToken.getBytes(StandardCharsets.UTF_8);
    this.self = self;
    this.clock = clock;
  }

  /**
   * The route with what embed tokens may answer on it declared: a tenant route can be called with one (401 when it
   * is not valid, 403 outside its scopes); a route it reaches answers 403 to a token narrowed to jobs, or 404 for a
   * job it is not narrowed to. What {@link #tenant} and {@link #operator} answer otherwise is declared by
   * {@link Route.Builder#tenant} and {@link Route.Builder#operator}.
   */
  public Route declare(Route route) {
    return embed == null || route.access() != Route.Access.TENANT ? route : EmbedTokens.declare(route);
  }

  public Principal tenant(Context ctx, Set<Scope> anyOf) {
    String presented = presentedKey(ctx);
    if (presented != null && !directoryCurrent.getAsBoolean()) {
      // a copy that is behind may still hold a revoked key or an erased tenant as valid
      ctx.header("Retry-After", "5");
      throw new ProblemException(503, "directory-unavailable", "Authentication unavailable",
          "keys cannot be checked right now; retry in a few seconds");
    }
    Directory.Verdict verdict = presented == null ? null
        : embed != null && EmbedTokens.looksLikeToken(presented) ? embed.verdict(ctx, presented)
        : directory.authenticate(presented);
    if (verdict == null || !verdict.accepted()) {
      refuseFloods(ctx, presented);
    }
    if (verdict == null) {
      ctx.header("WWW-Authenticate", "Bearer");
      throw new ProblemException(401, "missing-api-key", "Missing API key",
          "send the key as 'Authorization: Bearer ssk_…' or 'X-Api-Key: ssk_…'");
    }
    if (!verdict.accepted()) {
      if (verdict.tenantId() != null) {
        ctx.attribute(Attrs.AUDIT_TENANT, verdict.tenantId());
        ctx.attribute(Attrs.AUDIT_KEY, verdict.keyId());
      }
      ctx.header("WWW-Authenticate", "Bearer error=\"invalid_token\"");
      throw switch (verdict.refusal()) {
        case REVOKED -> new ProblemException(401, "api-key-revoked", "API key revoked", "this key was revoked");
        case EXPIRED -> new ProblemException(401, "api-key-expired", "API key expired", "this key has expired");
        case TENANT_INACTIVE -> new ProblemException(401, "tenant-inactive", "Tenant not active",
            "the tenant of this key is not active");
        default -> new ProblemException(401, "invalid-api-key", "Invalid API key", "the key is not valid");
      };
    }
    Principal principal = verdict.principal();
    ctx.attribute(Attrs.PRINCIPAL, principal);
    if (!forwardedBySibling(ctx)) {
      EdgeRateLimiter.Decision decision = limiter.tryConsume(principal.keyId(), principal.limits().getRequestsPerMinute());
      ctx.header("RateLimit-Limit", Integer.toString(decision.limit()));
      ctx.header("RateLimit-Remaining", Long.toString(decision.remaining()));
      ctx.header("RateLimit-Reset", Long.toString(decision.resetSeconds()));
      if (!decision.allowed()) {
        ctx.header("Retry-After", Long.toString(decision.retryAfterSeconds()));
        throw new ProblemException(Problem.of(429, "rate-limited", "Too many requests",
            "this key may make " + decision.limit() + " requests a minute; retry after "
                + decision.retryAfterSeconds() + " s").with("retryAfterSeconds", decision.retryAfterSeconds()));
      }
    }
    if (!anyOf.isEmpty() && anyOf.stream().noneMatch(principal::can)) {
      throw new ProblemException(Problem.of(403, "insufficient-scope", "Insufficient scope",
          "this call needs one of the scopes " + anyOf.stream().map(Scope::wire).sorted().toList())
          .with("requiredScopes", anyOf.stream().map(Scope::wire).sorted().toList()));
    }
    return principal;
  }

  /**
   * A call about to be refused (no key, or a key that is not accepted): answered 429 instead while its key or its
   * address has been refused too often this minute (nothing audited then), else charged one refusal. Only refused
   * calls are charged or checked, so valid keys calling from the same address are never affected.
   */
  private void refuseFloods(Context ctx, String presented) {
    String keyBucket = presented == null ? null
        : ApiKeyCodec.parse(presented).map(p -> "key:" + p.keyId()).orElse(null);
    String addressBucket = "addr:" + ctx.ip();
    long wait = Math.max(keyBucket == null ? 0 : refusals.secondsUntilAvailable(keyBucket),
        refusals.secondsUntilAvailable(addressBucket));
    if (wait > 0) {
      ctx.header("Retry-After", Long.toString(wait));
      throw new ProblemException(Problem.of(429, "rate-limited", "Too many requests",
          "too many refused calls with this key or from this address; retry after " + wait + " s")
          .with("retryAfterSeconds", wait));
    }
    if (keyBucket != null) {
      refusals.tryConsume(keyBucket, REFUSALS_PER_MINUTE_PER_KEY);
    }
    refusals.tryConsume(addressBucket, REFUSALS_PER_MINUTE_PER_ADDRESS);
  }

  public void operator(Context ctx) {
    String address = ctx.ip();
    long wait = operatorFailures.retryAfterSeconds(address);
    if (wait > 0) {
      ctx.header("Retry-After", Long.toString(wait));
      throw new ProblemException(Problem.of(429, "too-many-failed-logins", "Too many failed attempts",
          "too many failed operator authentications from this address; retry after " + wait + " s")
          .with("retryAfterSeconds", wait));
    }
    String auth = ctx.header("Authorization");
    byte[] presented = auth != null && auth.regionMatches(true, 0, "Bearer ", 0, 7)
        ? auth.substring(7).trim().getBytes(StandardCharsets.UTF_8) : new byte[0];
    if (!MessageDigest.isEqual(presented, operatorToken)) {
      operatorFailures.failed(address);
      ctx.header("WWW-Authenticate", "Bearer");
      throw new ProblemException(401, "invalid-operator-token", "Invalid operator token",
          "send the operator token as 'Authorization: Bearer <token>'");
    }
    ctx.attribute(Attrs.OPERATOR, Boolean.TRUE);
  }

  static String presentedKey(Context ctx) {
    String auth = ctx.header("Authorization");
    if (auth != null && auth.regionMatches(true, 0, "Bearer ", 0, 7)) {
      return auth.substring(7).trim();
    }
    String header = ctx.header("X-Api-Key");
    return header == null || header.isBlank() ? null : header.trim();
  }

  /**
   * The header value that marks a request this instance forwards to the sibling {@code target} ({@code host:port}),
   * for the key presented on {@code ctx}.
   */
  public String forwardSignature(Context ctx, String target, String method, String pathAndQuery) {
    long now = clock.millis();
    String nonce = Ids.newId("fwd");
    return now + "." + nonce + "." + HexFormat.of().formatHex(codec.sign(
        forwardMessage(now, nonce, target, method, pathAndQuery, keyIdOf(ctx))));
  }

  /**
   * True when a sibling forwarded this request: a valid signature for this instance, this method, path, query and
   * key, at most {@value #FORWARD_MAX_AGE_MS} ms old, with a nonce not seen before. Decided once per request.
   */
  public boolean forwardedBySibling(Context ctx) {
    Boolean decided = ctx.attribute(FORWARD_VERDICT);
    if (decided == null) {
      decided = verifyForward(ctx);
      ctx.attribute(FORWARD_VERDICT, decided);
    }
    return decided;
  }

  private boolean verifyForward(Context ctx) {
    String header = ctx.header(FORWARDED_HEADER);
    if (header == null) {
      return false;
    }
    String[] parts = header.split("\\.", -1);
    if (parts.length != 3) {
      return false;
    }
    try {
      long at = Long.parseLong(parts[0]);
      if (Math.abs(clock.millis() - at) > FORWARD_MAX_AGE_MS) {
        return false;
      }
      String pathAndQuery = ctx.path() + (ctx.queryString() == null ? "" : "?" + ctx.queryString());
      byte[] expected = codec.sign(forwardMessage(at, parts[1], self, ctx.method().name(), pathAndQuery,
          keyIdOf(ctx)));
      if (!MessageDigest.isEqual(expected, HexFormat.of().parseHex(parts[2]))) {
        return false;
      }
      // a valid signature is good for one request: a replay of it is treated as a request of its own
      return usedNonces.asMap().putIfAbsent(parts[1], Boolean.TRUE) == null;
    } catch (IllegalArgumentException malformed) {
      return false;
    }
  }

  private static String forwardMessage(long at, String nonce, String target, String method, String pathAndQuery,
                                       String keyId) {
    return "forward:v2:" + at + ":" + nonce + ":" + target + ":" + method + ":" + pathAndQuery + ":" + keyId;
  }

  private static String keyIdOf(Context ctx) {
    String presented = presentedKey(ctx);
    return presented == null ? "-" : ApiKeyCodec.parse(presented).map(ApiKeyCodec.Presented::keyId).orElse("-");
  }
}
