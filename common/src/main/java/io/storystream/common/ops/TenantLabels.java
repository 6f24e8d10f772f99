package io.storystream.common.ops;

import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;

/**
 * Bounds the cardinality of the {@code tenant} label. The first {@code limit} distinct tenant ids a process sees get
 * a label of their own; every later one is counted under {@value #OVERFLOW}, so a burst of new tenants (or a bug
 * that labels by something else) cannot grow the scrape and the Prometheus server without end. Label values that
 * are not tenant ids ({@code none} for unauthenticated calls) are never counted against the limit.
 */
public final class TenantLabels {
  /** The default limit; {@code --metrics-max-tenants} ({@code STORYSTREAM_METRICS_MAX_TENANTS}) changes it. */
  public static final int DEFAULT_LIMIT = 500;
  public static final String OVERFLOW = "_other";
  public static final String NONE = "none";

  private final int limit;
  private final Set<String> labelled = ConcurrentHashMap.newKeySet();

  public TenantLabels(int limit) {
    if (limit < 0) {
      throw new IllegalArgumentException("the tenant label limit cannot be negative");
    }
    this.limit = limit;
  }

  /** The label value for this tenant: its id while there is room (or it already has one), else {@value #OVERFLOW}. */
  public String label(String tenantId) {
    if (tenantId == null) {
      return NONE;
    }
    if (labelled.contains(tenantId)) {
      return tenantId;
    }
    synchronized (this) {
      if (labelled.size() < limit) {
        labelled.add(tenantId);
        return tenantId;
      }
    }
    return OVERFLOW;
  }

  public int limit() {
    return limit;
  }
}
