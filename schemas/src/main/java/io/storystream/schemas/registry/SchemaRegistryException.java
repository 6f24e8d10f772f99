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
}
