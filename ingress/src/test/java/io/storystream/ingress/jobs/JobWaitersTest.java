package io.storystream.ingress.jobs;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CyclicBarrier;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import org.junit.jupiter.api.Test;

class JobWaitersTest {
  private static final String KEY = "acme:job_1";

  private static JobView view(String state, Integer position) {
    return new JobView("job_1", "acme", "file_1", state, 1, null, null, null, false, null, null, null, List.of(),
        0L, 0L, null, null, position);
  }

  private static final JobView QUEUED_3 = view("QUEUED", 3);
  private static final JobView QUEUED_1 = view("QUEUED", 1);
  private static final JobView RUNNING = view("RUNNING", null);
  private static final JobView COMPLETED = view("COMPLETED", null);

  @Test
  void aChangeWakesTheWaitersItMovesOnAndOnlyThose() {
    JobWaiters waiters = new JobWaiters(Runnable::run);
    CompletableFuture<JobView> sawQueued = waiters.register(KEY, QUEUED_3);
    CompletableFuture<JobView> sawRunning = waiters.register(KEY, RUNNING);
    CompletableFuture<JobView> otherJob = waiters.register("acme:job_2", QUEUED_3);

    waiters.changed(KEY, RUNNING);
    assertThat(sawQueued).isCompletedWithValue(RUNNING);
    assertThat(sawRunning).isNotDone();
    assertThat(otherJob).isNotDone();

    waiters.changed(KEY, null); // erased
    assertThat(sawRunning).isCompletedWithValue(null);
    assertThat(waiters.waitingKeys()).isEqualTo(1);
    otherJob.complete(QUEUED_3); // its timeout
    assertThat(waiters.waitingKeys()).isZero();
  }

  @Test
  void aNewQueuePositionIsAChangeAndRequestFieldsAreNot() {
    assertThat(JobWaiters.moved(QUEUED_3, QUEUED_1)).isTrue();
    assertThat(JobWaiters.moved(QUEUED_3, view("QUEUED", 3))).isFalse();
    assertThat(JobWaiters.moved(QUEUED_3, new JobView("job_1", "acme", "file_9", "QUEUED", 2, null, null, null,
        true, "p", "h", "k", List.of("flag"), 5L, 6L, null, null, 3))).isFalse();
    assertThat(JobWaiters.moved(null, QUEUED_3)).isTrue();
    assertThat(JobWaiters.moved(QUEUED_3, null)).isTrue();
    assertThat(JobWaiters.moved(null, null)).isFalse();
  }

  /**
   * A client that long-polls again as soon as its last poll answered registers while the change that answered it is
   * still removing the last poll's waiter. Each round lines the two up on a barrier; the next change must find the
   * new waiter every time.
   */
  @Test
  void aPollRegisteringWhileThePreviousOneEndsIsStillWoken() throws Exception {
    JobWaiters waiters = new JobWaiters(Runnable::run);
    ExecutorService two = Executors.newFixedThreadPool(2);
    try {
      for (int round = 0; round < 20_000; round++) {
        CompletableFuture<JobView> previous = waiters.register(KEY, QUEUED_3);
        CyclicBarrier together = new CyclicBarrier(2);
        Future<?> ending = two.submit(() -> {
          together.await();
          waiters.changed(KEY, RUNNING);
          return null;
        });
        Future<CompletableFuture<JobView>> next = two.submit(() -> {
          together.await();
          return waiters.register(KEY, RUNNING);
        });
        ending.get();
        CompletableFuture<JobView> following = next.get();
        assertThat(previous).isCompletedWithValue(RUNNING);

        waiters.changed(KEY, COMPLETED);
        assertThat(following).as("round %d", round).isCompletedWithValue(COMPLETED);
        assertThat(waiters.waitingKeys()).as("round %d", round).isZero();
      }
    } finally {
      two.shutdownNow();
    }
  }

  /**
   * Javalin writes a long poll's answer on the thread that completes its future: the answer must never run on the
   * thread that reported the change (the view's stream thread) nor on the JDK's timeout thread.
   */
  @Test
  void answersRunOnTheAnswerThreadsWhoeverEndsTheWait() throws Exception {
    ExecutorService answerThreads = Executors.newSingleThreadExecutor(r -> new Thread(r, "answers-under-test"));
    try {
      JobWaiters waiters = new JobWaiters(answerThreads);
      CompletableFuture<String> wokenOn = waiters.answered(waiters.register(KEY, QUEUED_3), QUEUED_3,
          java.time.Duration.ofMinutes(5)).thenApply(view -> view.state() + " on " + Thread.currentThread().getName());
      waiters.changed(KEY, RUNNING); // this test's thread plays the stream thread
      assertThat(wokenOn.get()).isEqualTo("RUNNING on answers-under-test");

      // the answer thread is held until the check below is attached, so the 1 ms timeout cannot answer before it
      java.util.concurrent.CountDownLatch attached = new java.util.concurrent.CountDownLatch(1);
      answerThreads.execute(() -> {
        try {
          attached.await();
        } catch (InterruptedException e) {
          Thread.currentThread().interrupt();
        }
      });
      CompletableFuture<String> timedOutOn = waiters.answered(waiters.register(KEY, RUNNING), RUNNING,
          java.time.Duration.ofMillis(1)).thenApply(view -> view.state() + " on " + Thread.currentThread().getName());
      attached.countDown();
      assertThat(timedOutOn.get()).isEqualTo("RUNNING on answers-under-test");
    } finally {
      answerThreads.shutdownNow();
    }
  }
}
