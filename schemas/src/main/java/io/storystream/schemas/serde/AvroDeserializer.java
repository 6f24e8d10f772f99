package io.storystream.schemas.serde;

import io.storystream.schemas.registry.HttpSchemaRegistryClient;
import io.storystream.schemas.registry.SchemaNotFoundException;
import io.storystream.schemas.registry.SchemaRegistryClient;
import io.storystream.schemas.registry.SchemaRegistryException;
import java.io.IOException;
import java.time.Duration;
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
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

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

  /** How long a read waits for an unavailable registry before it fails (see {@link #writerSchema}). */
  public static final Duration OUTAGE_LIMIT = Duration.ofSeconds(60);
  private static final Logger log = LoggerFactory.getLogger(AvroDeserializer.class);

  private SchemaRegistryClient registry;
  private Class<T> type;
  private Duration outageLimit = OUTAGE_LIMIT;
  private final Map<Integer, DatumReader<T>> readers = new ConcurrentHashMap<>();
  private final ThreadLocal<BinaryDecoder> decoders = new ThreadLocal<>();

  public AvroDeserializer() {}

  /** Decodes into {@code type}, or into GenericRecord with the writer's schema when {@code type} is null. */
  public AvroDeserializer(SchemaRegistryClient registry, Class<T> type) {
    this.registry = registry;
    this.type = type;
  }

  /** As {@link #AvroDeserializer(SchemaRegistryClient, Class)}, waiting at most {@code outageLimit} for the registry. */
  public AvroDeserializer(SchemaRegistryClient registry, Class<T> type, Duration outageLimit) {
    this(registry, type);
    this.outageLimit = outageLimit;
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
    DatumReader<T> reader = readers.get(id);
    if (reader == null) {
      // not computeIfAbsent: resolving may wait for the registry, and must not hold up readers of other ids
      DatumReader<T> made = reader(topic, id);
      DatumReader<T> earlier = readers.putIfAbsent(id, made);
      reader = earlier != null ? earlier : made;
    }
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
      writer = writerSchema(id);
    } catch (SchemaNotFoundException e) {
      throw new UnknownSchemaIdException(topic, e);
    }
    if (type == null || !SpecificRecord.class.isAssignableFrom(type)) {
      return new GenericDatumReader<>(writer);
    }
    Schema readerSchema = SpecificData.get().getSchema(type);
    return new SpecificDatumReader<>(writer, readerSchema);
  }

  /**
   * The writer schema, waiting out a registry outage (a restart takes seconds) for up to {@link #outageLimit}: a
   * record whose schema cannot be fetched right now is not undecodable, and a reader that gave up on it would
   * dead-letter or skip a valid job or usage event. Past the limit the failure goes to the caller, which must not
   * treat it as a verdict either ({@link ReadAgainLater#isCause}).
   */
  private Schema writerSchema(int id) {
    long deadline = System.nanoTime() + outageLimit.toNanos();
    long backoffMs = 100;
    while (true) {
      try {
        return registry.schemaById(id);
      } catch (SchemaRegistryException e) {
        if (!e.unavailable() || System.nanoTime() + backoffMs * 1_000_000 > deadline) {
          throw e;
        }
        if (backoffMs == 100) {
          log.warn("schema registry unavailable while resolving schema id {}; waiting up to {} s ({})", id,
              outageLimit.toSeconds(), e.getMessage());
        }
      }
      try {
        Thread.sleep(backoffMs); // a backoff between attempts at an unavailable registry
      } catch (InterruptedException interrupted) {
        Thread.currentThread().interrupt();
        throw new SchemaRegistryException("interrupted while waiting for the schema registry", interrupted);
      }
      backoffMs = Math.min(2_000, backoffMs * 2);
    }
  }
}
