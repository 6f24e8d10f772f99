package io.storystream.billing.tables;

import io.storystream.common.kafka.KafkaSettings;
import io.storystream.schemas.Statement;
import io.storystream.schemas.topics.TopicSerdes;
import io.storystream.schemas.topics.Topics;
import java.sql.Connection;
import java.sql.SQLException;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Properties;
import java.util.TreeMap;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.consumer.ConsumerRecords;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.common.errors.WakeupException;
import org.apache.kafka.common.serialization.Deserializer;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Writes {@code billing-statements} into the billing tables, exactly once in effect: it reads committed records only,
 * and the offsets it has consumed are stored in the same database transaction as the rows they produced
 * ({@link BillingTables#apply}). It uses no consumer group: on start it seeks every partition to the offset the
 * database holds, so a crash at any point resumes exactly after the last committed batch. Rows are upserted with a
 * revision guard, so even a second sink or a re-read cannot move a row back to an older revision.
 */
public final class BillingSink implements AutoCloseable {
  private static final Logger log = LoggerFactory.getLogger(BillingSink.class);
  private static final Duration RETRY = Duration.ofSeconds(2);

  private final KafkaSettings kafka;
  private final TopicSerdes serdes;
  private final BillingTables tables;
  private final PostgresConnection db;
  private final String topic;
  private final AtomicLong written = new AtomicLong();
  private final CountDownLatch finished = new CountDownLatch(1);
  private volatile boolean stopped;
  private volatile KafkaConsumer<String, byte[]> consumer;
  /** Connected to the broker and the database and copying (the readiness check of the {@code sink} command). */
  private volatile boolean copying;
  private Thread thread;
  private volatile io.micrometer.core.instrument.MeterRegistry meters;

  public BillingSink(KafkaSettings kafka, TopicSerdes serdes, PostgresConnection db) {
    this(kafka, serdes, db, Topics.BILLING_STATEMENTS.name());
  }

  public BillingSink(KafkaSettings kafka, TopicSerdes serdes, PostgresConnection db, String topic) {
    this.kafka = kafka;
    this.serdes = serdes;
    this.db = db;
    this.tables = new BillingTables(db);
    this.topic = topic;
  }

  /**
   * Binds the consumer's own metrics ({@code kafka_consumer_*}: lag, fetch rate, …) to this registry, the management
   * port's; each consumer the sink opens (one per resume) is bound while it is open. Call before {@link #start()}.
   */
  public BillingSink meters(io.micrometer.core.instrument.MeterRegistry registry) {
    this.meters = registry;
    return this;
  }

  /** Migrates the schema (so a start fails fast on a wrong database), then copies statements on its own thread. */
  public synchronized BillingSink start() {
    tables.migrate();
    thread = new Thread(this::run, "billing-sink");
    thread.setDaemon(true);
    thread.start();
    log.info("billing sink: {} → {}", topic, db);
    return this;
  }

  /** True while the sink holds both connections and copies; false while it waits to retry after a failure. */
  public boolean copying() {
    return copying;
  }

  /** Statement records written so far by this instance. */
  public long written() {
    return written.get();
  }

  private void run() {
    try {
      while (!stopped) {
        try {
          copy();
        } catch (SQLException | RuntimeException e) {
          if (stopped) {
            break;
          }
          // the database or the broker went away: resume from the offsets the database holds
          log.warn("billing sink failed ({}: {}); resuming from the database's offsets in {}",
              e.getClass().getSimpleName(), e.getMessage(), RETRY);
          try {
            Thread.sleep(RETRY.toMillis());
          } catch (InterruptedException ie) {
            Thread.currentThread().interrupt();
            return;
          }
        }
      }
    } finally {
      finished.countDown();
    }
  }

  private void copy() throws SQLException {
    Properties props = kafka.consumer(null);
    props.put("max.poll.records", 2000);
    props.put("client.id", "billing-sink"); // the client_id of its kafka_consumer_* series
    Deserializer<Statement> values = serdes.value(Topics.BILLING_STATEMENTS).deserializer();
    io.micrometer.core.instrument.MeterRegistry registry = meters;
    try (KafkaConsumer<String, byte[]> c = new KafkaConsumer<>(props); Connection connection = db.open();
         io.storystream.common.ops.KafkaMeters.Binding bound = registry == null ? () -> { }
             : io.storystream.common.ops.KafkaMeters.bind(registry, c)) {
      consumer = c;
      if (stopped) {
        return;
      }
      List<TopicPartition> partitions = c.partitionsFor(topic, Duration.ofSeconds(30)).stream()
          .map(p -> new TopicPartition(topic, p.partition())).toList();
      c.assign(partitions);
      Map<Integer, Long> stored = tables.offsets(topic);
      for (TopicPartition tp : partitions) {
        Long next = stored.get(tp.partition());
        if (next == null) {
          c.seekToBeginning(List.of(tp));
        } else {
          c.seek(tp, next);
        }
      }
      log.info("billing sink resumes {} at {}", topic, stored.isEmpty() ? "the beginning" : stored);
      copying = true;
      while (!stopped) {
        ConsumerRecords<String, byte[]> records = c.poll(Duration.ofMillis(500));
        if (records.isEmpty()) {
          continue;
        }
        List<BillingTables.Consumed> batch = new ArrayList<>();
        Map<Integer, Long> next = new TreeMap<>();
        for (ConsumerRecord<String, byte[]> r : records) {
          next.put(r.partition(), r.offset() + 1);
          if (r.value() == null) {
            continue; // statements are billing records and are never erased; a tombstone changes no table
          }
          batch.add(new BillingTables.Consumed(r.partition(), r.offset(), values.deserialize(topic, r.value())));
        }
        tables.apply(connection, topic, batch, next);
        written.addAndGet(batch.size());
        log.debug("billing sink wrote {} statement revisions, next offsets {}", batch.size(), next);
      }
    } catch (WakeupException e) {
      // stopping
    } finally {
      copying = false;
      consumer = null;
    }
  }

  @Override
  public void close() {
    stopped = true;
    KafkaConsumer<String, byte[]> c = consumer;
    if (c != null) {
      c.wakeup();
    }
    try {
      if (thread != null && !finished.await(30, TimeUnit.SECONDS)) {
        log.warn("billing sink did not stop within 30 s");
      }
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
    }
  }
}
