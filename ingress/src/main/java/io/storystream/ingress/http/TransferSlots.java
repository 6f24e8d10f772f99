package io.storystream.ingress.http;

import io.storystream.common.http.Problem;
import io.storystream.common.http.ProblemException;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * Bounds on the transfers that hold a Jetty thread, an S3 connection and buffers for as long as the client takes:
 * uploads and downloads, per tenant and per process. A tenant past its bound gets 429 (its own transfers are still
 * running; {@code Retry-After: 1}); a full process gets 503. One tenant's slow or parallel transfers therefore take at
 * most {@code perTenant} of the {@code perProcess} slots, whatever it sends.
 *
 * <p>Which routes are transfers is given by route ("METHOD template"), so the routes themselves stay unaware of it.
 */
public final class TransferSlots {
  public enum Kind {
    UPLOAD("uploads"), DOWNLOAD("downloads");

    final String plural;

    Kind(String plural) {
      this.plural = plural;
    }
  }

  /** At most {@code perTenant} at once for one tenant, {@code perProcess} for all tenants together. */
  public record Bound(int perTenant, int perProcess) {}

  /** Uploads: 2 per tenant, 16 per process (each may hold a 5 MB S3 part); downloads: 4 per tenant, 64 per process. */
  public static final Map<Kind, Bound> DEFAULT_BOUNDS = Map.of(Kind.UPLOAD, new Bound(2, 16),
      Kind.DOWNLOAD, new Bound(4, 64));

  /** The standard routes that are transfers. */
  public static final Map<String, Kind> STANDARD_ROUTES = Map.of(
      "POST /v1/files", Kind.UPLOAD,
      "GET /v1/analyses/{jobId}/charts/{n}", Kind.DOWNLOAD,
      "GET /v1/analyses/{jobId}/dataset", Kind.DOWNLOAD);

  private final Map<String, Kind> routes;
  private final Map<Kind, Bound> bounds;
  private final Map<Kind, AtomicInteger> inProcess = new ConcurrentHashMap<>();
  private final Map<String, AtomicInteger> byTenant = new ConcurrentHashMap<>();

  public TransferSlots(Map<String, Kind> routes, Map<Kind, Bound> bounds) {
    this.routes = Map.copyOf(routes);
    this.bounds = Map.copyOf(bounds);
    for (Kind kind : Kind.values()) {
      inProcess.put(kind, new AtomicInteger());
    }
  }

  public static TransferSlots standard() {
    return new TransferSlots(STANDARD_ROUTES, DEFAULT_BOUNDS);
  }

  /** A held slot; {@link #close()} gives it back (once, however often it is called). */
  public static final class Slot implements AutoCloseable {
    private final Runnable release;
    private final AtomicBoolean released = new AtomicBoolean();

    Slot(Runnable release) {
      this.release = release;
    }

    @Override
    public void close() {
      if (released.compareAndSet(false, true)) {
        release.run();
      }
    }
  }

  /** The route with what {@link #acquire} may answer on it declared (when it is a transfer). */
  public Route declare(Route route) {
    return routes.containsKey(route.method().name() + " " + route.path())
        ? route.withProblems(429, "too-many-transfers").withProblems(503, "unavailable") : route;
  }

  /** The slot for this route and tenant, null when the route is not a transfer; throws 429/503 when none is free. */
  public Slot acquire(Route route, String tenantId) {
    Kind kind = routes.get(route.method().name() + " " + route.path());
    if (kind == null || tenantId == null) {
      return null;
    }
    Bound bound = bounds.get(kind);
    String tenantKey = kind.name() + ":" + tenantId;
    int[] held = new int[1];
    byTenant.compute(tenantKey, (k, v) -> {
      AtomicInteger count = v == null ? new AtomicInteger() : v;
      held[0] = count.incrementAndGet();
      return count;
    });
    if (held[0] > bound.perTenant()) {
      releaseTenant(tenantKey);
      throw new ProblemException(Problem.of(429, "too-many-transfers", "Too many concurrent " + kind.plural,
          "at most " + bound.perTenant() + " " + kind.plural + " of a tenant run at once; retry when one has finished")
          .with("retryAfterSeconds", 1));
    }
    AtomicInteger process = inProcess.get(kind);
    if (process.incrementAndGet() > bound.perProcess()) {
      process.decrementAndGet();
      releaseTenant(tenantKey);
      throw new ProblemException(503, "unavailable", "Service unavailable",
          "this instance is at its limit of concurrent " + kind.plural + "; retry");
    }
    return new Slot(() -> {
      process.decrementAndGet();
      releaseTenant(tenantKey);
    });
  }

  /** Gives a tenant's slot back, and forgets the tenant once it holds none (the map does not grow with tenants). */
  private void releaseTenant(String tenantKey) {
    byTenant.computeIfPresent(tenantKey, (k, v) -> v.decrementAndGet() <= 0 ? null : v);
  }

  /** Transfers running now for this tenant (for tests and metrics). */
  public int inUse(Kind kind, String tenantId) {
    AtomicInteger n = byTenant.get(kind.name() + ":" + tenantId);
    return n == null ? 0 : Math.max(0, n.get());
  }
}
