package io.storystream.datastorybot.client;

import java.time.Duration;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;

/**
 * Waits between attempts without blocking a thread. Injectable so tests can drive backoff and Retry-After with a
 * fake clock instead of sleeping.
 */
@FunctionalInterface
public interface Sleeper {

  CompletableFuture<Void> sleep(Duration duration);

  /** Real time: completes after the duration on the common pool's delayed executor. */
  static Sleeper system() {
    return duration -> {
      if (duration.isZero() || duration.isNegative()) {
        return CompletableFuture.completedFuture(null);
      }
      return CompletableFuture.runAsync(() -> {},
          CompletableFuture.delayedExecutor(duration.toNanos(), TimeUnit.NANOSECONDS));
    };
  }
}
