package io.storystream.ingress.http;

import io.javalin.Javalin;
import io.javalin.http.Context;
import io.storystream.common.Ids;
import io.storystream.common.http.Problems;
import io.storystream.ingress.audit.AuditTrail;
import io.storystream.ingress.auth.Principal;
import io.storystream.schemas.AuditActor;
import jakarta.servlet.ServletRequestEvent;
import jakarta.servlet.ServletRequestListener;
import java.util.List;
import java.util.regex.Pattern;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import org.slf4j.MDC;
import io.storystream.common.logging.LogContext;

/**
 * One HTTP server (the tenant API or the operator API) serving a list of {@link Route}s. Around every route: a
 * request id, the gate of the route's access, and afterwards a latency metric and, for audited routes, an audit
 * event whose outcome follows the response status. Every error is problem+json.
 */
public final class ApiServer implements AutoCloseable {
  private static final Logger log = LoggerFactory.getLogger(ApiServer.class);
  private static final Pattern CLIENT_REQUEST_ID = Pattern.compile("[A-Za-z0-9._-]{1,64}");
  /** No byte in or out for this long while a request is read or answered: the stream is closed. */
  static final long IDLE_TIMEOUT_MS = 30_000;
  private static final String SLOT_ATTRIBUTE = "storystream.transferSlot";

  private final String name;
  private final String host;
  private final int requestedPort;
  private List<Route> routes;
  private final Gate gate;
  private final AuditTrail audit;
  private final HttpMetrics metrics;
  private TransferSlots transfers;
  private Javalin app;

  public ApiServer(String name, String host, int port, List<Route> routes, Gate gate, AuditTrail audit,
                   HttpMetrics metrics) {
    this.name = name;
    this.host = host;
    this.requestedPort = port;
    this.routes = routes;
    this.gate = gate;
    this.audit = audit;
    this.metrics = metrics;
  }

  /** Bounds uploads and downloads per tenant and per process (call before {@link #start()}). */
  public ApiServer transfers(TransferSlots slots) {
    this.transfers = slots;
    return this;
  }

  public ApiServer start() {
    // what the gate and the transfer bounds may answer, declared on each route they guard (see DeclaredProblems)
    routes = routes.stream().map(gate::declare).map(r -> transfers == null ? r : transfers.declare(r)).toList();
    app = Javalin.create(cfg -> {
      cfg.startup.showJavalinBanner = false;
      cfg.startup.showOldJavalinVersionWarning = false;
      cfg.http.asyncTimeout = 120_000;
      cfg.http.maxRequestSize = 1024 * 1024;
      // a request or response that stalls is cut off: a stalled upload or reader cannot hold a thread and an S3
      // connection for long (TransferSlots bounds how many each tenant holds at once; uploads must also keep a
      // minimum rate, checked by MeteredInput). Jetty's own minimum data rates are not used: they count from the
      // request's first byte, so any small body read a few milliseconds later falls "below" them.
      cfg.jetty.modifyHttpConfiguration(http -> http.setIdleTimeout(IDLE_TIMEOUT_MS));
      cfg.jetty.modifyServletContextHandler(handler -> handler.addEventListener(new ServletRequestListener() {
        @Override
        public void requestDestroyed(ServletRequestEvent event) {
          MDC.clear(); // Jetty's pooled thread takes no request's ids into the next one
          if (event.getServletRequest().getAttribute(SLOT_ATTRIBUTE) instanceof TransferSlots.Slot slot) {
            slot.close(); // the response, streamed or not, is complete (or abandoned)
          }
        }
      }));
      Problems.install(cfg);
      // the object store unreachable (connection refused, timeout): the request can be retried, so 503, not 500
      cfg.routes.exception(software.amazon.awssdk.core.exception.SdkClientException.class, (e, ctx) -> {
        log.warn("object store unreachable on {} {} (request {}): {}", ctx.method(), ctx.path(),
            ctx.attribute("requestId"), e.toString());
        ctx.header("Retry-After", "1");
        io.storystream.common.http.Problems.write(ctx, io.storystream.common.http.Problem.of(503, "unavailable",
            "Service unavailable", "the object store could not be reached; retry"));
      });
      cfg.routes.before(this::begin);
      for (Route route : routes) {
        cfg.routes.addEndpoint(new io.javalin.router.Endpoint(route.method(), route.path(), ctx -> serve(route, ctx)));
      }
      cfg.routes.after(this::end);
    });
    app.start(host, requestedPort);
    log.info("{} API listening on http://{}:{}", name, host, app.port());
    return this;
  }

  public int port() {
    return app.port();
  }

  /** The served routes with everything declared about them (after {@link #start()}: the gate's problems too). */
  public List<Route> routes() {
    return routes;
  }

  /** The routes Javalin actually serves, as "METHOD path" (for the test comparing them with the document). */
  public List<String> servedRoutes() {
    return app.unsafe.internalRouter.allHttpHandlers().stream()
        .map(p -> p.endpoint.method.name() + " " + p.endpoint.path)
        .filter(s -> !s.startsWith("BEFORE") && !s.startsWith("AFTER"))
        .sorted().toList();
  }

  private void begin(Context ctx) {
    String requestId = ctx.header("X-Request-Id");
    if (requestId == null || !CLIENT_REQUEST_ID.matcher(requestId).matches()) {
      requestId = Ids.newId("req");
    }
    // every line logged while this request is handled carries its id (and, once the gate knows them, the tenant's
    // and the key's); a pooled thread starts clean
    MDC.clear();
    MDC.put(LogContext.REQUEST_ID, requestId);
    ctx.attribute(Attrs.REQUEST_ID, requestId);
    ctx.attribute(io.storystream.common.http.Problems.VET_ATTRIBUTE, DeclaredProblems.VET);
    ctx.attribute(Attrs.STARTED, System.nanoTime());
    ctx.header("X-Request-Id", requestId);
  }

  private void serve(Route route, Context ctx) throws Exception {
    ctx.attribute(Attrs.ROUTE, route);
    switch (route.access()) {
      case TENANT -> gate.tenant(ctx, route.anyOf());
      case OPERATOR -> gate.operator(ctx);
      case PUBLIC -> { }
    }
    Principal principal = ctx.attribute(Attrs.PRINCIPAL);
    if (principal != null) { // cleared with the request id in end()
      MDC.put(LogContext.TENANT_ID, principal.tenantId());
      if (principal.keyId() != null) {
        MDC.put(LogContext.KEY_ID, principal.keyId());
      }
    }
    TransferSlots.Slot slot = transfers == null || principal == null ? null : transfers.acquire(route, principal.tenantId());
    if (slot == null) {
      route.handler().handle(ctx);
      return;
    }
    // a streamed result is written after the handler returns: the slot is given back when the request is over
    // (SLOT_ATTRIBUTE, released by the request listener), or at once if the handler fails
    ctx.req().setAttribute(SLOT_ATTRIBUTE, slot);
    try {
      route.handler().handle(ctx);
    } catch (Exception | Error e) {
      slot.close();
      throw e;
    }
  }

  private void end(Context ctx) {
    try {
      recordAndAudit(ctx);
    } finally {
      MDC.clear();
    }
  }

  private void recordAndAudit(Context ctx) {
    Route route = ctx.attribute(Attrs.ROUTE);
    Principal principal = ctx.attribute(Attrs.PRINCIPAL);
    String tenant = principal != null ? principal.tenantId() : ctx.attribute(Attrs.AUDIT_TENANT);
    int status = ctx.statusCode();
    Long started = ctx.attribute(Attrs.STARTED);
    long nanos = started == null ? 0 : System.nanoTime() - started;
    metrics.record(name, tenant, ctx.method().name(), route == null ? "unmatched" : route.path(), status, nanos);
    if (route == null || route.auditAction() == null || tenant == null || gate.forwardedBySibling(ctx)) {
      return; // forwarded requests are audited by the instance the client called
    }
    if (Boolean.TRUE.equals(ctx.attribute(Attrs.AUDITED_BY_RECORD)) && status < 300) {
      return; // its event is derived from the durable record the call wrote (a submit's request), exactly once
    }
    String resource = ctx.attribute(Attrs.AUDIT_RESOURCE);
    if (resource == null && route.auditResourceParam() != null) {
      resource = ctx.pathParamMap().get(route.auditResourceParam());
    }
    boolean operator = Boolean.TRUE.equals(ctx.attribute(Attrs.OPERATOR));
    String keyId = principal != null ? principal.keyId() : ctx.attribute(Attrs.AUDIT_KEY);
    AuditTrail.Entry entry = new AuditTrail.Entry(tenant, operator ? null : keyId,
        operator ? AuditActor.OPERATOR : AuditActor.TENANT, route.auditAction(), resource,
        AuditTrail.outcome(status), status, Attrs.requestId(ctx));
    if (AuditTrail.aggregated(status)) {
      // nothing was seen or changed: counted into one event per key and minute, so a flood costs no event per call
      audit.refusal(entry);
      return;
    }
    var recorded = audit.record(entry);
    try {
      // the answer leaves only once the audit event is durable: nothing is seen or changed unrecorded, and a
      // client's sequential calls are recorded in their order even when different instances serve them
      recorded.get(5, java.util.concurrent.TimeUnit.SECONDS);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
    } catch (java.util.concurrent.ExecutionException | java.util.concurrent.TimeoutException e) {
      // AuditTrail logged it and counts it; the call itself already happened and is answered
    }
    if (status >= 500) {
      log.warn("{} {} → {} (tenant {}, key {}, request {})", ctx.method(), route.path(), status, tenant, keyId,
          Attrs.requestId(ctx));
    }
  }

  @Override
  public void close() {
    if (app != null) {
      app.stop();
    }
  }
}
