package io.storystream.ingress.jobs;

import io.storystream.schemas.AnalysisRequest;
import io.storystream.schemas.AnalysisStatus;
import io.storystream.schemas.AuditActor;
import io.storystream.schemas.AuditEvent;
import io.storystream.schemas.topics.TenantKeys;
import io.storystream.schemas.topics.TopicSerdes;
import io.storystream.schemas.topics.Topics;
import org.apache.kafka.streams.StreamsBuilder;
import org.apache.kafka.streams.Topology;
import org.apache.kafka.streams.processor.api.Processor;
import org.apache.kafka.streams.processor.api.ProcessorContext;
import org.apache.kafka.streams.processor.api.Record;
import org.apache.kafka.streams.state.KeyValueStore;
import org.apache.kafka.streams.state.Stores;

/**
 * The job-status view the tenant API polls, read top to bottom:
 *
 * <ol>
 *   <li>{@code analysis-requests} (key tenant id): each submitted request creates the job's view (queued: the
 *       request record is the submit's only write, so it is also the job's queued state) or fills in the request
 *       fields of a view a status created first; and each request becomes the submit's {@code job.submit} event on
 *       {@code audit}. Deriving the audit event here, in the same exactly-once transaction that applies the request,
 *       means it is written once per request record and cannot be lost once the submit was answered 202 (the
 *       request record was acknowledged before the answer), without a second write on the response path;</li>
 *   <li>{@code analysis-status} (key tenantId:jobId): each transition replaces the held one only when it is newer
 *       (higher sequence; a stale or replayed transition is ignored), a tombstone removes the job (erasure);</li>
 *   <li>both write the {@code jobs} store, key {@code tenantId:jobId}. Both topics are partitioned by tenant, so
 *       one tenant's jobs all live in one task: a tenant's job list is a prefix scan of one store partition.</li>
 * </ol>
 *
 * Every change wakes the long-polls waiting on that job ({@link JobChangeListener}).
 */
public final class JobStatusTopology {
  public static final String JOBS_STORE = "jobs";
  /** The audit action of a submit; its event is derived from the request record here, not written by the route. */
  public static final String SUBMIT_ACTION = "job.submit";

  private JobStatusTopology() {}

  /** Called on the stream thread after a job's view changed (or was removed: view null). */
  public interface JobChangeListener {
    void changed(String storeKey, JobView view);

    /** Called after the request at {@code offset} of {@code analysis-requests} partition {@code partition} was applied. */
    default void requestApplied(int partition, long offset) {}

    /** Called when a task of {@code partition} opens its processors (its store possibly rebuilt from scratch). */
    default void storeReopened(int partition) {}

    /** Called on the stream thread after a status transition was applied (for the job metrics). */
    default void transitionApplied(AnalysisStatus status) {}
  }

  public static Topology build(TopicSerdes serdes, JobChangeListener listener) {
    StreamsBuilder builder = new StreamsBuilder();
    builder.addStateStore(Stores.keyValueStoreBuilder(
        Stores.persistentKeyValueStore(JOBS_STORE), serdes.key(), JobViewSerde.serde()));

    builder.stream(Topics.ANALYSIS_REQUESTS.name(), serdes.consumed(Topics.ANALYSIS_REQUESTS))
        .process(() -> new RequestIntoView(listener), JOBS_STORE)
        .to(Topics.AUDIT.name(), serdes.produced(Topics.AUDIT));

    builder.stream(Topics.ANALYSIS_STATUS.name(), serdes.consumed(Topics.ANALYSIS_STATUS))
        .process(() -> new StatusIntoView(listener), JOBS_STORE);

    return builder.build();
  }

  private static final class RequestIntoView implements Processor<String, AnalysisRequest, String, AuditEvent> {
    private final JobChangeListener listener;
    private ProcessorContext<String, AuditEvent> context;
    private KeyValueStore<String, JobView> jobs;

    RequestIntoView(JobChangeListener listener) {
      this.listener = listener;
    }

    @Override
    public void init(ProcessorContext<String, AuditEvent> context) {
      this.context = context;
      jobs = context.getStateStore(JOBS_STORE);
      listener.storeReopened(context.taskId().partition());
    }

    @Override
    public void process(Record<String, AnalysisRequest> record) {
      try {
        apply(record);
      } finally {
        // the view of every request up to here is in the store: polls waiting for this offset may read it now
        context.recordMetadata().ifPresent(m -> listener.requestApplied(m.partition(), m.offset()));
      }
    }

    private void apply(Record<String, AnalysisRequest> record) {
      AnalysisRequest request = record.value();
      if (request == null || !request.getTenantId().equals(TenantKeys.tenantOf(record.key()))) {
        return; // a request whose key and body disagree on the tenant is not trusted with a view
      }
      String key = TenantKeys.of(request.getTenantId(), request.getJobId());
      JobView held = jobs.get(key);
      JobView view = held == null ? JobView.fromRequest(request) : held.withRequest(request);
      if (view != held) {
        jobs.put(key, view);
        listener.changed(key, view);
      }
      // every request record is one submit answered 202 (two racing retries of one Idempotency-Key are two calls)
      context.forward(new Record<>(request.getTenantId(), submitAudit(request), record.timestamp()));
    }
  }

  /**
   * The {@code job.submit} event of a request: who (the key), the job, success, 202, the request id and the submit
   * time. Its id is derived from the request's own ids, so a consumer that deduplicates by event id sees one event per
   * submit even if this were ever replayed outside a transaction.
   */
  static AuditEvent submitAudit(AnalysisRequest request) {
    return AuditEvent.newBuilder()
        .setEventId("aud_" + request.getJobId() + (request.getRequestId() == null ? "" : "_" + request.getRequestId()))
        .setTenantId(request.getTenantId())
        .setKeyId(request.getKeyId())
        .setActor(AuditActor.TENANT)
        .setAction(SUBMIT_ACTION)
        .setResourceType("job")
        .setResourceId(request.getJobId())
        .setOutcome("success")
        .setHttpStatus(202)
        .setRequestId(request.getRequestId())
        .setOccurredAt(request.getSubmittedAt())
        .build();
  }

  private static final class StatusIntoView implements Processor<String, AnalysisStatus, Void, Void> {
    private final JobChangeListener listener;
    private KeyValueStore<String, JobView> jobs;

    StatusIntoView(JobChangeListener listener) {
      this.listener = listener;
    }

    @Override
    public void init(ProcessorContext<Void, Void> context) {
      jobs = context.getStateStore(JOBS_STORE);
    }

    @Override
    public void process(Record<String, AnalysisStatus> record) {
      if (record.key() == null) {
        return;
      }
      AnalysisStatus status = record.value();
      if (status == null) {
        if (jobs.delete(record.key()) != null) {
          listener.changed(record.key(), null);
        }
        return;
      }
      String key = TenantKeys.of(status.getTenantId(), status.getJobId());
      if (!key.equals(record.key())) {
        return; // key and body disagree: never let one tenant's record land under another's key
      }
      JobView held = jobs.get(key);
      if (held != null && !held.olderThan(status)) {
        return; // stale or replayed transition
      }
      JobView view = JobView.withStatus(held, status);
      jobs.put(key, view);
      listener.changed(key, view);
      listener.transitionApplied(status);
    }
  }
}
