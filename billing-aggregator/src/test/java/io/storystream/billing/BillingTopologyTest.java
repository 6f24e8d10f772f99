package io.storystream.billing;

import io.storystream.common.billing.api.PriceBookDocument;
import static org.assertj.core.api.Assertions.assertThat;

import io.storystream.schemas.DeadLetter;
import io.storystream.schemas.PlanLimits;
import io.storystream.schemas.PriceBook;
import io.storystream.schemas.Statement;
import io.storystream.schemas.StatementStatus;
import io.storystream.schemas.Tenant;
import io.storystream.schemas.TenantStatus;
import io.storystream.schemas.UsageEvent;
import io.storystream.schemas.UsageType;
import io.storystream.schemas.registry.InMemorySchemaRegistryClient;
import io.storystream.schemas.topics.TopicSerdes;
import io.storystream.schemas.topics.Topics;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.Properties;
import org.apache.kafka.common.serialization.Serdes;
import org.apache.kafka.streams.StreamsConfig;
import org.apache.kafka.streams.TestInputTopic;
import org.apache.kafka.streams.TestOutputTopic;
import org.apache.kafka.streams.TopologyTestDriver;
import org.apache.kafka.streams.state.KeyValueStore;
import org.apache.kafka.streams.state.WindowStore;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Every branch of {@link BillingTopology}, driven with explicit record timestamps and a controlled wall clock. */
class BillingTopologyTest {
  private static final Instant OCT_15 = Instant.parse("2026-10-15T10:00:00Z");

  @TempDir Path stateDir;
  private TopologyTestDriver driver;
  private final InMemorySchemaRegistryClient registry = new InMemorySchemaRegistryClient();
  private TopicSerdes serdes;
  private TestInputTopic<String, byte[]> usage;
  private TestInputTopic<String, PriceBook> priceBooks;
  private TestInputTopic<String, Tenant> tenants;
  private TestOutputTopic<String, Statement> statements;
  private TestOutputTopic<String, DeadLetter> deadLetters;

  @BeforeEach
  void start() {
    serdes = new TopicSerdes(registry);
    Properties props = new Properties();
    props.put(StreamsConfig.APPLICATION_ID_CONFIG, "billing-test");
    props.put(StreamsConfig.BOOTSTRAP_SERVERS_CONFIG, "unused:9092");
    props.put(StreamsConfig.STATE_DIR_CONFIG, stateDir.toString());
    driver = new TopologyTestDriver(BillingTopology.build(serdes, BillingTopology.Settings.defaults("billing-test")),
        props, OCT_15);
    usage = driver.createInputTopic(Topics.USAGE_EVENTS.name(), Serdes.String().serializer(),
        Serdes.ByteArray().serializer());
    priceBooks = driver.createInputTopic(Topics.PRICE_BOOKS.name(), Serdes.String().serializer(),
        serdes.value(Topics.PRICE_BOOKS).serializer());
    tenants = driver.createInputTopic(Topics.TENANTS.name(), Serdes.String().serializer(),
        serdes.value(Topics.TENANTS).serializer());
    statements = driver.createOutputTopic(Topics.BILLING_STATEMENTS.name(), Serdes.String().deserializer(),
        serdes.value(Topics.BILLING_STATEMENTS).deserializer());
    deadLetters = driver.createOutputTopic(Topics.DEAD_LETTER.name(), Serdes.String().deserializer(),
        serdes.value(Topics.DEAD_LETTER).deserializer());
    publish(PriceBooks.defaultDocument());
  }

  @AfterEach
  void stop() {
    driver.close();
  }

  @Test
  void aDuplicateEventCountsOnceEvenWhenARetryStampedItLater() {
    send(analysis("acme", "job_1", "2026-10-10T08:00:00Z", 5_000), OCT_15);
    send(analysis("acme", "job_1", "2026-10-10T08:00:00Z", 5_000), OCT_15);
    send(analysis("acme", "job_1", "2026-10-12T09:30:00Z", 5_000), OCT_15); // the worker retried and re-stamped it
    send(analysis("acme", "job_2", "2026-10-11T08:00:00Z", 1_000), OCT_15);
    tick();

    Statement s = single(statements.readKeyValuesToList()).value;
    assertThat(s.getQuantities().getAnalyses()).isEqualTo(2);
    assertThat(s.getQuantities().getRowsAnalyzed()).isEqualTo(6_000);
    assertThat(s.getTotalMicros()).isEqualTo(2 * 500_000L); // starter: 0.50 per analysis
    MonthAccount explain = accounts().get("acme:2026-10");
    assertThat(explain.counted()).isEqualTo(2);
    assertThat(explain.duplicates()).isEqualTo(2);
    assertThat(deadLetters.isEmpty()).isTrue();
  }

  @Test
  void aUsageEventReadWhileTheSchemaRegistryRestartsIsBilledNotDeadLettered() {
    // dead-lettered as undecodable, a valid event would never be billed: the read waits the restart out
    registry.failNextLookups(3);
    send(analysis("acme", "job_1", "2026-10-10T08:00:00Z", 5_000), OCT_15);
    tick();

    assertThat(registry.failedLookups()).isEqualTo(3);
    assertThat(single(statements.readKeyValuesToList()).value.getQuantities().getAnalyses()).isEqualTo(1);
    assertThat(deadLetters.isEmpty()).isTrue();
  }

  @Test
  void aRetryReStampedIntoTheNextMonthIsStillADuplicate() {
    Instant logged = Instant.parse("2026-11-01T00:00:05Z");
    send(analysis("acme", "job_1", "2026-10-31T23:59:59.000Z", 1), logged);
    send(analysis("acme", "job_1", "2026-11-01T00:00:02.000Z", 1), logged);
    tick();
    assertThat(statements.readKeyValuesToMap()).containsOnlyKeys("acme:2026-10");
    assertThat(accounts().get("acme:2026-11").duplicates()).isEqualTo(1);
  }

  @Test
  void sameEventIdOfAnotherTenantIsNotADuplicate() {
    send(analysis("acme", "job_1", "2026-10-10T08:00:00Z", 10), OCT_15);
    send(analysis("globex", "job_1", "2026-10-10T08:00:00Z", 10), OCT_15);
    tick();
    assertThat(statements.readKeyValuesToMap()).containsOnlyKeys("acme:2026-10", "globex:2026-10");
  }

  @Test
  void theMonthEndsAt235959999AndTheNextStartsAtMidnightUtc() {
    Instant logged = Instant.parse("2026-11-01T00:00:05Z");
    send(analysis("acme", "job_oct", "2026-10-31T23:59:59.999Z", 1), logged);
    send(analysis("acme", "job_nov", "2026-11-01T00:00:00.000Z", 1), logged);
    tick();

    var byKey = statements.readKeyValuesToMap();
    assertThat(byKey).containsOnlyKeys("acme:2026-10", "acme:2026-11");
    assertThat(byKey.get("acme:2026-10").getQuantities().getAnalyses()).isEqualTo(1);
    assertThat(byKey.get("acme:2026-11").getQuantities().getAnalyses()).isEqualTo(1);
  }

  @Test
  void usageLoggedWithinTheGracePeriodStillCountsAndLaterGoesToTheDeadLetterTopic() {
    send(analysis("acme", "job_1", "2026-10-20T10:00:00Z", 1), Instant.parse("2026-10-20T10:00:01Z"));
    // 48 h after October's end is 2026-11-03T00:00Z: the last millisecond before it still counts
    send(analysis("acme", "job_2", "2026-10-31T22:00:00Z", 1), Instant.parse("2026-11-02T23:59:59.999Z"));
    send(analysis("acme", "job_3", "2026-10-31T23:00:00Z", 1), Instant.parse("2026-11-03T00:00:00.000Z"));

    List<DeadLetter> letters = deadLetters.readValuesToList();
    assertThat(letters).singleElement().satisfies(letter -> {
      assertThat(letter.getReason()).isEqualTo(BillingTopology.TOO_LATE);
      assertThat(letter.getSourceTopic()).isEqualTo("usage-events");
      assertThat(letter.getSourceOffset()).isEqualTo(2);
      assertThat(letter.getApplication()).isEqualTo("billing-test");
    });
    MonthAccount explain = accounts().get("acme:2026-10");
    assertThat(explain.counted()).isEqualTo(2);
    assertThat(explain.deadLettered()).isEqualTo(1);
  }

  @Test
  void aLateEventIsAlsoTooLateWhenTheClockWasAdvancedByAnotherTenant() {
    send(analysis("globex", "job_9", "2026-11-05T10:00:00Z", 1), Instant.parse("2026-11-05T10:00:00Z"));
    // logged (record time) before the close, but this task's billing clock has passed it already
    send(analysis("acme", "job_1", "2026-10-31T22:00:00Z", 1), Instant.parse("2026-11-01T10:00:00Z"));
    assertThat(deadLetters.readValuesToList()).extracting(DeadLetter::getReason).containsExactly("too_late");
  }

  @Test
  void statementsAreIssuedOnTheIntervalOnlyForMonthsThatChanged() {
    send(analysis("acme", "job_1", "2026-10-10T08:00:00Z", 1), OCT_15);
    send(analysis("acme", "job_2", "2026-10-10T09:00:00Z", 1), OCT_15);
    assertThat(statements.isEmpty()).isTrue(); // nothing before the interval elapses
    tick();
    assertThat(statements.readValuesToList()).extracting(Statement::getRevision).containsExactly(1);
    tick();
    tick();
    assertThat(statements.isEmpty()).isTrue();
    send(analysis("acme", "job_3", "2026-10-11T08:00:00Z", 1), OCT_15);
    tick();
    Statement second = statements.readValue();
    assertThat(second.getRevision()).isEqualTo(2);
    assertThat(second.getQuantities().getAnalyses()).isEqualTo(3);
    assertThat(second.getPreviousTotalMicros()).isEqualTo(1_000_000L);
    assertThat(second.getStatus()).isEqualTo(StatementStatus.OPEN);
  }

  @Test
  void theStatementBecomesFinalAtTheFirstTickAfterTheGraceAndUsageReadAfterThatTickIsTooLate() {
    send(analysis("acme", "job_1", "2026-10-30T08:00:00Z", 1), Instant.parse("2026-10-30T08:00:01Z"));
    tick();
    assertThat(statements.readValue().getStatus()).isEqualTo(StatementStatus.OPEN);

    driver.advanceWallClockTime(Duration.between(OCT_15, Instant.parse("2026-11-03T00:00:00Z")));
    Statement fin = statements.readValue();
    assertThat(fin.getStatus()).isEqualTo(StatementStatus.FINAL);
    assertThat(fin.getRevision()).isEqualTo(2);
    assertThat(fin.getTotalMicros()).isEqualTo(500_000L);
    tick();
    assertThat(statements.isEmpty()).isTrue();
    assertThat(months()).doesNotContainKey("acme:2026-10"); // settled: no more work for it

    // an event stamped in time but appended to the log after the tick that closed the month: the tick's time is
    // the billing clock there, so it is too late (a replay reads it at the same point and decides the same)
    send(analysis("acme", "job_2", "2026-10-31T08:00:00Z", 1), Instant.parse("2026-11-01T08:00:00Z"));
    tick();
    assertThat(statements.isEmpty()).as("the final statement stands").isTrue();
    assertThat(deadLetters.readValue().getReason()).isEqualTo(BillingTopology.TOO_LATE);
  }

  @Test
  void aNewPriceBookCoveringPastMonthsReRatesThemAsNewRevisions() {
    send(analysis("acme", "job_1", "2026-09-10T08:00:00Z", 1), Instant.parse("2026-09-10T08:00:00Z"));
    send(analysis("acme", "job_2", "2026-10-10T08:00:00Z", 1), OCT_15);
    send(analysis("acme", "job_3", "2026-10-11T08:00:00Z", 1), OCT_15);
    driver.advanceWallClockTime(Duration.ofDays(30)); // September and October are final now
    var first = statements.readKeyValuesToMap();
    assertThat(first.get("acme:2026-10").getStatus()).isEqualTo(StatementStatus.FINAL);
    assertThat(first.get("acme:2026-10").getTotalMicros()).isEqualTo(1_000_000L);

    PriceBookDocument cheaper = PriceBooks.defaultDocument().withVersion(2).withMonths("2026-10", null)
        .withPlan("starter", plan(0, 0, 400_000, 0, 50_000));
    publish(cheaper);
    tick();

    var reRated = statements.readKeyValuesToList();
    assertThat(reRated).singleElement().satisfies(kv -> {
      assertThat(kv.key).isEqualTo("acme:2026-10");
      assertThat(kv.value.getPriceBookVersion()).isEqualTo(2);
      assertThat(kv.value.getRevision()).isEqualTo(first.get("acme:2026-10").getRevision() + 1);
      assertThat(kv.value.getStatus()).isEqualTo(StatementStatus.FINAL);
      assertThat(kv.value.getPreviousTotalMicros()).isEqualTo(1_000_000L);
      assertThat(kv.value.getTotalMicros()).isEqualTo(800_000L);
    });
    tick();
    assertThat(statements.isEmpty()).isTrue();
  }

  @Test
  void aMonthWaitsForAPriceBookThatCoversIt() {
    send(analysis("acme", "job_1", "2025-12-30T08:00:00Z", 1), Instant.parse("2025-12-30T08:00:00Z"));
    tick();
    assertThat(statements.isEmpty()).isTrue(); // the default book starts in 2026-01
    publish(PriceBooks.defaultDocument().withVersion(2).withMonths("2025-01", "2025-12"));
    tick();
    assertThat(statements.readValue().getMonth()).isEqualTo("2025-12");
  }

  @Test
  void aPlanTheBookDoesNotPriceWaitsForABookThatDoes() {
    send(UsageEvent.newBuilder(analysis("acme", "job_1", "2026-10-10T08:00:00Z", 1)).setPlan("platinum").build(),
        OCT_15);
    tick();
    assertThat(statements.isEmpty()).isTrue();
    publish(PriceBooks.defaultDocument().withVersion(2).withPlan("platinum", plan(1_000_000, 0, 0, 0, 0)));
    tick();
    Statement s = statements.readValue();
    assertThat(s.getPlan()).isEqualTo("platinum");
    assertThat(s.getTotalMicros()).isEqualTo(1_000_000L);
  }

  @Test
  void aWithdrawnPriceBookVersionNoLongerRates() {
    publish(PriceBooks.defaultDocument().withVersion(2).withPlan("starter", plan(0, 0, 1_000, 0, 0)));
    send(analysis("acme", "job_1", "2026-10-10T08:00:00Z", 1), OCT_15);
    tick();
    assertThat(statements.readValue().getPriceBookVersion()).isEqualTo(2);
    priceBooks.pipeInput("2", null); // tombstone
    tick();
    Statement back = statements.readValue();
    assertThat(back.getPriceBookVersion()).isEqualTo(1);
    assertThat(back.getRevision()).isEqualTo(2);
  }

  @Test
  void thePlanComesFromTheEventsOrElseFromTheTenantAndFailedAnalysesAreNotCharged() {
    tenants.pipeInput("initech", tenant("initech", "enterprise"));
    UsageEvent noPlan = UsageEvent.newBuilder(analysis("initech", "job_1", "2026-10-10T08:00:00Z", 10))
        .setPlan(null).build();
    send(noPlan, OCT_15);
    send(UsageEvent.newBuilder(analysis("initech", "job_2", "2026-10-10T09:00:00Z", 0)).setPlan(null)
        .setEventId("job_2:ANALYSIS_FAILED").setType(UsageType.ANALYSIS_FAILED).build(), OCT_15);
    tick();
    Statement s = statements.readValue();
    assertThat(s.getPlan()).isEqualTo("enterprise");
    assertThat(s.getQuantities().getFailedAnalyses()).isEqualTo(1);
    assertThat(s.getTotalMicros()).isEqualTo(499_000_000L); // base fee only: 1 analysis is within the 1,000
  }

  @Test
  void invalidEventsGoToTheDeadLetterTopicWithTheirBytes() {
    byte[] garbage = "not avro".getBytes(StandardCharsets.UTF_8);
    usage.pipeInput("acme", garbage, OCT_15);
    send("globex", analysis("acme", "job_1", "2026-10-10T08:00:00Z", 1), OCT_15); // key of another tenant
    send(UsageEvent.newBuilder(analysis("acme", "job_2", "2026-10-10T08:00:00Z", 1))
        .setType(UsageType.UNKNOWN).build(), OCT_15);
    send(UsageEvent.newBuilder(analysis("acme", "job_3", "2026-10-10T08:00:00Z", 1))
        .setRows(-5).build(), OCT_15);
    send(analysis("acme", "job_4", "2026-10-17T08:00:00Z", 1), OCT_15); // happened 2 days after it was logged
    tick();

    List<DeadLetter> letters = deadLetters.readValuesToList();
    assertThat(letters).hasSize(5).allSatisfy(l -> assertThat(l.getReason()).isEqualTo("invalid_event"));
    assertThat(letters.get(0).getValue().array()).isEqualTo(garbage);
    assertThat(letters).extracting(DeadLetter::getErrorMessage).anyMatch(m -> m.contains("key does not match"))
        .anyMatch(m -> m.contains("unknown")).anyMatch(m -> m.contains("negative"))
        .anyMatch(m -> m.contains("after the event was logged"));
    assertThat(statements.isEmpty()).isTrue();
    assertThat(accounts().get("acme:2026-10").deadLettered()).isEqualTo(3);
  }

  @Test
  void everyCopyThatIsNotCountedLeavesItsReasonForThePerEventExplanation() {
    send(analysis("acme", "job_1", "2026-10-10T08:00:00Z", 1), OCT_15);
    send(analysis("acme", "job_1", "2026-10-10T08:00:00Z", 1), OCT_15); // a duplicate
    send(UsageEvent.newBuilder(analysis("acme", "job_2", "2026-10-10T08:00:00Z", 1)).setRows(-5).build(), OCT_15);
    send(analysis("acme", "job_3", "2026-09-20T08:00:00Z", 1), OCT_15); // September closed on 2026-10-03
    tick();

    long october = BillingMonth.startOf(java.time.YearMonth.of(2026, 10));
    WindowStore<String, Long> seen = driver.getWindowStore(BillingTopology.SEEN_EVENT_IDS);
    assertThat(seen.fetch("acme:job_1:ANALYSIS_COMPLETE", october)).isNotNull();
    assertThat(EventOutcome.counts(outcomes("acme:job_1:ANALYSIS_COMPLETE")))
        .containsExactly(java.util.Map.entry("duplicate", 1L));
    assertThat(seen.fetch("acme:job_2:ANALYSIS_COMPLETE", october)).isNull();
    assertThat(EventOutcome.parse(outcomes("acme:job_2:ANALYSIS_COMPLETE")))
        .containsExactly(EventOutcome.invalid(java.time.YearMonth.of(2026, 10), "rows and bytes cannot be negative"));
    // kept in a window from when it was logged, so even usage of a month long closed can be explained
    assertThat(EventOutcome.parse(outcomes("acme:job_3:ANALYSIS_COMPLETE"))).singleElement().satisfies(o -> {
      assertThat(o.kind()).isEqualTo("too_late");
      assertThat(o.month()).isEqualTo("2026-09");
      assertThat(o.detail()).contains("after its month closed at 2026-10-03T00:00:00Z");
    });
    assertThat(outcomes("globex:job_1:ANALYSIS_COMPLETE")).as("kept per tenant").isNull();
  }

  /** The stored outcomes of an event id (one window per id), or null. */
  private String outcomes(String key) {
    WindowStore<String, String> store = driver.getWindowStore(BillingTopology.EVENT_OUTCOMES);
    try (var it = store.fetch(key, Instant.EPOCH, Instant.parse("2100-01-01T00:00:00Z"))) {
      String found = it.hasNext() ? it.next().value : null;
      assertThat(it.hasNext()).as("one window per event id").isFalse();
      return found;
    }
  }

  @Test
  void anEventIdSeenThousandsOfTimesKeepsBoundedOutcomes() {
    String stored = null;
    for (int i = 0; i < 1000; i++) {
      stored = EventOutcome.append(stored, EventOutcome.duplicate(java.time.YearMonth.of(2026, 10)));
    }
    assertThat(stored.split("\n")).hasSize(EventOutcome.MAX_KEPT + 1);
    assertThat(EventOutcome.counts(stored)).containsEntry("duplicate", (long) EventOutcome.MAX_KEPT)
        .containsEntry("more", 1000L - EventOutcome.MAX_KEPT);
  }

  // ---- helpers ------------------------------------------------------------------------------------------------

  private void tick() {
    driver.advanceWallClockTime(Duration.ofSeconds(1));
  }

  private void publish(PriceBookDocument doc) {
    priceBooks.pipeInput(Integer.toString(doc.version()), doc.toPriceBook(OCT_15));
  }

  private void send(UsageEvent event, Instant loggedAt) {
    send(event.getTenantId(), event, loggedAt);
  }

  private void send(String key, UsageEvent event, Instant loggedAt) {
    usage.pipeInput(key, serdes.value(Topics.USAGE_EVENTS).serializer().serialize("usage-events", event), loggedAt);
  }

  private KeyValueStore<String, MonthAccount> accounts() {
    return driver.getKeyValueStore(BillingTopology.MONTH_ACCOUNTS);
  }

  private java.util.Map<String, Long> months() {
    java.util.Map<String, Long> keys = new java.util.HashMap<>();
    KeyValueStore<String, Long> store = driver.getKeyValueStore(BillingTopology.UNSETTLED_MONTHS);
    try (var all = store.all()) {
      all.forEachRemaining(kv -> keys.put(kv.key, kv.value));
    }
    return keys;
  }

  static UsageEvent analysis(String tenant, String jobId, String occurredAt, long rows) {
    return UsageEvent.newBuilder().setEventId(jobId + ":ANALYSIS_COMPLETE").setTenantId(tenant)
        .setType(UsageType.ANALYSIS_COMPLETE).setQuantity(1).setRows(rows).setBytes(0).setJobId(jobId)
        .setFileId(null).setPlan("starter").setOccurredAt(Instant.parse(occurredAt)).build();
  }

  static PriceBookDocument.Plan plan(long base, long included, long perAnalysis, long perThousandRows, long cacheHit) {
    return new PriceBookDocument.Plan(base, included, perAnalysis, perThousandRows, 0L, cacheHit, 0L, 0L);
  }

  private static Tenant tenant(String id, String plan) {
    return Tenant.newBuilder().setTenantId(id).setName(id).setPlan(plan)
        .setLimits(PlanLimits.newBuilder().setAnalysesPerMonth(1000).setMaxFileBytes(1L << 20).setCacheEnabled(true)
            .setRequestsPerMinute(60).setConcurrentJobs(2).setRetentionDays(30).build())
        .setStatus(TenantStatus.ACTIVE).setCreatedAt(OCT_15).setUpdatedAt(OCT_15).build();
  }

  private static <T> T single(List<T> list) {
    assertThat(list).hasSize(1);
    return list.get(0);
  }
}
