package io.storystream.processor.worker;

import io.storystream.processor.ProcessorTopics;
import io.storystream.schemas.AnalysisStatus;
import io.storystream.schemas.AnalysisWork;
import io.storystream.schemas.DeadLetter;
import io.storystream.schemas.JobState;
import io.storystream.schemas.UsageEvent;
import io.storystream.schemas.UsageType;
import io.storystream.schemas.processor.CacheIndexEntry;
import io.storystream.schemas.registry.SchemaRegistryClient;
import io.storystream.schemas.serde.AvroSerializer;
import io.storystream.schemas.topics.TenantKeys;
import io.storystream.schemas.topics.Topic;
import io.storystream.schemas.topics.Topics;
import java.nio.ByteBuffer;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import org.apache.avro.specific.SpecificRecordBase;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.producer.ProducerRecord;

/**
 * The records the worker emits, with deterministic keys and ids so that a job redone after a crash produces the
 * same facts: status {@code tenantId:jobId} (running = sequence 3, completed/failed = 4; readers ignore a sequence
 * they already hold), usage events with id {@code jobId:analysis_complete} / {@code jobId:analysis_failed}, and the
 * cache-index entry {@code tenantId:cacheKey}.
 */
final class WorkerOutputs {
  static final int RUNNING_SEQUENCE = 3;
  static final int TERMINAL_SEQUENCE = 4;
  static final String APPLICATION = "storystream-worker";

  private final SchemaRegistryClient registry;
  private final AvroSerializer<SpecificRecordBase> serializer;
  private final Duration cacheTtl;

  WorkerOutputs(SchemaRegistryClient registry, Duration cacheTtl) {
    this.registry = registry;
    this.serializer = new AvroSerializer<>(registry, false);
    this.cacheTtl = cacheTtl;
  }

  /** Registers every schema the worker writes (the client caches the ids), retrying while the registry starts. */
  void registerSchemas() {
    Map<Topic<?>, org.apache.avro.Schema> schemas = Map.of(
        Topics.ANALYSIS_STATUS, AnalysisStatus.getClassSchema(),
        Topics.USAGE_EVENTS, UsageEvent.getClassSchema(),
        ProcessorTopics.CACHE_INDEX, CacheIndexEntry.getClassSchema(),
        Topics.DEAD_LETTER, DeadLetter.getClassSchema());
    for (var entry : schemas.entrySet()) {
      for (int attempt = 1; ; attempt++) {
        try {
          registry.register(SchemaRegistryClient.subject(entry.getKey().name(), false), entry.getValue());
          break;
        } catch (RuntimeException e) {
          if (attempt == 10) {
            throw e;
          }
          try {
            Thread.sleep(1_000); // the registry may still be starting next to us
          } catch (InterruptedException interrupted) {
            Thread.currentThread().interrupt();
            throw e;
          }
        }
      }
    }
  }

  ProducerRecord<String, byte[]> running(AnalysisWork work, long startedAt) {
    Instant at = Instant.ofEpochMilli(startedAt);
    AnalysisStatus status = status(work, JobState.RUNNING, RUNNING_SEQUENCE, at).setStartedAt(at).build();
    return record(Topics.ANALYSIS_STATUS, TenantKeys.of(work.getTenantId(), work.getJobId()), status);
  }

  /**
   * The facts of an ended job: its status and the same ending for admission (which frees the slot and keeps or
   * gives back the quota unit: given back when analyze was never sent), the usage event, and the cache entry of a
   * completed analysis. A cancelled job is not billed: no usage event, no cache entry.
   */
  List<ProducerRecord<String, byte[]>> finished(AnalysisWork work, long startedAt, JobOutcome outcome) {
    List<ProducerRecord<String, byte[]>> records = new ArrayList<>(4);
    String tenant = work.getTenantId();
    Instant completedAt = Instant.ofEpochMilli(outcome.completedAt());
    JobState state = outcome.completed() ? JobState.COMPLETED
        : outcome.cancelled() ? JobState.CANCELLED : JobState.FAILED;
    AnalysisStatus.Builder status = status(work, state, TERMINAL_SEQUENCE, completedAt)
        .setStartedAt(Instant.ofEpochMilli(startedAt))
        .setCompletedAt(completedAt)
        .setReservationReleased(!outcome.completed() && !outcome.analysisCalled());
    if (outcome.completed()) {
      status.setResultPrefix(outcome.resultPrefix());
    } else {
      status.setReason(outcome.reason()).setRetryable(outcome.retryable()).setMessage(outcome.message());
    }
    AnalysisStatus ending = status.build();
    records.add(record(Topics.ANALYSIS_STATUS, TenantKeys.of(tenant, work.getJobId()), ending));
    records.add(record(ProcessorTopics.JOB_ENDINGS, TenantKeys.of(tenant, work.getJobId()), ending));
    if (outcome.cancelled()) {
      return records;
    }

    UsageType type = outcome.completed() ? UsageType.ANALYSIS_COMPLETE : UsageType.ANALYSIS_FAILED;
    UsageEvent usage = UsageEvent.newBuilder()
        .setEventId(usageEventId(work.getJobId(), type))
        .setTenantId(tenant)
        .setType(type)
        .setQuantity(1)
        .setRows(outcome.completed() ? outcome.rows() : 0)
        .setJobId(work.getJobId())
        .setFileId(work.getFileId())
        .setOccurredAt(completedAt)
        .build();
    records.add(record(Topics.USAGE_EVENTS, tenant, usage));

    if (outcome.completed() && work.getCacheKey() != null) {
      CacheIndexEntry entry = CacheIndexEntry.newBuilder()
          .setTenantId(tenant)
          .setCacheKey(work.getCacheKey())
          .setJobId(work.getJobId())
          .setResultPrefix(outcome.resultPrefix())
          .setCreatedAt(completedAt)
          .setExpiresAt(completedAt.plus(cacheTtl))
          .build();
      records.add(record(ProcessorTopics.CACHE_INDEX, TenantKeys.of(tenant, work.getCacheKey()), entry));
    }
    return records;
  }

  ProducerRecord<String, byte[]> deadLetter(ConsumerRecord<String, byte[]> source, String reason, Throwable error,
      long now) {
    DeadLetter letter = DeadLetter.newBuilder()
        .setSourceTopic(source.topic())
        .setSourcePartition(source.partition())
        .setSourceOffset(source.offset())
        .setKey(source.key() == null ? null : ByteBuffer.wrap(source.key().getBytes(java.nio.charset.StandardCharsets.UTF_8)))
        .setValue(source.value() == null ? null : ByteBuffer.wrap(source.value()))
        .setApplication(APPLICATION)
        .setReason(reason)
        .setErrorClass(error == null ? null : error.getClass().getName())
        .setErrorMessage(error == null ? null : error.getMessage())
        .setFailedAt(Instant.ofEpochMilli(now))
        .build();
    return record(Topics.DEAD_LETTER, source.key() == null ? "" : source.key(), letter);
  }

  static String usageEventId(String jobId, UsageType type) {
    return jobId + ":" + type.name().toLowerCase(java.util.Locale.ROOT);
  }

  private static AnalysisStatus.Builder status(AnalysisWork work, JobState state, int sequence, Instant at) {
    return AnalysisStatus.newBuilder()
        .setJobId(work.getJobId())
        .setTenantId(work.getTenantId())
        .setFileId(work.getFileId())
        .setState(state)
        .setSequence(sequence)
        .setSubmittedAt(work.getSubmittedAt())
        .setUpdatedAt(at);
  }

  private ProducerRecord<String, byte[]> record(Topic<?> topic, String key, SpecificRecordBase value) {
    return new ProducerRecord<>(topic.name(), key, serializer.serialize(topic.name(), value));
  }
}
