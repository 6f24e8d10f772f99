package io.storystream.schemas.serde;

import org.apache.kafka.common.errors.SerializationException;

/** The record does not start with the Confluent magic byte 0: it was not written by a registry-aware serializer. */
public class NotWireFormatException extends SerializationException {
  private final byte firstByte;

  public NotWireFormatException(String topic, byte firstByte) {
    super(String.format("record on topic %s is not in Confluent wire format: first byte is 0x%02x, expected 0x00",
        topic, firstByte));
    this.firstByte = firstByte;
  }

  public byte firstByte() {
    return firstByte;
  }
}
