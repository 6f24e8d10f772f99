package io.storystream.schemas.serde;

import io.storystream.schemas.registry.SchemaRegistryClient;
import org.apache.avro.generic.GenericRecord;
import org.apache.kafka.common.serialization.Serdes;

/** A registry-backed Avro serde for one record class. */
public final class AvroSerde<T extends GenericRecord> extends Serdes.WrapperSerde<T> {
  public AvroSerde(SchemaRegistryClient registry, Class<T> type, boolean isKey) {
    super(new AvroSerializer<>(registry, isKey), new AvroDeserializer<>(registry, type));
  }
}
