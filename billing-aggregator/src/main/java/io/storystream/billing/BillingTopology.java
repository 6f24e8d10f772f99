package io.storystream.billing;

import io.storystream.schemas.DeadLetter;
import io.storystream.schemas.PriceBook;
import io.storystream.schemas.Statement;
import io.storystream.schemas.StatementStatus;
import io.storystream.schemas.Tenant;
import io.storystream.schemas.UsageEvent;
import io.storystream.schemas.UsageType;
import io.storystream.schemas.topics.TenantKeys;
import io.storystream.schemas.topics.TenantPartitioner;
import io.storystream.schemas.topics.TopicSerdes;
import io.storystream.schemas.topics.Topics;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.time.Instant;
import java.time.YearMonth;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.ConcurrentHashMap;
import org.apache.kafka.common.config.TopicConfig;
import org.apache.kafka.common.serialization.Deserializer;
import org.apache.kafka.common.serialization.Serdes;
import org.apache.kafka.streams.KeyValue;
import org.apache.kafka.streams.Topology;
import org.apache.kafka.streams.processor.PunctuationType;
import org.apache.kafka.streams.processor.StateStore;
import org.apache.kafka.streams.processor.TaskId;
import org.apache.kafka.streams.processor.api.Processor;
import org.apache.kafka.streams.processor.api.ProcessorContext;
import org.apache.kafka.streams.processor.api.Record;
import org.apache.kafka.streams.processor.api.RecordMetadata;
import org.apache.kafka.streams.state.KeyValueIterator;
import org.apache.kafka.streams.state.KeyValueStore;
import org.apache.kafka.streams.state.StoreBuilder;
import org.apache.kafka.streams.state.Stores;
import org.apache.kafka.streams.state.WindowStore;
import org.apache.kafka.streams.state.WindowStoreIterator;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Usage becomes money: the billing aggregator's whole path, top to bottom.
 *
 * <pre>
 * [usage-events] (key tenant, raw bytes)
 *   └─ meter-usage ── invalid? ──────────────────────────────────────────> [dead-letter] reason invalid_event
 *        │  billing clock ≥ month end + grace? ──────────────────────────> [dead-letter] reason too_late
 *        │  seen-event-ids (windows of a month, kept ≥ 35 d): duplicate? → counted in the explain view only
 *        │  (every copy not counted: its reason in usage-event-outcomes, for the per-event explanation)
 *        │  month-accounts: meter quantities per tenant-month (UTC, event time); unsettled-months += month
 *        │  (every statement interval, wall clock: when anything changed, a tick record ──> [usage-events], own partition)
 *        └─ a tick record read back from the log: for each unsettled month
 *             rate(quantities, plan, price book in force among those the tick names) → if the bill changed, a new
 *             revision, OPEN while usage may still arrive, FINAL once the grace period has passed (on the tick's time)
 *             ──> [billing-statements]; every revision also kept in statement-revisions (the history)
 * [price-books] → global store (a new version re-rates every month it covers)
 * [tenants]     → global store (the plan when events carry none; quota for the read API)
 * </pre>
 *
 * <p>Everything a record changes (the dedup mark, the month's account, a dead letter) commits in one exactly-once
 * transaction, so a retried or replayed event counts once and a failed write never marks an event as seen.
 *
 * <p>The billing clock is Kafka Streams' stream time: the latest record timestamp (when the usage, or a tick, was
 * logged) seen by the task. It decides lateness, so a full replay of the log takes exactly the decisions the live run took.
 *
 * <p>Statements are byte for byte a function of the usage log and the price books: a revision is issued only where
 * the log says so. The live instance's wall-clock punctuator does not issue statements itself; it appends a
 * {@link BillingTick tick} to its own partition of {@code usage-events} (in the task's transaction) when something
 * changed, a month passed its close, or a new price book arrived. Reading the tick back, the task issues what
 * changed, with the tick's log timestamp as the billing clock (generation time, FINAL or OPEN) and only the price
 * books up to the version the tick names (the aggregator may have learnt of a newer one later, or in a replay
 * earlier). A replay under a fresh application id writes no ticks and re-reads the live ones: it issues the same
 * revisions at the same points of the log, with the same numbers, times and bytes. A month still closes when its
 * tenant stops sending usage, because the live instance's tick for the close is in the log.
 */
public final class BillingTopology {
  private static final Logger log = LoggerFactory.getLogger(BillingTopology.class);

  public static final String SEEN_EVENT_IDS = "seen-event-ids";
  /** What happened to copies of an event that were not counted: duplicates, too late, invalid (for the explanation). */
  public static final String EVENT_OUTCOMES = "usage-event-outcomes";
  public static final String MONTH_ACCOUNTS = "month-accounts";
  public static final String UNSETTLED_MONTHS = "unsettled-months";
  public static final String STATEMENTS = "statements";
  /** Every revision issued, by {@code tenantId:yyyy-MM:revision} (zero-padded), the newest {@value #KEPT_REVISIONS} a month. */
  public static final String STATEMENT_REVISIONS = "statement-revisions";
  /** How many revisions of one tenant-month the aggregator keeps for the history view (PostgreSQL keeps all). */
  public static final int KEPT_REVISIONS = 1_000;
  public static final String PRICE_BOOKS = "price-books";
  public static final String TENANTS = "tenants";

  public static final String INVALID_EVENT = "invalid_event";
  public static final String TOO_LATE = "too_late";

  private static final String USAGE_SOURCE = "usage-events";
  private static final String METER_USAGE = "meter-usage";
  private static final String STATEMENTS_SINK = "billing-statements";
  private static final String DEAD_LETTER_SINK = "dead-letter";
  private static final String TICK_SINK = "billing-ticks";

  /** An event may not claim to have happened more than this after it was logged (a producer's clock gone wrong). */
  static final Duration MAX_FUTURE_SKEW = Duration.ofDays(1);

  /**
   * @param application written into dead letters
   * @param grace how long after a month's end its usage still counts
   * @param statementInterval how often changed statements are issued
   * @param dedupWindow how far apart in event time two copies of one event are still recognized
   * @param statementsTopic where statements go ({@code billing-statements}, or a replay's own topic)
   * @param deadLetterTopic where rejected events go
   * @param writesTicks whether this instance appends ticks to the usage log (the live aggregator); a replay only
   *     reads the ticks the live one wrote
   * @param changelogged whether the stores keep changelogs (the live aggregator); a replay's stores do not, see
   *     {@link #withoutChangelogs()}
   */
  public record Settings(String application, Duration grace, Duration statementInterval, Duration dedupWindow,
                         String statementsTopic, String deadLetterTopic, boolean writesTicks, boolean changelogged) {
    public static final Duration DEFAULT_GRACE = Duration.ofHours(48);
    /**
     * A usage event reaches its statement after up to one interval (the tick's wait), the commit of the tick, its read
     * back and the commit of the statement: with 200 ms and the stream settings of {@code BillingStreams} that is
     * about 450 ms at worst on an idle system. A tick is written only when a month changed, so an idle aggregator
     * only looks at its unsettled months five times a second per task and writes nothing; under load one tick covers
     * all the events of its interval.
     */
    public static final Duration DEFAULT_STATEMENT_INTERVAL = Duration.ofMillis(200);

    public Settings {
      // ids are kept in a window per month; a month's window must outlive the month (31 d) plus its grace,
      // while copies of its events can still be accepted
      Duration needed = Duration.ofDays(31).plus(grace).plus(MAX_FUTURE_SKEW);
      if (dedupWindow.compareTo(needed) < 0) {
        throw new IllegalArgumentException("the dedup window " + dedupWindow + " must be at least " + needed);
      }
    }

    public static Settings defaults(String application) {
      return new Settings(application, DEFAULT_GRACE, DEFAULT_STATEMENT_INTERVAL, Duration.ofDays(35),
          Topics.BILLING_STATEMENTS.name(), Topics.DEAD_LETTER.name(), true, true);
    }

    public Settings withGrace(Duration newGrace) {
      Duration window = dedupWindow;
      Duration needed = Duration.ofDays(31).plus(newGrace).plus(MAX_FUTURE_SKEW);
      return new Settings(application, newGrace, statementInterval, window.compareTo(needed) < 0 ? needed : window,
          statementsTopic, deadLetterTopic, writesTicks, changelogged);
    }

    public Settings withStatementInterval(Duration interval) {
      return new Settings(application, grace, interval, dedupWindow, statementsTopic, deadLetterTopic, writesTicks,
          changelogged);
    }

    /** A replay's settings: its own outputs, and no ticks of its own (it follows the live instance's). */
    public Settings withOutputs(String statements, String deadLetters) {
      return new Settings(application, grace, statementInterval, dedupWindow, statements, deadLetters, false,
          changelogged);
    }

    /**
     * Stores without changelogs, for a run that is thrown away when it is interrupted: a replay starts from the
     * beginning of the log under a fresh application id, so nothing needs to survive it. Without changelogs nothing
     * could: after an aborted transaction or a failed thread Kafka Streams wipes a task's stores and restarts it, and
     * it would go on from empty stores. The topology refuses such a start ({@link ReplayInterrupted}), and the replay
     * is run again from the beginning; a task moved to another thread with its stores on disk goes on. What it saves:
     * a changelog record per counted event (the dedup mark), the producer's and the broker's work for it.
     */
    public Settings withoutChangelogs() {
      return new Settings(application, grace, statementInterval, dedupWindow, statementsTopic, deadLetterTopic,
          writesTicks, false);
    }
  }

  private BillingTopology() {}

  public static Topology build(TopicSerdes serdes, Settings settings) {
    return build(serdes, settings, BillingMetrics.none());
  }

  /** The topology, reporting lag, outcomes and dead letters into {@code metrics}. */
  public static Topology build(TopicSerdes serdes, Settings settings, BillingMetrics metrics) {
    Topology topology = new Topology();

    topology.addSource(USAGE_SOURCE, Serdes.String().deserializer(), Serdes.ByteArray().deserializer(),
        Topics.USAGE_EVENTS.name());
    Map<TaskId, Boolean> wroteState = new ConcurrentHashMap<>();
    topology.addProcessor(METER_USAGE, io.storystream.common.logging.RecordLogIds.around(
            () -> new MeterUsage(serdes.value(Topics.USAGE_EVENTS).deserializer(), settings, metrics, wroteState)),
        USAGE_SOURCE);

    // not cached: every event id is a new key, so a cache collapses nothing; it only held the changelog writes back
    // to the commit (which then waited for all of them at once), and it walks a time range segment by segment, which
    // for the outcomes' search from 1970 meant some 1,200 empty segments per uncounted copy.
    // Its changelog is deleted by age only: every key in it is written once (an event id is marked the first time it
    // is counted), so compaction would never remove a record, yet the broker's log cleaner kept re-reading the whole
    // topic to find that out (a sixth of the machine during a 10M-event replay). Records leave the changelog at the
    // window's retention plus Streams' extra day, measured from the time they were logged, after the store dropped them.
    topology.addStateStore(logged(settings, Stores.windowStoreBuilder(
        Stores.persistentWindowStore(SEEN_EVENT_IDS, settings.dedupWindow(), Duration.ofMillis(1), false),
        Serdes.String(), Serdes.Long()), Map.of(TopicConfig.CLEANUP_POLICY_CONFIG, TopicConfig.CLEANUP_POLICY_DELETE)),
        METER_USAGE);
    topology.addStateStore(logged(settings, Stores.windowStoreBuilder(
        Stores.persistentWindowStore(EVENT_OUTCOMES, settings.dedupWindow(), Duration.ofMillis(1), false),
        Serdes.String(), Serdes.String()), Map.of()), METER_USAGE);
    // cached: a month's account changes with every event, but reaches RocksDB and its changelog once per commit
    topology.addStateStore(logged(settings, Stores.keyValueStoreBuilder(
        Stores.persistentKeyValueStore(MONTH_ACCOUNTS), Serdes.String(), MonthAccount.serde()).withCachingEnabled(),
        Map.of()), METER_USAGE);
    topology.addStateStore(logged(settings, Stores.keyValueStoreBuilder(
        Stores.persistentKeyValueStore(UNSETTLED_MONTHS), Serdes.String(), Serdes.Long()).withCachingEnabled(),
        Map.of()), METER_USAGE);
    topology.addStateStore(logged(settings, Stores.keyValueStoreBuilder(
        Stores.persistentKeyValueStore(STATEMENTS), Serdes.String(), serdes.value(Topics.BILLING_STATEMENTS))
        .withCachingEnabled(), Map.of()), METER_USAGE);
    topology.addStateStore(logged(settings, Stores.keyValueStoreBuilder(
        Stores.persistentKeyValueStore(STATEMENT_REVISIONS), Serdes.String(), serdes.value(Topics.BILLING_STATEMENTS))
        .withCachingEnabled(), Map.of()), METER_USAGE);

    topology.addSink(STATEMENTS_SINK, settings.statementsTopic(), serdes.key().serializer(),
        serdes.value(Topics.BILLING_STATEMENTS).serializer(), TenantPartitioner.streams(), METER_USAGE);
    topology.addSink(DEAD_LETTER_SINK, settings.deadLetterTopic(), serdes.key().serializer(),
        serdes.value(Topics.DEAD_LETTER).serializer(), TenantPartitioner.streams(), METER_USAGE);
    // a tick goes back into the task's own partition of the usage log
    topology.addSink(TICK_SINK, Topics.USAGE_EVENTS.name(), Serdes.String().serializer(),
        Serdes.ByteArray().serializer(), BillingTick.partitioner(), METER_USAGE);

    topology.addGlobalStore(Stores.keyValueStoreBuilder(Stores.persistentKeyValueStore(PRICE_BOOKS),
            Serdes.String(), serdes.value(Topics.PRICE_BOOKS)).withLoggingDisabled(),
        "price-books-source", Serdes.String().deserializer(), serdes.value(Topics.PRICE_BOOKS).deserializer(),
        Topics.PRICE_BOOKS.name(), "keep-price-books", () -> new KeepLatest<>(PRICE_BOOKS));
    topology.addGlobalStore(Stores.keyValueStoreBuilder(Stores.persistentKeyValueStore(TENANTS),
            Serdes.String(), serdes.value(Topics.TENANTS)).withLoggingDisabled(),
        "tenants-source", Serdes.String().deserializer(), serdes.value(Topics.TENANTS).deserializer(),
        Topics.TENANTS.name(), "keep-tenants", () -> new KeepLatest<>(TENANTS));
    return topology;
  }

  /** The store with a changelog of the given topic configs, or none when the settings say so (a replay). */
  private static <S extends StateStore> StoreBuilder<S> logged(Settings settings, StoreBuilder<S> store,
                                                               Map<String, String> changelogConfigs) {
    return settings.changelogged() ? store.withLoggingEnabled(changelogConfigs) : store.withLoggingDisabled();
  }

  /** Counts each usage event once into its tenant-month, and issues statements on the statement interval. */
  static final class MeterUsage implements Processor<String, byte[], String, Object> {
    private static final int KNOWN_ACCOUNTS = 1_024;
    private final Deserializer<UsageEvent> usageEvents;
    private final Settings settings;
    private ProcessorContext<String, Object> context;
    private WindowStore<String, Long> seenEventIds;
    private WindowStore<String, String> eventOutcomes;
    private KeyValueStore<String, MonthAccount> monthAccounts;
    private KeyValueStore<String, Long> unsettledMonths;
    private KeyValueStore<String, Statement> statements;
    private KeyValueStore<String, Statement> revisions;
    private KeyValueStore<String, PriceBook> priceBooks;
    private KeyValueStore<String, Tenant> tenants;
    /** The price books the last statements were rated with; null after a start, so every month is checked once. */
    private List<PriceBook> ratedWith;
    /** Usage was counted since the last tick (true after a start: whatever the last run left is issued). */
    private boolean changed = true;
    /** When the last tick was written, and the newest price book it named. */
    private long lastTickAt = Long.MIN_VALUE;
    private int lastTickBooks = Integer.MIN_VALUE;

    private final BillingMetrics metrics;
    /**
     * The accounts this processor last put, newest used last (a few per task: one per active tenant-month). Only this
     * processor writes month-accounts, and Kafka Streams calls {@link #init} again whenever the stores roll back, so
     * an entry always equals the store's value.
     */
    private final Map<String, MonthAccount> written = new LinkedHashMap<>(64, 0.75f, true) {
      @Override
      protected boolean removeEldestEntry(Map.Entry<String, MonthAccount> eldest) {
        return size() > KNOWN_ACCOUNTS;
      }
    };

    /**
     * For a run without changelogs ({@link Settings#withoutChangelogs}): the tasks started in this run, each with
     * whether it has written to its stores; and whether this processor has said so since its start.
     */
    private final Map<TaskId, Boolean> wroteState;
    private boolean saidWrote;

    MeterUsage(Deserializer<UsageEvent> usageEvents, Settings settings, BillingMetrics metrics,
               Map<TaskId, Boolean> wroteState) {
      this.usageEvents = usageEvents;
      this.settings = settings;
      this.metrics = metrics;
      this.wroteState = wroteState;
    }

    @Override
    public void init(ProcessorContext<String, Object> context) {
      this.context = context;
      seenEventIds = context.getStateStore(SEEN_EVENT_IDS);
      eventOutcomes = context.getStateStore(EVENT_OUTCOMES);
      monthAccounts = context.getStateStore(MONTH_ACCOUNTS);
      unsettledMonths = context.getStateStore(UNSETTLED_MONTHS);
      statements = context.getStateStore(STATEMENTS);
      revisions = context.getStateStore(STATEMENT_REVISIONS);
      priceBooks = context.getStateStore(PRICE_BOOKS);
      tenants = context.getStateStore(TENANTS);
      if (!settings.changelogged()) {
        refuseLostStores(context.taskId());
      }
      // Kafka Streams re-initializes the same processor after an aborted transaction (the stores roll back, these
      // fields would not): start over as after a start, so a tick lost with the abort is written again
      ratedWith = null;
      written.clear();
      changed = true;
      lastTickAt = Long.MIN_VALUE;
      lastTickBooks = Integer.MIN_VALUE;
      if (settings.writesTicks()) {
        context.schedule(settings.statementInterval(), PunctuationType.WALL_CLOCK_TIME, this::maybeTick);
      }
    }

    @Override
    public void process(Record<String, byte[]> record) {
      if (BillingTick.isTick(record.headers())) {
        issueStatements(Math.max(context.currentStreamTimeMs(), record.timestamp()),
            BillingTick.priceBooksUpTo(record.headers()));
        return;
      }
      UsageEvent event;
      try {
        event = usageEvents.deserialize(Topics.USAGE_EVENTS.name(), record.value());
      } catch (RuntimeException e) {
        if (io.storystream.schemas.serde.ReadAgainLater.isCause(e)) {
          // a valid event that could not be read now (its schema could not be fetched): the thread fails and its
          // replacement reads it again from the last commit (dead-lettered, it would never be billed)
          throw e;
        }
        deadLetter(record, INVALID_EVENT, e.getClass().getName(), "undecodable usage event: " + e.getMessage());
        return;
      }
      String invalid = invalidity(record, event);
      if (invalid != null) {
        deadLetter(record, INVALID_EVENT, null, invalid);
        if (event != null && record.key() != null && record.key().equals(event.getTenantId())
            && TenantKeys.isValidTenantId(event.getTenantId())) {
          BillingMonth month = BillingMonth.of(event.getTenantId(), event.getOccurredAt().toEpochMilli());
          putAccount(month.key(), account(month).withDeadLetter());
          if (event.getEventId() != null && !event.getEventId().isBlank()) {
            noteOutcome(TenantKeys.of(event.getTenantId(), event.getEventId()), record.timestamp(),
                EventOutcome.invalid(month.month(), invalid));
          }
        }
        return;
      }
      long occurredAt = event.getOccurredAt().toEpochMilli();
      BillingMonth month = BillingMonth.of(event.getTenantId(), occurredAt);
      long clock = Math.max(context.currentStreamTimeMs(), record.timestamp());
      long closesAt = BillingMonth.closesAt(month.month(), settings.grace());
      if (clock >= closesAt) {
        deadLetter(record, TOO_LATE, null, "usage of " + month.month() + " logged at "
            + Instant.ofEpochMilli(record.timestamp()) + ", after the month closed at " + Instant.ofEpochMilli(closesAt));
        putAccount(month.key(), account(month).withDeadLetter());
        noteOutcome(TenantKeys.of(event.getTenantId(), event.getEventId()), record.timestamp(),
            EventOutcome.tooLate(month.month(), record.timestamp(), closesAt));
        return;
      }
      String seenKey = TenantKeys.of(event.getTenantId(), event.getEventId());
      if (seenBefore(seenKey, month.month())) {
        metrics.outcome("duplicate");
        putAccount(month.key(), account(month).withDuplicate());
        noteOutcome(seenKey, record.timestamp(), EventOutcome.duplicate(month.month()));
        return;
      }
      seenEventIds.put(seenKey, occurredAt, BillingMonth.startOf(month.month()));
      putAccount(month.key(), account(month).withCounted(event));
      unsettledMonths.put(month.key(), closesAt);
      metrics.counted(month.key(), record.timestamp());
      changed = true;
    }

    private MonthAccount account(BillingMonth month) {
      MonthAccount account = storedAccount(month.key());
      return account != null ? account : MonthAccount.empty(month);
    }

    /**
     * The month's account: the one this processor last wrote when it still knows it (the store's cache keeps bytes, so
     * reading it back parsed JSON once per event), or else the store's.
     */
    private MonthAccount storedAccount(String key) {
      MonthAccount known = written.get(key);
      return known != null ? known : monthAccounts.get(key);
    }

    private void putAccount(String key, MonthAccount account) {
      monthAccounts.put(key, account);
      written.put(key, account);
      if (!saidWrote && !settings.changelogged()) {
        wroteState.put(context.taskId(), true);
        saidWrote = true;
      }
    }

    /**
     * A task may start again in the same run: moved to another stream thread (closed cleanly, its stores kept on
     * disk), or after an aborted transaction or a failed thread (closed dirty: under exactly-once Kafka Streams wipes
     * its stores and would restore them from changelogs this run does not have). Every record that changes state
     * writes its month's account, and accounts are never deleted, so a task that wrote some and finds none lost them.
     */
    private void refuseLostStores(TaskId task) {
      saidWrote = false;
      if (Boolean.TRUE.equals(wroteState.putIfAbsent(task, false))) {
        try (KeyValueIterator<String, MonthAccount> any = monthAccounts.all()) {
          if (!any.hasNext()) {
            throw new ReplayInterrupted(task);
          }
        }
        saidWrote = true;
      }
    }

    /**
     * Event ids are remembered in the window of their month (a point lookup, not a range scan). A retry that
     * re-stamped the event later may have crossed into the next month, so the previous month's window is checked too.
     */
    private boolean seenBefore(String seenKey, YearMonth month) {
      return seenEventIds.fetch(seenKey, BillingMonth.startOf(month)) != null
          || seenEventIds.fetch(seenKey, BillingMonth.startOf(month.minusMonths(1))) != null;
    }

    /**
     * Adds an outcome to the event id's record (read by the explanation), in the window that starts when its first
     * uncounted copy was logged: kept for the dedup window from then, whatever month the copy claims.
     */
    private void noteOutcome(String key, long loggedAt, EventOutcome outcome) {
      long window = loggedAt;
      String stored = null;
      try (WindowStoreIterator<String> existing = eventOutcomes.fetch(key, 0L, Long.MAX_VALUE)) {
        if (existing.hasNext()) {
          KeyValue<Long, String> first = existing.next();
          window = first.key;
          stored = first.value;
        }
      }
      eventOutcomes.put(key, EventOutcome.append(stored, outcome), window);
    }

    /** Why the event cannot be billed, or null when it can. */
    private static String invalidity(Record<String, byte[]> record, UsageEvent event) {
      if (event == null) {
        return "empty record";
      }
      if (!TenantKeys.isValidTenantId(event.getTenantId())) {
        return "tenantId is not a valid tenant id";
      }
      if (!event.getTenantId().equals(record.key())) {
        return "record key does not match the event's tenant";
      }
      if (event.getEventId() == null || event.getEventId().isBlank()) {
        return "eventId is empty";
      }
      if (event.getType() == UsageType.UNKNOWN) {
        return "usage type is unknown";
      }
      if (event.getQuantity() <= 0) {
        return "quantity must be positive, not " + event.getQuantity();
      }
      if (event.getRows() < 0 || event.getBytes() < 0) {
        return "rows and bytes cannot be negative";
      }
      if (event.getOccurredAt().toEpochMilli() > record.timestamp() + MAX_FUTURE_SKEW.toMillis()) {
        return "occurredAt is more than " + MAX_FUTURE_SKEW.toHours() + " h after the event was logged";
      }
      return null;
    }

    private void deadLetter(Record<String, byte[]> record, String reason, String errorClass, String message) {
      Optional<RecordMetadata> source = context.recordMetadata();
      String key = record.key() == null ? "" : record.key();
      DeadLetter letter = DeadLetter.newBuilder()
          .setSourceTopic(source.map(RecordMetadata::topic).orElse(Topics.USAGE_EVENTS.name()))
          .setSourcePartition(source.map(RecordMetadata::partition).orElse(-1))
          .setSourceOffset(source.map(RecordMetadata::offset).orElse(-1L))
          .setKey(record.key() == null ? null : ByteBuffer.wrap(record.key().getBytes(StandardCharsets.UTF_8)))
          .setValue(record.value() == null ? null : ByteBuffer.wrap(record.value()))
          .setApplication(settings.application())
          .setReason(reason)
          .setErrorClass(errorClass)
          .setErrorMessage(message)
          .setFailedAt(Instant.ofEpochMilli(context.currentSystemTimeMs()))
          .build();
      metrics.deadLettered(reason);
      metrics.outcome(TOO_LATE.equals(reason) ? "too_late" : "invalid");
      log.warn("usage event dead-lettered: reason={} tenant={} offset={}", reason, key,
          source.map(RecordMetadata::offset).orElse(-1L));
      context.forward(new Record<>(key, letter, record.timestamp()), DEAD_LETTER_SINK);
    }

    // ---- statements -------------------------------------------------------------------------------------------

    /**
     * The wall-clock punctuator: appends a tick to the task's partition of the usage log when usage was counted, a
     * month reached its close or a newer price book arrived since the last tick. Nothing is issued here; the tick,
     * read back, issues (so a replay issues at the same point of the log).
     */
    private void maybeTick(long wallClock) {
      int books = priceBooks().stream().mapToInt(PriceBook::getVersion).max().orElse(0);
      if (!changed && books == lastTickBooks && !aMonthClosedSince(lastTickAt, wallClock)) {
        return;
      }
      int partition = context.taskId().partition();
      context.forward(BillingTick.record(partition, books, wallClock), TICK_SINK);
      changed = false;
      lastTickAt = wallClock;
      lastTickBooks = books;
    }

    private boolean aMonthClosedSince(long since, long now) {
      try (KeyValueIterator<String, Long> months = unsettledMonths.all()) {
        while (months.hasNext()) {
          long closesAt = months.next().value;
          if (closesAt <= now && closesAt > since) {
            return true;
          }
        }
      }
      return false;
    }

    /** A tick read from the log: issue every changed month at the tick's time, with the books it names. */
    private void issueStatements(long now, int priceBooksUpTo) {
      List<PriceBook> books = priceBooks().stream().filter(b -> b.getVersion() <= priceBooksUpTo).toList();
      if (!books.equals(ratedWith)) {
        reRateAll();
        ratedWith = books;
      }
      List<String> settled = new ArrayList<>();
      try (KeyValueIterator<String, Long> months = unsettledMonths.all()) {
        while (months.hasNext()) {
          String key = months.next().key;
          boolean settledNow;
          try (io.storystream.common.logging.LogContext ids = io.storystream.common.logging.LogContext.of(
              io.storystream.common.logging.LogContext.TENANT_ID, TenantKeys.tenantOf(key))) {
            settledNow = issue(key, now, books);
          }
          if (settledNow) {
            settled.add(key);
          }
        }
      }
      settled.forEach(unsettledMonths::delete);
    }

    /** A new or corrected price book may change any month: check them all (a rare event). */
    private void reRateAll() {
      List<String> keys = new ArrayList<>();
      try (KeyValueIterator<String, MonthAccount> all = monthAccounts.all()) {
        while (all.hasNext()) {
          KeyValue<String, MonthAccount> next = all.next();
          if (next.value.counted() > 0) {
            keys.add(next.key);
          }
        }
      }
      for (String key : keys) {
        unsettledMonths.put(key, BillingMonth.closesAt(YearMonth.parse(TenantKeys.resourceOf(key)), settings.grace()));
      }
    }

    /** Issues a new revision if the month's bill changed; true when the month is final and issued (settled). */
    private boolean issue(String key, long now, List<PriceBook> books) {
      MonthAccount account = storedAccount(key);
      if (account == null || account.counted() == 0) {
        return true;
      }
      YearMonth month = YearMonth.parse(account.month());
      Optional<PriceBook> book = PriceBooks.inForce(books, month);
      String plan = account.plan() != null ? account.plan() : tenantPlan(account.tenantId());
      if (book.isEmpty() || plan == null || !book.get().getPlans().containsKey(plan)) {
        log.debug("statement of {} waits for a price book covering {} with plan {}", key, month, plan);
        return false; // stays unsettled until a price book can rate it
      }
      Rating.Rated rated = Rating.rate(account.quantities(), plan, book.get());
      boolean closed = now >= BillingMonth.closesAt(month, settings.grace());
      Statement previous = statements.get(key);
      Statement next = Statement.newBuilder()
          .setTenantId(account.tenantId())
          .setMonth(account.month())
          .setPlan(plan)
          .setCurrency(book.get().getCurrency())
          .setPriceBookVersion(book.get().getVersion())
          .setRevision(previous == null ? 1 : previous.getRevision() + 1)
          .setStatus(closed ? StatementStatus.FINAL : StatementStatus.OPEN)
          .setQuantities(account.quantities())
          .setLines(rated.lines())
          .setTotalMicros(rated.totalMicros())
          .setPreviousTotalMicros(previous == null ? null : previous.getTotalMicros())
          .setGeneratedAt(Instant.ofEpochMilli(now))
          .build();
      if (previous == null || !sameBill(previous, next)) {
        statements.put(key, next);
        revisions.put(revisionKey(key, next.getRevision()), next);
        if (next.getRevision() > KEPT_REVISIONS) {
          revisions.delete(revisionKey(key, next.getRevision() - KEPT_REVISIONS));
        }
        context.forward(new Record<>(key, next, now), STATEMENTS_SINK);
        metrics.issued(key, plan, now);
      } else if (closed) {
        metrics.settled(key);
      }
      return closed;
    }

    private String tenantPlan(String tenantId) {
      Tenant tenant = tenants.get(tenantId);
      return tenant == null ? null : tenant.getPlan();
    }

    private List<PriceBook> priceBooks() {
      List<PriceBook> books = new ArrayList<>();
      try (KeyValueIterator<String, PriceBook> all = priceBooks.all()) {
        all.forEachRemaining(kv -> books.add(kv.value));
      }
      books.sort(Comparator.comparingInt(PriceBook::getVersion));
      return books;
    }
  }

  /** The history store's key of a revision: ordered by revision within {@code tenantId:yyyy-MM:}. */
  public static String revisionKey(String monthKey, int revision) {
    return monthKey + TenantKeys.SEPARATOR + String.format("%010d", revision);
  }

  /** Everything a statement says, apart from its revision bookkeeping and when it was generated. */
  public static boolean sameBill(Statement a, Statement b) {
    return a.getTenantId().equals(b.getTenantId()) && a.getMonth().equals(b.getMonth())
        && a.getPlan().equals(b.getPlan()) && a.getCurrency().equals(b.getCurrency())
        && a.getPriceBookVersion() == b.getPriceBookVersion() && a.getStatus() == b.getStatus()
        && a.getQuantities().equals(b.getQuantities()) && a.getLines().equals(b.getLines())
        && a.getTotalMicros() == b.getTotalMicros();
  }

  /** Keeps the latest value per key of a compacted topic in a global store; a tombstone removes the key. */
  static final class KeepLatest<V> implements Processor<String, V, Void, Void> {
    private final String storeName;
    private KeyValueStore<String, V> store;

    KeepLatest(String storeName) {
      this.storeName = storeName;
    }

    @Override
    public void init(ProcessorContext<Void, Void> context) {
      store = context.getStateStore(storeName);
    }

    @Override
    public void process(Record<String, V> record) {
      if (record.key() == null) {
        return;
      }
      if (record.value() == null) {
        store.delete(record.key());
      } else {
        store.put(record.key(), record.value());
      }
    }
  }
}
