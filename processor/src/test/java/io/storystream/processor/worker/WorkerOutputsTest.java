package io.storystream.processor.worker;

import io.storystream.processor.admission.CacheKeys;

import static org.assertj.core.api.Assertions.assertThat;

import io.storystream.schemas.AnalysisStatus;
import io.storystream.schemas.AnalysisWork;
import io.storystream.schemas.JobState;
import io.storystream.schemas.UsageEvent;
import io.storystream.schemas.UsageType;
import io.storystream.schemas.processor.CacheIndexEntry;
import io.storystream.schemas.registry.InMemorySchemaRegistryClient;
import io.storystream.schemas.serde.AvroDeserializer;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.junit.jupiter.api.Test;

/** The facts a job leaves behind are the same every time the job is (re)done: keys, ids and sequence numbers. */
class WorkerOutputsTest {
  final InMemorySchemaRegistryClient registry = new InMemorySchemaRegistryClient();
  final WorkerOutputs outputs = new WorkerOutputs(registry, Duration.ofDays(7));
  final Instant submitted = Instant.parse("2026-11-29T10:00:00Z");
  final AnalysisWork work = AnalysisWork.newBuilder()
      .setJobId("job_1").setTenantId("acme").setFileId("file_1").setObjectKey("tenants/acme/files/file_1")
      .setFileName("a.csv").setFileSha256("ab").setFileRows(120).setCacheKey("ck").setConcurrentJobs(3)
      .setSubmittedAt(submitted).setAdmittedAt(submitted).build();

  @Test
  void aCompletedJobReportsStatusUsageAndCacheEntryUnderDeterministicKeys() {
    long done = submitted.plusSeconds(30).toEpochMilli();
    List<ProducerRecord<String, byte[]>> records = outputs.finished(work, submitted.plusSeconds(1).toEpochMilli(),
        JobOutcome.completed("tenants/acme/results/job_1/", 120, done));
    assertThat(records).extracting(ProducerRecord::topic)
        .containsExactly("analysis-status", "processor-job-endings", "usage-events", "processor-cache-index");
    assertThat(records).extracting(ProducerRecord::key)
        .containsExactly("acme:job_1", "acme:job_1", "acme", "acme:ck");
    assertThat(decode(records.get(1), AnalysisStatus.class)).as("the ending admission reads to free the slot")
        .isEqualTo(decode(records.get(0), AnalysisStatus.class));

    AnalysisStatus status = decode(records.get(0), AnalysisStatus.class);
    assertThat(status.getState()).isEqualTo(JobState.COMPLETED);
    assertThat(status.getSequence()).isEqualTo(4);
    assertThat(status.getResultPrefix()).isEqualTo("tenants/acme/results/job_1/");
    UsageEvent usage = decode(records.get(2), UsageEvent.class);
    assertThat(usage.getEventId()).isEqualTo("job_1:analysis_complete");
    assertThat(usage.getRows()).isEqualTo(120);
    CacheIndexEntry entry = decode(records.get(3), CacheIndexEntry.class);
    assertThat(entry.getExpiresAt()).isEqualTo(Instant.ofEpochMilli(done).plus(Duration.ofDays(7)));
  }

  @Test
  void aFailedJobIsReportedWithItsReasonAndANonBillableEventAndNoCacheEntry() {
    List<ProducerRecord<String, byte[]>> records = outputs.finished(work, submitted.toEpochMilli(),
        JobOutcome.failed("upstream_permanent", false, "DataStoryBot: upstream_permanent", submitted.toEpochMilli()));
    assertThat(records).extracting(ProducerRecord::topic)
        .containsExactly("analysis-status", "processor-job-endings", "usage-events");
    AnalysisStatus status = decode(records.get(0), AnalysisStatus.class);
    assertThat(status.getState()).isEqualTo(JobState.FAILED);
    assertThat(status.getReason()).isEqualTo("upstream_permanent");
    assertThat(status.getRetryable()).isFalse();
    assertThat(decode(records.get(1), AnalysisStatus.class)).isEqualTo(status);
    UsageEvent usage = decode(records.get(2), UsageEvent.class);
    assertThat(usage.getType()).isEqualTo(UsageType.ANALYSIS_FAILED);
    assertThat(usage.getEventId()).isEqualTo("job_1:analysis_failed");
    assertThat(usage.getRows()).isZero();
  }

  @Test
  void runningIsSequenceThreeWithItsStartTime() {
    long started = submitted.plusSeconds(2).toEpochMilli();
    AnalysisStatus status = decode(outputs.running(work, started), AnalysisStatus.class);
    assertThat(status.getState()).isEqualTo(JobState.RUNNING);
    assertThat(status.getSequence()).isEqualTo(3);
    assertThat(status.getStartedAt()).isEqualTo(Instant.ofEpochMilli(started));
  }

  @Test
  void cacheKeysNormalizePromptsTheWayAdmissionDoes() {
    assertThat(CacheKeys.of("acme", "abc", "  Churn   BY region ", null)).isEqualTo(CacheKeys.of("acme", "abc", "churn by region", ""));
    assertThat(CacheKeys.of("acme", "abc", "churn", null)).isNotEqualTo(CacheKeys.of("acme", "abd", "churn", null));
    assertThat(CacheKeys.of("acme", "abc", "a", "b")).hasSize(64);
  }

  private <T extends org.apache.avro.specific.SpecificRecordBase> T decode(ProducerRecord<String, byte[]> record,
      Class<T> type) {
    return new AvroDeserializer<>(registry, type).deserialize(record.topic(), record.value());
  }
}
