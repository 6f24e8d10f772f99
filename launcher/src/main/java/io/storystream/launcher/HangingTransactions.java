package io.storystream.launcher;

import java.time.Clock;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Properties;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import org.apache.kafka.clients.admin.AbortTransactionSpec;
import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.admin.ListTopicsOptions;
import org.apache.kafka.clients.admin.ProducerState;
import org.apache.kafka.clients.admin.TopicDescription;
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
 * <p>This sweeper follows the open transactions of every partition ({@code describeProducers}) and aborts one
 * ({@code abortTransaction}) once it has stayed open, unchanged, for {@link #HANGING_AFTER}: longer than any
 * transaction timeout the services use (Streams 10 s, the worker 30 s) plus the coordinator's 10 s check for expired
 * transactions. A live transaction is always committed or aborted by its coordinator before that, so only a hanging
 * one is ever aborted.
 */
final class HangingTransactions implements AutoCloseable {
  private static final Logger log = LoggerFactory.getLogger(HangingTransactions.class);
  static final Duration HANGING_AFTER = Duration.ofSeconds(45);
  static final Duration CHECK_EVERY = Duration.ofSeconds(5);

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
    timer.scheduleWithFixedDelay(this::sweepQuietly, CHECK_EVERY.toMillis(), CHECK_EVERY.toMillis(),
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
    admin.describeProducers(partitions).all().get().forEach((partition, state) -> {
      for (ProducerState producer : state.activeProducers()) {
        if (producer.currentTransactionStartOffset().isPresent() && producer.coordinatorEpoch().isPresent()) {
          OpenTransaction open = new OpenTransaction(partition, producer.producerId(), producer.producerEpoch(),
              producer.currentTransactionStartOffset().getAsLong(), producer.coordinatorEpoch().getAsInt());
          stillOpen.put(open, firstSeen.getOrDefault(open, now));
        }
      }
    });
    firstSeen.clear();
    firstSeen.putAll(stillOpen);
    int aborted = 0;
    for (Map.Entry<OpenTransaction, Long> e : stillOpen.entrySet()) {
      if (now - e.getValue() < HANGING_AFTER.toMillis()) {
        continue;
      }
      OpenTransaction open = e.getKey();
      log.warn("aborting the transaction of producer {} (epoch {}) on {}, open since offset {} for more than {} s "
          + "(a hanging transaction, left by a crash)", open.producerId(), open.epoch(), open.partition(),
          open.startOffset(), HANGING_AFTER.toSeconds());
      admin.abortTransaction(new AbortTransactionSpec(open.partition(), open.producerId(), (short) open.epoch(),
          open.coordinatorEpoch())).all().get();
      firstSeen.remove(open);
      aborted++;
    }
    return aborted;
  }

  @Override
  public void close() {
    timer.shutdownNow();
    admin.close(Duration.ofSeconds(5));
  }
}
