package io.storystream.common.kafka;

import java.time.Clock;
import java.util.function.Supplier;
import org.apache.kafka.common.errors.TimeoutException;
import org.apache.kafka.common.utils.Time;
import org.apache.kafka.common.utils.Utils;

/**
 * Kafka's {@link Time} read from a {@link Clock}, so that a Kafka Streams application's wall-clock decisions
 * (punctuations, {@code currentSystemTimeMs}) follow the clock its service was given: a test pins "now" to a month's
 * first hour, an operator rehearses a month end. Nanoseconds stay the JVM's monotonic clock: intervals are unaffected.
 */
public final class ClockTime implements Time {
  private final Clock clock;

  private ClockTime(Clock clock) {
    this.clock = clock;
  }

  /** {@link Time#SYSTEM} for the system clock (Kafka's own path), an adapter for any other. */
  public static Time of(Clock clock) {
    return clock.equals(Clock.systemUTC()) ? Time.SYSTEM : new ClockTime(clock);
  }

  @Override
  public long milliseconds() {
    return clock.millis();
  }

  @Override
  public long nanoseconds() {
    return System.nanoTime();
  }

  @Override
  public void sleep(long ms) {
    Utils.sleep(ms);
  }

  @Override
  public void waitObject(Object obj, Supplier<Boolean> condition, long deadlineMs) throws InterruptedException {
    synchronized (obj) {
      while (!condition.get()) {
        long now = milliseconds();
        if (now >= deadlineMs) {
          throw new TimeoutException("Condition not satisfied before deadline");
        }
        obj.wait(deadlineMs - now);
      }
    }
  }
}
