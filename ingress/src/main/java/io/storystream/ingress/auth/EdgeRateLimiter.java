package io.storystream.ingress.auth;

import com.github.benmanes.caffeine.cache.Cache;
import com.github.benmanes.caffeine.cache.Caffeine;
import io.github.bucket4j.Bandwidth;
import io.github.bucket4j.Bucket;
import io.github.bucket4j.ConsumptionProbe;
import java.time.Duration;

/**
 * A token bucket per API key (Bucket4j), sized from the tenant's plan: {@code requestsPerMinute} tokens, refilled
 * gradually over a minute. It protects this instance from a runaway client; the exact monthly quota lives in the
 * processor's admission topology, keyed by tenant. Each instance holds its own buckets, so N instances admit up to
 * N × the rate, which is the usual trade-off of an edge limiter without a network hop.
 */
public final class EdgeRateLimiter {
  private record Sized(int perMinute, Bucket bucket) {}

  /** What the limiter decided, with everything the RateLimit headers need. */
  public record Decision(boolean allowed, int limit, long remaining, long resetSeconds, long retryAfterSeconds) {}

  private final Cache<String, Sized> buckets = Caffeine.newBuilder()
      .expireAfterAccess(Duration.ofMinutes(10)).maximumSize(1_000_000).build();

  public Decision tryConsume(String keyId, int requestsPerMinute) {
    int perMinute = Math.max(1, requestsPerMinute);
    // the bucket is read without a lock (its own consumption is a compare-and-set); only a missing or resized bucket
    // goes through compute, which locks the key: every request of a busy key through compute queued them all on it
    Sized sized = buckets.getIfPresent(keyId);
    if (sized == null || sized.perMinute() != perMinute) {
      sized = buckets.asMap().compute(keyId, (k, existing) -> existing != null && existing.perMinute() == perMinute
          ? existing : new Sized(perMinute, newBucket(perMinute)));
    }
    ConsumptionProbe probe = sized.bucket().tryConsumeAndReturnRemaining(1);
    long remaining = probe.getRemainingTokens();
    long nanosPerToken = Duration.ofMinutes(1).toNanos() / perMinute;
    long resetNanos = (perMinute - remaining) * nanosPerToken;
    long reset = ceilSeconds(resetNanos);
    if (probe.isConsumed()) {
      return new Decision(true, perMinute, remaining, reset, 0);
    }
    return new Decision(false, perMinute, 0, reset, Math.max(1, ceilSeconds(probe.getNanosToWaitForRefill())));
  }

  /**
   * Seconds until {@code id}'s bucket has a token again (0: it has one now, or there is no bucket), without taking
   * one: for a limit charged only afterwards, such as refusals.
   */
  public long secondsUntilAvailable(String id) {
    Sized sized = buckets.getIfPresent(id);
    if (sized == null) {
      return 0;
    }
    var estimate = sized.bucket().estimateAbilityToConsume(1);
    return estimate.canBeConsumed() ? 0 : Math.max(1, ceilSeconds(estimate.getNanosToWaitForRefill()));
  }

  private static Bucket newBucket(int perMinute) {
    return Bucket.builder()
        .addLimit(Bandwidth.builder().capacity(perMinute).refillGreedy(perMinute, Duration.ofMinutes(1)).build())
        .build();
  }

  private static long ceilSeconds(long nanos) {
    return (nanos + 999_999_999L) / 1_000_000_000L;
  }
}
