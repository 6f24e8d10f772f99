package io.storystream.ingress.embed;

import io.storystream.ingress.api.TenantBodies;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.javalin.http.Context;
import io.storystream.common.http.Problem;
import io.storystream.common.http.ProblemException;
import io.storystream.ingress.auth.Principal;
import io.storystream.ingress.http.Attrs;
import io.storystream.ingress.http.Json;
import io.storystream.ingress.http.JsonBodies;
import io.storystream.ingress.http.Route;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * {@code POST /v1/embed-tokens}: an API key mints a read-only embed token for its tenant. An embed token cannot mint
 * another (the route is outside every embed scope). The token is returned once and never logged or audited.
 */
public final class EmbedRoutes {
  private static final int MAX_BODY = 8 * 1024;
  private static final Set<String> FIELDS = JsonBodies.fieldsOf(TenantBodies.CreateEmbedToken.class);
  private static final long DEFAULT_TTL_SECONDS = 3600;

  private final EmbedTokens tokens;

  public EmbedRoutes(EmbedTokens tokens) {
    this.tokens = tokens;
  }

  public List<Route> routes() {
    return List.of(Route.post("/v1/embed-tokens").tenant().audit("embed-token.create", null)
        .doc("createEmbedToken", "Mint a read-only embed token (JWT) for this tenant: scopes results:read, usage:read,"
            + " statements:read; ttlSeconds ≤ 86400 (default 3600); optional jobIds narrows results to those jobs")
        .body(TenantBodies.CreateEmbedToken.class)
        .returns(201, "the token and its expiresAt", TenantBodies.EmbedToken.class)
        .reply(403, "a scope the minting key does not hold").problems(403, "insufficient-scope")
        .reply(422, "invalid scopes, ttlSeconds or jobIds").problems(422, "missing-field", "invalid-field")
        .handle(this::create));
  }

  private void create(Context ctx) throws Exception {
    Principal principal = Attrs.principal(ctx);
    ObjectNode body = JsonBodies.readObject(ctx, MAX_BODY, FIELDS);
    List<String> scopes = strings(body, "scopes", true);
    List<String> jobIds = strings(body, "jobIds", false);
    JsonNode ttl = body.get("ttlSeconds");
    if (ttl != null && !ttl.isNull() && !ttl.canConvertToLong()) {
      throw new ProblemException(Problem.of(422, "invalid-field", "Invalid field", "ttlSeconds must be an integer")
          .with("field", "ttlSeconds"));
    }
    long ttlSeconds = ttl == null || ttl.isNull() ? DEFAULT_TTL_SECONDS : ttl.asLong();
    if (ttl != null && ttl.isNumber() && !ttl.isIntegralNumber()) {
      ttlSeconds = -1; // 1.5 is not a number of seconds
    }
    EmbedTokens.Minted minted = tokens.mint(principal, scopes, ttlSeconds, jobIds);
    TenantBodies.EmbedToken reply = new TenantBodies.EmbedToken(minted.token(), minted.expiresAt());
    ctx.header("Cache-Control", "no-store");
    Json.write(ctx, 201, reply);
  }

  private static List<String> strings(ObjectNode body, String name, boolean required) {
    JsonNode value = body.get(name);
    if (value == null || value.isNull()) {
      if (required) {
        throw new ProblemException(Problem.of(422, "missing-field", "Missing field", name + " is required")
            .with("field", name));
      }
      return List.of();
    }
    List<String> out = new ArrayList<>();
    if (value.isArray()) {
      value.forEach(v -> out.add(v.isTextual() ? v.asText() : null));
    }
    if (!value.isArray() || out.contains(null)) {
      throw new ProblemException(Problem.of(422, "invalid-field", "Invalid field", name + " must be an array of strings")
          .with("field", name));
    }
    return out;
  }
}
