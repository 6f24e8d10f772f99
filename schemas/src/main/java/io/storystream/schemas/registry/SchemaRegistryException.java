package io.storystream.schemas.registry;

import org.apache.kafka.common.errors.SerializationException;

/**
 * The registry refused a call or could not be reached. Extends Kafka's SerializationException so that a serde
 * failing on it is handled by the same dead-letter path as any other undecodable record.
 */
public class SchemaRegistryException extends SerializationException {
  private final int status;
  private final int errorCode;

  public SchemaRegistryException(String message, int status, int errorCode) {
    super(message);
    this.status = status;
    this.errorCode = errorCode;
  }

  public SchemaRegistryException(String message, Throwable cause) {
    super(message, cause);
    this.status = -1;
    this.errorCode = -1;
  }

  /** The HTTP status, or -1 when the registry was not reached. */
  public int status() {
    return status;
  }

  /** Confluent's error_code (for example 40403 schema not found, 409 incompatible), or -1. */
  public int errorCode() {
    return errorCode;
  }

  /**
   * True when the registry could not answer (not reached, or a 5xx): an outage that passes, not a verdict on the
   * record. A record that fails on it is not undecodable; reading it again later succeeds, so it must never be
   * dead-lettered or skipped (a job or a usage event would be lost). A 4xx (an unknown schema id) is a verdict.
   */
  public boolean unavailable() {
    return status == -1 || status >= 500;
  }

  /** True when {@code error} or one of its causes is a {@link #unavailable()} registry failure. */
  public static boolean isUnavailable(Throwable error) {
    for (Throwable t = error; t != null; t = t.getCause()) {
      if (t instanceof SchemaRegistryException e && e.unavailable()) {
        return true;
      }
    }
    return false;
  }
}
