package io.storystream.processor.admission;

/**
 * Why admission turned a request down: the machine-readable {@code reason} of a REJECTED status (DESIGN §11), and
 * whether sending the same request later can succeed.
 */
enum Rejection {
  DUPLICATE_IDEMPOTENCY_KEY("duplicate_idempotency_key", false),
  TENANT_INACTIVE("tenant_inactive", false),
  FILE_NOT_FOUND("file_not_found", false),
  RATE_LIMITED("rate_limited", true),
  QUOTA_EXCEEDED("quota_exceeded", false),
  CONCURRENCY_EXCEEDED("concurrency_exceeded", true);

  final String reason;
  final boolean retryable;

  Rejection(String reason, boolean retryable) {
    this.reason = reason;
    this.retryable = retryable;
  }
}
