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
  /**
   * Set when the call's audit event is derived from a record the handler wrote (a submit's request record becomes its
   * {@code job.submit} event in the job-status topology): the after-hook then writes nothing itself.
   */
  public static final String AUDITED_BY_RECORD = "audit.byRecord";

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

  /** The call's audit event follows from the record it wrote; the after-hook writes none (see AUDITED_BY_RECORD). */
  public static void auditedByRecord(Context ctx) {
    ctx.attribute(AUDITED_BY_RECORD, Boolean.TRUE);
  }

  public static void auditTenant(Context ctx, String tenantId) {
    ctx.attribute(AUDIT_TENANT, tenantId);
  }
}
