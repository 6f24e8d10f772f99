package io.storystream.processor.worker;

import static org.assertj.core.api.Assertions.assertThat;

import io.storystream.datastorybot.standin.Endpoint;
import io.storystream.datastorybot.standin.Fault;
import io.storystream.processor.admission.AdmissionService;
import io.storystream.schemas.AnalysisRequest;
import io.storystream.schemas.AnalysisStatus;
import io.storystream.schemas.FileRegistered;
import io.storystream.schemas.JobCancellation;
import io.storystream.schemas.JobState;
import io.storystream.schemas.PlanLimits;
import io.storystream.schemas.QuotaUsage;
import io.storystream.schemas.Tenant;
import io.storystream.schemas.TenantStatus;
import io.storystream.schemas.serde.AvroSerializer;
import io.storystream.schemas.topics.TenantKeys;
import io.storystream.schemas.topics.Topics;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.time.YearMonth;
import java.time.ZoneOffset;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.function.BooleanSupplier;
import org.apache.avro.specific.SpecificRecordBase;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInstance;
import org.junit.jupiter.api.io.TempDir;

/**
 * The queue, the quota reservations and cancel as they run: admission (exactly-once Streams) and the worker on a
 * real KRaft broker, the DataStoryBot stand-in over HTTP, S3Proxy. Requests are published as the ingress publishes
 * them; nothing is ever resubmitted.
 */
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
class JobQueueOnBrokerTest {
  private static final Duration WAIT = Duration.ofSeconds(120);

  private WorkerStack stack;
  private AdmissionService admission;
  private WorkerService worker;
  private KafkaProducer<String, byte[]> producer;
  private AvroSerializer<SpecificRecordBase> serializer;
  private WorkerStack.Tail<AnalysisStatus> statuses;
  private WorkerStack.Tail<QuotaUsage> quota;
  private int jobs;

  @BeforeAll
  void start(@TempDir Path dir) throws Exception {
    stack = new WorkerStack(dir, Duration.ofMillis(10));
    admission = new AdmissionService(stack.kafkaSettings(), dir.resolve("admission")).start();
    worker = new WorkerService(stack.workerConfig(100, "queue-test")).start();
    producer = new KafkaProducer<>(stack.kafkaSettings().producer("queue-test"));
    serializer = new AvroSerializer<>(stack.registry, false);
    statuses = stack.tail(Topics.ANALYSIS_STATUS);
    quota = stack.tail(Topics.QUOTA_USAGE);
  }

  @AfterAll
  void stop() throws Exception {
    if (producer != null) producer.close();
    if (worker != null) worker.close();
    if (admission != null) admission.close();
    if (stack != null) stack.close();
  }

  @Test
  void eightySubmitsAtOnceAgainstQuotaFiftyAndCapTwoComplete50AndReject30ForQuotaOnly() throws Exception {
    String tenant = tenant("starter80", 50, 2);
    List<String> submitted = new ArrayList<>();
    for (int i = 0; i < 80; i++) {
      submitted.add(submit(tenant));
    }
    producer.flush();

    waitUntil(() -> submitted.stream().allMatch(job -> ended(job).isPresent()));
    Map<String, Integer> outcomes = new HashMap<>();
    for (String job : submitted) {
      AnalysisStatus end = ended(job).orElseThrow();
      outcomes.merge(end.getState() + (end.getReason() == null ? "" : "{" + end.getReason() + "}"), 1, Integer::sum);
    }
    assertThat(outcomes).containsOnly(Map.entry("COMPLETED", 50), Map.entry("REJECTED{quota_exceeded}", 30));
    assertThat(statusesOf(tenant)).noneMatch(s -> "concurrency_exceeded".equals(s.getReason()));

    // each job that waited saw its position only shrink, down to 1, before it was admitted
    int waited = 0;
    for (String job : submitted) {
      List<Integer> positions = statusesOfJob(job).stream()
          .filter(s -> s.getState() == JobState.QUEUED && s.getPosition() != null)
          .map(AnalysisStatus::getPosition).toList();
      if (!positions.isEmpty()) {
        waited++;
        assertThat(positions).as("positions of %s", job).isSortedAccordingTo((a, b) -> b - a).endsWith(1);
      }
    }
    assertThat(waited).isEqualTo(48);

    waitUntil(() -> latestQuota(tenant).map(q -> q.getReserved() == 0).orElse(false));
    assertThat(latestQuota(tenant).orElseThrow().getUsed()).isEqualTo(50);
  }

  @Test
  void aJobThatNeverReachedAnalyzeGivesItsUnitBackAndOneThatFailedMidAnalysisKeepsIt() throws Exception {
    String tenant = tenant("faults", 10, 1);
    try {
      stack.standIn.server().faults().always(Endpoint.UPLOAD, Fault.BAD_REQUEST);
      String beforeAnalyze = submit(tenant);
      producer.flush();
      waitUntil(() -> ended(beforeAnalyze).isPresent());
      assertThat(ended(beforeAnalyze).orElseThrow().getState()).isEqualTo(JobState.FAILED);
      assertThat(ended(beforeAnalyze).orElseThrow().getReservationReleased()).isTrue();
      waitUntil(() -> latestQuota(tenant).map(q -> q.getReserved() == 0).orElse(false));
      assertThat(latestQuota(tenant).orElseThrow().getUsed()).isZero();

      stack.standIn.server().faults().clear().always(Endpoint.ANALYZE, Fault.BAD_REQUEST);
      String midAnalysis = submit(tenant);
      producer.flush();
      waitUntil(() -> ended(midAnalysis).isPresent());
      assertThat(ended(midAnalysis).orElseThrow().getState()).isEqualTo(JobState.FAILED);
      assertThat(ended(midAnalysis).orElseThrow().getReservationReleased()).isFalse();
      waitUntil(() -> latestQuota(tenant).map(q -> q.getReserved() == 0).orElse(false));
      assertThat(latestQuota(tenant).orElseThrow().getUsed()).isEqualTo(1);
    } finally {
      stack.standIn.server().faults().clear();
    }
  }

  @Test
  void aCancelledQueuedJobNeverStartsAndACancelledRunningJobMakesNoFurtherCall() throws Exception {
    String tenant = tenant("canceller", 10, 1);
    // every DataStoryBot call takes 5 s: the running job's upload is still in flight when the cancel lands
    stack.standIn.server().faults().latency(Duration.ofSeconds(5));
    try {
      var stats = stack.standIn.server().stats();
      long uploadsBefore = stats.requests(Endpoint.UPLOAD);
      long analyzeBefore = stats.requests(Endpoint.ANALYZE);
      long totalBefore = stats.totalRequests();
      String running = submit(tenant);
      String queued = submit(tenant);
      producer.flush();
      waitUntil(() -> statusesOfJob(queued).stream().anyMatch(s -> s.getState() == JobState.QUEUED
          && s.getPosition() != null));
      waitUntil(() -> stats.requests(Endpoint.UPLOAD) > uploadsBefore); // the running job is talking to DataStoryBot

      cancel(tenant, queued);
      cancel(tenant, running);
      producer.flush();

      waitUntil(() -> ended(queued).isPresent() && ended(running).isPresent());
      assertThat(ended(queued).orElseThrow().getState()).isEqualTo(JobState.CANCELLED);
      assertThat(statusesOfJob(queued)).noneMatch(s -> s.getState() == JobState.ADMITTED
          || s.getState() == JobState.RUNNING);
      AnalysisStatus stopped = ended(running).orElseThrow();
      assertThat(stopped.getState()).isEqualTo(JobState.CANCELLED);
      assertThat(stopped.getReservationReleased()).isTrue();
      // the ending is written once the job's call chain is over: these counts are final for the job
      assertThat(stats.requests(Endpoint.UPLOAD) - uploadsBefore).isEqualTo(1);
      assertThat(stats.requests(Endpoint.ANALYZE)).isEqualTo(analyzeBefore);
      assertThat(stats.totalRequests() - totalBefore).isEqualTo(1);
      assertThat(stack.blobs.get("tenants/" + tenant + "/results/" + running + "/result.json")).isEmpty();

      waitUntil(() -> latestQuota(tenant).map(q -> q.getReserved() == 0).orElse(false));
      assertThat(latestQuota(tenant).orElseThrow().getUsed()).isZero();
    } finally {
      stack.standIn.server().faults().latency(Duration.ZERO);
    }
  }

  // ---- helpers --------------------------------------------------------------------------------------------------

  private String tenant(String id, int perMonth, int concurrent) {
    Instant now = Instant.now();
    send(Topics.TENANTS.name(), id, Tenant.newBuilder().setTenantId(id).setName(id).setPlan("starter")
        .setLimits(new PlanLimits(perMonth, 10L << 20, false, 10_000, concurrent, 30, 100))
        .setStatus(TenantStatus.ACTIVE).setCreatedAt(now).setUpdatedAt(now).build());
    String objectKey = stack.upload(id, "file_1");
    send(Topics.FILES.name(), TenantKeys.of(id, "file_1"), FileRegistered.newBuilder().setFileId("file_1")
        .setTenantId(id).setName("saas_mrr.csv").setObjectKey(objectKey).setSizeBytes(WorkerStack.CSV.length)
        .setSha256("0".repeat(64)).setRows(288).setColumns(5).setUploadedAt(now).build());
    producer.flush();
    return id;
  }

  private String submit(String tenantId) {
    String jobId = "job_" + tenantId + "_" + (++jobs);
    send(Topics.ANALYSIS_REQUESTS.name(), tenantId, AnalysisRequest.newBuilder().setJobId(jobId)
        .setTenantId(tenantId).setFileId("file_1").setSteeringPrompt("churn by region")
        .setRequestHash("cd".repeat(32)).setSubmittedAt(Instant.now()).build());
    return jobId;
  }

  private void cancel(String tenantId, String jobId) {
    send(Topics.ANALYSIS_CANCELLATIONS.name(), tenantId, JobCancellation.newBuilder().setJobId(jobId)
        .setTenantId(tenantId).setRequestedAt(Instant.now()).build());
  }

  private void send(String topic, String key, SpecificRecordBase value) {
    producer.send(new ProducerRecord<>(topic, key, serializer.serialize(topic, value)));
  }

  private List<AnalysisStatus> statusesOf(String tenantId) {
    return statuses.values().stream().filter(s -> s.getTenantId().equals(tenantId)).toList();
  }

  private List<AnalysisStatus> statusesOfJob(String jobId) {
    return statuses.values().stream().filter(s -> s.getJobId().equals(jobId)).toList();
  }

  /** The job's ending, if it has one: the worker's or admission's terminal status. */
  private Optional<AnalysisStatus> ended(String jobId) {
    return statusesOfJob(jobId).stream().filter(s -> s.getState() == JobState.COMPLETED
        || s.getState() == JobState.FAILED || s.getState() == JobState.REJECTED
        || s.getState() == JobState.CANCELLED).findFirst();
  }

  private Optional<QuotaUsage> latestQuota(String tenantId) {
    String month = YearMonth.now(ZoneOffset.UTC).toString();
    List<QuotaUsage> figures = quota.values().stream()
        .filter(q -> q.getTenantId().equals(tenantId) && q.getMonth().equals(month)).toList();
    return figures.isEmpty() ? Optional.empty() : Optional.of(figures.get(figures.size() - 1));
  }

  private static void waitUntil(BooleanSupplier condition) throws InterruptedException {
    long deadline = System.nanoTime() + WAIT.toNanos();
    while (!condition.getAsBoolean()) {
      if (System.nanoTime() > deadline) {
        throw new AssertionError("condition not met within " + WAIT);
      }
      Thread.sleep(50);
    }
  }
}
