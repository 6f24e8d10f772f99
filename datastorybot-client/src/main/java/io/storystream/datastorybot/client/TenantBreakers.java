package io.storystream.datastorybot.client;

import io.github.resilience4j.circuitbreaker.CircuitBreaker;
import io.github.resilience4j.circuitbreaker.CircuitBreakerConfig;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * DataStoryBot failures attributed to the tenant whose job met them. Every tenant has its own breaker (the
 * configured window and thresholds): a tenant whose files make DataStoryBot fail opens only its own, and its next
 * jobs fail fast with {@code tenant_circuit_open} while every other tenant's calls go on.
 *
 * <p>The service-wide breaker is kept for outages that hit every tenant: it is opened by this class, not by its own
 * failure count (which one tenant could fill), when at least {@link #OUTAGE_TENANTS} tenants' breakers are open and
 * no call of any tenant has succeeded in the last {@code minimumCalls} outcomes. While it is open nothing is sent and
 * jobs fail with {@code circuit_open}; after the open period it lets the configured half-open calls through and
 * their outcomes close or reopen it (resilience4j's own half-open logic).
 *
 * <p>At most {@link #MAX_TENANTS} tenant breakers are kept, the least recently used forgotten first (a forgotten
 * breaker starts closed again). Thread-safe.
 */
final class TenantBreakers {
  static final int OUTAGE_TENANTS = 2;
  static final int MAX_TENANTS = 10_000;
  /** The bucket of jobs that name no tenant. */
  static final String UNATTRIBUTED = "";

  private final CircuitBreaker global;
  private final CircuitBreakerConfig tenantConfig;
  private final int minimumCalls;
  private final AtomicInteger outcomesSinceSuccess = new AtomicInteger();
  private final Map<String, CircuitBreaker> tenants = new LinkedHashMap<>(64, 0.75f, true) {
    @Override
    protected boolean removeEldestEntry(Map.Entry<String, CircuitBreaker> eldest) {
      return size() > MAX_TENANTS;
    }
  };

  TenantBreakers(CircuitBreakerConfig config) {
    this.global = CircuitBreaker.of("datastorybot", config);
    this.tenantConfig = config;
    this.minimumCalls = config.getMinimumNumberOfCalls();
  }

  CircuitBreaker global() {
    return global;
  }

  /** The tenant's breaker (created closed on first use). */
  synchronized CircuitBreaker of(String tenantId) {
    String key = tenantId == null ? UNATTRIBUTED : tenantId;
    return tenants.computeIfAbsent(key, t -> CircuitBreaker.of("datastorybot-tenant", tenantConfig));
  }

  /** Which breaker refused a call; null when both gave permission (each must then hear the outcome). */
  String acquire(String tenantId) {
    if (!global.tryAcquirePermission()) {
      return DataStoryBotException.CIRCUIT_OPEN;
    }
    if (!of(tenantId).tryAcquirePermission()) {
      global.releasePermission();
      return DataStoryBotException.TENANT_CIRCUIT_OPEN;
    }
    return null;
  }

  /** The call was never sent after permission was given. */
  void release(String tenantId) {
    global.releasePermission();
    of(tenantId).releasePermission();
  }

  void success(String tenantId, long elapsed, TimeUnit unit) {
    outcomesSinceSuccess.set(0);
    of(tenantId).onSuccess(elapsed, unit);
    global.onSuccess(elapsed, unit);
  }

  void failure(String tenantId, long elapsed, TimeUnit unit, Throwable cause) {
    of(tenantId).onError(elapsed, unit, cause);
    if (global.getState() == CircuitBreaker.State.HALF_OPEN) {
      global.onError(elapsed, unit, cause); // a probe of a suspected outage
    } else {
      global.releasePermission(); // the tenant's breaker counts it; the global one is opened by the rule below
    }
    if (outcomesSinceSuccess.incrementAndGet() >= minimumCalls && global.getState() == CircuitBreaker.State.CLOSED
        && openTenants() >= OUTAGE_TENANTS) {
      global.transitionToOpenState();
    }
  }

  private synchronized int openTenants() {
    int open = 0;
    for (CircuitBreaker breaker : tenants.values()) {
      if (breaker.getState() == CircuitBreaker.State.OPEN && ++open >= OUTAGE_TENANTS) {
        break;
      }
    }
    return open;
  }

  BreakerState stateOf(String tenantId) {
    CircuitBreaker breaker;
    synchronized (this) {
      breaker = tenants.get(tenantId == null ? UNATTRIBUTED : tenantId);
    }
    return breaker == null ? BreakerState.CLOSED : BreakerState.of(breaker.getState());
  }
}
