package io.storystream.schemas.serde;

import io.storystream.schemas.registry.HttpSchemaRegistryClient;
import io.storystream.schemas.registry.SchemaRegistryClient;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import org.apache.avro.Schema;
import org.apache.avro.generic.GenericDatumWriter;
import org.apache.avro.generic.GenericRecord;
import org.apache.avro.io.BinaryEncoder;
import org.apache.avro.io.DatumWriter;
import org.apache.avro.io.EncoderFactory;
import org.apache.avro.specific.SpecificDatumWriter;
import org.apache.avro.specific.SpecificRecord;
import org.apache.kafka.common.errors.SerializationException;
import org.apache.kafka.common.serialization.Serializer;

/**
 * Writes Avro records in Confluent's wire format, registering the record's schema under {@code <topic>-value} (or
 * {@code -key}) the first time it is seen. Works for generated classes and for GenericRecord.
 *
 * <p>Usable as a plain Kafka serializer too: with the no-argument constructor it reads {@code schema.registry.url}
 * from the producer configuration.
 */
public class AvroSerializer<T extends GenericRecord> implements Serializer<T> {
  public static final String REGISTRY_URL_CONFIG = "schema.registry.url";

  private SchemaRegistryClient registry;
  private boolean isKey;
  private final Map<Schema, DatumWriter<T>> writers = new ConcurrentHashMap<>();
  private final ThreadLocal<BinaryEncoder> encoders = new ThreadLocal<>();

  public AvroSerializer() {}

  public AvroSerializer(SchemaRegistryClient registry, boolean isKey) {
    this.registry = registry;
    this.isKey = isKey;
  }

  @Override
  public void configure(Map<String, ?> configs, boolean isKey) {
    this.isKey = isKey;
    if (registry == null) {
      Object url = configs.get(REGISTRY_URL_CONFIG);
      if (url == null) {
        throw new IllegalArgumentException(REGISTRY_URL_CONFIG + " must be set to use " + getClass().getSimpleName());
      }
      registry = new HttpSchemaRegistryClient(url.toString());
    }
  }

  @Override
  public byte[] serialize(String topic, T record) {
    if (record == null) {
      return null; // a tombstone stays a tombstone
    }
    @SuppressWarnings("unchecked")
    T sealed = (T) RecordSealing.Installed.forScope(registry.sealingScope()).seal(topic, record);
    record = sealed; // tenant content leaves the process encrypted under the tenant's data key
    Schema schema = record.getSchema();
    String subject = SchemaRegistryClient.subject(topic, isKey);
    int id = registry.register(subject, schema); // the client caches (subject, schema) -> id
    try {
      ByteArrayOutputStream out = new ByteArrayOutputStream(128);
      out.write(new byte[WireFormat.HEADER_LENGTH]);
      BinaryEncoder encoder = EncoderFactory.get().binaryEncoder(out, encoders.get());
      encoders.set(encoder);
      writer(schema, record).write(record, encoder);
      encoder.flush();
      byte[] bytes = out.toByteArray();
      WireFormat.writeHeader(bytes, id);
      return bytes;
    } catch (IOException | RuntimeException e) {
      throw new SerializationException("could not serialize " + schema.getFullName() + " for topic " + topic, e);
    }
  }

  private DatumWriter<T> writer(Schema schema, T record) {
    return writers.computeIfAbsent(schema, s -> record instanceof SpecificRecord
        ? new SpecificDatumWriter<>(s)
        : new GenericDatumWriter<>(s));
  }
}
