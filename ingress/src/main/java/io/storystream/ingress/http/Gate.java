package io.storystream.ingress.http;

import io.javalin.http.Context;
import io.storystream.common.http.Problem;
import io.storystream.common.http.ProblemException;
import io.storystream.ingress.auth.ApiKeyCodec;
import io.storystream.ingress.auth.Directory;
import io.storystream.ingress.auth.EdgeRateLimiter;
import io.storystream.ingress.auth.Principal;
import io.storystream.ingress.auth.Scope;
import io.storystream.ingress.embed.EmbedTokens;
import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.time.Clock;
import java.util.HexFormat;
import java.util.Set;

/**
 * The checks in front of every route: tenant key (Bearer or X-Api-Key) → edge rate limit → scope, or the operator
 * token. Refused keys are rate limited too: every refusal (missing, malformed, unknown, revoked, expired key) is
 * charged to the presented key id ({@link #REFUSALS_PER_MINUTE_PER_KEY}) and to the client address
 * ({@link #REFUSALS_PER_MINUTE_PER_ADDRESS}); once either is spent, further refused calls are answered 429 and not
 * audited, so a flood of bad keys costs no audit events; calls with a valid key are never charged or held back. Requests that another ingress instance forwarded here carry a signature made with the shared pepper; they
 * were rate limited where they entered, so they are not charged a second time.
 */
public final class Gate {
  public static final String FORWARDED_HEADER = "Storystream-Forwarded";
  private static final long FORWARD_MAX_AGE_MS = 60_000;
  static final int REFUSALS_PER_MINUTE_PER_KEY = 30;
  static final int REFUSALS_PER_MINUTE_PER_ADDRESS = 300;

  private final Directory directory;
  private final EdgeRateLimiter limiter;
  private final ApiKeyCodec codec;
  private final byte[] operatorToken;
  private final Clock clock;
  private final EmbedTokens embed;
  private final EdgeRateLimiter refusals = new EdgeRateLimiter();

  public Gate(Directory directory, EdgeRateLimiter limiter, ApiKeyCodec codec, String operatorToken, Clock clock) {
    this(directory, limiter, codec, operatorToken, clock, null);
  }

  /** A gate that also takes embed tokens (read-only JWTs) in place of a key, on the routes of their scopes. */
  public Gate(Directory directory, EdgeRateLimiter limiter, ApiKeyCodec codec, String operatorToken, Clock clock,
              EmbedTokens embed) {
    this.embed = embed;
    this.directory = directory;
    this.limiter = limiter;
    this.codec = codec;
    this.operatorToken = operatorToken.getBytes(StandardCharsets.UTF_8);
    this.clock = clock;
  }

  public Principal tenant(Context ctx, Set<Scope> anyOf) {
    String presented = presentedKey(ctx);
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
    String auth = ctx.header("Authorization");
    byte[] presented = auth != null && auth.regionMatches(true, 0, "Bearer ", 0, 7)
        ? auth.substring(7).trim().getBytes(StandardCharsets.UTF_8) : new byte[0];
    if (!MessageDigest.isEqual(presented, operatorToken)) {
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

  /** The header value that marks a request this instance forwards to a sibling. */
  public String forwardSignature(String method, String pathAndQuery) {
    long now = clock.millis();
    return now + "." + HexFormat.of().formatHex(codec.sign("forward:" + now + ":" + method + ":" + pathAndQuery));
  }

  /** True when a sibling forwarded this request (valid, fresh signature over method, path and query). */
  public boolean forwardedBySibling(Context ctx) {
    String header = ctx.header(FORWARDED_HEADER);
    if (header == null) {
      return false;
    }
    int dot = header.indexOf('.');
    if (dot <= 0) {
      return false;
    }
    try {
      long at = Long.parseLong(header.substring(0, dot));
      if (Math.abs(clock.millis() - at) > FORWARD_MAX_AGE_MS) {
        return false;
      }
      String pathAndQuery = ctx.path() + (ctx.queryString() == null ? "" : "?" + ctx.queryString());
      byte[] expected = codec.sign("forward:" + at + ":" + ctx.method().name() + ":" + pathAndQuery);
      return MessageDigest.isEqual(expected, HexFormat.of().parseHex(header.substring(dot + 1)));
    } catch (IllegalArgumentException malformed) {
      return false;
    }
  }
}
