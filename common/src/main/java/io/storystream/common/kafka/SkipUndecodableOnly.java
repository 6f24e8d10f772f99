package io.storystream.common.kafka;

import io.storystream.schemas.serde.ReadAgainLater;
import java.util.Map;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.streams.errors.DeserializationExceptionHandler;
import org.apache.kafka.streams.errors.ErrorHandlerContext;
import org.apache.kafka.streams.errors.LogAndContinueExceptionHandler;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Kafka Streams' log-and-continue for records nobody can decode, and only for those: a record that could not be read
 * now because something outside it could not be asked ({@link ReadAgainLater}: the schema registry, the tenant
 * keyring, a broker) is valid, and skipping it would drop a job from the job view or a price book or tenant from
 * billing. Then the thread fails instead (the deserializer has already waited out a registry restart,
 * {@link io.storystream.schemas.serde.AvroDeserializer#OUTAGE_LIMIT}), and its replacement reads the record again
 * from the last commit.
 */
public final class SkipUndecodableOnly implements DeserializationExceptionHandler {
  private static final Logger log = LoggerFactory.getLogger(SkipUndecodableOnly.class);
  private final LogAndContinueExceptionHandler skip = new LogAndContinueExceptionHandler();

  @Override
  public Response handleError(ErrorHandlerContext context, ConsumerRecord<byte[], byte[]> record,
                              Exception exception) {
    if (ReadAgainLater.isCause(exception)) {
      log.warn("{}-{}@{} cannot be read now ({}): failing the thread, the record is read again", context.topic(),
          context.partition(), context.offset(), exception.getClass().getSimpleName());
      return Response.fail();
    }
    return skip.handleError(context, record, exception);
  }

  @Override
  public void configure(Map<String, ?> configs) {
    skip.configure(configs);
  }
}
