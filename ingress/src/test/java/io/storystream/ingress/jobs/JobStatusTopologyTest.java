package io.storystream.ingress.jobs;

import static org.assertj.core.api.Assertions.assertThat;

import io.storystream.schemas.AnalysisRequest;
import io.storystream.schemas.AnalysisStatus;
import io.storystream.schemas.JobState;
import io.storystream.schemas.registry.InMemorySchemaRegistryClient;
import io.storystream.schemas.topics.TopicSerdes;
import io.storystream.schemas.topics.Topics;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Properties;
import org.apache.kafka.streams.StreamsConfig;
import org.apache.kafka.streams.TestInputTopic;
import org.apache.kafka.streams.TopologyTestDriver;
import org.apache.kafka.streams.state.KeyValueStore;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/** Every branch of the job-status view: create, fill in, newer, stale, same-sequence ordering, tombstone, mismatch. */
class JobStatusTopologyTest {
  private static final Instant T0 = Instant.parse("2026-11-29T10:00:00Z");

  private TopologyTestDriver driver;
  private TestInputTopic<String, AnalysisRequest> requests;
  private TestInputTopic<String, AnalysisStatus> statuses;
  private org.apache.kafka.streams.TestOutputTopic<String, io.storystream.schemas.AuditEvent> audit;
  private KeyValueStore<String, JobView> jobs;
  private final List<String> changes = new ArrayList<>();

  @BeforeEach
  void setUp() {
    TopicSerdes serdes = new TopicSerdes(new InMemorySchemaRegistryClient());
    Properties props = new Properties();
    props.put(StreamsConfig.APPLICATION_ID_CONFIG, "jobs-test");
    props.put(StreamsConfig.BOOTSTRAP_SERVERS_CONFIG, "unused:9092");
    driver = new TopologyTestDriver(JobStatusTopology.build(serdes,
        (key, view) -> changes.add(key + "=" + (view == null ? "gone" : view.state()))), props);
    requests = driver.createInputTopic(Topics.ANALYSIS_REQUESTS.name(), serdes.key().serializer(),
        serdes.value(Topics.ANALYSIS_REQUESTS).serializer());
    statuses = driver.createInputTopic(Topics.ANALYSIS_STATUS.name(), serdes.key().serializer(),
        serdes.value(Topics.ANALYSIS_STATUS).serializer());
    jobs = driver.getKeyValueStore(JobStatusTopology.JOBS_STORE);
    audit = driver.createOutputTopic(Topics.AUDIT.name(), serdes.key().deserializer(),
        serdes.value(Topics.AUDIT).deserializer());
  }

  @AfterEach
  void tearDown() {
    driver.close();
  }

  private static AnalysisRequest request(String tenant, String job, String hash) {
    return AnalysisRequest.newBuilder().setJobId(job).setTenantId(tenant).setFileId("file_1").setRequestHash(hash)
        .setIdempotencyKey("k1").setPromptFlags(List.of("prompt_injection")).setSubmittedAt(T0).build();
  }

  private static AnalysisStatus status(String tenant, String job, JobState state, int sequence) {
    return AnalysisStatus.newBuilder().setJobId(job).setTenantId(tenant).setFileId("file_1").setState(state)
        .setSequence(sequence).setSubmittedAt(T0).setUpdatedAt(T0.plusSeconds(sequence))
        .setResultPrefix(state == JobState.COMPLETED ? "tenants/" + tenant + "/results/" + job + "/" : null).build();
  }

  @Test
  void aRequestCreatesAQueuedViewWithItsHash() {
    requests.pipeInput("acme", request("acme", "job_a", "h1"));
    JobView view = jobs.get("acme:job_a");
    assertThat(view.state()).isEqualTo("QUEUED");
    assertThat(view.sequence()).isZero();
    assertThat(view.requestHash()).isEqualTo("h1");
    assertThat(view.promptFlags()).containsExactly("prompt_injection");
    assertThat(changes).containsExactly("acme:job_a=QUEUED");
  }

  @Test
  void newerTransitionsReplaceAndKeepTheRequestFields() {
    requests.pipeInput("acme", request("acme", "job_a", "h1"));
    statuses.pipeInput("acme:job_a", status("acme", "job_a", JobState.QUEUED, 1));
    statuses.pipeInput("acme:job_a", status("acme", "job_a", JobState.ADMITTED, 2));
    statuses.pipeInput("acme:job_a", status("acme", "job_a", JobState.RUNNING, 3));
    statuses.pipeInput("acme:job_a", status("acme", "job_a", JobState.COMPLETED, 4));
    JobView view = jobs.get("acme:job_a");
    assertThat(view.state()).isEqualTo("COMPLETED");
    assertThat(view.resultPrefix()).isEqualTo("tenants/acme/results/job_a/");
    assertThat(view.requestHash()).isEqualTo("h1");
  }

  @Test
  void staleAndReplayedTransitionsAreIgnored() {
    statuses.pipeInput("acme:job_a", status("acme", "job_a", JobState.RUNNING, 3));
    statuses.pipeInput("acme:job_a", status("acme", "job_a", JobState.ADMITTED, 2));
    statuses.pipeInput("acme:job_a", status("acme", "job_a", JobState.RUNNING, 3));
    assertThat(jobs.get("acme:job_a").state()).isEqualTo("RUNNING");
    assertThat(changes).containsExactly("acme:job_a=RUNNING");
  }

  @Test
  void aQueuedJobsPositionOnlyShrinksAndItsCancelEndsIt() {
    requests.pipeInput("acme", request("acme", "job_a", "h1"));
    statuses.pipeInput("acme:job_a", queued("acme", "job_a", 3));
    statuses.pipeInput("acme:job_a", queued("acme", "job_a", 2));
    statuses.pipeInput("acme:job_a", queued("acme", "job_a", 3)); // a late, older announcement
    assertThat(jobs.get("acme:job_a").position()).isEqualTo(2);
    statuses.pipeInput("acme:job_a", status("acme", "job_a", JobState.CANCELLED, 4));
    JobView view = jobs.get("acme:job_a");
    assertThat(view.state()).isEqualTo("CANCELLED");
    assertThat(view.terminal()).isTrue();
    assertThat(view.position()).isNull();
    assertThat(view.requestHash()).isEqualTo("h1");
    assertThat(changes).containsExactly("acme:job_a=QUEUED", "acme:job_a=QUEUED", "acme:job_a=QUEUED",
        "acme:job_a=CANCELLED");
  }

  @Test
  void eachAppliedRequestIsReportedWithItsOffsetSoAPollCanWaitForIt() {
    List<String> applied = new ArrayList<>();
    driver.close();
    TopicSerdes serdes = new TopicSerdes(new InMemorySchemaRegistryClient());
    Properties props = new Properties();
    props.put(StreamsConfig.APPLICATION_ID_CONFIG, "jobs-test");
    props.put(StreamsConfig.BOOTSTRAP_SERVERS_CONFIG, "unused:9092");
    driver = new TopologyTestDriver(JobStatusTopology.build(serdes, new JobStatusTopology.JobChangeListener() {
      @Override
      public void changed(String storeKey, JobView view) {}

      @Override
      public void requestApplied(int partition, long offset) {
        applied.add("applied " + offset);
      }

      @Override
      public void storeReopened(int partition) {
        applied.add("reopened " + partition);
      }
    }), props);
    requests = driver.createInputTopic(Topics.ANALYSIS_REQUESTS.name(), serdes.key().serializer(),
        serdes.value(Topics.ANALYSIS_REQUESTS).serializer());
    requests.pipeInput("acme", request("acme", "job_a", "h1"));
    requests.pipeInput("acme", request("globex", "job_b", "h2")); // refused (key and body disagree), still reported
    requests.pipeInput("acme", request("acme", "job_c", "h3"));
    // the task opening its store comes first: what was applied before a wipe must not count for the store after it
    assertThat(applied).containsExactly("reopened 0", "applied 0", "applied 1", "applied 2");
  }

  private static AnalysisStatus queued(String tenant, String job, int position) {
    return AnalysisStatus.newBuilder(status(tenant, job, JobState.QUEUED, 2)).setPosition(position).build();
  }

  @Test
  void aSameSequenceTransitionFurtherAlongWins() {
    // one writer may number QUEUED 0 and ADMITTED 1, another QUEUED 1: state order breaks the tie
    statuses.pipeInput("acme:job_a", status("acme", "job_a", JobState.QUEUED, 1));
    statuses.pipeInput("acme:job_a", status("acme", "job_a", JobState.ADMITTED, 1));
    assertThat(jobs.get("acme:job_a").state()).isEqualTo("ADMITTED");
  }

  @Test
  void aRequestAfterItsStatusFillsInTheHashOnce() {
    statuses.pipeInput("acme:job_a", status("acme", "job_a", JobState.QUEUED, 1));
    requests.pipeInput("acme", request("acme", "job_a", "h1"));
    requests.pipeInput("acme", request("acme", "job_a", "h2"));
    JobView view = jobs.get("acme:job_a");
    assertThat(view.state()).isEqualTo("QUEUED");
    assertThat(view.sequence()).isEqualTo(1);
    assertThat(view.requestHash()).isEqualTo("h1");
  }

  @Test
  void eachRequestRecordBecomesTheSubmitsAuditEvent() {
    requests.pipeInput("acme", AnalysisRequest.newBuilder(request("acme", "job_a", "h1")).setKeyId("key_1")
        .setRequestId("req_1").build());
    // a second record of one job id (two racing retries of an Idempotency-Key, each answered 202) is a second call
    requests.pipeInput("acme", AnalysisRequest.newBuilder(request("acme", "job_a", "h1")).setKeyId("key_1")
        .setRequestId("req_2").build());
    requests.pipeInput("acme", request("globex", "job_b", "h2")); // key and body disagree: no view, no event
    var events = audit.readKeyValuesToList();
    assertThat(events).hasSize(2);
    var first = events.get(0);
    assertThat(first.key).isEqualTo("acme");
    assertThat(first.value.getAction()).isEqualTo("job.submit");
    assertThat(first.value.getActor()).isEqualTo(io.storystream.schemas.AuditActor.TENANT);
    assertThat(first.value.getKeyId()).isEqualTo("key_1");
    assertThat(first.value.getResourceType()).isEqualTo("job");
    assertThat(first.value.getResourceId()).isEqualTo("job_a");
    assertThat(first.value.getOutcome()).isEqualTo("success");
    assertThat(first.value.getHttpStatus()).isEqualTo(202);
    assertThat(first.value.getRequestId()).isEqualTo("req_1");
    assertThat(first.value.getOccurredAt()).isEqualTo(T0);
    assertThat(first.value.getEventId()).isEqualTo("aud_job_a_req_1");
    assertThat(events.get(1).value.getRequestId()).isEqualTo("req_2");
    assertThat(jobs.get("acme:job_a").requestHash()).isEqualTo("h1");
  }

  @Test
  void aTombstoneRemovesAJobKnownOnlyFromItsRequest() {
    requests.pipeInput("acme", request("acme", "job_a", "h1"));
    statuses.pipeInput("acme:job_a", (AnalysisStatus) null);
    assertThat(jobs.get("acme:job_a")).isNull();
    assertThat(changes).containsExactly("acme:job_a=QUEUED", "acme:job_a=gone");
  }

  @Test
  void aTombstoneRemovesTheJob() {
    statuses.pipeInput("acme:job_a", status("acme", "job_a", JobState.COMPLETED, 4));
    statuses.pipeInput("acme:job_a", (AnalysisStatus) null);
    assertThat(jobs.get("acme:job_a")).isNull();
    assertThat(changes).containsExactly("acme:job_a=COMPLETED", "acme:job_a=gone");
  }

  @Test
  void recordsWhoseKeyAndBodyNameDifferentTenantsAreIgnored() {
    statuses.pipeInput("globex:job_a", status("acme", "job_a", JobState.COMPLETED, 4));
    requests.pipeInput("globex", request("acme", "job_b", "h1"));
    assertThat(jobs.get("globex:job_a")).isNull();
    assertThat(jobs.get("acme:job_a")).isNull();
    assertThat(jobs.get("acme:job_b")).isNull();
    assertThat(changes).isEmpty();
  }
}
