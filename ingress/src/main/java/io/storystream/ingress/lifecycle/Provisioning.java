package io.storystream.ingress.lifecycle;

import io.storystream.ingress.api.OperatorBodies;
import com.fasterxml.jackson.databind.JsonNode;
import io.javalin.http.Context;
import io.storystream.common.http.ProblemException;
import io.storystream.ingress.IngressParts;
import io.storystream.ingress.admin.AdminRoutes;
import io.storystream.ingress.audit.AuditTrail;
import io.storystream.ingress.auth.ApiKeyCodec;
import io.storystream.ingress.auth.Scope;
import io.storystream.ingress.http.Attrs;
import io.storystream.ingress.http.Json;
import io.storystream.ingress.http.JsonBodies;
import io.storystream.schemas.ApiKey;
import io.storystream.schemas.ApiKeyStatus;
import io.storystream.schemas.AuditActor;
import io.storystream.schemas.PlanLimits;
import io.storystream.schemas.Tenant;
import io.storystream.schemas.TenantStatus;
import io.storystream.schemas.topics.TenantKeys;
import io.storystream.schemas.topics.Topics;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.time.Instant;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * {@code POST /admin/tenants/{tenantId}/provision}: the tenant, its plan and its first API key in one call, the secret
 * in this answer only. Idempotent by tenant id: when the tenant exists and has (or had) a key, the call changes nothing
 * and answers 200 with the tenant and its first key, without a secret. A tenant created earlier without a key gets
 * its first key (201). An erased tenant's id cannot be provisioned again (409).
 *
 * <p>Repeats are serialized on this instance; two first calls racing on two instances could both issue a key before
 * either sees the other's (the directory converges within a poll) — operators provision through one endpoint.
 */
final class Provisioning {
  private static final Logger log = LoggerFactory.getLogger(Provisioning.class);
  static final Set<String> FIELDS = JsonBodies.fieldsOf(OperatorBodies.ProvisionTenant.class);

  private final IngressParts parts;

  Provisioning(IngressParts parts) {
    this.parts = parts;
  }

  synchronized void provision(Context ctx) throws IOException {
    String tenantId = ctx.pathParam("tenantId");
    if (!TenantKeys.isValidTenantId(tenantId)) {
      throw AdminRoutes.invalid("tenantId",
          "tenantId has 2–63 lower-case letters, digits or dashes, starting with a letter or digit");
    }
    JsonNode body = ctx.req().getContentLengthLong() <= 0 && ctx.contentType() == null
        ? Json.mapper().createObjectNode() : JsonBodies.readObject(ctx, AdminRoutes.MAX_BODY, FIELDS);
    Attrs.auditTenant(ctx, tenantId);
    Attrs.auditResource(ctx, tenantId);
    Optional<Tenant> held = parts.directory().tenant(tenantId);
    if (held.isPresent() && held.get().getStatus() == TenantStatus.DELETED) {
      throw new ProblemException(409, "tenant-deleted", "Tenant deleted", "this tenant id belonged to an erased tenant");
    }
    Instant now = parts.clock().instant();
    boolean created = false;
    Tenant tenant;
    if (held.isPresent()) {
      tenant = held.get();
    } else {
      String name = body.hasNonNull("name") ? AdminRoutes.requiredText(body, "name") : tenantId;
      AdminRoutes.checkName(name);
      String plan = body.hasNonNull("plan") ? AdminRoutes.requiredText(body, "plan") : "starter";
      PlanLimits limits = AdminRoutes.limits(plan, body.get("limits"), null);
      List<String> scopes = scopes(body); // validate everything before writing anything
      keyName(body);
      tenant = Tenant.newBuilder().setTenantId(tenantId).setName(name).setPlan(plan).setLimits(limits)
          .setStatus(TenantStatus.ACTIVE).setCreatedAt(now).setUpdatedAt(now).build();
      parts.publisher().sendAndWait(Topics.TENANTS, tenantId, tenant);
      created = true;
      log.info("tenant {} provisioned on plan {} (scopes of its first key {})", tenantId, plan, scopes);
    }

    List<ApiKey> keys = parts.directory().keysOf(tenantId);
    OperatorBodies.ApiKeyInfo keyView;
    boolean issued = false;
    if (keys.isEmpty()) {
      ApiKeyCodec.Issued secret = parts.codec().issue();
      ApiKey key = ApiKey.newBuilder().setKeyId(secret.keyId()).setTenantId(tenantId)
          .setSecretHash(ByteBuffer.wrap(secret.secretHash())).setPepperId(ApiKeyCodec.PEPPER_ID)
          .setScopes(new ArrayList<>(scopes(body))).setStatus(ApiKeyStatus.ACTIVE).setName(keyName(body))
          .setCreatedAt(now).build();
      parts.publisher().sendAndWait(Topics.API_KEYS, key.getKeyId(), key);
      parts.auditTrail().record(new AuditTrail.Entry(tenantId, null, AuditActor.OPERATOR, "key.create",
          key.getKeyId(), "success", 201, Attrs.requestId(ctx)));
      log.info("first key {} issued for tenant {}", key.getKeyId(), tenantId);
      keyView = AdminRoutes.keyInfo(key, null).withSecret(secret.apiKey());
      issued = true;
    } else {
      keyView = AdminRoutes.keyInfo(keys.get(0), null); // the first key, never its secret
    }
    var answer = new OperatorBodies.Provisioned(AdminRoutes.tenantView(tenant), keyView, created, issued);
    if (created) {
      ctx.header("Location", "/admin/tenants/" + tenantId);
    }
    Json.write(ctx, created || issued ? 201 : 200, answer);
  }

  private static List<String> scopes(JsonNode body) {
    if (!body.hasNonNull("scopes")) {
      return Scope.wireNames();
    }
    JsonNode raw = body.get("scopes");
    if (!raw.isArray() || raw.isEmpty()) {
      throw AdminRoutes.invalid("scopes", "scopes is a non-empty array of " + Scope.wireNames());
    }
    Set<String> scopes = new LinkedHashSet<>();
    for (JsonNode s : raw) {
      if (!s.isTextual() || Scope.parse(s.asText()).isEmpty()) {
        throw AdminRoutes.invalid("scopes", "scopes are " + Scope.wireNames());
      }
      scopes.add(s.asText());
    }
    return List.copyOf(scopes);
  }

  private static String keyName(JsonNode body) {
    if (!body.hasNonNull("keyName")) {
      return null;
    }
    String name = AdminRoutes.requiredText(body, "keyName");
    AdminRoutes.checkName(name);
    return name;
  }

}
