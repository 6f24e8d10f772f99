package io.storystream.schemas.serde;

import java.nio.ByteBuffer;

/**
 * Confluent's wire format: one magic byte (0), the writer schema's registry id as a big-endian int32, then the
 * Avro binary body. Any Confluent-compatible client in any language reads and writes this.
 */
public final class WireFormat {
  public static final byte MAGIC_BYTE = 0;
  public static final int HEADER_LENGTH = 5;

  private WireFormat() {}

  /** The writer schema id of a record, after checking its header. */
  public static int schemaId(String topic, byte[] data) {
    if (data.length < HEADER_LENGTH) {
      throw new MalformedRecordException(topic, "record of " + data.length
          + " bytes is shorter than the 5-byte Confluent wire-format header");
    }
    if (data[0] != MAGIC_BYTE) {
      throw new NotWireFormatException(topic, data[0]);
    }
    return ByteBuffer.wrap(data, 1, 4).getInt();
  }

  static void writeHeader(byte[] target, int schemaId) {
    target[0] = MAGIC_BYTE;
    target[1] = (byte) (schemaId >>> 24);
    target[2] = (byte) (schemaId >>> 16);
    target[3] = (byte) (schemaId >>> 8);
    target[4] = (byte) schemaId;
  }
}
