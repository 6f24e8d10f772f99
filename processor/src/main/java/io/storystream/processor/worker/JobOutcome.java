package io.storystream.processor.worker;

/**
 * How a job ended, as the worker reports it: completed with its result in S3, or failed with a machine-readable
 * reason. {@code rows} is what the bill counts for a completed analysis.
 */
public record JobOutcome(boolean completed, String resultPrefix, long rows, String reason, boolean retryable,
    String message, long completedAt) {

  public static JobOutcome completed(String resultPrefix, long rows, long completedAt) {
    return new JobOutcome(true, resultPrefix, rows, null, false, null, completedAt);
  }

  public static JobOutcome failed(String reason, boolean retryable, String message, long completedAt) {
    return new JobOutcome(false, null, 0, reason, retryable, message, completedAt);
  }
}
