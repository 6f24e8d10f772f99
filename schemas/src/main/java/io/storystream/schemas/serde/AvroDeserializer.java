package io.storystream.schemas.serde;

import io.storystream.schemas.registry.HttpSchemaRegistryClient;
import io.storystream.schemas.registry.SchemaNotFoundException;
import io.storystream.schemas.registry.SchemaRegistryClient;
import java.io.IOException;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import org.apache.avro.AvroRuntimeException;
import org.apache.avro.Schema;
import org.apache.avro.generic.GenericDatumReader;
import org.apache.avro.generic.GenericRecord;
import org.apache.avro.io.BinaryDecoder;
import org.apache.avro.io.DatumReader;
import org.apache.avro.io.DecoderFactory;
import org.apache.avro.specific.SpecificData;
import org.apache.avro.specific.SpecificDatumReader;
import org.apache.avro.specific.SpecificRecord;
import org.apache.kafka.common.serialization.Deserializer;

/**
 * Reads Confluent wire-format records, resolving the writer schema by id (cached) against the reader schema of the
 * target class, so records written with an older schema decode into today's class with defaults filled in.
 *
 * <p>Fails with a specific {@link org.apache.kafka.common.errors.SerializationException} subclass that a
 * dead-letter handler can report: {@link NotWireFormatException}, {@link UnknownSchemaIdException},
 * {@link MalformedRecordException}.
 */
public class AvroDeserializer<T extends GenericRecord> implements Deserializer<T> {
  /** Fully-qualified class name of the generated record to decode into; without it, records decode as generic. */
  public static final String VALUE_TYPE_CONFIG = "storystream.avro.value.type";
  public static final String KEY_TYPE_CONFIG = "storystream.avro.key.type";

  private SchemaRegistryClient registry;
  private Class<T> type;
  private final Map<Integer, DatumReader<T>> readers = new ConcurrentHashMap<>();
  private final ThreadLocal<BinaryDecoder> decoders = new ThreadLocal<>();

  public AvroDeserializer() {}

  /** Decodes into {@code type}, or into GenericRecord with the writer's schema when {@code type} is null. */
  public AvroDeserializer(SchemaRegistryClient registry, Class<T> type) {
    this.registry = registry;
    this.type = type;
  }

  @Override
  @SuppressWarnings("unchecked")
  public void configure(Map<String, ?> configs, boolean isKey) {
    if (registry == null) {
      Object url = configs.get(AvroSerializer.REGISTRY_URL_CONFIG);
      if (url == null) {
        throw new IllegalArgumentException(AvroSerializer.REGISTRY_URL_CONFIG + " must be set to use " + getClass().getSimpleName());
      }
      registry = new HttpSchemaRegistryClient(url.toString());
    }
    Object typeName = configs.get(isKey ? KEY_TYPE_CONFIG : VALUE_TYPE_CONFIG);
    if (type == null && typeName != null) {
      try {
        type = (Class<T>) Class.forName(typeName.toString());
      } catch (ClassNotFoundException e) {
        throw new IllegalArgumentException("no Avro class " + typeName, e);
      }
    }
  }

  @Override
  public T deserialize(String topic, byte[] data) {
    if (data == null) {
      return null;
    }
    int id = WireFormat.schemaId(topic, data);
    DatumReader<T> reader = readers.computeIfAbsent(id, k -> reader(topic, k));
    try {
      BinaryDecoder decoder = DecoderFactory.get().binaryDecoder(data, WireFormat.HEADER_LENGTH,
          data.length - WireFormat.HEADER_LENGTH, decoders.get());
      decoders.set(decoder);
      T record = reader.read(null, decoder);
      if (!decoder.isEnd()) {
        throw new MalformedRecordException(topic, "schema id " + id + " decoded with bytes left over");
      }
      @SuppressWarnings("unchecked")
      T opened = (T) RecordSealing.Installed.forScope(registry.sealingScope()).open(topic, record);
      return opened;
    } catch (IOException | AvroRuntimeException | IndexOutOfBoundsException | NegativeArraySizeException e) {
      throw new MalformedRecordException(topic, "Avro body does not decode with schema id " + id
          + " (" + e.getClass().getSimpleName() + ")", e);
    }
  }

  private DatumReader<T> reader(String topic, int id) {
    Schema writer;
    try {
      writer = registry.schemaById(id);
    } catch (SchemaNotFoundException e) {
      throw new UnknownSchemaIdException(topic, e);
    }
    if (type == null || !SpecificRecord.class.isAssignableFrom(type)) {
      return new GenericDatumReader<>(writer);
    }
    Schema readerSchema = SpecificData.get().getSchema(type);
    return new SpecificDatumReader<>(writer, readerSchema);
  }
}
