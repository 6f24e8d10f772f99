package io.storystream.ingress.auth;

import static org.assertj.core.api.Assertions.assertThat;

import org.junit.jupiter.api.Test;

class EdgeRateLimiterTest {
  @Test
  void aKeyGetsItsPlansRequestsPerMinuteThenWaits() {
    EdgeRateLimiter limiter = new EdgeRateLimiter();
    for (int i = 0; i < 5; i++) {
      EdgeRateLimiter.Decision d = limiter.tryConsume("key_a", 5);
      assertThat(d.allowed()).isTrue();
      assertThat(d.limit()).isEqualTo(5);
      assertThat(d.remaining()).isEqualTo(4 - i);
    }
    EdgeRateLimiter.Decision refused = limiter.tryConsume("key_a", 5);
    assertThat(refused.allowed()).isFalse();
    assertThat(refused.retryAfterSeconds()).isBetween(1L, 12L);
    assertThat(refused.resetSeconds()).isBetween(1L, 60L);
    assertThat(limiter.tryConsume("key_b", 5).allowed()).as("buckets are per key").isTrue();
  }

  @Test
  void aPlanChangeResizesTheBucket() {
    EdgeRateLimiter limiter = new EdgeRateLimiter();
    limiter.tryConsume("key_a", 1);
    assertThat(limiter.tryConsume("key_a", 1).allowed()).isFalse();
    EdgeRateLimiter.Decision bigger = limiter.tryConsume("key_a", 100);
    assertThat(bigger.allowed()).isTrue();
    assertThat(bigger.limit()).isEqualTo(100);
  }
}
