package io.storystream.processor.worker;

/**
 * How a job ended, as the worker reports it: completed with its result in S3, failed with a machine-readable
 * reason, or cancelled by its tenant. {@code rows} is what the bill counts for a completed analysis;
 * {@code analysisCalled} says whether DataStoryBot's analyze was ever sent, which decides whether the job's quota
 * unit is kept (it was) or given back (it never was).
 */
public record JobOutcome(boolean completed, String resultPrefix, long rows, String reason, boolean retryable,
    String message, long completedAt, boolean analysisCalled) {

  public static final String CANCELLED = "cancelled";

  public static JobOutcome completed(String resultPrefix, long rows, long completedAt) {
    return new JobOutcome(true, resultPrefix, rows, null, false, null, completedAt, true);
  }

  /** A failure during or after an analysis, or one whose stage is unknown: the unit is kept. */
  public static JobOutcome failed(String reason, boolean retryable, String message, long completedAt) {
    return failed(reason, retryable, message, completedAt, true);
  }

  public static JobOutcome failed(String reason, boolean retryable, String message, long completedAt,
      boolean analysisCalled) {
    return new JobOutcome(false, null, 0, reason, retryable, message, completedAt, analysisCalled);
  }

  public static JobOutcome cancelled(boolean analysisCalled, long completedAt) {
    return new JobOutcome(false, null, 0, CANCELLED, false, "cancelled by the tenant", completedAt, analysisCalled);
  }

  public boolean cancelled() {
    return !completed && CANCELLED.equals(reason);
  }
}
