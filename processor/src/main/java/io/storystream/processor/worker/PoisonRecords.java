package io.storystream.processor.worker;

import java.util.LinkedHashMap;
import java.util.Map;
import org.apache.kafka.common.TopicPartition;

/**
 * Which work record made the loop throw, and how often. The loop names the record it is handling
 * ({@link #handling}) and clears it when done ({@link #done}); when the loop fails while a record is named, that
 * record is charged one attempt. A record charged {@code maxAttempts} times is poison: read again after the restart,
 * it is dead-lettered with the error instead of being run a further time, and the worker goes on. A failure while no
 * record is named (a transaction, the broker) charges nothing: a restart is the right answer to those.
 *
 * <p>Survives the loop's restarts (it lives in the service, not in the loop's state); holds at most
 * {@link #MAX_TRACKED} records, the oldest forgotten first. Loop thread only.
 */
final class PoisonRecords {
  static final int DEFAULT_MAX_ATTEMPTS = 3;
  static final int MAX_TRACKED = 1024;

  record Charge(int attempts, Throwable lastError) {}

  private record Position(TopicPartition partition, long offset) {}

  private final int maxAttempts;
  private final Map<Position, Charge> charges = new LinkedHashMap<>(16, 0.75f, false) {
    @Override
    protected boolean removeEldestEntry(Map.Entry<Position, Charge> eldest) {
      return size() > MAX_TRACKED;
    }
  };
  private Position handling;

  PoisonRecords(int maxAttempts) {
    if (maxAttempts < 1) {
      throw new IllegalArgumentException("maxAttempts must be at least 1");
    }
    this.maxAttempts = maxAttempts;
  }

  void handling(TopicPartition partition, long offset) {
    handling = new Position(partition, offset);
  }

  void done() {
    handling = null;
  }

  /** The loop failed: charges the record it was handling, if any. Returns that record's attempts so far (0: none). */
  int loopFailed(Throwable error) {
    Position p = handling;
    handling = null;
    if (p == null) {
      return 0;
    }
    Charge charge = charges.merge(p, new Charge(1, error), (old, one) -> new Charge(old.attempts() + 1, error));
    return charge.attempts();
  }

  /** The error to dead-letter the record with, when it has failed the loop {@code maxAttempts} times; else null. */
  Throwable exhausted(TopicPartition partition, long offset) {
    Charge charge = charges.get(new Position(partition, offset));
    return charge != null && charge.attempts() >= maxAttempts ? charge.lastError() : null;
  }

  /** The record was dead-lettered (or finished): nothing more to remember about it. */
  void forget(TopicPartition partition, long offset) {
    charges.remove(new Position(partition, offset));
  }

  int maxAttempts() {
    return maxAttempts;
  }
}
