package io.storystream.processor.admission;

import static org.assertj.core.api.Assertions.assertThat;

import io.storystream.processor.ProcessorTopics;
import io.storystream.schemas.AnalysisRequest;
import io.storystream.schemas.AnalysisStatus;
import io.storystream.schemas.AnalysisWork;
import io.storystream.schemas.FileRegistered;
import io.storystream.schemas.JobCancellation;
import io.storystream.schemas.JobState;
import io.storystream.schemas.PlanLimits;
import io.storystream.schemas.QuotaUsage;
import io.storystream.schemas.Tenant;
import io.storystream.schemas.TenantStatus;
import io.storystream.schemas.registry.InMemorySchemaRegistryClient;
import io.storystream.schemas.topics.TenantKeys;
import io.storystream.schemas.topics.Topic;
import io.storystream.schemas.topics.TopicSerdes;
import io.storystream.schemas.topics.Topics;
import java.nio.file.Path;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.time.ZoneOffset;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.Deque;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Properties;
import org.apache.avro.specific.SpecificRecord;
import org.apache.kafka.streams.StreamsConfig;
import org.apache.kafka.streams.TestInputTopic;
import org.apache.kafka.streams.TestOutputTopic;
import org.apache.kafka.streams.TopologyTestDriver;
import org.apache.kafka.streams.state.KeyValueStore;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The queue behind the concurrency cap and the quota reservations, with the worker played by the test: it reads
 * {@code analysis-work} and writes endings to {@code processor-job-endings} as the real worker does.
 */
class AdmissionQueueTest {
  private static final Instant NOW = Instant.parse("2026-11-29T12:00:00Z");
  private static final String MONTH = "2026-11";

  @TempDir Path stateDir;

  private final InMemorySchemaRegistryClient registry = new InMemorySchemaRegistryClient();
  private final TopicSerdes serdes = new TopicSerdes(registry);
  private TopologyTestDriver driver;
  private TestInputTopic<String, Tenant> tenants;
  private TestInputTopic<String, FileRegistered> files;
  private TestInputTopic<String, AnalysisRequest> requests;
  private TestInputTopic<String, AnalysisStatus> endings;
  private TestInputTopic<String, JobCancellation> cancels;
  private TestOutputTopic<String, AnalysisStatus> status;
  private TestOutputTopic<String, AnalysisWork> work;
  private TestOutputTopic<String, QuotaUsage> quota;
  /** Every job's statuses in the order admission wrote them. */
  private final Map<String, List<AnalysisStatus>> history = new LinkedHashMap<>();
  /** The latest quota figures per tenantId:month, as /v1/usage would serve them. */
  private final Map<String, QuotaUsage> published = new HashMap<>();
  private final Deque<String> running = new ArrayDeque<>();
  private int jobs;

  @BeforeEach
  void start() {
    Properties props = new Properties();
    props.put(StreamsConfig.APPLICATION_ID_CONFIG, "admission-queue-test");
    props.put(StreamsConfig.BOOTSTRAP_SERVERS_CONFIG, "unused:9092");
    props.put(StreamsConfig.PROCESSING_GUARANTEE_CONFIG, StreamsConfig.EXACTLY_ONCE_V2);
    props.put(StreamsConfig.STATE_DIR_CONFIG, stateDir.toString());
    props.putAll(DeadLetters.streamsConfig(registry));
    var topology = new AdmissionTopology(serdes, Clock.fixed(NOW, ZoneOffset.UTC), CacheKeys.DEFAULT_TTL,
        Duration.ofDays(7)).build();
    driver = new TopologyTestDriver(topology, props, NOW);
    tenants = input(Topics.TENANTS);
    files = input(Topics.FILES);
    requests = input(Topics.ANALYSIS_REQUESTS);
    endings = input(ProcessorTopics.JOB_ENDINGS);
    cancels = input(Topics.ANALYSIS_CANCELLATIONS);
    status = output(Topics.ANALYSIS_STATUS);
    work = output(Topics.ANALYSIS_WORK);
    quota = output(Topics.QUOTA_USAGE);
  }

  @AfterEach
  void stop() {
    driver.close();
  }

  @Test
  void eightySubmitsAtOnceAgainstQuotaFiftyAndCapTwoAllWaitTheirTurnWithoutAResubmission() {
    tenant("starter", plan(50, 2, 100));
    List<String> submitted = new ArrayList<>();
    for (int i = 0; i < 80; i++) {
      submitted.add(submit("starter", NOW.plusMillis(i)));
    }
    drain();
    assertThat(running).hasSize(2);

    int completed = 0;
    while (!running.isEmpty()) {
      end("starter", running.poll(), JobState.COMPLETED, false);
      completed++;
      drain();
      assertThat(running.size()).isLessThanOrEqualTo(2);
    }

    assertThat(completed).isEqualTo(50);
    Map<String, Long> finalStates = new HashMap<>();
    for (String job : submitted) {
      AnalysisStatus last = last(job);
      String outcome = last.getState() + (last.getReason() == null ? "" : "{" + last.getReason() + "}");
      finalStates.merge(outcome, 1L, Long::sum);
    }
    // the worker's COMPLETED is not admission's output: the 50 jobs end in admission's view as ADMITTED
    assertThat(finalStates).containsOnly(Map.entry("ADMITTED", 50L), Map.entry("REJECTED{quota_exceeded}", 30L));
    assertThat(history.values().stream().flatMap(List::stream))
        .noneMatch(s -> "concurrency_exceeded".equals(s.getReason()));
    // the first 50 submits get the units, in submit order; the last 30 are over the quota
    assertThat(submitted.subList(0, 50)).allMatch(job -> last(job).getState() == JobState.ADMITTED);
    assertThat(submitted.subList(50, 80)).allMatch(job -> last(job).getState() == JobState.REJECTED);

    // each queued job's position only shrinks, one step per job started ahead of it, and ends at 1 before it starts
    for (int i = 2; i < 50; i++) {
      List<Integer> positions = history.get(submitted.get(i)).stream()
          .filter(s -> s.getState() == JobState.QUEUED).map(AnalysisStatus::getPosition).toList();
      assertThat(positions).as("positions of job %d", i).first().isEqualTo(i - 1);
      assertThat(positions).as("positions of job %d", i).isSortedAccordingTo((a, b) -> b - a).last().isEqualTo(1);
      for (int k = 1; k < positions.size(); k++) {
        assertThat(positions.get(k)).isEqualTo(positions.get(k - 1) - 1);
      }
    }
    QuotaUsage figures = published.get("starter:" + MONTH);
    assertThat(figures.getUsed()).isEqualTo(50);
    assertThat(figures.getReserved()).isZero();
    assertThat(figures.getQueued()).isZero();
  }

  @Test
  void aFullBacklogRejectsRetryablyAndReservesNothing() {
    tenant("acme", plan(100, 1, 2));
    submit("acme", NOW);
    submit("acme", NOW.plusMillis(1));
    submit("acme", NOW.plusMillis(2));
    String overflow = submit("acme", NOW.plusMillis(3));
    drain();

    assertThat(last(overflow).getState()).isEqualTo(JobState.REJECTED);
    assertThat(last(overflow).getReason()).isEqualTo("backlog_full");
    assertThat(last(overflow).getRetryable()).isTrue();
    QuotaUsage figures = published.get("acme:" + MONTH);
    assertThat(figures.getReserved()).isEqualTo(3);
    assertThat(figures.getQueued()).isEqualTo(2);
    assertThat(figures.getRunning()).isEqualTo(1);
    assertThat(figures.getUsed()).isZero();
    assertThat(agreesWithAdmission("acme")).isTrue();
  }

  @Test
  void oneTenantsBacklogDoesNotDelayAnother() {
    tenant("busy", plan(100, 1, 100));
    tenant("quiet", plan(100, 1, 100));
    for (int i = 0; i < 20; i++) {
      submit("busy", NOW.plusMillis(i));
    }
    String quietJob = submit("quiet", NOW.plusMillis(50));
    drain();

    assertThat(last(quietJob).getState()).isEqualTo(JobState.ADMITTED);
    assertThat(running).contains(quietJob).hasSize(2);
  }

  @Test
  void usageAndAdmissionAgreeToTheUnitAfterEveryStepOfAScriptedScenario() {
    tenant("acme", plan(5, 1, 10));
    String a = submit("acme", NOW);
    String b = submit("acme", NOW.plusMillis(1));
    String c = submit("acme", NOW.plusMillis(2));
    step("acme", 0, 3, 2, 1);

    // a reaches DataStoryBot and fails mid-analysis: its unit is kept
    end("acme", a, JobState.FAILED, false);
    step("acme", 1, 2, 1, 1);
    assertThat(running).containsExactly(b);

    // b fails before analyze was called (circuit open): its unit comes back
    end("acme", b, JobState.FAILED, true);
    step("acme", 1, 1, 0, 1);
    assertThat(running).containsExactly(c);

    // two more fill the quota (1 used + 1 running + 2 queued + 1 queued = 5), the next is refused
    String d = submit("acme", NOW.plusMillis(3));
    String e = submit("acme", NOW.plusMillis(4));
    String f = submit("acme", NOW.plusMillis(5));
    step("acme", 1, 4, 3, 1);
    String g = submit("acme", NOW.plusMillis(6));
    drain();
    assertThat(last(g).getReason()).isEqualTo("quota_exceeded");
    step("acme", 1, 4, 3, 1);

    // cancelling a queued job gives its unit back and moves the ones behind it up
    cancel("acme", e);
    drain();
    assertThat(last(e).getState()).isEqualTo(JobState.CANCELLED);
    assertThat(last(f).getPosition()).isEqualTo(2);
    step("acme", 1, 3, 2, 1);

    // so one more fits again
    String h = submit("acme", NOW.plusMillis(7));
    drain();
    assertThat(last(h).getState()).isEqualTo(JobState.QUEUED);
    step("acme", 1, 4, 3, 1);

    // c completes (kept), d starts; the worker stops a cancelled running d before analyze (given back)
    end("acme", c, JobState.COMPLETED, false);
    step("acme", 2, 3, 2, 1);
    assertThat(running).containsExactly(d);
    end("acme", d, JobState.CANCELLED, true);
    step("acme", 2, 2, 1, 1);
    assertThat(running).containsExactly(f);
    end("acme", f, JobState.COMPLETED, false);
    end("acme", running.peek(), JobState.COMPLETED, false);
    step("acme", 4, 0, 0, 0);
    assertThat(last(h).getState()).isEqualTo(JobState.ADMITTED);

    // one unit remains: exactly one more is admitted
    String i = submit("acme", NOW.plusMillis(8));
    String j = submit("acme", NOW.plusMillis(9));
    drain();
    assertThat(last(i).getState()).isEqualTo(JobState.ADMITTED);
    assertThat(last(j).getReason()).isEqualTo("quota_exceeded");
    step("acme", 4, 1, 0, 1);
  }

  @Test
  void aCancelledQueuedJobNeverStartsAndACancelForAnAdmittedJobIsLeftToTheWorker() {
    tenant("acme", plan(10, 1, 10));
    String first = submit("acme", NOW);
    String second = submit("acme", NOW.plusMillis(1));
    String third = submit("acme", NOW.plusMillis(2));
    drain();

    cancel("acme", second);
    cancel("acme", first); // admitted: the worker stops it; admission writes nothing for it
    drain();
    assertThat(last(second).getState()).isEqualTo(JobState.CANCELLED);
    assertThat(last(second).getSequence()).isEqualTo(AdmissionTopology.ENDED_SEQUENCE);
    assertThat(last(first).getState()).isEqualTo(JobState.ADMITTED);
    assertThat(last(third).getPosition()).isEqualTo(1);

    end("acme", first, JobState.CANCELLED, true);
    drain();
    assertThat(running).containsExactly(third);
    assertThat(history.get(second)).noneMatch(s -> s.getState() == JobState.ADMITTED);
    QuotaUsage figures = published.get("acme:" + MONTH);
    assertThat(figures.getUsed()).isZero(); // first never reached analyze, second never started
    assertThat(figures.getReserved()).isEqualTo(1);
  }

  @Test
  void aCancelThatOvertakesItsRequestCancelsTheRequestOnArrival() {
    tenant("acme", plan(10, 1, 10));
    cancel("acme", "job_early");
    requests.pipeInput("acme", request("acme", "job_early", NOW), NOW);
    drain();

    assertThat(last("job_early").getState()).isEqualTo(JobState.CANCELLED);
    assertThat(running).isEmpty();
    assertThat(published).doesNotContainKey("acme:" + MONTH);
  }

  @Test
  void aJobWhoseFileWasDeletedWhileQueuedIsRejectedWhenItsTurnComesAndItsUnitReturns() {
    tenant("acme", plan(10, 1, 10));
    String first = submit("acme", NOW);
    String second = submit("acme", NOW.plusMillis(1));
    drain();
    files.pipeInput(TenantKeys.of("acme", "file_1"), null, NOW);
    end("acme", first, JobState.COMPLETED, false);
    drain();

    assertThat(last(second).getState()).isEqualTo(JobState.REJECTED);
    assertThat(last(second).getReason()).isEqualTo("file_not_found");
    assertThat(published.get("acme:" + MONTH).getUsed()).isEqualTo(1);
    assertThat(published.get("acme:" + MONTH).getReserved()).isZero();
  }

  // --- helpers -------------------------------------------------------------------------------------------------

  /**
   * One step of the scenario: the published figures are what was expected, and they are exactly what admission
   * holds in the stores it decides with.
   */
  private void step(String tenantId, long used, long reserved, int queued, int runningJobs) {
    drain();
    QuotaUsage figures = published.get(tenantId + ":" + MONTH);
    assertThat(figures.getUsed()).as("used").isEqualTo(used);
    assertThat(figures.getReserved()).as("reserved").isEqualTo(reserved);
    assertThat(figures.getQueued()).as("queued").isEqualTo(queued);
    assertThat(figures.getRunning()).as("running").isEqualTo(runningJobs);
    assertThat(running).hasSize(runningJobs);
    assertThat(agreesWithAdmission(tenantId)).isTrue();
  }

  private boolean agreesWithAdmission(String tenantId) {
    KeyValueStore<String, Long> counted = driver.getKeyValueStore(AdmissionTopology.ANALYSES_PER_MONTH);
    KeyValueStore<String, Long> reserved = driver.getKeyValueStore(AdmissionTopology.RESERVED_PER_MONTH);
    QuotaUsage figures = published.get(tenantId + ":" + MONTH);
    long decidesWith = orZero(counted.get(tenantId + ":" + MONTH));
    return figures.getUsed() + figures.getReserved() == decidesWith
        && figures.getReserved() == orZero(reserved.get(tenantId + ":" + MONTH));
  }

  private static long orZero(Long value) {
    return value == null ? 0 : value;
  }

  /** Reads everything admission wrote: statuses into {@link #history}, work into {@link #running}, quota figures. */
  private void drain() {
    for (var record : status.readRecordsToList()) {
      assertThat(record.key()).isEqualTo(TenantKeys.of(record.value().getTenantId(), record.value().getJobId()));
      history.computeIfAbsent(record.value().getJobId(), k -> new ArrayList<>()).add(record.value());
    }
    work.readValuesToList().forEach(w -> running.add(w.getJobId()));
    for (var record : quota.readRecordsToList()) {
      published.put(record.key(), record.value());
    }
  }

  private void end(String tenantId, String jobId, JobState state, boolean released) {
    drain();
    running.remove(jobId);
    endings.pipeInput(TenantKeys.of(tenantId, jobId), AnalysisStatus.newBuilder().setJobId(jobId)
        .setTenantId(tenantId).setFileId("file_1").setState(state).setSequence(AdmissionTopology.ENDED_SEQUENCE)
        .setReservationReleased(released).setSubmittedAt(NOW).setUpdatedAt(NOW).build(), NOW);
    drain();
  }

  private void cancel(String tenantId, String jobId) {
    cancels.pipeInput(tenantId, JobCancellation.newBuilder().setJobId(jobId).setTenantId(tenantId)
        .setRequestedAt(NOW).build(), NOW);
  }

  private AnalysisStatus last(String jobId) {
    List<AnalysisStatus> statuses = history.get(jobId);
    assertThat(statuses).as("statuses of %s", jobId).isNotEmpty();
    return statuses.get(statuses.size() - 1);
  }

  private static PlanLimits plan(int perMonth, int concurrent, int maxQueued) {
    return new PlanLimits(perMonth, 50L * 1024 * 1024, false, 1000, concurrent, 30, maxQueued);
  }

  private void tenant(String id, PlanLimits limits) {
    tenants.pipeInput(id, Tenant.newBuilder().setTenantId(id).setName(id).setPlan("starter").setLimits(limits)
        .setStatus(TenantStatus.ACTIVE).setCreatedAt(NOW).setUpdatedAt(NOW).build(), NOW.minusSeconds(3600));
    files.pipeInput(TenantKeys.of(id, "file_1"), FileRegistered.newBuilder().setFileId("file_1")
        .setTenantId(id).setName("file_1.csv").setObjectKey("tenants/" + id + "/files/file_1")
        .setSizeBytes(1000).setSha256("ab".repeat(32)).setRows(42).setColumns(3).setUploadedAt(NOW).build(),
        NOW.minusSeconds(3600));
  }

  private String submit(String tenantId, Instant at) {
    String jobId = "job_" + tenantId + "_" + (++jobs);
    requests.pipeInput(tenantId, request(tenantId, jobId, at), at);
    return jobId;
  }

  private static AnalysisRequest request(String tenantId, String jobId, Instant at) {
    return AnalysisRequest.newBuilder().setJobId(jobId).setTenantId(tenantId).setFileId("file_1")
        .setSteeringPrompt("s" + jobId).setRequestHash("cd".repeat(32)).setSubmittedAt(at).build();
  }

  private <V extends SpecificRecord> TestInputTopic<String, V> input(Topic<V> topic) {
    return driver.createInputTopic(topic.name(), serdes.key().serializer(), serdes.value(topic).serializer());
  }

  private <V extends SpecificRecord> TestOutputTopic<String, V> output(Topic<V> topic) {
    return driver.createOutputTopic(topic.name(), serdes.key().deserializer(), serdes.value(topic).deserializer());
  }
}
