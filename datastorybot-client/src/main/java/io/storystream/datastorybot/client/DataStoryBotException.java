package io.storystream.datastorybot.client;

/**
 * A job that could not be completed. {@link #reason()} is a stable machine-readable slug the worker copies into the
 * job's failure; {@link #retryable()} says whether running the same job later may succeed. Messages carry the
 * upstream status and error code, never the API key, the CSV, prompts or narratives.
 */
public class DataStoryBotException extends RuntimeException {
  /** 400/401/413/422 or no stories: the same request will fail again. */
  public static final String UPSTREAM_PERMANENT = "upstream_permanent";
  /** 429/5xx/timeouts/connection errors that outlasted the retries. */
  public static final String UPSTREAM_UNAVAILABLE = "upstream_unavailable";
  /** The job's overall deadline passed (or would pass during the next wait). */
  public static final String DEADLINE_EXCEEDED = "deadline_exceeded";
  /** The breaker is open: the service is considered down, nothing was sent. */
  public static final String CIRCUIT_OPEN = "circuit_open";
  /**
   * The job's tenant's own breaker is open: DataStoryBot kept failing on this tenant's jobs (while it served others),
   * so its next jobs are not sent for a while. Other tenants are not affected.
   */
  public static final String TENANT_CIRCUIT_OPEN = "tenant_circuit_open";
  /** DataStoryBot answered with something the contract does not describe (malformed JSON, missing fields). */
  public static final String UPSTREAM_INVALID_RESPONSE = "upstream_invalid_response";
  /** Analyze found no story angles; a different steering prompt may help, retrying the same will not. */
  public static final String NO_STORIES = "no_stories";
  /** The container kept expiring even after starting again from upload. */
  public static final String CONTAINER_EXPIRED = "container_expired";
  /** The local CSV could not be read. */
  public static final String INPUT_UNREADABLE = "input_unreadable";
  /** The caller cancelled the job ({@link JobControl#cancelled()}): no further call was sent. */
  public static final String CANCELLED = "cancelled";

  private final String reason;
  private final boolean retryable;
  private final int httpStatus;
  private final String upstreamError;

  public DataStoryBotException(String reason, boolean retryable, int httpStatus, String upstreamError,
      String message, Throwable cause) {
    super(message, cause);
    this.reason = reason;
    this.retryable = retryable;
    this.httpStatus = httpStatus;
    this.upstreamError = upstreamError;
  }

  public DataStoryBotException(String reason, boolean retryable, int httpStatus, String upstreamError, String message) {
    this(reason, retryable, httpStatus, upstreamError, message, null);
  }

  public String reason() {
    return reason;
  }

  public boolean retryable() {
    return retryable;
  }

  /** The last upstream HTTP status, or 0 when none was received (timeout, connection refused, breaker open). */
  public int httpStatus() {
    return httpStatus;
  }

  /** DataStoryBot's own error code or message when it sent one (e.g. {@code file_too_large}), else null. */
  public String upstreamError() {
    return upstreamError;
  }
}
