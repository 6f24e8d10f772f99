package io.storystream.processor.admission;

/**
 * Why admission turned a request down: the machine-readable {@code reason} of a REJECTED status (listed in docs/ARCHITECTURE.md), and
 * whether sending the same request later can succeed.
 */
enum Rejection {
  DUPLICATE_IDEMPOTENCY_KEY("duplicate_idempotency_key", false),
  TENANT_INACTIVE("tenant_inactive", false),
  FILE_NOT_FOUND("file_not_found", false),
  RATE_LIMITED("rate_limited", true),
  QUOTA_EXCEEDED("quota_exceeded", false),
  /** No longer decided at submit (jobs over the cap wait in the tenant's queue); kept for readers of old statuses. */
  CONCURRENCY_EXCEEDED("concurrency_exceeded", true),
  /** The tenant's queue behind the concurrency cap holds the plan's {@code maxQueuedJobs} already. */
  BACKLOG_FULL("backlog_full", true);

  final String reason;
  final boolean retryable;

  Rejection(String reason, boolean retryable) {
    this.reason = reason;
    this.retryable = retryable;
  }
}
