package io.storystream.billing;

import static io.storystream.billing.BillingTopologyTest.analysis;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.storystream.schemas.Statement;
import io.storystream.schemas.UsageEvent;
import io.storystream.schemas.registry.InMemorySchemaRegistryClient;
import io.storystream.schemas.topics.TopicSerdes;
import io.storystream.schemas.topics.Topics;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.Map;
import java.util.Properties;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import org.apache.kafka.common.serialization.Serdes;
import org.apache.kafka.streams.StreamsConfig;
import org.apache.kafka.streams.TestInputTopic;
import org.apache.kafka.streams.TestOutputTopic;
import org.apache.kafka.streams.Topology;
import org.apache.kafka.streams.TopologyTestDriver;
import org.apache.kafka.streams.processor.StateStore;
import org.apache.kafka.streams.processor.TaskId;
import org.apache.kafka.streams.processor.api.MockProcessorContext;
import org.apache.kafka.streams.processor.api.Record;
import org.apache.kafka.streams.state.Stores;
import org.apache.kafka.streams.test.TestRecord;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * A replay's stores keep no changelogs ({@link BillingTopology.Settings#withoutChangelogs()}): it counts exactly as the
 * live topology does, writes no changelog record, and refuses to go on when a task that wrote its stores starts
 * again in the same run without them.
 */
class ReplayWithoutChangelogsTest {
  private static final Instant OCT_15 = Instant.parse("2026-10-15T10:00:00Z");
  private static final List<UsageEvent> EVENTS = List.of(
      analysis("acme", "job_1", "2026-10-10T08:00:00Z", 5_000),
      analysis("acme", "job_1", "2026-10-12T09:30:00Z", 5_000), // a re-stamped retry: a duplicate
      analysis("acme", "job_2", "2026-10-11T08:00:00Z", 1_000),
      analysis("globex", "job_1", "2026-10-11T08:00:00Z", 700));

  @TempDir Path stateDir;
  private final TopicSerdes serdes = new TopicSerdes(new InMemorySchemaRegistryClient());

  @Test
  void aReplayCountsWhatTheLiveTopologyCountsAndWritesNoChangelog() {
    BillingTopology.Settings live = BillingTopology.Settings.defaults("billing-test");
    Run logged = run(BillingTopology.build(serdes, live), "live", List.of(), Topics.BILLING_STATEMENTS.name());
    assertThat(logged.ticks).as("the live run logged its tick").isNotEmpty();
    // as BillingReplay runs it: own outputs, no ticks of its own (it reads the live ones), no changelogs
    Run replay = run(BillingTopology.build(serdes,
        live.withOutputs("replay-statements", "replay-dead-letters").withoutChangelogs()), "replay", logged.ticks,
        "replay-statements");

    assertThat(logged.statements).containsOnlyKeys("acme:2026-10", "globex:2026-10");
    assertThat(logged.statements.get("acme:2026-10").getQuantities().getAnalyses()).isEqualTo(2);
    assertThat(replay.statements).isEqualTo(logged.statements);
    assertThat(logged.topics).contains("billing-test-seen-event-ids-changelog", "billing-test-month-accounts-changelog");
    assertThat(replay.topics).contains("replay-statements").noneMatch(t -> t.endsWith("-changelog"));
    assertThat(replay.ticks).as("a replay writes no ticks").isEmpty();
  }

  @Test
  void aTaskThatMovedWithItsStoresGoesOnAndOneThatLostThemStopsTheReplay() {
    Map<TaskId, Boolean> wroteState = new ConcurrentHashMap<>();
    BillingTopology.Settings replay = BillingTopology.Settings.defaults("billing-test")
        .withOutputs("replay-statements", "replay-dead-letters").withoutChangelogs();
    TaskId task = new TaskId(0, 0);
    List<StateStore> stores = freshStores();
    BillingTopology.MeterUsage first = start(replay, wroteState, task, stores);
    UsageEvent event = EVENTS.get(0);
    first.process(new Record<>(event.getTenantId(),
        serdes.value(Topics.USAGE_EVENTS).serializer().serialize("usage-events", event), OCT_15.toEpochMilli()));
    assertThat(wroteState).containsEntry(task, true);

    // moved to another stream thread, its stores kept: it goes on
    start(replay, wroteState, task, stores);
    // started again after Kafka Streams wiped its stores (a dirty close under exactly-once): the replay stops
    assertThatThrownBy(() -> start(replay, wroteState, task, freshStores())).isInstanceOf(ReplayInterrupted.class);
    // a task that had written nothing has nothing to lose
    TaskId idle = new TaskId(0, 1);
    start(replay, wroteState, idle, freshStores());
    start(replay, wroteState, idle, freshStores());
    assertThat(wroteState).containsEntry(idle, false);
  }

  @Test
  void theLiveTopologyNeverRefusesAStartItsChangelogsWouldRestore() {
    Map<TaskId, Boolean> wroteState = new ConcurrentHashMap<>();
    BillingTopology.Settings live = BillingTopology.Settings.defaults("billing-test");
    TaskId task = new TaskId(0, 0);
    BillingTopology.MeterUsage first = start(live, wroteState, task, freshStores());
    UsageEvent event = EVENTS.get(0);
    first.process(new Record<>(event.getTenantId(),
        serdes.value(Topics.USAGE_EVENTS).serializer().serialize("usage-events", event), OCT_15.toEpochMilli()));

    start(live, wroteState, task, freshStores());
    assertThat(wroteState).isEmpty();
  }

  private record Run(Map<String, Statement> statements, Set<String> topics, List<TestRecord<String, byte[]>> ticks) {}

  /** The events, then the given ticks (a live run's, read back by a replay), then a second of wall clock. */
  private Run run(Topology topology, String name, List<TestRecord<String, byte[]>> ticks, String statementsTopic) {
    try (TopologyTestDriver driver = new TopologyTestDriver(topology, props(name), OCT_15)) {
      driver.createInputTopic(Topics.PRICE_BOOKS.name(), Serdes.String().serializer(),
              serdes.value(Topics.PRICE_BOOKS).serializer())
          .pipeInput("1", PriceBooks.defaultDocument().toPriceBook(OCT_15));
      TestInputTopic<String, byte[]> usage = driver.createInputTopic(Topics.USAGE_EVENTS.name(),
          Serdes.String().serializer(), Serdes.ByteArray().serializer());
      TestOutputTopic<String, byte[]> written = driver.createOutputTopic(Topics.USAGE_EVENTS.name(),
          Serdes.String().deserializer(), Serdes.ByteArray().deserializer());
      for (UsageEvent e : EVENTS) {
        usage.pipeInput(e.getTenantId(), serdes.value(Topics.USAGE_EVENTS).serializer().serialize("usage-events", e),
            OCT_15);
      }
      ticks.forEach(usage::pipeInput);
      driver.advanceWallClockTime(Duration.ofSeconds(1));
      Map<String, Statement> statements = driver.createOutputTopic(statementsTopic, Serdes.String().deserializer(),
          serdes.value(Topics.BILLING_STATEMENTS).deserializer()).readKeyValuesToMap();
      return new Run(statements, driver.producedTopicNames(), written.readRecordsToList());
    }
  }

  private BillingTopology.MeterUsage start(BillingTopology.Settings settings, Map<TaskId, Boolean> wroteState,
                                           TaskId task, List<StateStore> stores) {
    MockProcessorContext<String, Object> context =
        new MockProcessorContext<>(props("mock-" + task), task, stateDir.resolve("mock-" + task).toFile());
    context.setCurrentStreamTimeMs(OCT_15.toEpochMilli());
    for (StateStore store : stores) {
      store.init(context.getStateStoreContext(), store);
      context.addStateStore(store);
    }
    BillingTopology.MeterUsage meter = new BillingTopology.MeterUsage(
        serdes.value(Topics.USAGE_EVENTS).deserializer(), settings, BillingMetrics.none(), wroteState);
    meter.init(context);
    return meter;
  }

  /** The processor's stores, in memory and without changelogs, as a wiped task directory would give them back. */
  private List<StateStore> freshStores() {
    Duration window = Duration.ofDays(35);
    return List.of(
        Stores.windowStoreBuilder(Stores.inMemoryWindowStore(BillingTopology.SEEN_EVENT_IDS, window,
            Duration.ofMillis(1), false), Serdes.String(), Serdes.Long()).withLoggingDisabled().build(),
        Stores.windowStoreBuilder(Stores.inMemoryWindowStore(BillingTopology.EVENT_OUTCOMES, window,
            Duration.ofMillis(1), false), Serdes.String(), Serdes.String()).withLoggingDisabled().build(),
        kv(BillingTopology.MONTH_ACCOUNTS, MonthAccount.serde()),
        kv(BillingTopology.UNSETTLED_MONTHS, Serdes.Long()),
        kv(BillingTopology.STATEMENTS, serdes.value(Topics.BILLING_STATEMENTS)),
        kv(BillingTopology.STATEMENT_REVISIONS, serdes.value(Topics.BILLING_STATEMENTS)),
        kv(BillingTopology.PRICE_BOOKS, serdes.value(Topics.PRICE_BOOKS)),
        kv(BillingTopology.TENANTS, serdes.value(Topics.TENANTS)));
  }

  private static <V> StateStore kv(String name, org.apache.kafka.common.serialization.Serde<V> values) {
    return Stores.keyValueStoreBuilder(Stores.inMemoryKeyValueStore(name), Serdes.String(), values)
        .withLoggingDisabled().build();
  }

  private Properties props(String name) {
    Properties props = new Properties();
    props.put(StreamsConfig.APPLICATION_ID_CONFIG, "billing-test");
    props.put(StreamsConfig.BOOTSTRAP_SERVERS_CONFIG, "unused:9092");
    props.put(StreamsConfig.STATE_DIR_CONFIG, stateDir.resolve(name).toString());
    return props;
  }
}
