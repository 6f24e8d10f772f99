package io.storystream.processor.worker;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import io.storystream.schemas.AnalysisStatus;
import io.storystream.schemas.AnalysisWork;
import io.storystream.schemas.JobState;
import io.storystream.schemas.UsageEvent;
import io.storystream.schemas.topics.Topics;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.stream.Collectors;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The worker as its own process, killed with SIGKILL while jobs are in flight and started again: every job ends
 * completed exactly once and no usage event appears twice.
 */
class WorkerCrashTest {
  @TempDir Path dir;

  @Test
  void killedMidRunAndRestartedEveryJobCompletesOnce() throws Exception {
    killAndRestart(60, 20);
  }

  @Test
  @Tag("benchmark")
  void killedMidRunWith200Jobs() throws Exception {
    killAndRestart(200, 50);
  }

  void killAndRestart(int jobCount, int inFlight) throws Exception {
    try (WorkerStack stack = new WorkerStack(dir, Duration.ofMillis(500))) {
      WorkerStack.Tail<AnalysisStatus> statuses = stack.tail(Topics.ANALYSIS_STATUS);
      WorkerStack.Tail<UsageEvent> usage = stack.tail(Topics.USAGE_EVENTS);
      List<AnalysisWork> jobs = new ArrayList<>();
      List<String> tenants = List.of("crash-a", "crash-b", "crash-c");
      for (String tenant : tenants) {
        String file = stack.upload(tenant, "file_" + tenant);
        for (int i = 0; i < jobCount / tenants.size(); i++) {
          jobs.add(stack.work(tenant, file, inFlight / 2));
        }
      }
      jobs.forEach(stack::submit);
      stack.flush();
      Set<String> ids = jobs.stream().map(AnalysisWork::getJobId).collect(Collectors.toSet());

      long t0 = System.nanoTime();
      Process first = startWorker(stack, inFlight);
      long inFlightAtKill;
      try {
        await().atMost(Duration.ofSeconds(240)).until(() -> completed(statuses, ids).size() >= jobs.size() / 4);
        first.destroyForcibly(); // SIGKILL: no shutdown hook, no clean close, open transaction left behind
        first.waitFor();
        Set<String> started = statuses.values().stream().filter(s -> s.getState() == JobState.RUNNING)
            .map(AnalysisStatus::getJobId).collect(Collectors.toSet());
        inFlightAtKill = started.size() - completed(statuses, ids).size();
      } finally {
        first.destroyForcibly();
      }
      int completedAtKill = completed(statuses, ids).size();
      long killedAt = System.nanoTime();
      assertThat(completedAtKill).as("killed mid-run").isLessThan(jobs.size());

      Process second = startWorker(stack, inFlight);
      try {
        await().atMost(Duration.ofSeconds(300)).until(() -> completed(statuses, ids).size() >= jobs.size());
        // let the restarted worker run on a little: a duplicate would show up now if the offsets were wrong
        await().pollDelay(Duration.ofSeconds(2)).atMost(Duration.ofSeconds(5)).until(() -> true);
        System.out.printf("crash: killed %.1f s after the first start; the restarted worker finished the rest in %.1f s%n",
            (killedAt - t0) / 1e9, (System.nanoTime() - killedAt) / 1e9);
      } finally {
        second.destroy();
        second.waitFor();
      }

      Map<String, Long> completions = completed(statuses, ids).stream()
          .collect(Collectors.groupingBy(AnalysisStatus::getJobId, Collectors.counting()));
      assertThat(completions.keySet()).isEqualTo(ids);
      assertThat(completions.values()).as("no job completed twice").containsOnly(1L);
      assertThat(statuses.values().stream().filter(s -> ids.contains(s.getJobId()))
          .filter(s -> s.getState() == JobState.FAILED)).isEmpty();
      Map<String, Long> events = usage.values().stream().filter(e -> ids.contains(e.getJobId()))
          .collect(Collectors.groupingBy(UsageEvent::getEventId, Collectors.counting()));
      assertThat(events).hasSize(jobs.size());
      assertThat(events.values()).as("no usage event twice").containsOnly(1L);
      System.out.printf("crash: %d jobs, %d completed and %d running when the worker was killed; after the restart "
          + "%d completed once each, %d usage events, no duplicates; stand-in analyze calls %d%n",
          jobs.size(), completedAtKill, inFlightAtKill, completions.size(), events.size(), stack.standIn.analyzeCalls());
    }
  }

  private Process startWorker(WorkerStack stack, int inFlight) throws Exception {
    String java = Path.of(System.getProperty("java.home"), "bin", "java").toString();
    List<String> command = List.of(java, "-Xmx256m",
        "-Dorg.apache.avro.SERIALIZABLE_PACKAGES=io.storystream.schemas",
        "-cp", System.getProperty("java.class.path"),
        WorkerCommand.class.getName(),
        "--bootstrap-servers", stack.kafka.bootstrapServers(),
        "--registry-url", stack.registryServer.url(),
        "--partitions", Integer.toString(WorkerStack.PARTITIONS),
        "--s3-endpoint", stack.s3.endpoint(),
        "--s3-access-key", io.storystream.embedded.EmbeddedS3.ACCESS_KEY,
        "--s3-secret-key", io.storystream.embedded.EmbeddedS3.SECRET_KEY,
        "--data-dir", dir.resolve("child").toString(),
        "--datastorybot-url", stack.standIn.baseUri().toString(),
        "--max-in-flight", Integer.toString(inFlight),
        "--worker-instance-id", "crashy");
    return new ProcessBuilder(command)
        .redirectErrorStream(true)
        .redirectOutput(ProcessBuilder.Redirect.appendTo(dir.resolve("worker.log").toFile()))
        .start();
  }

  static List<AnalysisStatus> completed(WorkerStack.Tail<AnalysisStatus> statuses, Set<String> ids) {
    return statuses.values().stream().filter(s -> ids.contains(s.getJobId()))
        .filter(s -> s.getState() == JobState.COMPLETED).toList();
  }

}
