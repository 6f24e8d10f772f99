package io.storystream.billing;

import java.nio.charset.StandardCharsets;
import java.util.Optional;
import java.util.Set;
import org.apache.kafka.common.header.Header;
import org.apache.kafka.common.header.Headers;
import org.apache.kafka.common.header.internals.RecordHeaders;
import org.apache.kafka.streams.processor.StreamPartitioner;
import org.apache.kafka.streams.processor.api.Record;

/**
 * A tick: the live aggregator's note in the usage log that statements are to be issued at this point of a partition.
 * Its log timestamp is the billing clock for what it issues, and it names the newest price-book version the
 * aggregator knew of, so the statements it leads to depend on the log and the price books only — never on when a
 * replay happens to run or what it has already read from {@code price-books}.
 *
 * <p>Wire form on {@code usage-events}: key {@value #KEY} (not a tenant id, so no tenant's record can be one), the
 * header {@value #HEADER} with the price-book version in decimal, and the target partition in decimal as the value
 * (for the partitioner; a tick is only ever read by the task of that partition).
 */
public final class BillingTick {
  public static final String KEY = "~billing-tick";
  public static final String HEADER = "storystream-billing-tick";

  private BillingTick() {}

  static Record<String, Object> record(int partition, int priceBooksUpTo, long at) {
    Headers headers = new RecordHeaders().add(HEADER, Integer.toString(priceBooksUpTo).getBytes(StandardCharsets.UTF_8));
    return new Record<>(KEY, Integer.toString(partition).getBytes(StandardCharsets.UTF_8), at, headers);
  }

  public static boolean isTick(Headers headers) {
    return headers != null && headers.lastHeader(HEADER) != null;
  }

  /** The newest price-book version the tick names (a tick never names a malformed one; 0 if it did). */
  static int priceBooksUpTo(Headers headers) {
    Header header = headers.lastHeader(HEADER);
    try {
      return Integer.parseInt(new String(header.value(), StandardCharsets.UTF_8));
    } catch (RuntimeException e) {
      return 0;
    }
  }

  /** Sends a tick to the partition written in its value: the partition of the task that wrote it. */
  static StreamPartitioner<String, byte[]> partitioner() {
    return new StreamPartitioner<>() {
      @Override
      public Optional<Set<Integer>> partitions(String topic, String key, byte[] value, int numPartitions) {
        int partition = Integer.parseInt(new String(value, StandardCharsets.UTF_8));
        return Optional.of(Set.of(partition % numPartitions));
      }
    };
  }
}
