package io.storystream.common.kafka;

import io.storystream.schemas.registry.SchemaRegistryException;
import java.util.Map;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.streams.errors.DeserializationExceptionHandler;
import org.apache.kafka.streams.errors.ErrorHandlerContext;
import org.apache.kafka.streams.errors.LogAndContinueExceptionHandler;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Kafka Streams' log-and-continue for records nobody can decode, except when the schema registry could not be asked:
 * such a record is valid, and skipping it would drop a job from the job view or a price book or tenant from billing.
 * Then the thread fails instead (the deserializer has already waited out a restart,
 * {@link io.storystream.schemas.serde.AvroDeserializer#OUTAGE_LIMIT}), and its replacement reads the record again
 * from the last commit.
 */
public final class SkipUndecodableUnlessRegistryDown implements DeserializationExceptionHandler {
  private static final Logger log = LoggerFactory.getLogger(SkipUndecodableUnlessRegistryDown.class);
  private final LogAndContinueExceptionHandler skip = new LogAndContinueExceptionHandler();

  @Override
  public Response handleError(ErrorHandlerContext context, ConsumerRecord<byte[], byte[]> record,
                              Exception exception) {
    if (SchemaRegistryException.isUnavailable(exception)) {
      log.warn("schema registry unavailable while reading {}-{}@{}: failing the thread, the record is read again",
          context.topic(), context.partition(), context.offset());
      return Response.fail();
    }
    return skip.handleError(context, record, exception);
  }

  @Override
  public void configure(Map<String, ?> configs) {
    skip.configure(configs);
  }
}
