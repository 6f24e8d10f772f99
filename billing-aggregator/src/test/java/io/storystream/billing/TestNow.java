package io.storystream.billing;

import java.time.Clock;
import java.time.Duration;
import java.time.Instant;

/**
 * "Now" for the tests that build usage from the date. It is the system clock unless {@value #PROPERTY} names an
 * instant ({@code ./test.sh -Dstorystream.test.now=2026-12-01T00:30:00Z}): then the tests, and the aggregators they
 * start, run on a clock that started at that instant when the test JVM did. This is how a run proves the suite holds
 * in a month's first hour without waiting for one. The instant must not be in the future: the broker would see
 * records from beyond its own clock.
 */
final class TestNow {
  static final String PROPERTY = "storystream.test.now";

  /** How far the tests' clock is from the system clock; zero unless pinned. */
  static final Duration OFFSET = offset(System.getProperty(PROPERTY, ""));

  private TestNow() {}

  static Clock clock() {
    return OFFSET.isZero() ? Clock.systemUTC() : Clock.offset(Clock.systemUTC(), OFFSET);
  }

  private static Duration offset(String pinned) {
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
