package io.storystream.datastorybot.client;

import io.storystream.testsupport.TestClock;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CopyOnWriteArrayList;

/**
 * A sleeper that records each wait the client asks for and moves the tests' clock by it instead of waiting, so the
 * retry tests assert exact backoffs and never sleep.
 */
final class RecordingSleeper implements Sleeper {
  final TestClock clock = TestClock.frozenAt(Instant.parse("2026-11-29T12:00:00Z"));
  final List<Duration> sleeps = new CopyOnWriteArrayList<>();

  @Override
  public CompletableFuture<Void> sleep(Duration duration) {
    sleeps.add(duration);
    clock.advance(duration);
    return CompletableFuture.completedFuture(null);
  }
}
