package io.storystream.common.logging;

import java.time.Duration;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicLong;
import java.util.function.LongSupplier;

/**
 * At most one log line per key (an unreachable instance, say) in each period, with how many occurrences it stands
 * for: a failure that every request of every tenant meets would otherwise write a line per request, and a tenant
 * polling fast would set the log's volume. Keys are few (instances, not tenants or requests).
 */
public final class EveryFewSeconds {
  private final long periodNanos;
  private final LongSupplier nanoTime;
  private final Map<String, Occurrences> byKey = new ConcurrentHashMap<>();

  private static final class Occurrences {
    final AtomicLong since = new AtomicLong();
    final AtomicLong lastLine = new AtomicLong(Long.MIN_VALUE);
  }

  public EveryFewSeconds(Duration period) {
    this(period, System::nanoTime);
  }

  EveryFewSeconds(Duration period, LongSupplier nanoTime) {
    this.periodNanos = period.toNanos();
    this.nanoTime = nanoTime;
  }

  /**
   * Counts one occurrence under {@code key}; when a line is due, returns how many occurrences it stands for (this
   * one included), else 0.
   */
  public long occurred(String key) {
    Occurrences o = byKey.computeIfAbsent(key, k -> new Occurrences());
    o.since.incrementAndGet();
    long now = nanoTime.getAsLong();
    long last = o.lastLine.get();
    if (last != Long.MIN_VALUE && now - last < periodNanos) {
      return 0;
    }
    return o.lastLine.compareAndSet(last, now) ? o.since.getAndSet(0) : 0;
  }
}
