package io.storystream.ingress.admin;

import io.storystream.ingress.api.OperatorBodies;
import com.fasterxml.jackson.databind.JsonNode;
import io.javalin.http.Context;
import io.storystream.common.http.Problem;
import io.storystream.common.http.ProblemException;
import io.storystream.ingress.audit.AuditLog;
import io.storystream.ingress.auth.ApiKeyCodec;
import io.storystream.ingress.auth.Directory;
import io.storystream.ingress.auth.Plans;
import io.storystream.ingress.auth.Scope;
import io.storystream.ingress.http.Attrs;
import io.storystream.ingress.http.Json;
import io.storystream.ingress.http.JsonBodies;
import io.storystream.ingress.http.Route;
import io.storystream.ingress.kafka.EventPublisher;
import io.storystream.schemas.ApiKey;
import io.storystream.schemas.ApiKeyStatus;
import io.storystream.schemas.PlanLimits;
import io.storystream.schemas.Tenant;
import io.storystream.schemas.TenantStatus;
import io.storystream.schemas.topics.TenantKeys;
import io.storystream.schemas.topics.Topics;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.time.Clock;
import java.time.Instant;
import java.time.format.DateTimeParseException;
import java.util.ArrayList;
import java.util.Iterator;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Set;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The operator API ({@code /admin}, its own port, operator token): tenants with their plans, and tenant API keys —
 * issued with the secret shown once, listed without it, revoked. Every change is an event on {@code tenants} or
 * {@code api-keys}, read back by every instance's directory.
 */
public final class AdminRoutes {
  private static final Logger log = LoggerFactory.getLogger(AdminRoutes.class);
  /** The largest operator request body: tenants, plans and keys are small. */
  public static final int MAX_BODY = 16 * 1024;

  private final Directory directory;
  private final EventPublisher publisher;
  private final ApiKeyCodec codec;
  private final AuditLog auditLog;
  private final Clock clock;

  public AdminRoutes(Directory directory, EventPublisher publisher, ApiKeyCodec codec, AuditLog auditLog, Clock clock) {
    this.directory = directory;
    this.publisher = publisher;
    this.codec = codec;
    this.auditLog = auditLog;
    this.clock = clock;
  }

  public List<Route> routes() {
    return List.of(
        Route.post("/admin/tenants").operator().audit("tenant.create", null)
            .doc("createTenant", "Create a tenant with a plan (idempotent by tenant id: a repeat answers 200)")
            .body(OperatorBodies.CreateTenant.class).returns(201, "created", OperatorBodies.TenantInfo.class)
            .returns(200, "already existed; unchanged", OperatorBodies.TenantInfo.class)
            .apply(AdminRoutes::checkedFields)
            .reply(409, "the tenant id belonged to an erased tenant").problems(409, "tenant-deleted")
            .handle(this::createTenant),
        Route.get("/admin/tenants").operator()
            .doc("listTenants", "Every tenant").returns(200, "the tenants", OperatorBodies.TenantList.class)
            .handle(ctx -> Json.write(ctx, 200, new OperatorBodies.TenantList(
                directory.tenants().stream().map(AdminRoutes::tenantView).toList()))),
        Route.get("/admin/tenants/{tenantId}").operator().audit("tenant.read", "tenantId")
            .doc("getTenant", "One tenant").returns(200, "the tenant", OperatorBodies.TenantInfo.class)
            .apply(AdminRoutes::ofOneTenant)
            .handle(ctx -> Json.write(ctx, 200, tenantView(existing(ctx)))),
        Route.patch("/admin/tenants/{tenantId}").operator().audit("plan.change", "tenantId")
            .doc("updateTenant", "Change a tenant's name, plan or limits").body(OperatorBodies.UpdateTenant.class)
            .returns(200, "the updated tenant", OperatorBodies.TenantInfo.class).apply(AdminRoutes::ofOneTenant)
            .apply(AdminRoutes::checkedFields)
            .handle(this::patchTenant),
        Route.put("/admin/tenants/{tenantId}/plan").operator().audit("plan.change", "tenantId")
            .doc("changePlan", "Move a tenant to a plan").body(OperatorBodies.ChangePlan.class)
            .returns(200, "the updated tenant", OperatorBodies.TenantInfo.class).apply(AdminRoutes::ofOneTenant)
            .apply(AdminRoutes::checkedFields)
            .handle(this::putPlan),
        Route.post("/admin/tenants/{tenantId}/keys").operator().audit("key.create", null)
            .doc("createKey", "Issue an API key; the secret is in this response only")
            .body(OperatorBodies.CreateKey.class)
            .returns(201, "the key, with its secret", OperatorBodies.ApiKeyInfo.class)
            .apply(AdminRoutes::ofOneTenant).apply(AdminRoutes::checkedFields)
            .handle(this::createKey),
        Route.get("/admin/tenants/{tenantId}/keys").operator().audit("key.list", null)
            .doc("listKeys", "A tenant's keys, without secrets").returns(200, "the keys", OperatorBodies.KeyList.class)
            .apply(AdminRoutes::ofOneTenant)
            .handle(this::listKeys),
        Route.delete("/admin/keys/{keyId}").operator().audit("key.revoke", "keyId")
            .doc("revokeKey", "Revoke a key (effective on every instance within a second)")
            .returns(200, "the revoked key", OperatorBodies.ApiKeyInfo.class)
            .reply(404, "no such key").problems(404, "not-found")
            .handle(this::revokeKey));
  }

  /** A route about one tenant of the path: 404 when there is none. */
  private static Route.Builder ofOneTenant(Route.Builder route) {
    return route.reply(404, "no such tenant").problems(404, "not-found");
  }

  /** A body whose fields are checked here: 422 for a required one missing or a value refused (named in field). */
  public static Route.Builder checkedFields(Route.Builder route) {
    return route.reply(422, "invalid fields").problems(422, "missing-field", "invalid-field");
  }

  // ---- tenants --------------------------------------------------------------------------------------------------

  private synchronized void createTenant(Context ctx) throws IOException {
    JsonNode body = JsonBodies.readObject(ctx, MAX_BODY, JsonBodies.fieldsOf(OperatorBodies.CreateTenant.class));
    String tenantId = requiredText(body, "tenantId");
    if (!TenantKeys.isValidTenantId(tenantId)) {
      throw invalid("tenantId", "tenantId has 2–63 lower-case letters, digits or dashes, starting with a letter or digit");
    }
    Attrs.auditTenant(ctx, tenantId);
    Attrs.auditResource(ctx, tenantId);
    var held = directory.tenant(tenantId);
    if (held.isPresent() && held.get().getStatus() != TenantStatus.DELETED) {
      Json.write(ctx, 200, tenantView(held.get()));
      return;
    }
    if (held.isPresent()) {
      throw new ProblemException(409, "tenant-deleted", "Tenant deleted", "this tenant id belonged to an erased tenant");
    }
    String name = body.hasNonNull("name") ? requiredText(body, "name") : tenantId;
    checkName(name);
    String plan = body.hasNonNull("plan") ? requiredText(body, "plan") : "starter";
    PlanLimits limits = limits(plan, body.get("limits"), null);
    Instant now = clock.instant();
    Tenant tenant = Tenant.newBuilder().setTenantId(tenantId).setName(name).setPlan(plan).setLimits(limits)
        .setStatus(TenantStatus.ACTIVE).setCreatedAt(now).setUpdatedAt(now).build();
    publisher.sendAndWait(Topics.TENANTS, tenantId, tenant);
    log.info("tenant {} created on plan {}", tenantId, plan);
    ctx.header("Location", "/admin/tenants/" + tenantId);
    Json.write(ctx, 201, tenantView(tenant));
  }

  private synchronized void patchTenant(Context ctx) throws IOException {
    Tenant tenant = existing(ctx);
    JsonNode body = JsonBodies.readObject(ctx, MAX_BODY, JsonBodies.fieldsOf(OperatorBodies.UpdateTenant.class));
    String plan = body.hasNonNull("plan") ? requiredText(body, "plan") : tenant.getPlan();
    String name = body.hasNonNull("name") ? requiredText(body, "name") : tenant.getName();
    checkName(name);
    PlanLimits base = plan.equals(tenant.getPlan()) ? tenant.getLimits() : null;
    update(ctx, Tenant.newBuilder(tenant).setName(name).setPlan(plan).setLimits(limits(plan, body.get("limits"), base)));
  }

  private synchronized void putPlan(Context ctx) throws IOException {
    Tenant tenant = existing(ctx);
    JsonNode body = JsonBodies.readObject(ctx, MAX_BODY, JsonBodies.fieldsOf(OperatorBodies.ChangePlan.class));
    String plan = requiredText(body, "plan");
    update(ctx, Tenant.newBuilder(tenant).setPlan(plan).setLimits(limits(plan, body.get("limits"), null)));
  }

  private void update(Context ctx, Tenant.Builder changed) {
    Tenant tenant = changed.setUpdatedAt(clock.instant()).build();
    publisher.sendAndWait(Topics.TENANTS, tenant.getTenantId(), tenant);
    log.info("tenant {} now on plan {}", tenant.getTenantId(), tenant.getPlan());
    Json.write(ctx, 200, tenantView(tenant));
  }

  private Tenant existing(Context ctx) {
    String tenantId = ctx.pathParam("tenantId");
    Tenant tenant = directory.tenant(tenantId).filter(t -> t.getStatus() != TenantStatus.DELETED)
        .orElseThrow(() -> new ProblemException(404, "not-found", "Not found", "no such tenant"));
    Attrs.auditTenant(ctx, tenantId);
    return tenant;
  }

  /** A plan's standard limits (or {@code base}), with any of its numbers overridden by {@code overrides}. */
  public static PlanLimits limits(String plan, JsonNode overrides, PlanLimits base) {
    PlanLimits start = base != null ? base : Plans.standard(plan).orElse(null);
    if (start == null && (overrides == null || overrides.isNull())) {
      throw invalid("plan", "plan is one of " + Plans.names() + ", or give every limit for a custom plan");
    }
    if (!plan.matches("[a-z0-9][a-z0-9_-]{0,31}")) {
      throw invalid("plan", "a plan name has 1–32 lower-case letters, digits, '-' or '_'");
    }
    PlanLimits.Builder b = start == null ? PlanLimits.newBuilder() : PlanLimits.newBuilder(start);
    if (overrides != null && !overrides.isNull()) {
      if (!overrides.isObject()) {
        throw invalid("limits", "limits is an object");
      }
      Set<String> known = JsonBodies.fieldsOf(OperatorBodies.Limits.class);
      for (Iterator<String> it = overrides.fieldNames(); it.hasNext(); ) {
        String f = it.next();
        if (!known.contains(f)) {
          String echoed = JsonBodies.echoable(f);
          throw new ProblemException(Problem.of(422, "unknown-field", "Unknown field", "limits has no field " + echoed)
              .with("fields", List.of(echoed)));
        }
      }
      if (overrides.has("analysesPerMonth")) b.setAnalysesPerMonth(positiveInt(overrides, "analysesPerMonth"));
      if (overrides.has("maxFileBytes")) b.setMaxFileBytes(positiveLong(overrides, "maxFileBytes"));
      if (overrides.has("cacheEnabled")) {
        if (!overrides.get("cacheEnabled").isBoolean()) throw invalid("limits.cacheEnabled", "cacheEnabled is a boolean");
        b.setCacheEnabled(overrides.get("cacheEnabled").asBoolean());
      }
      if (overrides.has("requestsPerMinute")) b.setRequestsPerMinute(positiveInt(overrides, "requestsPerMinute"));
      if (overrides.has("concurrentJobs")) b.setConcurrentJobs(positiveInt(overrides, "concurrentJobs"));
      if (overrides.has("retentionDays")) b.setRetentionDays(positiveInt(overrides, "retentionDays"));
      if (overrides.has("maxQueuedJobs")) b.setMaxQueuedJobs(positiveInt(overrides, "maxQueuedJobs"));
    }
    try {
      return b.build();
    } catch (org.apache.avro.AvroRuntimeException incomplete) {
      throw invalid("limits", "a custom plan needs all six limits");
    }
  }

  private static int positiveInt(JsonNode o, String f) {
    JsonNode v = o.get(f);
    if (!v.canConvertToInt() || !v.isIntegralNumber() || v.asInt() < 1) {
      throw invalid("limits." + f, f + " is a positive integer");
    }
    return v.asInt();
  }

  private static long positiveLong(JsonNode o, String f) {
    JsonNode v = o.get(f);
    if (!v.isIntegralNumber() || !v.canConvertToLong() || v.asLong() < 1) {
      throw invalid("limits." + f, f + " is a positive integer");
    }
    return v.asLong();
  }

  public static void checkName(String name) {
    if (name.isBlank() || name.length() > 200 || name.codePoints().anyMatch(cp -> Character.isISOControl(cp)
        || Character.getType(cp) == Character.FORMAT)) {
      throw invalid("name", "name has 1–200 characters, without control or formatting characters");
    }
  }

  // ---- keys -----------------------------------------------------------------------------------------------------

  private void createKey(Context ctx) throws IOException {
    Tenant tenant = existing(ctx);
    JsonNode body = ctx.req().getContentLengthLong() == 0 ? Json.mapper().createObjectNode()
        : JsonBodies.readObject(ctx, MAX_BODY, JsonBodies.fieldsOf(OperatorBodies.CreateKey.class));
    Set<String> scopes = new LinkedHashSet<>();
    if (body.hasNonNull("scopes")) {
      if (!body.get("scopes").isArray() || body.get("scopes").isEmpty()) {
        throw invalid("scopes", "scopes is a non-empty array of " + Scope.wireNames());
      }
      for (JsonNode s : body.get("scopes")) {
        if (!s.isTextual() || Scope.parse(s.asText()).isEmpty()) {
          throw invalid("scopes", "scopes are " + Scope.wireNames());
        }
        scopes.add(s.asText());
      }
    } else {
      scopes.addAll(Scope.wireNames());
    }
    Instant expiresAt = null;
    if (body.hasNonNull("expiresAt")) {
      try {
        expiresAt = Instant.parse(body.get("expiresAt").asText());
      } catch (DateTimeParseException e) {
        throw invalid("expiresAt", "expiresAt is an ISO-8601 instant such as 2027-01-01T00:00:00Z");
      }
      if (!expiresAt.isAfter(clock.instant())) {
        throw invalid("expiresAt", "expiresAt is in the past");
      }
    }
    String name = body.hasNonNull("name") ? requiredText(body, "name") : null;
    if (name != null) {
      checkName(name);
    }
    ApiKeyCodec.Issued issued = codec.issue();
    ApiKey key = ApiKey.newBuilder().setKeyId(issued.keyId()).setTenantId(tenant.getTenantId())
        .setSecretHash(ByteBuffer.wrap(issued.secretHash())).setPepperId(ApiKeyCodec.PEPPER_ID)
        .setScopes(new ArrayList<>(scopes)).setStatus(ApiKeyStatus.ACTIVE).setName(name)
        .setCreatedAt(clock.instant()).setExpiresAt(expiresAt).build();
    publisher.sendAndWait(Topics.API_KEYS, key.getKeyId(), key);
    Attrs.auditResource(ctx, key.getKeyId());
    log.info("key {} issued for tenant {} with scopes {}", key.getKeyId(), tenant.getTenantId(), scopes);
    Json.write(ctx, 201, keyView(key).withSecret(issued.apiKey()));
  }

  private void listKeys(Context ctx) {
    Tenant tenant = existing(ctx);
    Json.write(ctx, 200, new OperatorBodies.KeyList(directory.keysOf(tenant.getTenantId()).stream().map(this::keyView).toList()));
  }

  private void revokeKey(Context ctx) {
    String keyId = ctx.pathParam("keyId");
    ApiKey key = directory.key(keyId).orElseThrow(() -> new ProblemException(404, "not-found", "Not found", "no such key"));
    Attrs.auditTenant(ctx, key.getTenantId());
    if (key.getStatus() != ApiKeyStatus.REVOKED) {
      key = ApiKey.newBuilder(key).setStatus(ApiKeyStatus.REVOKED).setRevokedAt(clock.instant()).build();
      publisher.sendAndWait(Topics.API_KEYS, keyId, key);
      log.info("key {} of tenant {} revoked", keyId, key.getTenantId());
    }
    Json.write(ctx, 200, keyView(key));
  }

  private OperatorBodies.ApiKeyInfo keyView(ApiKey k) {
    return keyInfo(k, auditLog.lastUsed(k.getKeyId()).orElse(null));
  }

  /** A key as the operator sees it, never its secret. */
  public static OperatorBodies.ApiKeyInfo keyInfo(ApiKey k, Instant lastUsedAt) {
    return new OperatorBodies.ApiKeyInfo(k.getKeyId(), k.getTenantId(), k.getName(), k.getScopes(),
        k.getStatus().name().toLowerCase(Locale.ROOT), k.getCreatedAt(), k.getExpiresAt(), k.getRevokedAt(),
        lastUsedAt, null);
  }

  public static OperatorBodies.TenantInfo tenantView(Tenant t) {
    PlanLimits l = t.getLimits();
    OperatorBodies.Limits limits = new OperatorBodies.Limits(l.getAnalysesPerMonth(), l.getMaxFileBytes(),
        l.getCacheEnabled(), l.getRequestsPerMinute(), l.getConcurrentJobs(), l.getRetentionDays(),
        l.getMaxQueuedJobs());
    return new OperatorBodies.TenantInfo(t.getTenantId(), t.getName(), t.getPlan(), limits,
        t.getStatus().name().toLowerCase(Locale.ROOT), t.getCreatedAt(), t.getUpdatedAt());
  }

  // ---- JSON fields ----------------------------------------------------------------------------------------------

  public static String requiredText(JsonNode body, String field) {
    JsonNode v = body.get(field);
    if (v == null || v.isNull()) {
      throw new ProblemException(Problem.of(422, "missing-field", "Missing field", field + " is required")
          .with("field", field));
    }
    if (!v.isTextual()) {
      throw invalid(field, field + " must be a string");
    }
    return v.asText();
  }

  public static ProblemException invalid(String field, String detail) {
    return new ProblemException(Problem.of(422, "invalid-field", "Invalid field", detail).with("field", field));
  }
}
