package io.storystream.processor.worker;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import io.storystream.schemas.AnalysisStatus;
import io.storystream.schemas.AnalysisWork;
import io.storystream.schemas.JobState;
import io.storystream.schemas.topics.TenantPartitioner;
import io.storystream.schemas.topics.Topics;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Set;
import java.util.stream.Collectors;
import java.util.stream.IntStream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * One tenant floods the queue; another's jobs, queued behind the flood on the same partition, still get slots.
 * Fairness is asserted by order (the second tenant's jobs all finish before half of the flood has), not by time;
 * the median completion times of the idle and the flooded run are printed for the record.
 */
class WorkerFairnessTest {
  static final int SLOTS = 4;
  static final int FLOOD = 40;
  static final int SMALL = 5;

  @TempDir Path dir;

  @Test
  void aSecondTenantsJobsFinishAheadOfTheFirstTenantsBacklog() throws Exception {
    String flooder = "flood-a";
    String quiet = tenantOnSamePartitionAs(flooder);
    try (WorkerStack stack = new WorkerStack(dir, Duration.ofMillis(100));
         WorkerService worker = new WorkerService(stack.workerConfig(SLOTS, "fair")).start()) {
      WorkerStack.Tail<AnalysisStatus> statuses = stack.tail(Topics.ANALYSIS_STATUS);
      String floodFile = stack.upload(flooder, "file_a");
      String quietFile = stack.upload(quiet, "file_b");

      // warm-up (schemas registered, code paths hot), then the idle run: the quiet tenant alone
      List<AnalysisWork> warmUp = jobs(stack, quiet, quietFile, SMALL);
      warmUp.forEach(stack::submit);
      stack.flush();
      await().atMost(Duration.ofSeconds(180)).until(() -> completed(statuses, warmUp).size() == SMALL);
      List<AnalysisWork> idle = jobs(stack, quiet, quietFile, SMALL);
      idle.forEach(stack::submit);
      stack.flush();
      await().atMost(Duration.ofSeconds(180)).until(() -> completed(statuses, idle).size() == SMALL);

      // the flood takes every slot before the quiet tenant's jobs arrive behind it in the same partition
      List<AnalysisWork> flood = jobs(stack, flooder, floodFile, FLOOD);
      flood.forEach(stack::submit);
      stack.flush();
      await().atMost(Duration.ofSeconds(180)).until(() -> running(statuses, flood) >= SLOTS);
      List<AnalysisWork> late = jobs(stack, quiet, quietFile, SMALL);
      late.forEach(stack::submit);
      stack.flush();
      await().atMost(Duration.ofSeconds(240)).until(() -> completed(statuses, flood).size() == FLOOD
          && completed(statuses, late).size() == SMALL);

      // completions of one partition are in commit order in the status topic
      Set<String> contended = new java.util.HashSet<>();
      flood.forEach(j -> contended.add(j.getJobId()));
      late.forEach(j -> contended.add(j.getJobId()));
      List<String> order = statuses.values().stream()
          .filter(s -> s.getState() == JobState.COMPLETED && contended.contains(s.getJobId()))
          .map(AnalysisStatus::getTenantId)
          .toList();
      int floodDoneBeforeLastQuiet = (int) order.subList(0, order.lastIndexOf(quiet)).stream()
          .filter(flooder::equals).count();
      System.out.printf("fairness: %d of %d flood jobs finished before the last of %d late jobs of another tenant; "
          + "median completion of those jobs %d ms under the flood vs %d ms idle (%d slots, 100 ms per stand-in call)%n",
          floodDoneBeforeLastQuiet, FLOOD, SMALL, median(completed(statuses, late)), median(completed(statuses, idle)),
          SLOTS);
      assertThat(floodDoneBeforeLastQuiet).isLessThan(FLOOD / 2);
    }
  }

  static String tenantOnSamePartitionAs(String tenant) {
    int target = TenantPartitioner.partition(tenant, WorkerStack.PARTITIONS);
    return IntStream.range(0, 1000).mapToObj(i -> "quiet-" + i)
        .filter(t -> TenantPartitioner.partition(t, WorkerStack.PARTITIONS) == target)
        .findFirst().orElseThrow();
  }

  static List<AnalysisWork> jobs(WorkerStack stack, String tenant, String file, int count) {
    List<AnalysisWork> jobs = new ArrayList<>();
    for (int i = 0; i < count; i++) {
      jobs.add(stack.work(tenant, file, SLOTS));
    }
    return jobs;
  }

  static List<AnalysisStatus> completed(WorkerStack.Tail<AnalysisStatus> statuses, List<AnalysisWork> jobs) {
    Set<String> ids = jobs.stream().map(AnalysisWork::getJobId).collect(Collectors.toSet());
    return statuses.values().stream().filter(s -> ids.contains(s.getJobId()))
        .filter(s -> s.getState() == JobState.COMPLETED).toList();
  }

  static long running(WorkerStack.Tail<AnalysisStatus> statuses, List<AnalysisWork> jobs) {
    Set<String> ids = jobs.stream().map(AnalysisWork::getJobId).collect(Collectors.toSet());
    return statuses.values().stream().filter(s -> ids.contains(s.getJobId()))
        .filter(s -> s.getState() == JobState.RUNNING).count();
  }

  /** Median of submitted → completed, in ms. */
  static long median(List<AnalysisStatus> done) {
    List<Long> times = done.stream()
        .map(s -> Duration.between(s.getSubmittedAt(), s.getCompletedAt()).toMillis()).sorted().toList();
    return times.get(times.size() / 2);
  }
}
