package io.storystream.schemas.serde;

import org.apache.kafka.common.errors.SerializationException;

/** The bytes carry the wire-format header but their Avro body cannot be decoded: truncated or not Avro at all. */
public class MalformedRecordException extends SerializationException {
  public MalformedRecordException(String topic, String detail) {
    super("malformed record on topic " + topic + ": " + detail);
  }

  public MalformedRecordException(String topic, String detail, Throwable cause) {
    super("malformed record on topic " + topic + ": " + detail, cause);
  }
}
