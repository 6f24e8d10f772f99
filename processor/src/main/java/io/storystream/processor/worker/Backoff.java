package io.storystream.processor.worker;

import java.time.Duration;

/**
 * How long the worker waits before restarting its loop after an unexpected failure: {@code first}, doubling with
 * every failure in a row up to {@code max}, back to {@code first} once a turn went well. Not thread-safe: the
 * worker's loop thread is its only user.
 */
final class Backoff {
  static final Duration FIRST = Duration.ofSeconds(1);
  static final Duration MAX = Duration.ofSeconds(30);

  private final Duration first;
  private final Duration max;
  private Duration next;

  Backoff(Duration first, Duration max) {
    if (first.isNegative() || first.isZero() || max.compareTo(first) < 0) {
      throw new IllegalArgumentException("need 0 < first <= max");
    }
    this.first = first;
    this.max = max;
    this.next = first;
  }

  /** The wait before this restart; the one after it is twice as long, up to the maximum. */
  Duration next() {
    Duration now = next;
    Duration doubled = now.multipliedBy(2);
    next = doubled.compareTo(max) > 0 ? max : doubled;
    return now;
  }

  /** A turn went well: the next failure waits the shortest time again. */
  void reset() {
    next = first;
  }
}
