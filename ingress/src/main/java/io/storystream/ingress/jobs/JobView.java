package io.storystream.ingress.jobs;

import com.fasterxml.jackson.annotation.JsonInclude;
import io.storystream.schemas.AnalysisRequest;
import io.storystream.schemas.AnalysisStatus;
import io.storystream.schemas.JobState;
import java.util.List;

/**
 * What the ingress knows about one job: the request as submitted (file, request hash, idempotency key, prompt flags;
 * never the prompts) merged with the newest status transition. The value of the {@code jobs} state store.
 *
 * @param sequence the status sequence applied; 0 while only the request has been seen
 * @param position while queued behind the plan's concurrency cap: the place in the tenant's queue (1 = next)
 */
@JsonInclude(JsonInclude.Include.NON_NULL)
public record JobView(String jobId, String tenantId, String fileId, String state, int sequence, String reason,
                      String message, Boolean retryable, boolean fromCache, String resultPrefix, String requestHash,
                      String idempotencyKey, List<String> promptFlags, Long submittedAt, Long updatedAt,
                      Long startedAt, Long completedAt, Integer position) {

  static final List<String> STATE_ORDER = List.of("QUEUED", "ADMITTED", "RUNNING", "COMPLETED", "FAILED", "REJECTED",
      "CANCELLED");

  public boolean terminal() {
    return "COMPLETED".equals(state) || "FAILED".equals(state) || "REJECTED".equals(state)
        || "CANCELLED".equals(state);
  }

  /** A view from a request alone: queued, sequence 0, so any status of the job is newer. */
  public static JobView fromRequest(AnalysisRequest r) {
    return new JobView(r.getJobId(), r.getTenantId(), r.getFileId(), JobState.QUEUED.name(), 0, null, null, null,
        false, null, r.getRequestHash(), r.getIdempotencyKey(), List.copyOf(r.getPromptFlags()),
        r.getSubmittedAt().toEpochMilli(), r.getSubmittedAt().toEpochMilli(), null, null, null);
  }

  /** This view with the request's fields filled in where the view has none (the first request of a job id wins). */
  public JobView withRequest(AnalysisRequest r) {
    if (requestHash != null) {
      return this;
    }
    return new JobView(jobId, tenantId, fileId != null ? fileId : r.getFileId(), state, sequence, reason, message,
        retryable, fromCache, resultPrefix, r.getRequestHash(), r.getIdempotencyKey(), List.copyOf(r.getPromptFlags()),
        submittedAt != null ? submittedAt : r.getSubmittedAt().toEpochMilli(), updatedAt, startedAt, completedAt,
        position);
  }

  /**
   * True when {@code s} is a later transition than the one held: a higher sequence, or the same sequence with a
   * state further along (so a writer that numbers QUEUED 0 and one that numbers it 1 both order correctly).
   */
  public boolean olderThan(AnalysisStatus s) {
    if (s.getSequence() != sequence) {
      return s.getSequence() > sequence;
    }
    int order = Integer.compare(STATE_ORDER.indexOf(s.getState().name()), STATE_ORDER.indexOf(state));
    if (order != 0) {
      return order > 0;
    }
    // a queued job's position only shrinks: a smaller one is the newer announcement
    return s.getPosition() != null && (position == null || s.getPosition() < position);
  }

  /** This view moved to the status {@code s}, keeping the request's fields. */
  public static JobView withStatus(JobView held, AnalysisStatus s) {
    return new JobView(s.getJobId(), s.getTenantId(), s.getFileId(), s.getState().name(), s.getSequence(),
        s.getReason(), s.getMessage(), s.getRetryable(), s.getFromCache(), s.getResultPrefix(),
        held == null ? null : held.requestHash(),
        s.getIdempotencyKey() != null ? s.getIdempotencyKey() : held == null ? null : held.idempotencyKey(),
        held == null ? List.of() : held.promptFlags(),
        // the submit time is the request's (the list pages by it); a status only supplies it when the request is unseen
        held != null && held.submittedAt() != null ? held.submittedAt() : s.getSubmittedAt().toEpochMilli(),
        s.getUpdatedAt().toEpochMilli(),
        s.getStartedAt() == null ? null : s.getStartedAt().toEpochMilli(),
        s.getCompletedAt() == null ? null : s.getCompletedAt().toEpochMilli(),
        s.getState() == JobState.QUEUED ? s.getPosition() : null);
  }
}
