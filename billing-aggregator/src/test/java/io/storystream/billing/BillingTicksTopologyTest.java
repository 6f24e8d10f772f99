package io.storystream.billing;

import io.storystream.common.billing.api.PriceBookDocument;
import static io.storystream.billing.BillingTopologyTest.analysis;
import static io.storystream.billing.BillingTopologyTest.plan;
import static org.assertj.core.api.Assertions.assertThat;

import io.storystream.schemas.Statement;
import io.storystream.schemas.UsageEvent;
import io.storystream.schemas.registry.InMemorySchemaRegistryClient;
import io.storystream.schemas.topics.TopicSerdes;
import io.storystream.schemas.topics.Topics;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Properties;
import org.apache.kafka.common.serialization.Serdes;
import org.apache.kafka.streams.StreamsConfig;
import org.apache.kafka.streams.TestInputTopic;
import org.apache.kafka.streams.TestOutputTopic;
import org.apache.kafka.streams.TopologyTestDriver;
import org.apache.kafka.streams.state.KeyValueStore;
import org.apache.kafka.streams.test.TestRecord;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Ticks: the live topology writes them into the usage log and issues statements only when it reads them back, so a
 * replay topology (no ticks of its own) fed the same log issues the same statement records, byte for byte, even
 * when it already knows a price book the live one learnt of only half-way. Also the revision history store.
 */
class BillingTicksTopologyTest {
  private static final Instant OCT_15 = Instant.parse("2026-10-15T10:00:00Z");

  @TempDir Path liveDir;
  @TempDir Path replayDir;

  /** One shared registry, as on a cluster: both sides serialize with the same schema ids. */
  private final InMemorySchemaRegistryClient registry = new InMemorySchemaRegistryClient();
  private final TopicSerdes serdes = new TopicSerdes(registry);

  @Test
  void aReplayOfTheUsageLogWithItsTicksIssuesTheSameStatementRecordsByteForByte() {
    PriceBookDocument cheaper = PriceBooks.defaultDocument().withVersion(2).withMonths("2026-10", null)
        .withPlan("starter", plan(0L, 0L, 400_000L, 0L, 0L));
    List<TestRecord<String, byte[]>> log = new ArrayList<>();
    List<TestRecord<String, byte[]>> liveStatements;
    try (Side live = new Side(liveDir, BillingTopology.Settings.defaults("billing-live"))) {
      live.publish(PriceBooks.defaultDocument());
      Instant at = OCT_15;
      for (int i = 0; i < 30; i++) {
        at = at.plusSeconds(1);
        live.send(log, analysis(i % 2 == 0 ? "acme" : "globex", "job_" + i, at.minusMillis(500).toString(), 100 + i), at);
        if (i % 3 == 0) {
          live.send(log, analysis("acme", "job_" + i, at.minusMillis(400).toString(), 100 + i), at); // a duplicate
        }
        if (i % 4 == 0) {
          live.tick(log);
        }
        if (i == 20) {
          live.publish(cheaper); // the live side learns of version 2 here; its next tick names it
        }
      }
      live.tick(log);
      // the month closes while nobody sends usage: the tick for the close is in the log too
      live.advanceTo(Instant.parse("2026-11-03T00:00:01Z"), log);
      liveStatements = live.statements.readRecordsToList();
    }
    assertThat(liveStatements).extracting(r -> serdes.value(Topics.BILLING_STATEMENTS).deserializer()
        .deserialize("x", r.value()).getPriceBookVersion()).contains(1, 2);
    assertThat(liveStatements.get(liveStatements.size() - 1).value()).isNotNull();
    assertThat(log).filteredOn(r -> BillingTick.isTick(r.headers())).hasSizeGreaterThanOrEqualTo(9);

    BillingTopology.Settings replaySettings = BillingTopology.Settings.defaults("billing-replay")
        .withOutputs("billing-statements-replay", "dead-letter-replay");
    assertThat(replaySettings.writesTicks()).isFalse();
    try (Side replay = new Side(replayDir, replaySettings)) {
      replay.publish(PriceBooks.defaultDocument());
      replay.publish(cheaper); // known from the start: only the ticks after the live one learnt of it may use it
      log.forEach(replay.usage::pipeInput);
      replay.driver.advanceWallClockTime(Duration.ofDays(30)); // a replay's wall clock issues nothing
      List<TestRecord<String, byte[]>> replayed = replay.statements.readRecordsToList();
      assertThat(replay.ticks.isEmpty()).as("a replay writes no ticks").isTrue();
      assertThat(replayed).hasSameSizeAs(liveStatements);
      for (int i = 0; i < replayed.size(); i++) {
        assertThat(replayed.get(i).key()).isEqualTo(liveStatements.get(i).key());
        assertThat(replayed.get(i).value()).as("statement record %d", i).isEqualTo(liveStatements.get(i).value());
        assertThat(replayed.get(i).timestamp()).isEqualTo(liveStatements.get(i).timestamp());
      }
    }
    Statement last = serdes.value(Topics.BILLING_STATEMENTS).deserializer()
        .deserialize("x", liveStatements.get(liveStatements.size() - 1).value());
    assertThat(last.getStatus().name()).isEqualTo("FINAL");
    assertThat(last.getGeneratedAt()).as("the close's tick time, not a reading of the replay's clock")
        .isEqualTo(Instant.parse("2026-11-03T00:00:01Z"));
  }

  @Test
  void aTickIsWrittenOnlyWhenSomethingChangedAndEveryRevisionIsKeptInTheHistory() {
    try (Side live = new Side(liveDir, BillingTopology.Settings.defaults("billing-live"))) {
      List<TestRecord<String, byte[]>> log = new ArrayList<>();
      live.publish(PriceBooks.defaultDocument());
      live.tick(log); // the first tick after a start: whatever the last run left
      log.clear();
      live.tick(log);
      assertThat(log).as("nothing changed, no tick").isEmpty();
      live.send(log, analysis("acme", "job_1", "2026-10-15T09:00:00Z", 10), OCT_15);
      live.tick(log);
      live.tick(log);
      assertThat(log).filteredOn(r -> BillingTick.isTick(r.headers())).singleElement()
          .satisfies(t -> assertThat(BillingTick.priceBooksUpTo(t.headers())).isEqualTo(1));
      live.send(log, analysis("acme", "job_2", "2026-10-15T09:00:01Z", 10), OCT_15);
      live.tick(log);
      live.publish(PriceBooks.defaultDocument().withVersion(2).withMonths("2026-10", null)
          .withPlan("starter", plan(0L, 0L, 400_000L, 0L, 0L)));
      live.tick(log); // a new price book is a change: the tick names version 2 and re-rates

      KeyValueStore<String, Statement> history = live.driver.getKeyValueStore(BillingTopology.STATEMENT_REVISIONS);
      List<Statement> revisions = new ArrayList<>();
      try (var it = history.prefixScan("acme:2026-10:", Serdes.String().serializer())) {
        it.forEachRemaining(kv -> revisions.add(kv.value));
      }
      assertThat(revisions).extracting(Statement::getRevision).containsExactly(1, 2, 3);
      assertThat(revisions).extracting(Statement::getTotalMicros).containsExactly(500_000L, 1_000_000L, 800_000L);
      assertThat(revisions).extracting(Statement::getPriceBookVersion).containsExactly(1, 1, 2);
      assertThat(revisions.get(2).getPreviousTotalMicros()).isEqualTo(1_000_000L);
    }
  }

  @Test
  void theHistoryKeepsTheNewestRevisionsOfAMonth() {
    try (Side live = new Side(liveDir, BillingTopology.Settings.defaults("billing-live"))) {
      List<TestRecord<String, byte[]>> log = new ArrayList<>();
      live.publish(PriceBooks.defaultDocument());
      int revisions = BillingTopology.KEPT_REVISIONS + 3;
      for (int i = 0; i < revisions; i++) {
        live.send(log, analysis("acme", "job_" + i, "2026-10-15T09:00:00Z", 1), OCT_15);
        live.tick(log);
      }
      KeyValueStore<String, Statement> history = live.driver.getKeyValueStore(BillingTopology.STATEMENT_REVISIONS);
      List<Integer> kept = new ArrayList<>();
      try (var it = history.prefixScan("acme:2026-10:", Serdes.String().serializer())) {
        it.forEachRemaining(kv -> kept.add(kv.value.getRevision()));
      }
      assertThat(kept).hasSize(BillingTopology.KEPT_REVISIONS);
      assertThat(kept.get(0)).isEqualTo(4);
      assertThat(kept.get(kept.size() - 1)).isEqualTo(revisions);
    }
  }

  /** One topology under test with its topics. */
  private final class Side implements AutoCloseable {
    final TopologyTestDriver driver;
    final TestInputTopic<String, byte[]> usage;
    final TestOutputTopic<String, byte[]> ticks;
    final TestOutputTopic<String, byte[]> statements;
    final TestInputTopic<String, io.storystream.schemas.PriceBook> priceBooks;
    private Instant wallClock = OCT_15;

    Side(Path stateDir, BillingTopology.Settings settings) {
      Properties props = new Properties();
      props.put(StreamsConfig.APPLICATION_ID_CONFIG, settings.application());
      props.put(StreamsConfig.BOOTSTRAP_SERVERS_CONFIG, "unused:9092");
      props.put(StreamsConfig.STATE_DIR_CONFIG, stateDir.toString());
      driver = new TopologyTestDriver(BillingTopology.build(serdes, settings), props, OCT_15);
      usage = driver.createInputTopic(Topics.USAGE_EVENTS.name(), Serdes.String().serializer(),
          Serdes.ByteArray().serializer());
      ticks = driver.createOutputTopic(Topics.USAGE_EVENTS.name(), Serdes.String().deserializer(),
          Serdes.ByteArray().deserializer());
      statements = driver.createOutputTopic(settings.statementsTopic(), Serdes.String().deserializer(),
          Serdes.ByteArray().deserializer());
      priceBooks = driver.createInputTopic(Topics.PRICE_BOOKS.name(), Serdes.String().serializer(),
          serdes.value(Topics.PRICE_BOOKS).serializer());
    }

    void publish(PriceBookDocument doc) {
      priceBooks.pipeInput(Integer.toString(doc.version()), doc.toPriceBook(OCT_15));
    }

    /** Appends a usage event to the log (and to the record of the log the replay re-reads). */
    void send(List<TestRecord<String, byte[]>> log, UsageEvent event, Instant loggedAt) {
      TestRecord<String, byte[]> record = new TestRecord<>(event.getTenantId(),
          serdes.value(Topics.USAGE_EVENTS).serializer().serialize(Topics.USAGE_EVENTS.name(), event), loggedAt);
      usage.pipeInput(record);
      log.add(record);
    }

    /** One statement interval of wall clock; the tick it may write was read back at once, right after the usage. */
    void tick(List<TestRecord<String, byte[]>> log) {
      advanceTo(wallClock.plusSeconds(1), log);
    }

    void advanceTo(Instant time, List<TestRecord<String, byte[]>> log) {
      driver.advanceWallClockTime(Duration.between(wallClock, time));
      wallClock = time;
      drainTicks(log);
    }

    void drainTicks(List<TestRecord<String, byte[]>> log) {
      ticks.readRecordsToList().forEach(t -> log.add(new TestRecord<>(t.key(), t.value(), t.headers(),
          t.getRecordTime())));
    }

    @Override
    public void close() {
      driver.close();
    }
  }
}
