package io.storystream.schemas.serde;

import io.storystream.schemas.registry.SchemaNotFoundException;
import org.apache.kafka.common.errors.SerializationException;

/** The record names a writer schema id the registry does not know. */
public class UnknownSchemaIdException extends SerializationException {
  private final int schemaId;

  public UnknownSchemaIdException(String topic, SchemaNotFoundException cause) {
    super("record on topic " + topic + " was written with schema id " + cause.schemaId()
        + ", which the schema registry does not know", cause);
    this.schemaId = cause.schemaId();
  }

  public int schemaId() {
    return schemaId;
  }
}
