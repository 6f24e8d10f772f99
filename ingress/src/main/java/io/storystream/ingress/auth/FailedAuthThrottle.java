package io.storystream.ingress.auth;

import com.github.benmanes.caffeine.cache.Cache;
import com.github.benmanes.caffeine.cache.Caffeine;
import io.github.bucket4j.Bandwidth;
import io.github.bucket4j.Bucket;
import java.time.Duration;

/**
 * Slows down guessing of the operator token: each client address may fail operator authentication
 * {@value #FAILURES_PER_MINUTE} times a minute (refilled gradually); past that every operator request from that
 * address answers 429 until the bucket refills, whether or not the token it sends is right, so a guesser learns
 * nothing from the answers. Successful calls cost nothing. Kept per instance, like the edge limiter.
 */
public final class FailedAuthThrottle {
  public static final int FAILURES_PER_MINUTE = 10;

  private final Cache<String, Bucket> failures = Caffeine.newBuilder()
      .expireAfterAccess(Duration.ofMinutes(10)).maximumSize(100_000).build();

  /** Seconds to wait before this address may try again, 0 when it may try now. */
  public long retryAfterSeconds(String address) {
    Bucket bucket = failures.getIfPresent(address);
    if (bucket == null || bucket.getAvailableTokens() > 0) {
      return 0;
    }
    long nanos = bucket.estimateAbilityToConsume(1).getNanosToWaitForRefill();
    return Math.max(1, (nanos + 999_999_999L) / 1_000_000_000L);
  }

  /** Records a failed attempt from this address. */
  public void failed(String address) {
    failures.get(address, a -> Bucket.builder().addLimit(Bandwidth.builder().capacity(FAILURES_PER_MINUTE)
        .refillGreedy(FAILURES_PER_MINUTE, Duration.ofMinutes(1)).build()).build()).tryConsume(1);
  }
}
