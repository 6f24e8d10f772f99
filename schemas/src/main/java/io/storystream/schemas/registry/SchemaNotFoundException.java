package io.storystream.schemas.registry;

/** The registry has no schema with the asked id (Confluent error 40403). */
public class SchemaNotFoundException extends SchemaRegistryException {
  private final int schemaId;

  public SchemaNotFoundException(int schemaId) {
    super("schema id " + schemaId + " is unknown to the schema registry", 404, 40403);
    this.schemaId = schemaId;
  }

  public int schemaId() {
    return schemaId;
  }
}
