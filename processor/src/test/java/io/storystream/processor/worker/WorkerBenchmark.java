package io.storystream.processor.worker;

import io.storystream.schemas.AnalysisStatus;
import io.storystream.schemas.AnalysisWork;
import io.storystream.schemas.JobState;
import io.storystream.schemas.topics.Topics;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.stream.Collectors;

/**
 * Prints the worker's latencies and throughput on the real broker, S3Proxy and the stand-in, each next to a
 * baseline from the same run:
 * <ul>
 *   <li>submit (work record produced) → worker start (RUNNING's startedAt), against the broker's own produce →
 *       consume latency of the same work records;
 *   <li>completion (completedAt) → status visible to a read_committed consumer;
 *   <li>jobs/s with about 2 s of stand-in latency per job and 500 jobs in flight, against the ideal in-flight ÷
 *       latency.
 * </ul>
 * Run: {@code mvn -o -q -pl processor -am test-compile} then
 * {@code java -cp <test classpath> io.storystream.processor.worker.WorkerBenchmark [latencyJobs] [throughputJobs]}
 * (see WORKER-DESIGN.md for the one-liner).
 */
public final class WorkerBenchmark {

  public static void main(String[] args) throws Exception {
    int latencyJobs = args.length > 0 ? Integer.parseInt(args[0]) : 1_000;
    int throughputJobs = args.length > 1 ? Integer.parseInt(args[1]) : 3_000;
    Path dir = Files.createTempDirectory("worker-bench");
    latency(dir.resolve("latency"), latencyJobs);
    throughput(dir.resolve("throughput"), throughputJobs);
    System.exit(0);
  }

  /** Jobs submitted at a steady 100/s against a zero-latency stand-in, so queueing does not hide the pipeline. */
  static void latency(Path dir, int count) throws Exception {
    try (WorkerStack stack = new WorkerStack(dir, Duration.ZERO);
         WorkerService worker = new WorkerService(stack.workerConfig(500, "bench-latency")).start()) {
      WorkerStack.Tail<AnalysisStatus> statuses = stack.tail(Topics.ANALYSIS_STATUS);
      WorkerStack.Tail<AnalysisWork> work = stack.tail(Topics.ANALYSIS_WORK);
      List<String> tenants = List.of("bench-a", "bench-b", "bench-c", "bench-d");
      Map<String, String> files = new HashMap<>();
      tenants.forEach(t -> files.put(t, stack.upload(t, "file_" + t)));
      warmUp(stack, statuses, files);

      Set<String> ids = new java.util.HashSet<>();
      long start = System.nanoTime();
      for (int i = 0; i < count; i++) {
        String tenant = tenants.get(i % tenants.size());
        AnalysisWork job = stack.work(tenant, files.get(tenant), 50);
        ids.add(job.getJobId());
        stack.submit(job);
        stack.flush();
        long due = start + (i + 1) * 10_000_000L;
        while (System.nanoTime() < due) {
          Thread.onSpinWait();
        }
      }
      awaitTerminal(statuses, ids, Duration.ofMinutes(5));

      List<Long> toStart = new ArrayList<>();
      List<Long> toVisible = new ArrayList<>();
      for (int i = 0; i < statuses.records.size(); i++) {
        AnalysisStatus s = statuses.records.get(i).value();
        if (!ids.contains(s.getJobId())) {
          continue;
        }
        if (s.getState() == JobState.RUNNING) {
          toStart.add(s.getStartedAt().toEpochMilli() - s.getSubmittedAt().toEpochMilli());
        } else if (s.getState() == JobState.COMPLETED) {
          toVisible.add(statuses.seenAt.get(i) - s.getCompletedAt().toEpochMilli());
        }
      }
      List<Long> produceToConsume = new ArrayList<>();
      for (int i = 0; i < work.records.size(); i++) {
        AnalysisWork w = work.records.get(i).value();
        if (ids.contains(w.getJobId())) {
          produceToConsume.add(work.seenAt.get(i) - w.getAdmittedAt().toEpochMilli());
        }
      }
      System.out.printf("latency (%d jobs at 100/s, zero-latency stand-in, 500 in flight):%n", count);
      System.out.printf("  submit → worker start        p50 %4d ms  p99 %4d ms%n", pct(toStart, 50), pct(toStart, 99));
      System.out.printf("  baseline produce → consume   p50 %4d ms  p99 %4d ms  (the same work records, plain consumer)%n",
          pct(produceToConsume, 50), pct(produceToConsume, 99));
      System.out.printf("  completion → status visible  p50 %4d ms  p99 %4d ms%n", pct(toVisible, 50), pct(toVisible, 99));
    }
  }

  /**
   * Everything submitted up front; the worker holds 500 jobs in flight. The stand-in's latency applies to each of
   * a job's HTTP calls (upload, analyze, refine, chart and dataset downloads), so it is set to make a job take about
   * 2 s in all; the ideal rate is in-flight ÷ the mean job duration measured in the same run.
   */
  static void throughput(Path dir, int count) throws Exception {
    int inFlight = 500;
    Duration perCall = Duration.ofMillis(350);
    try (WorkerStack stack = new WorkerStack(dir, perCall)) {
      WorkerStack.Tail<AnalysisStatus> statuses = stack.tail(Topics.ANALYSIS_STATUS);
      List<String> tenants = List.of("tput-a", "tput-b", "tput-c", "tput-d", "tput-e");
      Map<String, String> files = new HashMap<>();
      tenants.forEach(t -> files.put(t, stack.upload(t, "file_" + t)));
      Set<String> ids = new java.util.HashSet<>();
      for (int i = 0; i < count; i++) {
        String tenant = tenants.get(i % tenants.size());
        AnalysisWork job = stack.work(tenant, files.get(tenant), inFlight);
        ids.add(job.getJobId());
        stack.submit(job);
      }
      stack.flush();
      long calls0 = stack.standIn.server().stats().totalRequests();
      try (WorkerService worker = new WorkerService(stack.workerConfig(inFlight, "bench-throughput")).start()) {
        awaitTerminal(statuses, ids, Duration.ofMinutes(15));
      }
      long first = Long.MAX_VALUE;
      long last = 0;
      long completed = 0;
      long durations = 0;
      for (AnalysisStatus s : statuses.values()) {
        if (!ids.contains(s.getJobId())) {
          continue;
        }
        if (s.getState() == JobState.RUNNING) {
          first = Math.min(first, s.getStartedAt().toEpochMilli());
        } else if (s.getState() == JobState.COMPLETED) {
          last = Math.max(last, s.getCompletedAt().toEpochMilli());
          durations += s.getCompletedAt().toEpochMilli() - s.getStartedAt().toEpochMilli();
          completed++;
        }
      }
      double seconds = (last - first) / 1000.0;
      double meanJob = durations / 1000.0 / Math.max(1, completed);
      double rate = count / seconds;
      double callsPerJob = (stack.standIn.server().stats().totalRequests() - calls0) / (double) count;
      double floor = callsPerJob * perCall.toMillis() / 1000.0; // a job's time if nothing but the latency counted
      double ideal = inFlight / floor;
      System.out.printf("throughput: %d jobs (%d completed) in %.1f s = %.0f jobs/s with %d in flight%n"
          + "  stand-in %d ms per call × %.1f calls = %.2f s per job at best; ideal %d / %.2f s = %.0f jobs/s; "
          + "ratio %.2f%n  mean job (start → completion, incl. S3 and the stand-in's own analysis) %.2f s%n",
          count, completed, seconds, rate, inFlight, perCall.toMillis(), callsPerJob, floor, inFlight, floor, ideal,
          rate / ideal, meanJob);
      Map<String, Long> failures = statuses.values().stream()
          .filter(s -> ids.contains(s.getJobId()) && s.getState() == JobState.FAILED)
          .collect(Collectors.groupingBy(AnalysisStatus::getReason, Collectors.counting()));
      if (!failures.isEmpty()) {
        System.out.printf("  failed jobs by reason: %s%n", failures);
      }
    }
  }

  private static void warmUp(WorkerStack stack, WorkerStack.Tail<AnalysisStatus> statuses, Map<String, String> files)
      throws InterruptedException {
    Set<String> ids = new java.util.HashSet<>();
    files.forEach((tenant, file) -> {
      for (int i = 0; i < 20; i++) {
        AnalysisWork job = stack.work(tenant, file, 50);
        ids.add(job.getJobId());
        stack.submit(job);
      }
    });
    stack.flush();
    awaitTerminal(statuses, ids, Duration.ofMinutes(10));
  }

  private static void awaitTerminal(WorkerStack.Tail<AnalysisStatus> statuses, Set<String> ids, Duration timeout)
      throws InterruptedException {
    long deadline = System.nanoTime() + timeout.toNanos();
    while (System.nanoTime() < deadline) {
      long done = statuses.values().stream().filter(s -> ids.contains(s.getJobId()))
          .filter(s -> s.getState() == JobState.COMPLETED || s.getState() == JobState.FAILED)
          .map(AnalysisStatus::getJobId).collect(Collectors.toSet()).size();
      if (done >= ids.size()) {
        return;
      }
      Thread.sleep(100); // a benchmark's progress poll, not a test
    }
    throw new IllegalStateException("jobs did not finish within " + timeout);
  }

  private static long pct(List<Long> values, int percentile) {
    if (values.isEmpty()) {
      return -1;
    }
    List<Long> sorted = values.stream().sorted().toList();
    return sorted.get(Math.min(sorted.size() - 1, (int) Math.ceil(percentile / 100.0 * sorted.size()) - 1));
  }
}
