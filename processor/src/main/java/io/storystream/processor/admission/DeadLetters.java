package io.storystream.processor.admission;

import io.storystream.schemas.DeadLetter;
import io.storystream.schemas.registry.HttpSchemaRegistryClient;
import io.storystream.schemas.registry.SchemaRegistryClient;
import io.storystream.schemas.serde.AvroSerializer;
import io.storystream.schemas.serde.ReadAgainLater;
import io.storystream.schemas.topics.Topics;
import java.nio.ByteBuffer;
import java.time.Instant;
import java.util.List;
import java.util.Map;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.streams.StreamsConfig;
import org.apache.kafka.streams.errors.DeserializationExceptionHandler;
import org.apache.kafka.streams.errors.ErrorHandlerContext;
import org.apache.kafka.streams.errors.ProcessingExceptionHandler;
import org.apache.kafka.streams.processor.api.Record;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Sends a record Streams cannot deserialize, or one a processor throws on, to the {@code dead-letter} topic as a
 * {@link DeadLetter} holding the original bytes and the error, and lets the application keep going. The dead letter
 * is produced through Streams' own producer (KIP-1034), so under exactly-once it commits with the input offset:
 * a poison record is reported once, not once per restart.
 *
 * <p>Configured by class name ({@code deserialization.exception.handler}, {@code processing.exception.handler});
 * it finds the schema registry in the Streams properties, as a client object under {@link #REGISTRY_CLIENT_CONFIG}
 * (tests) or a URL under {@code schema.registry.url}.
 */
public final class DeadLetters implements DeserializationExceptionHandler, ProcessingExceptionHandler {
  public static final String REGISTRY_CLIENT_CONFIG = "storystream.schema.registry.client";
  /** A Micrometer registry object counting the dead letters ({@code storystream_dead_letters_total{source="admission"}}). */
  public static final String METER_REGISTRY_CONFIG = "storystream.meter.registry";
  public static final String DESERIALIZATION_FAILED = "deserialization_failed";
  public static final String PROCESSING_FAILED = "processing_failed";

  private static final Logger log = LoggerFactory.getLogger(DeadLetters.class);

  private AvroSerializer<DeadLetter> serializer;
  private String application;
  private io.micrometer.core.instrument.MeterRegistry meters;

  /** The Streams properties that route both kinds of failure here. */
  public static Map<String, Object> streamsConfig(SchemaRegistryClient registry) {
    return Map.of(
        StreamsConfig.DESERIALIZATION_EXCEPTION_HANDLER_CLASS_CONFIG, DeadLetters.class.getName(),
        StreamsConfig.PROCESSING_EXCEPTION_HANDLER_CLASS_CONFIG, DeadLetters.class.getName(),
        REGISTRY_CLIENT_CONFIG, registry);
  }

  @Override
  public void configure(Map<String, ?> configs) {
    Object client = configs.get(REGISTRY_CLIENT_CONFIG);
    SchemaRegistryClient registry = client instanceof SchemaRegistryClient c
        ? c
        : new HttpSchemaRegistryClient(String.valueOf(configs.get(AvroSerializer.REGISTRY_URL_CONFIG)));
    serializer = new AvroSerializer<>(registry, false);
    application = String.valueOf(configs.get(StreamsConfig.APPLICATION_ID_CONFIG));
    meters = configs.get(METER_REGISTRY_CONFIG) instanceof io.micrometer.core.instrument.MeterRegistry m ? m
        : new io.micrometer.core.instrument.simple.SimpleMeterRegistry();
  }

  @Override
  public DeserializationExceptionHandler.Response handleError(ErrorHandlerContext context,
      ConsumerRecord<byte[], byte[]> record, Exception exception) {
    if (readAgainLater(context, exception)) {
      return DeserializationExceptionHandler.Response.fail();
    }
    return DeserializationExceptionHandler.Response.resume(
        List.of(deadLetter(context, record.key(), record.value(), DESERIALIZATION_FAILED, exception)));
  }

  @Override
  public ProcessingExceptionHandler.Response handleError(ErrorHandlerContext context, Record<?, ?> record,
      Exception exception) {
    if (readAgainLater(context, exception)) {
      return ProcessingExceptionHandler.Response.fail();
    }
    return ProcessingExceptionHandler.Response.resume(List.of(
        deadLetter(context, context.sourceRawKey(), context.sourceRawValue(), PROCESSING_FAILED, exception)));
  }

  /**
   * A record that failed only because something outside it could not be asked (the schema registry, the tenant
   * keyring, a broker) is valid: dead-lettered, a job would never run (the fault campaign lost one so during a
   * registry restart). The thread fails instead (the deserializer has already waited out a registry restart), and its
   * replacement reads the record again from the last commit.
   */
  private static boolean readAgainLater(ErrorHandlerContext context, Exception exception) {
    if (!ReadAgainLater.isCause(exception)) {
      return false;
    }
    log.warn("{}-{}@{} cannot be read now ({}): failing the thread, the record is read again", context.topic(),
        context.partition(), context.offset(), exception.getClass().getSimpleName());
    return true;
  }

  private ProducerRecord<byte[], byte[]> deadLetter(ErrorHandlerContext context, byte[] key, byte[] value,
      String reason, Exception exception) {
    // ids and the error class only: the value may hold prompts, which never go to a log
    log.warn("dead-lettering {}-{}@{} ({}, {})", context.topic(), context.partition(), context.offset(), reason,
        exception.getClass().getSimpleName());
    io.storystream.processor.ProcessorMetrics.deadLettered(meters, "admission", reason);
    DeadLetter letter = DeadLetter.newBuilder()
        .setSourceTopic(context.topic())
        .setSourcePartition(context.partition())
        .setSourceOffset(context.offset())
        .setKey(key == null ? null : ByteBuffer.wrap(key))
        .setValue(value == null ? null : ByteBuffer.wrap(value))
        .setApplication(application)
        .setReason(reason)
        .setErrorClass(exception.getClass().getName())
        .setErrorMessage(exception.getMessage())
        .setFailedAt(Instant.ofEpochMilli(context.timestamp()))
        .build();
    // keyed by the source key: the tenant id, so the default partitioner puts it on the tenant's partition
    return new ProducerRecord<>(Topics.DEAD_LETTER.name(), null, key,
        serializer.serialize(Topics.DEAD_LETTER.name(), letter));
  }
}
