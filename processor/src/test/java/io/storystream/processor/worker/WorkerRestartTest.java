package io.storystream.processor.worker;

import io.storystream.common.results.ResultDocument;
import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import io.storystream.schemas.AnalysisStatus;
import io.storystream.schemas.AnalysisWork;
import io.storystream.schemas.JobState;
import io.storystream.schemas.UsageEvent;
import io.storystream.schemas.serde.AvroDeserializer;
import io.storystream.schemas.topics.Topic;
import io.storystream.schemas.topics.Topics;
import io.storystream.testsupport.RegistryAwayAtFirst;
import java.nio.file.Path;
import java.time.Clock;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.stream.Collectors;
import org.apache.avro.specific.SpecificRecordBase;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.common.errors.TopicAuthorizationException;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The worker's loop meets an unexpected exception on the real broker: it restarts with new clients and every job
 * still completes exactly once; a failure a restart cannot fix stops it visibly instead.
 */
class WorkerRestartTest {
  @TempDir static Path dir;
  static WorkerStack stack;

  @BeforeAll
  static void start() throws Exception {
    stack = new WorkerStack(dir, null); // jobs are run by the test's executor, not S3 + DataStoryBot
  }

  @AfterAll
  static void stop() throws Exception {
    if (stack != null) {
      stack.close();
    }
  }

  /** Completes each job a little later on another thread; throws on the loop thread at one chosen call instead. */
  static final class FlakyJobs implements JobExecutor {
    final AtomicInteger calls = new AtomicInteger();
    private final int failingCall;
    private final RuntimeException failure;

    FlakyJobs(int failingCall, RuntimeException failure) {
      this.failingCall = failingCall;
      this.failure = failure;
    }

    @Override
    public CompletableFuture<JobOutcome> run(AnalysisWork work) {
      if (calls.incrementAndGet() == failingCall) {
        throw failure;
      }
      return CompletableFuture.supplyAsync(() -> JobOutcome.completed(
              ResultDocument.prefix(work.getTenantId(), work.getJobId()), work.getFileRows(), System.currentTimeMillis()),
          CompletableFuture.delayedExecutor(20, TimeUnit.MILLISECONDS));
    }
  }

  /** Holds the loop in its back-off until the test lets it go, so the test can look at the worker meanwhile. */
  static final class HeldPause implements WorkerService.Pause {
    final List<Duration> delays = new ArrayList<>();
    final CountDownLatch entered = new CountDownLatch(1);
    final CountDownLatch release = new CountDownLatch(1);

    @Override
    public void await(Duration delay) throws InterruptedException {
      delays.add(delay);
      entered.countDown();
      release.await();
    }
  }

  @Test
  void aFailureInTheLoopRestartsItAndEveryJobStillCompletesExactlyOnce() throws Exception {
    List<AnalysisWork> jobs = new ArrayList<>();
    for (String tenant : List.of("restart-a", "restart-b", "restart-c")) {
      for (int i = 0; i < 10; i++) {
        jobs.add(stack.work(tenant, "tenants/" + tenant + "/files/file_1", 3));
      }
    }
    jobs.forEach(stack::submit);
    stack.flush();
    Set<String> ids = jobs.stream().map(AnalysisWork::getJobId).collect(Collectors.toSet());
    WorkerStack.Tail<AnalysisStatus> statuses = stack.tail(Topics.ANALYSIS_STATUS);

    // the 8th job start throws: some jobs are reported by then, some running, some waiting
    FlakyJobs runner = new FlakyJobs(8, new IllegalStateException("injected loop failure"));
    HeldPause pause = new HeldPause();
    WorkerConfig config = stack.workerConfig(6, "restart").withGroupId("restart");
    WorkerService worker = new WorkerService(config, stack.registry, Clock.systemUTC(), runner)
        .pauseBeforeRestart(pause).start();
    try {
      assertThat(worker.healthy()).isTrue();
      assertThat(pause.entered.await(60, TimeUnit.SECONDS)).as("the loop failed and backs off").isTrue();
      assertThat(worker.health()).isEqualTo(WorkerService.Health.RESTARTING);
      assertThat(worker.healthy()).isFalse();
      assertThat(worker.restarts()).isEqualTo(1);
      assertThat(worker.terminated()).isNotDone();
      assertThat(pause.delays).containsExactly(Backoff.FIRST);
      pause.release.countDown();

      await().atMost(Duration.ofSeconds(60)).until(() -> statuses.values().stream()
          .filter(s -> ids.contains(s.getJobId()) && s.getState() == JobState.COMPLETED)
          .map(AnalysisStatus::getJobId).distinct().count() == jobs.size());
      await().atMost(Duration.ofSeconds(30)).until(worker::healthy);
      assertThat(worker.restarts()).as("restarted once").isEqualTo(1);
      assertThat(runner.calls.get()).as("the failed job was started again").isGreaterThan(jobs.size());
    } finally {
      pause.release.countDown();
      worker.close();
    }
    assertThat(worker.terminated().get(10, TimeUnit.SECONDS)).isEqualTo(WorkerService.Health.STOPPED);
    assertThat(worker.health()).isEqualTo(WorkerService.Health.STOPPED);

    // everything the worker ever committed, read to the end now that it is stopped: nothing can arrive later
    Map<String, Long> completions = committed(Topics.ANALYSIS_STATUS).stream()
        .filter(s -> ids.contains(s.getJobId()) && s.getState() == JobState.COMPLETED)
        .collect(Collectors.groupingBy(AnalysisStatus::getJobId, Collectors.counting()));
    assertThat(completions.keySet()).isEqualTo(ids);
    assertThat(completions.values()).as("no job completed twice").containsOnly(1L);
    Map<String, Long> usage = committed(Topics.USAGE_EVENTS).stream()
        .filter(e -> ids.contains(e.getJobId()))
        .collect(Collectors.groupingBy(UsageEvent::getEventId, Collectors.counting()));
    assertThat(usage).hasSize(jobs.size());
    assertThat(usage.values()).as("no usage event twice").containsOnly(1L);
  }

  @Test
  void aWorkRecordThatCannotBeReadNowIsReadAgainInsteadOfDeadLetteredAndItsJobEnds() throws Exception {
    List<AnalysisWork> jobs = new ArrayList<>();
    for (int i = 0; i < 3; i++) {
      jobs.add(stack.work("read-again", "tenants/read-again/files/file_1", 2));
    }
    jobs.forEach(stack::submit);
    stack.flush();
    Set<String> ids = jobs.stream().map(AnalysisWork::getJobId).collect(Collectors.toSet());
    WorkerStack.Tail<AnalysisStatus> statuses = stack.tail(Topics.ANALYSIS_STATUS);
    int workSchema = stack.registry.register("analysis-work-value", AnalysisWork.getClassSchema());
    RegistryAwayAtFirst registry = new RegistryAwayAtFirst(stack.registry, workSchema, 2);
    WorkerConfig config = stack.workerConfig(4, "read-again").withGroupId("read-again");
    WorkerService worker = new WorkerService(config, registry, Clock.systemUTC(), new FlakyJobs(-1, null))
        .pauseBeforeRestart(delay -> { }).start();
    try {
      await().atMost(Duration.ofSeconds(120)).until(() -> statuses.values().stream()
          .filter(s -> ids.contains(s.getJobId()) && s.getState() == JobState.COMPLETED)
          .map(AnalysisStatus::getJobId).distinct().count() == jobs.size());
      assertThat(registry.failed()).as("the work records could not be read at first").isEqualTo(2);
      assertThat(worker.restarts()).as("each time the loop read them again").isEqualTo(2);
    } finally {
      worker.close();
    }
    assertThat(committed(Topics.DEAD_LETTER)).as("nothing of the tenant dead-lettered")
        .noneMatch(d -> d.getKey() != null
            && java.nio.charset.StandardCharsets.UTF_8.decode(d.getKey().duplicate()).toString().equals("read-again"));
  }

  /** Throws on the loop thread for one job, every time it is started; completes the others. */
  static final class PoisonJob implements JobExecutor {
    final AtomicInteger poisonStarts = new AtomicInteger();
    private final String poisonJobId;

    PoisonJob(String poisonJobId) {
      this.poisonJobId = poisonJobId;
    }

    @Override
    public CompletableFuture<JobOutcome> run(AnalysisWork work) {
      if (work.getJobId().equals(poisonJobId)) {
        poisonStarts.incrementAndGet();
        throw new IllegalStateException("injected: this job always breaks the loop");
      }
      return CompletableFuture.completedFuture(JobOutcome.completed(
          ResultDocument.prefix(work.getTenantId(), work.getJobId()), work.getFileRows(), System.currentTimeMillis()));
    }
  }

  @Test
  void aRecordThatFailsTheLoopEveryTimeIsDeadLetteredAfterABoundedNumberOfAttempts() throws Exception {
    List<AnalysisWork> jobs = new ArrayList<>();
    for (int i = 0; i < 6; i++) {
      jobs.add(stack.work("poison-a", "tenants/poison-a/files/file_1", 2));
    }
    AnalysisWork poison = jobs.get(2);
    jobs.forEach(stack::submit);
    stack.flush();
    Set<String> ids = jobs.stream().map(AnalysisWork::getJobId).collect(Collectors.toSet());
    WorkerStack.Tail<AnalysisStatus> statuses = stack.tail(Topics.ANALYSIS_STATUS);
    PoisonJob runner = new PoisonJob(poison.getJobId());
    WorkerConfig config = stack.workerConfig(4, "poison").withGroupId("poison");
    WorkerService worker = new WorkerService(config, stack.registry, Clock.systemUTC(), runner)
        .pauseBeforeRestart(delay -> { }).start();
    try {
      await().atMost(Duration.ofSeconds(120)).until(() -> statuses.values().stream()
          .filter(s -> ids.contains(s.getJobId()) && (s.getState() == JobState.COMPLETED || s.getState() == JobState.FAILED))
          .map(AnalysisStatus::getJobId).distinct().count() == jobs.size());
      await().atMost(Duration.ofSeconds(30)).until(worker::healthy);
      assertThat(runner.poisonStarts.get()).as("started a bounded number of times, then never again")
          .isEqualTo(PoisonRecords.DEFAULT_MAX_ATTEMPTS);
      assertThat(worker.restarts()).isEqualTo(PoisonRecords.DEFAULT_MAX_ATTEMPTS);
    } finally {
      worker.close();
    }
    Map<String, JobState> ends = committed(Topics.ANALYSIS_STATUS).stream()
        .filter(s -> ids.contains(s.getJobId()) && s.getState() != JobState.RUNNING)
        .collect(Collectors.toMap(AnalysisStatus::getJobId, AnalysisStatus::getState, (a, b) -> b));
    assertThat(ends.remove(poison.getJobId())).isEqualTo(JobState.FAILED);
    assertThat(ends.values()).as("the other jobs of the tenant completed").hasSize(5).containsOnly(JobState.COMPLETED);
    AnalysisStatus failed = committed(Topics.ANALYSIS_STATUS).stream()
        .filter(s -> s.getJobId().equals(poison.getJobId()) && s.getState() == JobState.FAILED).findFirst().orElseThrow();
    assertThat(failed.getReason()).isEqualTo("worker_error");
    assertThat(failed.getRetryable()).isFalse();
    java.util.function.Predicate<io.storystream.schemas.DeadLetter> poisonLetter = d ->
        "processing_failed".equals(d.getReason()) && d.getSourceTopic().equals(Topics.ANALYSIS_WORK.name());
    // at rest (no keyring in this process now) the body and error text are sealed under the tenant's data key
    var atRest = committed(Topics.DEAD_LETTER).stream().filter(poisonLetter).toList();
    assertThat(atRest).hasSize(1);
    assertThat(atRest.get(0).getErrorMessage()).startsWith("ssk1:").doesNotContain("always breaks the loop");
    try (var keys = io.storystream.common.crypto.Keyrings.acquire(config.kafka(), config.dataDir())) {
      var letters = committed(Topics.DEAD_LETTER).stream().filter(poisonLetter).toList();
      assertThat(letters).hasSize(1);
      assertThat(letters.get(0).getErrorClass()).isEqualTo(IllegalStateException.class.getName());
      assertThat(letters.get(0).getErrorMessage()).contains("always breaks the loop");
    }
  }

  @Test
  void aFailureARestartCannotFixStopsTheWorkerVisibly() throws Exception {
    stack.submit(stack.work("denied", "tenants/denied/files/file_1", 1));
    stack.flush();
    FlakyJobs runner = new FlakyJobs(1, new TopicAuthorizationException(Set.of(Topics.ANALYSIS_STATUS.name())));
    WorkerConfig config = stack.workerConfig(4, "fatal").withGroupId("fatal");
    WorkerService worker = new WorkerService(config, stack.registry, Clock.systemUTC(), runner).start();
    try {
      assertThat(worker.terminated().get(60, TimeUnit.SECONDS)).isEqualTo(WorkerService.Health.FAILED);
      assertThat(worker.health()).isEqualTo(WorkerService.Health.FAILED);
      assertThat(worker.healthy()).isFalse();
      assertThat(worker.restarts()).as("not restarted").isZero();
      assertThat(WorkerCommand.exitCode(worker)).isEqualTo(1);
    } finally {
      worker.close();
    }
    assertThat(worker.health()).as("still visible after close").isEqualTo(WorkerService.Health.FAILED);
  }

  /** Every committed record of a topic, from the beginning to its current end. */
  private static <V extends SpecificRecordBase> List<V> committed(Topic<V> topic) {
    AvroDeserializer<V> deserializer = new AvroDeserializer<>(stack.registry, topic.valueType());
    List<V> values = new ArrayList<>();
    try (KafkaConsumer<String, byte[]> consumer = new KafkaConsumer<>(stack.kafkaSettings().consumer(null))) {
      List<TopicPartition> partitions = consumer.partitionsFor(topic.name()).stream()
          .map(p -> new TopicPartition(p.topic(), p.partition())).toList();
      consumer.assign(partitions);
      consumer.seekToBeginning(partitions);
      Map<TopicPartition, Long> end = consumer.endOffsets(partitions); // read_committed: the last stable offset
      await().pollInSameThread().atMost(Duration.ofSeconds(30)).until(() -> {
        for (ConsumerRecord<String, byte[]> r : consumer.poll(Duration.ofMillis(100))) {
          values.add(deserializer.deserialize(r.topic(), r.value()));
        }
        return partitions.stream().allMatch(p -> consumer.position(p) >= end.get(p));
      });
    }
    return values;
  }
}
