package io.storystream.schemas.serde;

import io.storystream.schemas.registry.SchemaRegistryException;
import org.apache.kafka.common.errors.RetriableException;
import org.apache.kafka.common.errors.SerializationException;

/**
 * A record that could not be read now for a reason outside the record: the schema registry could not be asked, the
 * tenant keyring had not caught up with the key a sealed field names, a broker did not answer in time. Reading it
 * again later succeeds, so it is never a verdict on the record: a reader that dead-letters or skips on it loses a
 * valid job or usage event. Readers fail instead (a stream thread, the worker's loop) and read it again from their
 * last commit.
 */
public class ReadAgainLater extends SerializationException {
  public ReadAgainLater(String message, Throwable cause) {
    super(message, cause);
  }

  public ReadAgainLater(String message) {
    super(message);
  }

  /**
   * True when {@code error} or one of its causes says to read the record again later: this exception, a schema
   * registry that could not answer ({@link SchemaRegistryException#unavailable()}), or a Kafka client's retriable
   * error (a request that timed out while a broker or the controller was away).
   */
  public static boolean isCause(Throwable error) {
    for (Throwable t = error; t != null; t = t.getCause()) {
      if (t instanceof ReadAgainLater || t instanceof RetriableException
          || (t instanceof SchemaRegistryException e && e.unavailable())) {
        return true;
      }
    }
    return false;
  }
}
