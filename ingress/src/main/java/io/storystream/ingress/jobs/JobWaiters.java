package io.storystream.ingress.jobs;

import java.time.Duration;
import java.util.Map;
import java.util.Objects;
import java.util.Set;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.Executor;
import java.util.concurrent.TimeUnit;

/**
 * Long polls waiting for a job's view to move on from the one they last saw, woken by the job-status topology's change
 * callback on the stream thread. A key holds a set of waiters only while one is waiting.
 */
final class JobWaiters {
  private record Waiter(JobView seen, CompletableFuture<JobView> future) {}

  private final Map<String, Set<Waiter>> byKey = new ConcurrentHashMap<>();
  private final Executor answers;

  /** @param answers the threads a long poll's answer is written on (see {@link #answered}) */
  JobWaiters(Executor answers) {
    this.answers = answers;
  }

  /** A future that {@link #changed} completes with the first view that moved on from {@code seen}. */
  CompletableFuture<JobView> register(String key, JobView seen) {
    CompletableFuture<JobView> future = new CompletableFuture<>();
    Waiter waiter = new Waiter(seen, future);
    // Adding to a key's set, and removing its last waiter together with the set, are each one atomic step of the map.
    // Apart, a poll arriving as the previous one on the same job ended could add itself to a set just dropped from
    // the map, where no change would ever find it: it answered only after its whole wait (seen in the benchmark's
    // long-poll probes, one in about forty at 30 s).
    byKey.compute(key, (k, set) -> {
      Set<Waiter> held = set == null ? ConcurrentHashMap.newKeySet() : set;
      held.add(waiter);
      return held;
    });
    future.whenComplete((view, error) -> byKey.computeIfPresent(key, (k, set) -> {
      set.remove(waiter);
      return set.isEmpty() ? null : set;
    }));
    return future;
  }

  /**
   * What a long poll answers from: the registered {@code wait}, or {@code seen} once {@code timeout} has passed,
   * delivered on {@link #answers}. Javalin writes a deferred response on the thread that completes its future; without
   * this hop that was the job-status view's stream thread (a change wakes its waiters while the record is processed)
   * or the JDK's single timeout thread, so serializing and writing every answer, to however slow a client, held up
   * the view or every other timed-out poll.
   */
  CompletableFuture<JobView> answered(CompletableFuture<JobView> wait, JobView seen, Duration timeout) {
    return wait.completeOnTimeout(seen, timeout.toMillis(), TimeUnit.MILLISECONDS)
        .thenApplyAsync(view -> view, answers);
  }

  /** The job's view is now {@code view} (null: the job is gone). */
  void changed(String key, JobView view) {
    Set<Waiter> set = byKey.get(key);
    if (set != null) {
      for (Waiter waiter : set) {
        if (moved(waiter.seen(), view)) {
          waiter.future().complete(view);
        }
      }
    }
  }

  void cancelAll() {
    byKey.values().forEach(set -> set.forEach(w -> w.future().cancel(false)));
  }

  /** Keys with someone waiting (none once every wait has ended). */
  int waitingKeys() {
    return byKey.size();
  }

  /** A change a long poll reports: another state or queue position, or the job gone (request fields do not count). */
  static boolean moved(JobView seen, JobView now) {
    if (now == null || seen == null) {
      return now != seen;
    }
    return !now.state().equals(seen.state()) || !Objects.equals(now.position(), seen.position());
  }
}
