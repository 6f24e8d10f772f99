package io.storystream.processor.admission;

import static org.assertj.core.api.Assertions.assertThat;

import io.storystream.processor.ProcessorTopics;
import io.storystream.schemas.AnalysisRequest;
import io.storystream.schemas.AnalysisStatus;
import io.storystream.schemas.AnalysisWork;
import io.storystream.schemas.DeadLetter;
import io.storystream.schemas.FileRegistered;
import io.storystream.schemas.JobState;
import io.storystream.schemas.PlanLimits;
import io.storystream.schemas.Tenant;
import io.storystream.schemas.TenantStatus;
import io.storystream.schemas.UsageEvent;
import io.storystream.schemas.UsageType;
import io.storystream.schemas.processor.CacheIndexEntry;
import io.storystream.schemas.registry.InMemorySchemaRegistryClient;
import io.storystream.schemas.topics.TenantKeys;
import io.storystream.schemas.topics.Topic;
import io.storystream.schemas.topics.TopicSerdes;
import io.storystream.schemas.topics.Topics;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.time.ZoneOffset;
import java.util.List;
import java.util.Properties;
import org.apache.avro.specific.SpecificRecord;
import org.apache.kafka.common.serialization.ByteArraySerializer;
import org.apache.kafka.common.serialization.StringSerializer;
import org.apache.kafka.streams.StreamsConfig;
import org.apache.kafka.streams.TestInputTopic;
import org.apache.kafka.streams.TestOutputTopic;
import org.apache.kafka.streams.TopologyTestDriver;
import org.apache.kafka.streams.test.TestRecord;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Every branch of the admission topology, one decision at a time. */
class AdmissionTopologyTest {
  private static final Instant NOW = Instant.parse("2026-11-29T12:00:00Z");
  private static final String SHA = "ab".repeat(32);

  @TempDir Path stateDir;

  private final InMemorySchemaRegistryClient registry = new InMemorySchemaRegistryClient();
  private final TopicSerdes serdes = new TopicSerdes(registry);
  private TopologyTestDriver driver;
  private TestInputTopic<String, Tenant> tenants;
  private TestInputTopic<String, FileRegistered> files;
  private TestInputTopic<String, CacheIndexEntry> cacheIndex;
  private TestInputTopic<String, AnalysisRequest> requests;
  private TestInputTopic<String, byte[]> rawRequests;
  private TestInputTopic<String, AnalysisStatus> endingsIn;
  private TestOutputTopic<String, AnalysisStatus> status;
  private TestOutputTopic<String, AnalysisWork> work;
  private TestOutputTopic<String, UsageEvent> usage;
  private TestOutputTopic<String, DeadLetter> deadLetters;
  private int jobs;

  @BeforeEach
  void start() {
    start(StreamsConfig.EXACTLY_ONCE_V2);
  }

  private void start(String guarantee) {
    Properties props = new Properties();
    props.put(StreamsConfig.APPLICATION_ID_CONFIG, "admission-test");
    props.put(StreamsConfig.BOOTSTRAP_SERVERS_CONFIG, "unused:9092");
    props.put(StreamsConfig.PROCESSING_GUARANTEE_CONFIG, guarantee);
    props.put(StreamsConfig.STATE_DIR_CONFIG, stateDir.toString());
    props.putAll(DeadLetters.streamsConfig(registry));
    var topology = new AdmissionTopology(serdes, Clock.fixed(NOW, ZoneOffset.UTC), CacheKeys.DEFAULT_TTL,
        Duration.ofDays(7)).build();
    driver = new TopologyTestDriver(topology, props, NOW);
    tenants = input(Topics.TENANTS);
    files = input(Topics.FILES);
    cacheIndex = input(ProcessorTopics.CACHE_INDEX);
    requests = input(Topics.ANALYSIS_REQUESTS);
    endingsIn = input(ProcessorTopics.JOB_ENDINGS);
    rawRequests = driver.createInputTopic(Topics.ANALYSIS_REQUESTS.name(), new StringSerializer(),
        new ByteArraySerializer());
    status = output(Topics.ANALYSIS_STATUS);
    work = output(Topics.ANALYSIS_WORK);
    usage = output(Topics.USAGE_EVENTS);
    deadLetters = output(Topics.DEAD_LETTER);
  }

  @AfterEach
  void stop() {
    driver.close();
  }

  // --- admit ---------------------------------------------------------------------------------------------------

  @Test
  void admitsARequestOfAnActiveTenantForItsOwnFileAndHandsTheWorkerEverythingItNeeds() {
    tenant("acme", plan(10, 10, 2, true));
    file("acme", "file_1");

    String job = submit("acme", "file_1", "  Focus on   TREND ", "short", "idem-1", NOW);

    AnalysisStatus decided = onlyDecision();
    assertThat(decided.getJobId()).isEqualTo(job);
    assertThat(decided.getState()).isEqualTo(JobState.ADMITTED);
    assertThat(decided.getSequence()).isEqualTo(2);
    assertThat(decided.getIdempotencyKey()).isEqualTo("idem-1");
    TestRecord<String, AnalysisWork> admitted = work.readRecord();
    assertThat(admitted.key()).isEqualTo("acme");
    assertThat(admitted.value().getJobId()).isEqualTo(job);
    assertThat(admitted.value().getObjectKey()).isEqualTo("tenants/acme/files/file_1");
    assertThat(admitted.value().getFileName()).isEqualTo("file_1.csv");
    assertThat(admitted.value().getFileSha256()).isEqualTo(SHA);
    assertThat(admitted.value().getFileRows()).isEqualTo(42);
    assertThat(admitted.value().getSteeringPrompt()).isEqualTo("  Focus on   TREND ");
    assertThat(admitted.value().getRefinementPrompt()).isEqualTo("short");
    assertThat(admitted.value().getCacheKey()).isEqualTo(CacheKeys.of("acme", SHA, "focus on trend", "short"));
    assertThat(admitted.value().getConcurrentJobs()).isEqualTo(2);
    assertThat(admitted.value().getSubmittedAt()).isEqualTo(NOW);
    assertThat(work.isEmpty()).isTrue();
    assertThat(usage.isEmpty()).isTrue();
  }

  // --- quotas --------------------------------------------------------------------------------------------------

  @Test
  void rejectsOverTheMonthlyQuotaWithoutHandingOutWork() {
    tenant("acme", plan(2, 100, 100, false));
    file("acme", "file_1");

    submit("acme", "file_1", "a", null, null, NOW);
    submit("acme", "file_1", "b", null, null, NOW.plusSeconds(1));
    String third = submit("acme", "file_1", "c", null, null, NOW.plusSeconds(2));

    List<AnalysisStatus> decided = decisions();
    assertThat(decided).extracting(AnalysisStatus::getState)
        .containsExactly(JobState.ADMITTED, JobState.ADMITTED, JobState.REJECTED);
    assertThat(decided.get(2).getJobId()).isEqualTo(third);
    assertThat(decided.get(2).getReason()).isEqualTo("quota_exceeded");
    assertThat(decided.get(2).getRetryable()).isFalse();
    assertThat(work.readValuesToList()).hasSize(2);
  }

  @Test
  void theMonthlyQuotaStartsAfreshOnTheFirstOfTheMonthUtc() {
    tenant("acme", plan(1, 100, 100, false));
    file("acme", "file_1");
    Instant lastSecondOfNovember = Instant.parse("2026-11-30T23:59:59Z");

    submit("acme", "file_1", "a", null, null, lastSecondOfNovember.minusSeconds(120));
    submit("acme", "file_1", "b", null, null, lastSecondOfNovember);
    submit("acme", "file_1", "c", null, null, Instant.parse("2026-12-01T00:00:00Z"));

    assertThat(decisions()).extracting(AnalysisStatus::getState, AnalysisStatus::getReason).containsExactly(
        org.assertj.core.groups.Tuple.tuple(JobState.ADMITTED, null),
        org.assertj.core.groups.Tuple.tuple(JobState.REJECTED, "quota_exceeded"),
        org.assertj.core.groups.Tuple.tuple(JobState.ADMITTED, null));
  }

  @Test
  void rejectsOverTheRequestRateInASlidingMinute() {
    tenant("acme", plan(100, 2, 100, false));
    file("acme", "file_1");

    submit("acme", "file_1", "a", null, null, NOW);
    submit("acme", "file_1", "b", null, null, NOW.plusSeconds(30));
    submit("acme", "file_1", "c", null, null, NOW.plusSeconds(59)); // 3rd within a minute of the 1st
    submit("acme", "file_1", "d", null, null, NOW.plusSeconds(60)); // the 1st has left the window
    submit("acme", "file_1", "e", null, null, NOW.plusSeconds(61)); // 2nd and 4th still in it

    List<AnalysisStatus> decided = decisions();
    assertThat(decided).extracting(AnalysisStatus::getState).containsExactly(JobState.ADMITTED, JobState.ADMITTED,
        JobState.REJECTED, JobState.ADMITTED, JobState.REJECTED);
    assertThat(decided.get(2).getReason()).isEqualTo("rate_limited");
    assertThat(decided.get(2).getRetryable()).isTrue();
    assertThat(decided.get(4).getReason()).isEqualTo("rate_limited");
  }

  @Test
  void overTheConcurrencyCapAJobWaitsInTheQueueAndStartsWhenARunningJobEnds() {
    tenant("acme", plan(100, 100, 1, false));
    file("acme", "file_1");

    String first = submit("acme", "file_1", "a", null, null, NOW);
    String second = submit("acme", "file_1", "b", null, null, NOW.plusSeconds(1));
    jobStatus("acme", first, JobState.RUNNING); // running is not an ending
    String third = submit("acme", "file_1", "c", null, null, NOW.plusSeconds(2));
    jobStatus("acme", first, JobState.COMPLETED);
    jobStatus("acme", first, JobState.COMPLETED); // a repeated ending frees nothing more

    List<AnalysisStatus> decided = decisions();
    assertThat(decided).extracting(AnalysisStatus::getJobId, AnalysisStatus::getState, AnalysisStatus::getPosition)
        .containsExactly(
            org.assertj.core.groups.Tuple.tuple(first, JobState.ADMITTED, null),
            org.assertj.core.groups.Tuple.tuple(second, JobState.QUEUED, 1),
            org.assertj.core.groups.Tuple.tuple(third, JobState.QUEUED, 2),
            org.assertj.core.groups.Tuple.tuple(second, JobState.ADMITTED, null),
            org.assertj.core.groups.Tuple.tuple(third, JobState.QUEUED, 1));
    assertThat(work.readValuesToList()).extracting(AnalysisWork::getJobId).containsExactly(first, second);
  }

  @Test
  void aJobThatNeverEndsGivesItsSlotBackAfterAnHourAndTheQueueMovesOn() {
    tenant("acme", plan(100, 100, 1, false));
    file("acme", "file_1");

    submit("acme", "file_1", "a", null, null, NOW);
    String second = submit("acme", "file_1", "b", null, null, NOW.plusSeconds(60));
    driver.advanceWallClockTime(AdmissionTopology.LOST_JOB_AFTER.plusMinutes(10));

    assertThat(decisions()).extracting(AnalysisStatus::getState)
        .containsExactly(JobState.ADMITTED, JobState.QUEUED, JobState.ADMITTED);
    assertThat(work.readValuesToList()).extracting(AnalysisWork::getJobId).endsWith(second);
  }

  @Test
  void aNegativeLimitMeansUnlimited() {
    tenant("bigco", plan(-1, -1, -1, false));
    file("bigco", "file_1");

    for (int i = 0; i < 20; i++) {
      submit("bigco", "file_1", "a" + i, null, null, NOW);
    }

    assertThat(decisions()).hasSize(20).extracting(AnalysisStatus::getState).containsOnly(JobState.ADMITTED);
  }

  // --- duplicates ----------------------------------------------------------------------------------------------

  @Test
  void aReusedIdempotencyKeyIsRejectedAndConsumesNothing() {
    tenant("acme", plan(2, 100, 100, false));
    tenant("globex", plan(2, 100, 100, false));
    file("acme", "file_1");
    file("globex", "file_9");

    String first = submit("acme", "file_1", "a", null, "idem-1", NOW);
    String again = submit("acme", "file_1", "a", null, "idem-1", NOW.plusSeconds(1));
    submit("globex", "file_9", "a", null, "idem-1", NOW.plusSeconds(2)); // keys are per tenant
    submit("acme", "file_1", "b", null, "idem-2", NOW.plusSeconds(3)); // the duplicate used no quota

    List<AnalysisStatus> decided = decisions();
    assertThat(decided).extracting(AnalysisStatus::getState).containsExactly(JobState.ADMITTED, JobState.REJECTED,
        JobState.ADMITTED, JobState.ADMITTED);
    assertThat(decided.get(1).getJobId()).isEqualTo(again);
    assertThat(decided.get(1).getReason()).isEqualTo("duplicate_idempotency_key");
    assertThat(decided.get(1).getMessage()).contains(first);
    assertThat(work.readValuesToList()).extracting(AnalysisWork::getJobId).doesNotContain(again).hasSize(3);
  }

  @Test
  void anIdempotencyKeyOfARejectedRequestMayBeRetried() {
    tenant("acme", plan(100, 1, 100, false));
    file("acme", "file_1");

    submit("acme", "file_1", "a", null, null, NOW);
    submit("acme", "file_1", "b", null, "idem-1", NOW.plusSeconds(1)); // rate limited
    submit("acme", "file_1", "b", null, "idem-1", NOW.plusSeconds(70)); // the retry

    assertThat(decisions()).extracting(AnalysisStatus::getState)
        .containsExactly(JobState.ADMITTED, JobState.REJECTED, JobState.ADMITTED);
  }

  @Test
  void aRedeliveredJobIdIsDecidedOnlyOnce() {
    tenant("acme", plan(100, 100, 100, false));
    file("acme", "file_1");
    AnalysisRequest request = request("acme", "job_same", "file_1", "a", null, null, NOW);

    requests.pipeInput("acme", request, NOW);
    requests.pipeInput("acme", request, NOW.plusSeconds(1));

    assertThat(decisions()).singleElement().extracting(AnalysisStatus::getState).isEqualTo(JobState.ADMITTED);
    assertThat(work.readValuesToList()).hasSize(1);
  }

  // --- tenant and file -----------------------------------------------------------------------------------------

  @Test
  void rejectsAnUnknownOrSuspendedTenant() {
    tenant("frozen", plan(100, 100, 100, false), TenantStatus.SUSPENDED);
    file("frozen", "file_1");
    file("ghost", "file_1");

    submit("ghost", "file_1", "a", null, null, NOW);
    submit("frozen", "file_1", "a", null, null, NOW);
    driver.advanceWallClockTime(AdmissionTopology.REFERENCE_GRACE); // an unseen tenant is final after the grace

    assertThat(decisions()).extracting(AnalysisStatus::getState, AnalysisStatus::getReason).containsOnly(
        org.assertj.core.groups.Tuple.tuple(JobState.REJECTED, "tenant_inactive")).hasSize(2);
    assertThat(work.isEmpty()).isTrue();
  }

  @Test
  void anotherTenantsFileIsNotFound() {
    tenant("acme", plan(100, 100, 100, false));
    tenant("globex", plan(100, 100, 100, false));
    file("globex", "file_g");

    submit("acme", "file_g", "a", null, null, NOW);
    assertThat(status.isEmpty()).as("an unseen file is waited for").isTrue();
    driver.advanceWallClockTime(AdmissionTopology.REFERENCE_GRACE);

    AnalysisStatus decided = onlyDecision();
    assertThat(decided.getState()).isEqualTo(JobState.REJECTED);
    assertThat(decided.getReason()).isEqualTo("file_not_found");
    assertThat(work.isEmpty()).isTrue();
  }

  @Test
  void anUnknownOrDeletedFileIsNotFound() {
    tenant("acme", plan(100, 100, 100, false));
    file("acme", "file_gone");
    files.pipeInput(TenantKeys.of("acme", "file_gone"), null, NOW); // tombstone: the tenant deleted it

    submit("acme", "file_never", "a", null, null, NOW);
    submit("acme", "file_gone", "a", null, null, NOW);
    driver.advanceWallClockTime(AdmissionTopology.REFERENCE_GRACE);

    assertThat(decisions()).extracting(AnalysisStatus::getReason).containsExactly("file_not_found", "file_not_found");
    assertThat(work.isEmpty()).isTrue();
  }

  @Test
  void aFileThatArrivesAfterTheRequestWithinTheGraceIsWaitedFor() {
    tenant("acme", plan(100, 100, 100, false));

    String job = submit("acme", "file_late", "a", null, null, NOW);
    driver.advanceWallClockTime(AdmissionTopology.REFERENCE_GRACE.minusSeconds(10));
    assertThat(status.isEmpty()).isTrue();
    file("acme", "file_late"); // registered before the request, but reaching admission after it
    driver.advanceWallClockTime(Duration.ofSeconds(1));

    AnalysisStatus decided = onlyDecision();
    assertThat(decided.getJobId()).isEqualTo(job);
    assertThat(decided.getState()).isEqualTo(JobState.ADMITTED);
    assertThat(work.readValue().getObjectKey()).isEqualTo("tenants/acme/files/file_late");
  }

  // --- cache ---------------------------------------------------------------------------------------------------

  @Test
  void aLiveCacheEntryCompletesTheJobAtOnceWithoutConsumingQuota() {
    tenant("acme", plan(1, 100, 1, true));
    file("acme", "file_1");
    cacheEntry("acme", CacheKeys.of("acme", SHA, "focus on trend", null), "job_orig", NOW.minus(Duration.ofDays(1)),
        NOW.plus(Duration.ofDays(6)));

    String job = submit("acme", "file_1", "Focus  on trend ", null, null, NOW); // same prompt up to normalization
    String fresh = submit("acme", "file_1", "something else", null, null, NOW.plusSeconds(1));

    List<AnalysisStatus> decided = decisions();
    assertThat(decided.get(0).getJobId()).isEqualTo(job);
    assertThat(decided.get(0).getState()).isEqualTo(JobState.COMPLETED);
    assertThat(decided.get(0).getFromCache()).isTrue();
    assertThat(decided.get(0).getSequence()).isEqualTo(2);
    assertThat(decided.get(0).getResultPrefix()).isEqualTo("tenants/acme/results/job_orig/");
    assertThat(decided.get(0).getCompletedAt()).isNotNull();
    // quota 1 and one slot: still available after the cache hit
    assertThat(decided.get(1).getJobId()).isEqualTo(fresh);
    assertThat(decided.get(1).getState()).isEqualTo(JobState.ADMITTED);
    TestRecord<String, UsageEvent> hit = usage.readRecord();
    assertThat(hit.key()).isEqualTo("acme");
    assertThat(hit.value().getType()).isEqualTo(UsageType.CACHE_HIT);
    assertThat(hit.value().getEventId()).isEqualTo(job + ":cache_hit");
    assertThat(hit.value().getJobId()).isEqualTo(job);
    assertThat(hit.value().getPlan()).isEqualTo("pro");
    assertThat(usage.isEmpty()).isTrue();
    assertThat(work.readValuesToList()).extracting(AnalysisWork::getJobId).containsExactly(fresh);
  }

  @Test
  void anExpiredCacheEntryIsAMiss() {
    tenant("acme", plan(100, 100, 100, true));
    file("acme", "file_1");
    String cacheKey = CacheKeys.of("acme", SHA, "a", null);
    cacheEntry("acme", cacheKey, "job_orig", NOW.minus(Duration.ofDays(8)), NOW.minus(Duration.ofDays(1)));
    // an entry whose own expiry is generous but which is older than the TTL admission applies is a miss too
    String otherKey = CacheKeys.of("acme", SHA, "b", null);
    cacheEntry("acme", otherKey, "job_old", NOW.minus(Duration.ofDays(8)), NOW.plus(Duration.ofDays(30)));

    submit("acme", "file_1", "a", null, null, NOW);
    submit("acme", "file_1", "b", null, null, NOW);

    assertThat(decisions()).extracting(AnalysisStatus::getState, AnalysisStatus::getFromCache).containsOnly(
        org.assertj.core.groups.Tuple.tuple(JobState.ADMITTED, false));
    assertThat(work.readValuesToList()).extracting(AnalysisWork::getCacheKey).containsExactly(cacheKey, otherKey);
    assertThat(usage.isEmpty()).isTrue();
  }

  @Test
  void aPlanWithoutCachingNeverHitsAndAsksTheWorkerForNoEntry() {
    tenant("acme", plan(100, 100, 100, false));
    file("acme", "file_1");
    cacheEntry("acme", CacheKeys.of("acme", SHA, "a", null), "job_orig", NOW.minusSeconds(60),
        NOW.plus(Duration.ofDays(6)));

    submit("acme", "file_1", "a", null, null, NOW);

    assertThat(onlyDecision().getState()).isEqualTo(JobState.ADMITTED);
    assertThat(work.readValue().getCacheKey()).isNull();
    assertThat(usage.isEmpty()).isTrue();
  }

  @Test
  void oneTenantsCacheEntryNeverServesAnother() {
    tenant("acme", plan(100, 100, 100, true));
    tenant("globex", plan(100, 100, 100, true));
    file("acme", "file_1");
    file("globex", "file_2"); // the same content (same sha256) uploaded by another tenant
    String acmeKey = CacheKeys.of("acme", SHA, "a", null);
    cacheEntry("acme", acmeKey, "job_acme", NOW.minusSeconds(60), NOW.plus(Duration.ofDays(6)));
    // even an entry filed under globex's key but naming acme's result is not served to globex
    String globexKey = CacheKeys.of("globex", SHA, "a", null);
    cacheIndex.pipeInput(CacheKeys.indexKey("globex", globexKey), CacheIndexEntry.newBuilder().setTenantId("acme")
        .setCacheKey(globexKey).setJobId("job_acme").setResultPrefix("tenants/acme/results/job_acme/")
        .setCreatedAt(NOW.minusSeconds(60)).setExpiresAt(NOW.plus(Duration.ofDays(6))).build(), NOW);

    submit("globex", "file_2", "a", null, null, NOW);

    assertThat(acmeKey).isNotEqualTo(globexKey);
    AnalysisStatus decided = onlyDecision();
    assertThat(decided.getState()).isEqualTo(JobState.ADMITTED);
    assertThat(decided.getResultPrefix()).isNull();
    assertThat(work.readValue().getCacheKey()).isEqualTo(globexKey);
    assertThat(usage.isEmpty()).isTrue();
  }

  // --- poison --------------------------------------------------------------------------------------------------

  @Test
  void aRecordThatDoesNotDeserializeGoesToTheDeadLetterTopicAndAdmissionKeepsGoing() {
    // The test driver's mock transactions drop a record sent while a record is being deserialized (before any
    // processing), so this one branch runs at-least-once here; AdmissionOnBrokerTest checks it under exactly-once
    // on a real broker.
    driver.close();
    start(StreamsConfig.AT_LEAST_ONCE);
    tenant("acme", plan(100, 100, 100, false));
    file("acme", "file_1");
    byte[] garbage = "not avro at all".getBytes(StandardCharsets.UTF_8);

    rawRequests.pipeInput("acme", garbage, NOW);
    String next = submit("acme", "file_1", "a", null, null, NOW.plusSeconds(1));

    TestRecord<String, DeadLetter> letter = deadLetters.readRecord();
    assertThat(letter.key()).isEqualTo("acme");
    assertThat(letter.value().getSourceTopic()).isEqualTo("analysis-requests");
    assertThat(letter.value().getReason()).isEqualTo("deserialization_failed");
    assertThat(letter.value().getApplication()).isEqualTo("admission-test");
    assertThat(letter.value().getErrorClass()).contains("NotWireFormatException");
    assertThat(bytes(letter.value().getValue())).isEqualTo(garbage);
    assertThat(bytes(letter.value().getKey())).isEqualTo("acme".getBytes(StandardCharsets.UTF_8));
    assertThat(deadLetters.isEmpty()).isTrue();
    assertThat(onlyDecision().getJobId()).isEqualTo(next);
  }

  @Test
  void aRequestReadWhileTheSchemaRegistryRestartsIsAdmittedNotDeadLettered() {
    // the fault campaign lost a job this way: the first request a processor read after the registry went down was
    // taken for poison and dead-lettered, and the job stayed queued for ever
    tenant("acme", plan(100, 100, 100, false));
    file("acme", "file_1");
    registry.failNextLookups(3);

    String job = submit("acme", "file_1", "a", null, null, NOW);

    assertThat(registry.failedLookups()).isEqualTo(3);
    AnalysisStatus decided = onlyDecision();
    assertThat(decided.getJobId()).isEqualTo(job);
    assertThat(decided.getState()).isEqualTo(JobState.ADMITTED);
    assertThat(work.readValue().getJobId()).isEqualTo(job);
    assertThat(deadLetters.isEmpty()).isTrue();
  }

  @Test
  void aRequestItCannotProcessGoesToTheDeadLetterTopicAndAdmissionKeepsGoing() {
    tenant("acme", plan(100, 100, 100, false));
    file("acme", "file_1");

    // keyed by acme but naming globex in the body: identity comes from the key, so this is never decided
    requests.pipeInput("acme", request("globex", "job_forged", "file_1", "a", null, null, NOW), NOW);
    String next = submit("acme", "file_1", "a", null, null, NOW.plusSeconds(1));

    DeadLetter letter = deadLetters.readValue();
    assertThat(letter.getReason()).isEqualTo("processing_failed");
    assertThat(letter.getErrorClass()).isEqualTo(IllegalArgumentException.class.getName());
    assertThat(letter.getValue()).isNotNull();
    assertThat(deadLetters.isEmpty()).isTrue();
    assertThat(onlyDecision().getJobId()).isEqualTo(next);
  }

  // --- helpers -------------------------------------------------------------------------------------------------

  private static PlanLimits plan(int perMonth, int perMinute, int concurrent, boolean cache) {
    return new PlanLimits(perMonth, 50L * 1024 * 1024, cache, perMinute, concurrent, 30, 100);
  }

  private void tenant(String id, PlanLimits limits) {
    tenant(id, limits, TenantStatus.ACTIVE);
  }

  private void tenant(String id, PlanLimits limits, TenantStatus status) {
    tenants.pipeInput(id, Tenant.newBuilder().setTenantId(id).setName(id).setPlan("pro").setLimits(limits)
        .setStatus(status).setCreatedAt(NOW).setUpdatedAt(NOW).build(), NOW.minusSeconds(3600));
  }

  private void file(String tenantId, String fileId) {
    files.pipeInput(TenantKeys.of(tenantId, fileId), FileRegistered.newBuilder().setFileId(fileId)
        .setTenantId(tenantId).setName(fileId + ".csv").setObjectKey("tenants/" + tenantId + "/files/" + fileId)
        .setSizeBytes(1000).setSha256(SHA).setRows(42).setColumns(3).setUploadedAt(NOW).build(),
        NOW.minusSeconds(3600));
  }

  private void cacheEntry(String tenantId, String cacheKey, String jobId, Instant created, Instant expires) {
    cacheIndex.pipeInput(CacheKeys.indexKey(tenantId, cacheKey), CacheIndexEntry.newBuilder().setTenantId(tenantId)
        .setCacheKey(cacheKey).setJobId(jobId).setResultPrefix("tenants/" + tenantId + "/results/" + jobId + "/")
        .setCreatedAt(created).setExpiresAt(expires).build(), created);
  }

  private String submit(String tenantId, String fileId, String steering, String refinement, String idem, Instant at) {
    String jobId = "job_" + (++jobs);
    requests.pipeInput(tenantId, request(tenantId, jobId, fileId, steering, refinement, idem, at), at);
    return jobId;
  }

  private static AnalysisRequest request(String tenantId, String jobId, String fileId, String steering,
      String refinement, String idem, Instant at) {
    return AnalysisRequest.newBuilder().setJobId(jobId).setTenantId(tenantId).setFileId(fileId)
        .setSteeringPrompt(steering).setRefinementPrompt(refinement).setIdempotencyKey(idem)
        .setRequestHash("cd".repeat(32)).setSubmittedAt(at).build();
  }

  private void jobStatus(String tenantId, String jobId, JobState state) {
    endingsIn.pipeInput(TenantKeys.of(tenantId, jobId), AnalysisStatus.newBuilder().setJobId(jobId)
        .setTenantId(tenantId).setFileId("file_1").setState(state).setSequence(state == JobState.RUNNING ? 3 : 4)
        .setSubmittedAt(NOW).setUpdatedAt(NOW).build(), NOW);
  }

  /** Admission's decisions in order, each checked to be keyed tenantId:jobId (the topic also carries our inputs). */
  private List<AnalysisStatus> decisions() {
    return status.readRecordsToList().stream()
        .filter(r -> r.value().getSequence() == AdmissionTopology.DECISION_SEQUENCE)
        .peek(r -> assertThat(r.key()).isEqualTo(TenantKeys.of(r.value().getTenantId(), r.value().getJobId())))
        .map(TestRecord::value)
        .toList();
  }

  private AnalysisStatus onlyDecision() {
    List<AnalysisStatus> decided = decisions();
    assertThat(decided).hasSize(1);
    return decided.get(0);
  }

  private static byte[] bytes(ByteBuffer buffer) {
    byte[] out = new byte[buffer.remaining()];
    buffer.duplicate().get(out);
    return out;
  }

  private <V extends SpecificRecord> TestInputTopic<String, V> input(Topic<V> topic) {
    return driver.createInputTopic(topic.name(), serdes.key().serializer(), serdes.value(topic).serializer());
  }

  private <V extends SpecificRecord> TestOutputTopic<String, V> output(Topic<V> topic) {
    return driver.createOutputTopic(topic.name(), serdes.key().deserializer(), serdes.value(topic).deserializer());
  }
}
