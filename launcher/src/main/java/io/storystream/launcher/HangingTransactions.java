package io.storystream.launcher;

import java.time.Clock;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Properties;
import java.util.HashSet;
import java.util.Set;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import org.apache.kafka.clients.admin.AbortTransactionSpec;
import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.admin.ListTopicsOptions;
import org.apache.kafka.clients.admin.ProducerState;
import org.apache.kafka.clients.admin.TopicDescription;
import org.apache.kafka.clients.admin.TransactionDescription;
import org.apache.kafka.clients.admin.TransactionListing;
import org.apache.kafka.clients.admin.TransactionState;
import org.apache.kafka.common.TopicPartition;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Aborts hanging transactions on the embedded broker. The embedded default runs its broker in the same JVM as the
 * services, so a {@code kill -9} is also a broker crash. Measured after such a crash: a partition of
 * {@code __consumer_offsets} still held the killed billing producer's open transaction although the transaction
 * coordinator had already finished that producer's transaction (state {@code Empty}); no marker ever closes it, and
 * the group's committed offsets stay "unstable", so the restarted Kafka Streams application retried its offset fetch
 * for minutes and never became ready. That is Kafka's "hanging transaction" (what {@code kafka-transactions.sh
 * find-hanging} looks for).
 *
 * <p>This sweeper follows the open transactions of every partition ({@code describeProducers}, every
 * {@link #CHECK_EVERY}) and aborts one ({@code abortTransaction}) when it is certainly hanging:
 * <ul>
 *   <li>at once, when it was open in two checks in a row and its coordinator has moved past it: the producer's
 *       transaction there is complete or empty (not ongoing or preparing) under a newer epoch. A live transaction
 *       always carries its coordinator's current epoch, so an older epoch whose coordinator is idle can only be the
 *       leftover of a crash. This is what a restarted service's producer causes when it fences its killed
 *       predecessor, so the wait after a crash is one or two checks;</li>
 *   <li>in any case once it has stayed open, unchanged, for {@link #HANGING_AFTER}: longer than any transaction
 *       timeout the services use (Streams 10 s, the worker 30 s) plus the coordinator's 10 s check for expired
 *       transactions, which a live transaction never outlasts.</li>
 * </ul>
 */
final class HangingTransactions implements AutoCloseable {
  private static final Logger log = LoggerFactory.getLogger(HangingTransactions.class);
  static final Duration HANGING_AFTER = Duration.ofSeconds(45);
  static final Duration CHECK_EVERY = Duration.ofSeconds(2);

  private final Admin admin;
  private final Clock clock;
  private final ScheduledExecutorService timer = Executors.newSingleThreadScheduledExecutor(r -> {
    Thread t = new Thread(r, "hanging-transactions");
    t.setDaemon(true);
    return t;
  });
  /** Each open transaction seen, by partition and producer: when it was first seen open. */
  private final Map<OpenTransaction, Long> firstSeen = new HashMap<>();

  private record OpenTransaction(TopicPartition partition, long producerId, int epoch, long startOffset,
                                 int coordinatorEpoch) {}

  HangingTransactions(String bootstrapServers, Clock clock) {
    Properties props = new Properties();
    props.put("bootstrap.servers", bootstrapServers);
    props.put("client.id", "storystream-hanging-transactions");
    this.admin = Admin.create(props);
    this.clock = clock;
  }

  HangingTransactions start() {
    timer.scheduleWithFixedDelay(this::sweepQuietly, 0, CHECK_EVERY.toMillis(),
        TimeUnit.MILLISECONDS);
    return this;
  }

  private void sweepQuietly() {
    try {
      sweep();
    } catch (Exception e) {
      log.debug("hanging-transaction check failed: {}", e.toString());
    }
  }

  /** One check: notes the open transactions and aborts those open unchanged for {@link #HANGING_AFTER}. */
  synchronized int sweep() throws Exception {
    long now = clock.millis();
    List<TopicPartition> partitions = new ArrayList<>();
    var names = admin.listTopics(new ListTopicsOptions().listInternal(true)).names().get();
    for (TopicDescription topic : admin.describeTopics(names).allTopicNames().get().values()) {
      topic.partitions().forEach(p -> partitions.add(new TopicPartition(topic.name(), p.partition())));
    }
    Map<OpenTransaction, Long> stillOpen = new HashMap<>();
    Set<OpenTransaction> seenBefore = new HashSet<>(firstSeen.keySet());
    admin.describeProducers(partitions).all().get().forEach((partition, state) -> {
      for (ProducerState producer : state.activeProducers()) {
        if (producer.currentTransactionStartOffset().isPresent()) {
          // a producer that never had a marker on this partition has no coordinator epoch here; an abort then
          // names epoch 0, as Kafka's own kafka-transactions.sh abort does
          OpenTransaction open = new OpenTransaction(partition, producer.producerId(), producer.producerEpoch(),
              producer.currentTransactionStartOffset().getAsLong(), producer.coordinatorEpoch().orElse(0));
          stillOpen.put(open, firstSeen.getOrDefault(open, now));
        }
      }
    });
    firstSeen.clear();
    firstSeen.putAll(stillOpen);
    Map<Long, TransactionDescription> coordinators = stillOpen.isEmpty() ? Map.of() : idleCoordinators();
    int aborted = 0;
    for (Map.Entry<OpenTransaction, Long> e : stillOpen.entrySet()) {
      OpenTransaction open = e.getKey();
      TransactionDescription coordinator = coordinators.get(open.producerId());
      boolean movedPast = seenBefore.contains(open) && coordinator != null && coordinator.producerEpoch() > open.epoch();
      if (!movedPast && now - e.getValue() < HANGING_AFTER.toMillis()) {
        continue;
      }
      log.warn("aborting the transaction of producer {} (epoch {}) on {}, open since offset {} ({}): a hanging "
          + "transaction, left by a crash", open.producerId(), open.epoch(), open.partition(), open.startOffset(),
          movedPast ? "its coordinator is idle at epoch " + coordinator.producerEpoch()
              : "for more than " + HANGING_AFTER.toSeconds() + " s");
      admin.abortTransaction(new AbortTransactionSpec(open.partition(), open.producerId(), (short) open.epoch(),
          open.coordinatorEpoch())).all().get();
      firstSeen.remove(open);
      aborted++;
    }
    return aborted;
  }

  /** The coordinators' view of every transactional producer that is idle (no transaction ongoing or preparing). */
  private Map<Long, TransactionDescription> idleCoordinators() throws Exception {
    Map<String, Long> producers = new HashMap<>();
    for (TransactionListing listing : admin.listTransactions().all().get()) {
      producers.put(listing.transactionalId(), listing.producerId());
    }
    Map<Long, TransactionDescription> idle = new HashMap<>();
    if (producers.isEmpty()) {
      return idle;
    }
    admin.describeTransactions(producers.keySet()).all().get().forEach((id, description) -> {
      TransactionState state = description.state();
      if (state == TransactionState.EMPTY || state == TransactionState.COMPLETE_COMMIT
          || state == TransactionState.COMPLETE_ABORT) {
        idle.put(description.producerId(), description);
      }
    });
    return idle;
  }

  @Override
  public void close() {
    timer.shutdownNow();
    admin.close(Duration.ofSeconds(5));
  }
}
