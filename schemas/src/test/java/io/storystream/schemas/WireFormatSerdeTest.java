package io.storystream.schemas;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.storystream.schemas.registry.InMemorySchemaRegistryClient;
import io.storystream.schemas.serde.AvroDeserializer;
import io.storystream.schemas.serde.AvroSerializer;
import io.storystream.schemas.serde.MalformedRecordException;
import io.storystream.schemas.serde.NotWireFormatException;
import io.storystream.schemas.serde.UnknownSchemaIdException;
import java.io.ByteArrayOutputStream;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.util.Arrays;
import java.util.List;
import org.apache.avro.Schema;
import org.apache.avro.generic.GenericData;
import org.apache.avro.generic.GenericDatumWriter;
import org.apache.avro.generic.GenericRecord;
import org.apache.avro.io.BinaryEncoder;
import org.apache.avro.io.EncoderFactory;
import org.apache.avro.specific.SpecificRecord;
import org.apache.avro.specific.SpecificRecordBase;
import org.junit.jupiter.api.Test;

class WireFormatSerdeTest {
  private final InMemorySchemaRegistryClient registry = new InMemorySchemaRegistryClient();

  @Test
  void everyRecordTypeRoundTripsWithTheConfluentHeader() {
    for (SpecificRecord sample : SampleRecords.all()) {
      byte[] bytes = serialize("t", (SpecificRecordBase) sample);
      assertThat(bytes[0]).isZero();
      int id = ByteBuffer.wrap(bytes, 1, 4).getInt();
      assertThat(registry.schemaById(id)).isEqualTo(sample.getSchema());
      assertThat(registry.subjects()).contains("t-value");
      Object back = new AvroDeserializer<>(registry, (Class) sample.getClass()).deserialize("t", bytes);
      assertThat(back).isEqualTo(sample);
    }
  }

  @Test
  void keysRegisterUnderTheKeySubject() {
    SpecificRecordBase tenant = (SpecificRecordBase) SampleRecords.all().get(0);
    new AvroSerializer<>(registry, true).serialize("tenants", tenant);
    assertThat(registry.subjects()).containsExactly("tenants-key");
  }

  @Test
  void nullIsATombstoneBothWays() {
    assertThat(new AvroSerializer<Tenant>(registry, false).serialize("tenants", null)).isNull();
    assertThat(new AvroDeserializer<>(registry, Tenant.class).deserialize("tenants", null)).isNull();
  }

  @Test
  void unknownSchemaIdIsReportedWithTheId() {
    byte[] bytes = serialize("t", (SpecificRecordBase) SampleRecords.all().get(0));
    ByteBuffer.wrap(bytes).putInt(1, 4711);
    assertThatThrownBy(() -> new AvroDeserializer<>(registry, Tenant.class).deserialize("tenants", bytes))
        .isInstanceOf(UnknownSchemaIdException.class)
        .hasMessageContaining("4711")
        .satisfies(e -> assertThat(((UnknownSchemaIdException) e).schemaId()).isEqualTo(4711));
  }

  @Test
  void truncatedRecordIsMalformed() {
    byte[] bytes = serialize("t", (SpecificRecordBase) SampleRecords.all().get(0));
    byte[] truncated = Arrays.copyOf(bytes, bytes.length - 7);
    assertThatThrownBy(() -> new AvroDeserializer<>(registry, Tenant.class).deserialize("tenants", truncated))
        .isInstanceOf(MalformedRecordException.class)
        .hasMessageContaining("tenants");
  }

  @Test
  void recordShorterThanTheHeaderIsMalformed() {
    assertThatThrownBy(() -> new AvroDeserializer<>(registry, Tenant.class).deserialize("tenants", new byte[] {0, 0}))
        .isInstanceOf(MalformedRecordException.class)
        .hasMessageContaining("shorter than the 5-byte");
  }

  @Test
  void nonAvroPayloadIsNotWireFormat() {
    byte[] json = "{\"tenantId\":\"acme\"}".getBytes(StandardCharsets.UTF_8);
    assertThatThrownBy(() -> new AvroDeserializer<>(registry, Tenant.class).deserialize("tenants", json))
        .isInstanceOf(NotWireFormatException.class)
        .hasMessageContaining("0x7b");
  }

  @Test
  void trailingGarbageIsMalformed() {
    byte[] bytes = serialize("t", (SpecificRecordBase) SampleRecords.all().get(0));
    byte[] longer = Arrays.copyOf(bytes, bytes.length + 3);
    assertThatThrownBy(() -> new AvroDeserializer<>(registry, Tenant.class).deserialize("tenants", longer))
        .isInstanceOf(MalformedRecordException.class);
  }

  /** Bytes written with an older schema (here: today's minus every field that has a default) decode with defaults. */
  @Test
  void oldWriterSchemaDecodesWithTheNewReader() throws Exception {
    Schema current = UsageEvent.getClassSchema();
    Schema old = withoutDefaultedFields(current);
    int oldId = registry.register("usage-events-value", old);
    GenericRecord written = new GenericData.Record(old);
    written.put("eventId", "job_9:analysis_complete");
    written.put("tenantId", "acme");
    written.put("type", new GenericData.EnumSymbol(old.getField("type").schema(), "CACHE_HIT"));
    written.put("occurredAt", 1_700_000_000_000L);
    ByteArrayOutputStream out = new ByteArrayOutputStream();
    out.write(new byte[] {0});
    out.write(ByteBuffer.allocate(4).putInt(oldId).array());
    BinaryEncoder encoder = EncoderFactory.get().binaryEncoder(out, null);
    new GenericDatumWriter<GenericRecord>(old).write(written, encoder);
    encoder.flush();

    UsageEvent read = new AvroDeserializer<>(registry, UsageEvent.class).deserialize("usage-events", out.toByteArray());

    assertThat(read.getEventId()).isEqualTo("job_9:analysis_complete");
    assertThat(read.getType()).isEqualTo(UsageType.CACHE_HIT);
    assertThat(read.getQuantity()).isEqualTo(1L);
    assertThat(read.getRows()).isZero();
    assertThat(read.getJobId()).isNull();
    assertThat(read.getOccurredAt().toEpochMilli()).isEqualTo(1_700_000_000_000L);
  }

  static Schema withoutDefaultedFields(Schema schema) {
    List<Schema.Field> kept = schema.getFields().stream().filter(f -> !f.hasDefaultValue())
        .map(f -> new Schema.Field(f.name(), f.schema(), f.doc())).toList();
    return Schema.createRecord(schema.getName(), schema.getDoc(), schema.getNamespace(), false, kept);
  }

  private byte[] serialize(String topic, SpecificRecordBase record) {
    return new AvroSerializer<SpecificRecordBase>(registry, false).serialize(topic, record);
  }
}
