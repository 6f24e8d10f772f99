package io.storystream.testsupport;

import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.time.ZoneId;
import java.time.ZoneOffset;
import java.util.concurrent.atomic.AtomicReference;

/**
 * The tests' one clock. It ticks with the system clock, shifted when {@value #PROPERTY} names an instant
 * ({@code ./test.sh -Dstorystream.test.now=2026-12-01T00:30:00Z}): the tests, and the services they start, then run as
 * if the JVM had started at that instant — how a run proves the suite holds in a month's first hour without waiting
 * for one. The instant must be in the past: the broker would refuse records from beyond its own clock.
 * {@link #advance} moves it forward (key expiry, retention, month ends) without waiting; {@link #frozenAt} gives one
 * that stands still until advanced.
 */
public final class TestClock extends Clock {
  public static final String PROPERTY = "storystream.test.now";

  /** How far "now" of the tests is from the system clock: zero unless {@value #PROPERTY} pins it. */
  public static final Duration PINNED_OFFSET = pinnedOffset(System.getProperty(PROPERTY, ""));

  private final Instant frozen;
  private final AtomicReference<Duration> offset;

  private TestClock(Instant frozen, Duration offset) {
    this.frozen = frozen;
    this.offset = new AtomicReference<>(offset);
  }

  /** A ticking clock at the tests' "now" (the system clock, or the pinned instant plus the time since start). */
  public static TestClock ticking() {
    return new TestClock(null, PINNED_OFFSET);
  }

  /** A clock that stays at {@code instant} until {@link #advance}d. */
  public static TestClock frozenAt(Instant instant) {
    return new TestClock(instant, Duration.ZERO);
  }

  /** Moves this clock forward by {@code by}. */
  public void advance(Duration by) {
    offset.updateAndGet(o -> o.plus(by));
  }

  /** How far this clock is from the system clock at this moment (what a child JVM's {@code --clock-offset} takes). */
  public Duration offsetFromSystem() {
    return Duration.between(Instant.now(), instant());
  }

  @Override
  public Instant instant() {
    return (frozen == null ? Instant.now() : frozen).plus(offset.get());
  }

  @Override
  public ZoneId getZone() {
    return ZoneOffset.UTC;
  }

  @Override
  public Clock withZone(ZoneId zone) {
    return this;
  }

  private static Duration pinnedOffset(String pinned) {
    if (pinned.isBlank()) {
      return Duration.ZERO;
    }
    Duration offset = Duration.between(Instant.now(), Instant.parse(pinned.trim()));
    if (!offset.isNegative()) {
      throw new IllegalArgumentException(PROPERTY + "=" + pinned + " is in the future; pin a past instant");
    }
    System.out.printf("tests run with now pinned to %s (clock offset %s)%n", pinned, offset);
    return offset;
  }
}
