package io.storystream.ingress.audit;

import io.storystream.ingress.api.TenantBodies;
import io.javalin.http.Context;
import io.storystream.common.http.ProblemException;
import io.storystream.ingress.auth.Directory;
import io.storystream.ingress.http.Attrs;
import io.storystream.ingress.http.Json;
import io.storystream.ingress.http.Route;
import io.storystream.schemas.AuditEvent;
import java.time.Instant;
import java.time.format.DateTimeParseException;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;

/** Audit queries: a tenant reads its own events, the operator reads any tenant's, for a time range. */
public final class AuditRoutes {
  static final int MAX_LIMIT = 10_000;

  private final AuditLog log;
  private final Directory directory;

  public AuditRoutes(AuditLog log, Directory directory) {
    this.log = log;
    this.directory = directory;
  }

  public Route tenantRoute() {
    return withRange(Route.get("/v1/audit").tenant().audit("audit.read", null)
        .doc("getOwnAudit", "The calling tenant's audit events in [from, to), in order"))
        .handle(ctx -> answer(ctx, Attrs.principal(ctx).tenantId()));
  }

  public Route operatorRoute() {
    return withRange(Route.get("/admin/tenants/{tenantId}/audit").operator().audit("audit.read", "tenantId")
        .doc("getTenantAudit", "One tenant's audit events in [from, to), in order").reply(404, "no such tenant")
        .problems(404, "not-found"))
        .handle(ctx -> {
          String tenantId = ctx.pathParam("tenantId");
          if (directory.tenant(tenantId).isEmpty()) {
            throw new ProblemException(404, "not-found", "Not found", "no such tenant");
          }
          Attrs.auditTenant(ctx, tenantId);
          answer(ctx, tenantId);
        });
  }

  private static Route.Builder withRange(Route.Builder b) {
    return b.query("from", "string", "ISO-8601 instant, inclusive (default: the beginning)")
        .query("to", "string", "ISO-8601 instant, exclusive (default: now and later)")
        .query("limit", "integer", "at most this many events (default and maximum 10000)")
        .returns(200, "the events", TenantBodies.AuditEvents.class).reply(400, "bad time range or limit")
        .problems(400, "invalid-query");
  }

  private void answer(Context ctx, String tenantId) {
    Instant from = instant(ctx.queryParam("from"), Instant.EPOCH, "from");
    Instant to = instant(ctx.queryParam("to"), Instant.MAX, "to");
    if (!from.isBefore(to)) {
      throw new ProblemException(400, "invalid-query", "Invalid query parameter", "from must be before to");
    }
    int limit = MAX_LIMIT;
    String rawLimit = ctx.queryParam("limit");
    if (rawLimit != null) {
      try {
        limit = Integer.parseInt(rawLimit);
      } catch (NumberFormatException e) {
        limit = -1;
      }
      if (limit < 1 || limit > MAX_LIMIT) {
        throw new ProblemException(400, "invalid-query", "Invalid query parameter", "limit is 1–" + MAX_LIMIT);
      }
    }
    List<TenantBodies.AuditEvent> events = log.query(tenantId, from, to, limit).stream().map(AuditRoutes::view)
        .toList();
    Json.write(ctx, 200, new TenantBodies.AuditEvents(tenantId, events));
  }

  private static Instant instant(String raw, Instant fallback, String name) {
    if (raw == null || raw.isBlank()) {
      return fallback;
    }
    try {
      return Instant.parse(raw);
    } catch (DateTimeParseException e) {
      throw new ProblemException(400, "invalid-query", "Invalid query parameter",
          name + " is an ISO-8601 instant such as 2026-11-29T00:00:00Z");
    }
  }

  static TenantBodies.AuditEvent view(AuditEvent e) {
    return new TenantBodies.AuditEvent(e.getEventId(), e.getTenantId(), e.getKeyId(),
        e.getActor().name().toLowerCase(Locale.ROOT), e.getAction(), e.getResourceType(), e.getResourceId(),
        e.getOutcome(), e.getHttpStatus(), e.getRequestId(), e.getOccurredAt(), e.getCount() == null ? 1 : e.getCount());
  }
}
