package io.storystream.processor.admission;

import static org.assertj.core.api.Assertions.assertThat;

import io.storystream.schemas.registry.InMemorySchemaRegistryClient;
import io.storystream.schemas.registry.SchemaNotFoundException;
import io.storystream.schemas.registry.SchemaRegistryException;
import io.storystream.schemas.serde.ReadAgainLater;
import io.storystream.schemas.serde.NotWireFormatException;
import io.storystream.schemas.serde.UnknownSchemaIdException;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.util.HashMap;
import java.util.Map;
import java.util.stream.Stream;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.common.header.Headers;
import org.apache.kafka.common.header.internals.RecordHeaders;
import org.apache.kafka.streams.StreamsConfig;
import org.apache.kafka.streams.errors.DeserializationExceptionHandler;
import org.apache.kafka.streams.errors.ErrorHandlerContext;
import org.apache.kafka.streams.errors.ProcessingExceptionHandler;
import org.apache.kafka.streams.processor.TaskId;
import org.apache.kafka.streams.processor.api.Record;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;

/**
 * What admission does with a record it cannot read or process, by cause: a bad record is dead-lettered and
 * admission goes on; a record that failed only because something outside it could not be asked (the schema registry,
 * the tenant keyring, a broker) is valid, so the thread fails and its replacement reads the record again
 * (dead-lettered, the job would never have run).
 */
class DeadLettersTest {
  private final InMemorySchemaRegistryClient registry = new InMemorySchemaRegistryClient();
  private final DeadLetters handler = new DeadLetters();

  static Stream<Arguments> causes() {
    return Stream.of(
        Arguments.of("not wire format", new NotWireFormatException("analysis-requests", (byte) 110), "dead letter"),
        Arguments.of("unknown schema id", new UnknownSchemaIdException("analysis-requests",
            new SchemaNotFoundException(4711)), "dead letter"),
        Arguments.of("registry refused (4xx)", new SchemaRegistryException("unauthorized", 401, -1), "dead letter"),
        Arguments.of("registry not reached", new SchemaRegistryException("unreachable",
            new IOException("Connection refused")), "fail, read again"),
        Arguments.of("registry 503", new SchemaRegistryException("restarting", 503, -1), "fail, read again"),
        Arguments.of("registry outage wrapped", new IllegalStateException("while deciding",
            new SchemaRegistryException("unreachable", new IOException("reset"))), "fail, read again"),
        Arguments.of("keyring not caught up", new ReadAgainLater("the tenant keyring did not catch up"),
            "fail, read again"),
        Arguments.of("broker timeout", new org.apache.kafka.common.errors.TimeoutException("end offsets"),
            "fail, read again"),
        Arguments.of("undecodable, no outage in its causes", new IllegalStateException("while deciding",
            new IllegalArgumentException("bad field")), "dead letter"));
  }

  @ParameterizedTest(name = "{0} → {2}")
  @MethodSource("causes")
  void aDeserializationFailure(String cause, Exception exception, String expected) {
    configure();
    DeserializationExceptionHandler.Response response = handler.handleError(context(), record(), exception);

    if (expected.equals("dead letter")) {
      assertThat(response.result()).isEqualTo(DeserializationExceptionHandler.Result.RESUME);
      assertThat(response.deadLetterQueueRecords()).singleElement()
          .satisfies(r -> assertThat(r.topic()).isEqualTo("dead-letter"));
    } else {
      assertThat(response.result()).isEqualTo(DeserializationExceptionHandler.Result.FAIL);
      assertThat(response.deadLetterQueueRecords()).isEmpty();
    }
  }

  @ParameterizedTest(name = "{0} → {2}")
  @MethodSource("causes")
  void aProcessingFailure(String cause, Exception exception, String expected) {
    configure();
    ProcessingExceptionHandler.Response response = handler.handleError(context(),
        new Record<>("acme", "value", 0L), exception);

    if (expected.equals("dead letter")) {
      assertThat(response.result()).isEqualTo(ProcessingExceptionHandler.Result.RESUME);
      assertThat(response.deadLetterQueueRecords()).hasSize(1);
    } else {
      assertThat(response.result()).isEqualTo(ProcessingExceptionHandler.Result.FAIL);
      assertThat(response.deadLetterQueueRecords()).isEmpty();
    }
  }

  private void configure() {
    Map<String, Object> configs = new HashMap<>(DeadLetters.streamsConfig(registry));
    configs.put(StreamsConfig.APPLICATION_ID_CONFIG, "admission-test");
    handler.configure(configs);
  }

  private static ConsumerRecord<byte[], byte[]> record() {
    return new ConsumerRecord<>("analysis-requests", 2, 13L, "acme".getBytes(StandardCharsets.UTF_8),
        new byte[] {0, 0, 0, 0, 1, 2});
  }

  private static ErrorHandlerContext context() {
    return new ErrorHandlerContext() {
      @Override
      public String topic() {
        return "analysis-requests";
      }

      @Override
      public int partition() {
        return 2;
      }

      @Override
      public long offset() {
        return 13L;
      }

      @Override
      public Headers headers() {
        return new RecordHeaders();
      }

      @Override
      public String processorNodeId() {
        return "requests";
      }

      @Override
      public TaskId taskId() {
        return new TaskId(0, 2);
      }

      @Override
      public long timestamp() {
        return 0L;
      }

      @Override
      public byte[] sourceRawKey() {
        return "acme".getBytes(StandardCharsets.UTF_8);
      }

      @Override
      public byte[] sourceRawValue() {
        return new byte[] {0, 0, 0, 0, 1, 2};
      }
    };
  }
}
