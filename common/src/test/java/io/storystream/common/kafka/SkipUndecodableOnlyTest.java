package io.storystream.common.kafka;

import static org.assertj.core.api.Assertions.assertThat;

import io.storystream.schemas.registry.SchemaRegistryException;
import io.storystream.schemas.serde.MalformedRecordException;
import io.storystream.schemas.serde.ReadAgainLater;
import java.io.IOException;
import java.util.Map;
import java.util.stream.Stream;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.common.header.internals.RecordHeaders;
import org.apache.kafka.streams.errors.DeserializationExceptionHandler.Result;
import org.apache.kafka.streams.errors.ErrorHandlerContext;
import org.apache.kafka.streams.processor.TaskId;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;

/** What the job view's and billing's readers do with a record they cannot decode, by cause. */
class SkipUndecodableOnlyTest {
  static Stream<Arguments> causes() {
    return Stream.of(
        Arguments.of("malformed body", new MalformedRecordException("analysis-status", "bytes left over"), Result.RESUME),
        Arguments.of("registry refused (4xx)", new SchemaRegistryException("unauthorized", 401, -1), Result.RESUME),
        Arguments.of("registry not reached", new SchemaRegistryException("unreachable",
            new IOException("Connection refused")), Result.FAIL),
        Arguments.of("keyring not caught up", new ReadAgainLater("the tenant keyring did not catch up"), Result.FAIL),
        Arguments.of("broker timeout, wrapped", new IllegalStateException("while opening",
            new org.apache.kafka.common.errors.TimeoutException("end offsets")), Result.FAIL));
  }

  @ParameterizedTest(name = "{0} → {2}")
  @MethodSource("causes")
  void skipsOnlyWhatNobodyCanDecode(String cause, Exception exception, Result expected) {
    SkipUndecodableOnly handler = new SkipUndecodableOnly();
    handler.configure(Map.of());
    ConsumerRecord<byte[], byte[]> record = new ConsumerRecord<>("analysis-status", 1, 7L, new byte[0], new byte[0]);

    assertThat(handler.handleError(context(), record, exception).result()).isEqualTo(expected);
  }

  private static ErrorHandlerContext context() {
    return new ErrorHandlerContext() {
      @Override
      public String topic() {
        return "analysis-status";
      }

      @Override
      public int partition() {
        return 1;
      }

      @Override
      public long offset() {
        return 7L;
      }

      @Override
      public org.apache.kafka.common.header.Headers headers() {
        return new RecordHeaders();
      }

      @Override
      public String processorNodeId() {
        return "source";
      }

      @Override
      public TaskId taskId() {
        return new TaskId(0, 1);
      }

      @Override
      public long timestamp() {
        return 0L;
      }

      @Override
      public byte[] sourceRawKey() {
        return new byte[0];
      }

      @Override
      public byte[] sourceRawValue() {
        return new byte[0];
      }
    };
  }
}
