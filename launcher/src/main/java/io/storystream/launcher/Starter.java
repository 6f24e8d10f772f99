package io.storystream.launcher;

import java.util.List;
import java.util.concurrent.Callable;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * Starts the independent parts of the embedded default side by side, each on its own thread (there are at most a
 * handful, and each mostly waits), and gives back their results or the exception that stopped them.
 */
final class Starter {
  private final AtomicInteger count = new AtomicInteger();
  private final ExecutorService threads = Executors.newCachedThreadPool(r -> {
    Thread t = new Thread(r, "storystream-start-" + count.incrementAndGet());
    t.setDaemon(true);
    return t;
  });
  private final List<Future<?>> submitted = new CopyOnWriteArrayList<>();

  <T> Future<T> submit(Callable<T> part) {
    Future<T> future = threads.submit(part);
    submitted.add(future);
    return future;
  }

  /** The part's result; its own exception (not an ExecutionException wrapping it) when it failed. */
  static <T> T result(Future<T> part) throws Exception {
    try {
      return part.get();
    } catch (ExecutionException e) {
      if (e.getCause() instanceof Exception cause) {
        throw cause;
      }
      throw e;
    }
  }

  /** Waits until every submitted part has finished, successfully or not (before closing after a failure). */
  void awaitAll() {
    for (Future<?> part : submitted) {
      try {
        part.get();
      } catch (Exception ignored) {
        // the first failure is already on its way up; the others only need to have ended
      }
    }
  }

  void shutdown() {
    threads.shutdown();
  }
}
