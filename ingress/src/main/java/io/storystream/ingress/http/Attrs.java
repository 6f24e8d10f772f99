package io.storystream.ingress.http;

import io.javalin.http.Context;
import io.storystream.ingress.auth.Principal;

/** Request attributes the pipeline shares between the gate, handlers and the after-hooks (metrics, audit). */
public final class Attrs {
  public static final String REQUEST_ID = "requestId";
  public static final String STARTED = "startedNanos";
  public static final String ROUTE = "route";
  public static final String PRINCIPAL = "principal";
  /** Tenant and key an audit event is about, when known without a principal (operator calls, refused keys). */
  public static final String AUDIT_TENANT = "audit.tenant";
  public static final String AUDIT_KEY = "audit.key";
  public static final String AUDIT_RESOURCE = "audit.resource";
  public static final String OPERATOR = "operator";

  private Attrs() {}

  public static Principal principal(Context ctx) {
    Principal p = ctx.attribute(PRINCIPAL);
    if (p == null) {
      throw new IllegalStateException("route " + ctx.path() + " used without a tenant gate");
    }
    return p;
  }

  public static String requestId(Context ctx) {
    return ctx.attribute(REQUEST_ID);
  }

  /** Names the resource an audit event is about when it is not a path parameter (e.g. a newly created id). */
  public static void auditResource(Context ctx, String resourceId) {
    ctx.attribute(AUDIT_RESOURCE, resourceId);
  }

  public static void auditTenant(Context ctx, String tenantId) {
    ctx.attribute(AUDIT_TENANT, tenantId);
  }
}
