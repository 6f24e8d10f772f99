package io.storystream.processor.admission;

import io.storystream.common.logging.RecordLogIds;
import io.storystream.processor.ProcessorTopics;
import io.storystream.processor.admission.erasure.ForgetErasedTenant;
import io.storystream.schemas.AnalysisRequest;
import io.storystream.schemas.AnalysisStatus;
import io.storystream.schemas.AnalysisWork;
import io.storystream.schemas.FileRegistered;
import io.storystream.schemas.JobCancellation;
import io.storystream.schemas.JobState;
import io.storystream.schemas.PlanLimits;
import io.storystream.schemas.QuotaUsage;
import io.storystream.schemas.Tenant;
import io.storystream.schemas.TenantStatus;
import io.storystream.schemas.UsageEvent;
import io.storystream.schemas.UsageType;
import io.storystream.schemas.processor.CacheIndexEntry;
import io.storystream.schemas.topics.TenantKeys;
import io.storystream.schemas.topics.TopicSerdes;
import io.storystream.schemas.topics.Topics;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.time.YearMonth;
import java.time.ZoneOffset;
import java.util.ArrayList;
import java.util.List;
import java.util.Properties;
import java.util.Set;
import org.apache.avro.specific.SpecificRecord;
import org.apache.kafka.common.serialization.Serdes;
import org.apache.kafka.common.serialization.StringSerializer;
import org.apache.kafka.common.utils.Bytes;
import org.apache.kafka.streams.KeyValue;
import org.apache.kafka.streams.StreamsBuilder;
import org.apache.kafka.streams.StreamsConfig;
import org.apache.kafka.streams.Topology;
import org.apache.kafka.streams.kstream.Branched;
import org.apache.kafka.streams.kstream.KStream;
import org.apache.kafka.streams.kstream.KTable;
import org.apache.kafka.streams.kstream.Materialized;
import org.apache.kafka.streams.kstream.Named;
import org.apache.kafka.streams.processor.PunctuationType;
import org.apache.kafka.streams.processor.api.Processor;
import org.apache.kafka.streams.processor.api.ProcessorContext;
import org.apache.kafka.streams.processor.api.Record;
import org.apache.kafka.streams.state.KeyValueIterator;
import org.apache.kafka.streams.state.KeyValueStore;
import org.apache.kafka.streams.state.Stores;
import org.apache.kafka.streams.state.TimestampedKeyValueStore;
import org.apache.kafka.streams.state.ValueAndTimestamp;

/**
 * Admission: turns each {@code analysis-requests} record into exactly one decision — rejected, completed from the
 * cache, admitted and handed to the worker, or queued behind the tenant's concurrency cap — under exactly-once, so
 * the check and the reservation of a quota unit are one transaction with the decision. Every input is keyed (or
 * partitioned) by tenant, so one task owns all of a tenant's requests, files, cache entries, counters, queue, job
 * endings and cancels: quotas are exact under any concurrency, without locks.
 *
 * <p>The data's path, top to bottom:
 * <ol>
 *   <li>tables of tenants (plan and status), files and cache entries, each on its tenant's partition; a tenant
 *       turning DELETED (erasure) takes every entry admission keeps about it out of its stores;</li>
 *   <li>each request: drop a redelivered job id; reject a reused idempotency key, an inactive tenant, a file the
 *       tenant does not own; complete from a live cache entry; reject over the per-minute rate or the monthly quota;
 *       otherwise reserve a unit and admit the job, or queue it when the tenant's slots are taken (a full backlog
 *       rejects);</li>
 *   <li>job endings free their slot, keep or give back their unit, and start the tenant's next queued job;</li>
 *   <li>cancels take a queued job out of the queue and give its unit back;</li>
 *   <li>decisions fan out to {@code analysis-status}, {@code analysis-work}, {@code usage-events} and
 *       {@code quota-usage} (the figures {@code /v1/usage} reports).</li>
 * </ol>
 * Records that cannot be read or processed go to {@code dead-letter} through {@link DeadLetters}.
 */
public final class AdmissionTopology {
  private static final org.slf4j.Logger log = org.slf4j.LoggerFactory.getLogger(AdmissionTopology.class);
  public static final String APPLICATION_ID = "storystream-admission";

  /** Sequence numbers of the job's status: ingress writes QUEUED as 1, admission's decision is 2. */
  public static final int DECISION_SEQUENCE = 2;

  // state stores, named for what they hold
  static final String TENANTS = "tenants";
  static final String FILES = "files";
  static final String CACHE_INDEX = "cache-index";
  static final String JOB_IDS = "job-ids";
  static final String IDEMPOTENCY_KEYS = "idempotency-keys";
  static final String REQUESTS_LAST_MINUTE = "requests-last-minute";
  static final String ANALYSES_PER_MONTH = "analyses-per-month";
  static final String JOBS_IN_FLIGHT = "jobs-in-flight";
  static final String AWAITING_REFERENCES = "awaiting-references";
  static final String QUEUED_JOBS = "queued-jobs";
  static final String QUEUE_ARRIVALS = "queue-arrivals";
  static final String RESERVATIONS = "reservations";
  static final String RESERVED_PER_MONTH = "reserved-per-month";
  static final String EARLY_CANCELLATIONS = "early-cancellations";

  /** The sequence of a job's ending (the worker's COMPLETED/FAILED/CANCELLED, admission's CANCELLED of a queued job). */
  public static final int ENDED_SEQUENCE = 4;

  /** How many waiting jobs are told their new position each time one leaves the queue (see {@code renumber}). */
  static final int POSITIONS_KEPT_EXACT = 200;

  /**
   * A job admitted this long ago without an ending is taken as lost and stops holding a slot, so a lost status
   * cannot lock a tenant out for good. The worker enforces the plan's concurrency itself as well (the work record
   * carries it), so a slot released early cannot overload DataStoryBot.
   */
  static final Duration LOST_JOB_AFTER = Duration.ofHours(1);

  /**
   * How long a request naming a tenant or file admission has not seen yet waits for it before being rejected.
   * Kafka orders records within a partition, not across topics: a file registered a moment before the request can
   * reach this task after it, so "not found" is only final once this grace has passed.
   */
  static final Duration REFERENCE_GRACE = Duration.ofSeconds(30);

  /** Tables read from compacted topics restore from those topics instead of a copy in a changelog. */
  private static final Properties OPTIMIZATIONS = new Properties();

  static {
    OPTIMIZATIONS.put(StreamsConfig.TOPOLOGY_OPTIMIZATION_CONFIG, StreamsConfig.REUSE_KTABLE_SOURCE_TOPICS);
  }

  private static final Set<JobState> TERMINAL_STATES = Set.of(JobState.COMPLETED, JobState.FAILED, JobState.REJECTED,
      JobState.CANCELLED);

  private final TopicSerdes serdes;
  private final Clock clock;
  private final Duration cacheTtl;
  private final Duration dedupRetention;

  /**
   * @param cacheTtl the longest a cache entry serves, whatever expiry the worker wrote
   * @param dedupRetention how long job ids and idempotency keys are remembered (the requests topic keeps 7 days)
   */
  public AdmissionTopology(TopicSerdes serdes, Clock clock, Duration cacheTtl, Duration dedupRetention) {
    this.serdes = serdes;
    this.clock = clock;
    this.cacheTtl = cacheTtl;
    this.dedupRetention = dedupRetention;
  }

  public AdmissionTopology(TopicSerdes serdes) {
    this(serdes, Clock.systemUTC(), CacheKeys.DEFAULT_TTL, Duration.ofDays(7));
  }

  public Topology build() {
    StreamsBuilder builder = new StreamsBuilder();

    // 1. What a decision reads. Tenants, files and cache entries are keyed by (or partitioned by) tenant like the
    //    requests, so they are tables in the requests' sub-topology, read in timestamp order with them: a file
    //    registered before a request is seen by it, which a global table's separate thread would not promise.
    KTable<String, Tenant> tenants = builder.table(Topics.TENANTS.name(), serdes.consumed(Topics.TENANTS),
        Materialized.<String, Tenant, KeyValueStore<Bytes, byte[]>>as(TENANTS));
    builder.table(Topics.FILES.name(), serdes.consumed(Topics.FILES),
        Materialized.<String, FileRegistered, KeyValueStore<Bytes, byte[]>>as(FILES));
    builder.table(ProcessorTopics.CACHE_INDEX.name(), serdes.consumed(ProcessorTopics.CACHE_INDEX),
        Materialized.<String, CacheIndexEntry, KeyValueStore<Bytes, byte[]>>as(CACHE_INDEX));

    // What admission remembers between requests. Caching folds a tenant's repeated updates within a commit
    // interval into one changelog write.
    builder.addStateStore(Stores.timestampedKeyValueStoreBuilder(
        Stores.persistentTimestampedKeyValueStore(JOB_IDS), Serdes.String(), Serdes.String()).withCachingEnabled());
    builder.addStateStore(Stores.timestampedKeyValueStoreBuilder(
        Stores.persistentTimestampedKeyValueStore(IDEMPOTENCY_KEYS), Serdes.String(), Serdes.String())
        .withCachingEnabled());
    builder.addStateStore(Stores.keyValueStoreBuilder(
        Stores.persistentKeyValueStore(REQUESTS_LAST_MINUTE), Serdes.String(), MinuteWindow.serde())
        .withCachingEnabled());
    builder.addStateStore(Stores.keyValueStoreBuilder(
        Stores.persistentKeyValueStore(ANALYSES_PER_MONTH), Serdes.String(), Serdes.Long()).withCachingEnabled());
    builder.addStateStore(Stores.keyValueStoreBuilder(
        Stores.persistentKeyValueStore(JOBS_IN_FLIGHT), Serdes.String(), Serdes.Long()).withCachingEnabled());
    builder.addStateStore(Stores.timestampedKeyValueStoreBuilder(
        Stores.persistentTimestampedKeyValueStore(AWAITING_REFERENCES), Serdes.String(),
        serdes.value(Topics.ANALYSIS_REQUESTS)));
    builder.addStateStore(Stores.keyValueStoreBuilder(
        Stores.persistentKeyValueStore(QUEUED_JOBS), Serdes.String(), serdes.value(Topics.ANALYSIS_REQUESTS)));
    builder.addStateStore(Stores.keyValueStoreBuilder(
        Stores.persistentKeyValueStore(QUEUE_ARRIVALS), Serdes.String(), Serdes.Long()).withCachingEnabled());
    builder.addStateStore(Stores.keyValueStoreBuilder(
        Stores.persistentKeyValueStore(RESERVATIONS), Serdes.String(), Serdes.String()).withCachingEnabled());
    builder.addStateStore(Stores.keyValueStoreBuilder(
        Stores.persistentKeyValueStore(RESERVED_PER_MONTH), Serdes.String(), Serdes.Long()).withCachingEnabled());
    builder.addStateStore(Stores.timestampedKeyValueStoreBuilder(
        Stores.persistentTimestampedKeyValueStore(EARLY_CANCELLATIONS), Serdes.String(), Serdes.String()));

    // 2. Erasure: a tenant turning DELETED takes everything admission remembers about it (ForgetErasedTenant),
    //    from each of its own stores keyed tenantId or tenantId:…
    String[] erasable = {JOB_IDS, IDEMPOTENCY_KEYS, REQUESTS_LAST_MINUTE, ANALYSES_PER_MONTH, JOBS_IN_FLIGHT,
        AWAITING_REFERENCES, QUEUED_JOBS, QUEUE_ARRIVALS, RESERVATIONS, RESERVED_PER_MONTH, EARLY_CANCELLATIONS};
    tenants.toStream(Named.as("tenant-changes"))
        .process(() -> new ForgetErasedTenant(erasable), Named.as("forget-erased-tenant"), erasable);

    String[] decisionStores = {TENANTS, FILES, CACHE_INDEX, JOB_IDS, IDEMPOTENCY_KEYS, REQUESTS_LAST_MINUTE,
        ANALYSES_PER_MONTH, JOBS_IN_FLIGHT, AWAITING_REFERENCES, QUEUED_JOBS, QUEUE_ARRIVALS, RESERVATIONS,
        RESERVED_PER_MONTH, EARLY_CANCELLATIONS};

    // A record that finds its task idle is committed at once instead of at the next commit interval (CommitWhenIdle):
    // on a quiet system the worker sees the decision one commit later, not one interval later.
    CommitWhenIdle commits = new CommitWhenIdle(AdmissionService.COMMIT_INTERVAL);

    // 3. Each request becomes one decision: rejected, completed from the cache, admitted, or queued behind the
    //    tenant's concurrency cap (its quota unit reserved either way).
    KStream<String, SpecificRecord> decisions = builder
        .stream(Topics.ANALYSIS_REQUESTS.name(), serdes.consumed(Topics.ANALYSIS_REQUESTS))
        .process(commits.around(RecordLogIds.around(Admission::new)), Named.as("admit-queue-or-reject"),
            decisionStores);

    // 4. A job that ended (keyed tenantId:jobId, partitioned by tenant) gives its slot back, settles its reservation
    //    (kept, or given back when DataStoryBot's analyze was never called) and starts the next queued job. The
    //    worker writes endings to a topic of their own: reading analysis-status, which carries admission's own
    //    decisions, made each commit wait for the fetch of the statuses it had just written.
    KStream<String, SpecificRecord> endings = builder
        .stream(ProcessorTopics.JOB_ENDINGS.name(), serdes.consumed(ProcessorTopics.JOB_ENDINGS))
        .process(commits.around(RecordLogIds.around(JobEnded::new)), Named.as("settle-ended-job"), decisionStores);

    // 5. A tenant's cancel: a queued job leaves the queue and gets its unit back; a running one is the worker's.
    KStream<String, SpecificRecord> cancellations = builder
        .stream(Topics.ANALYSIS_CANCELLATIONS.name(), serdes.consumed(Topics.ANALYSIS_CANCELLATIONS))
        .process(commits.around(RecordLogIds.around(Cancellation::new)), Named.as("cancel-queued-job"),
            decisionStores);

    // 6. Everything decided fans out to its topic (keys set above: tenantId:jobId for status, tenantId:yyyy-MM for
    //    the quota, tenantId otherwise).
    decisions.merge(endings, Named.as("with-endings")).merge(cancellations, Named.as("with-cancellations"))
        .split(Named.as("decision-"))
        .branch((key, value) -> value instanceof AnalysisStatus, Branched.withConsumer(status -> status
            .mapValues(value -> (AnalysisStatus) value, Named.as("job-status"))
            .to(Topics.ANALYSIS_STATUS.name(), serdes.produced(Topics.ANALYSIS_STATUS)), "status"))
        .branch((key, value) -> value instanceof AnalysisWork, Branched.withConsumer(work -> work
            .mapValues(value -> (AnalysisWork) value, Named.as("admitted-job"))
            .to(Topics.ANALYSIS_WORK.name(), serdes.produced(Topics.ANALYSIS_WORK)), "work"))
        .branch((key, value) -> value instanceof UsageEvent, Branched.withConsumer(usage -> usage
            .mapValues(value -> (UsageEvent) value, Named.as("cache-hit-usage"))
            .to(Topics.USAGE_EVENTS.name(), serdes.produced(Topics.USAGE_EVENTS)), "usage"))
        .branch((key, value) -> value instanceof QuotaUsage, Branched.withConsumer(quota -> quota
            .mapValues(value -> (QuotaUsage) value, Named.as("quota-figures"))
            .to(Topics.QUOTA_USAGE.name(), serdes.produced(Topics.QUOTA_USAGE)), "quota"))
        .noDefaultBranch();

    return builder.build(OPTIMIZATIONS);
  }

  /**
   * What every step of admission shares: the stores, and the bookkeeping of a tenant's quota, concurrency slots and
   * queue. One task owns a tenant's partition, so these read-modify-write sequences never race.
   *
   * <p>The quota: {@code analyses-per-month} counts the units of a month that are used or reserved, which is what
   * a request is checked against; {@code reservations} names the month of each job holding a reservation (queued
   * or admitted, not ended) and {@code reserved-per-month} counts them. An ending keeps the unit (used) or gives
   * it back (the job never reached DataStoryBot's analyze); either way the reservation ends.
   */
  private abstract class Step<V> implements Processor<String, V, String, SpecificRecord> {
    ProcessorContext<String, SpecificRecord> context;
    TimestampedKeyValueStore<String, Tenant> tenants;
    TimestampedKeyValueStore<String, FileRegistered> files;
    TimestampedKeyValueStore<String, CacheIndexEntry> cacheIndex;
    TimestampedKeyValueStore<String, String> jobIds;
    TimestampedKeyValueStore<String, String> idempotencyKeys;
    KeyValueStore<String, MinuteWindow> requestsLastMinute;
    KeyValueStore<String, Long> analysesPerMonth;
    KeyValueStore<String, Long> jobsInFlight;
    TimestampedKeyValueStore<String, AnalysisRequest> awaitingReferences;
    KeyValueStore<String, AnalysisRequest> queuedJobs;
    KeyValueStore<String, Long> queueArrivals;
    KeyValueStore<String, String> reservations;
    KeyValueStore<String, Long> reservedPerMonth;
    TimestampedKeyValueStore<String, String> earlyCancellations;
    /** The timestamp every record forwarded by the current step carries. */
    long outputTimestamp;
    /** Tenant months whose quota figures the current step changed: published once, when the step is done. */
    private final Set<TenantMonth> changedMonths = new java.util.LinkedHashSet<>();

    @Override
    public void init(ProcessorContext<String, SpecificRecord> context) {
      this.context = context;
      tenants = context.getStateStore(TENANTS);
      files = context.getStateStore(FILES);
      cacheIndex = context.getStateStore(CACHE_INDEX);
      jobIds = context.getStateStore(JOB_IDS);
      idempotencyKeys = context.getStateStore(IDEMPOTENCY_KEYS);
      requestsLastMinute = context.getStateStore(REQUESTS_LAST_MINUTE);
      analysesPerMonth = context.getStateStore(ANALYSES_PER_MONTH);
      jobsInFlight = context.getStateStore(JOBS_IN_FLIGHT);
      awaitingReferences = context.getStateStore(AWAITING_REFERENCES);
      queuedJobs = context.getStateStore(QUEUED_JOBS);
      queueArrivals = context.getStateStore(QUEUE_ARRIVALS);
      reservations = context.getStateStore(RESERVATIONS);
      reservedPerMonth = context.getStateStore(RESERVED_PER_MONTH);
      earlyCancellations = context.getStateStore(EARLY_CANCELLATIONS);
    }

    // ---- quota --------------------------------------------------------------------------------------------------

    String monthKey(String tenantId, String month) {
      return TenantKeys.of(tenantId, month);
    }

    long counted(KeyValueStore<String, Long> store, String key) {
      Long value = store.get(key);
      return value == null ? 0 : value;
    }

    void add(KeyValueStore<String, Long> store, String key, long delta) {
      long next = counted(store, key) + delta;
      if (next <= 0) {
        store.delete(key);
      } else {
        store.put(key, next);
      }
    }

    /** Takes one unit of the month's quota for the job, held until the job ends or leaves the queue. */
    void reserve(String tenantId, String jobKey, String month) {
      add(analysesPerMonth, monthKey(tenantId, month), 1);
      add(reservedPerMonth, monthKey(tenantId, month), 1);
      reservations.put(jobKey, month);
      changedMonths.add(new TenantMonth(tenantId, month));
    }

    /**
     * Ends the job's reservation: its unit stays used ({@code giveBack} false) or returns to the month's quota.
     * A job holding no reservation (ended already, never reserved) changes nothing, so repeated endings are harmless.
     */
    void settle(String tenantId, String jobKey, boolean giveBack) {
      String month = reservations.get(jobKey);
      if (month == null) {
        return;
      }
      reservations.delete(jobKey);
      add(reservedPerMonth, monthKey(tenantId, month), -1);
      if (giveBack) {
        add(analysesPerMonth, monthKey(tenantId, month), -1);
      }
      changedMonths.add(new TenantMonth(tenantId, month));
    }

    /** Publishes the figures of every month the step changed, after the step (so queue moves are counted too). */
    void publishQuota() {
      for (TenantMonth changed : changedMonths) {
        emitQuota(changed.tenantId(), changed.month());
      }
      changedMonths.clear();
    }

    /** The month's figures exactly as the next decision will use them, for {@code /v1/usage}. */
    private void emitQuota(String tenantId, String month) {
      Tenant tenant = valueOf(tenants.get(tenantId));
      int limit = tenant == null ? 0 : tenant.getLimits().getAnalysesPerMonth();
      long usedOrReserved = counted(analysesPerMonth, monthKey(tenantId, month));
      long reserved = counted(reservedPerMonth, monthKey(tenantId, month));
      int queued = 0;
      try (KeyValueIterator<String, AnalysisRequest> it = queue(tenantId)) {
        while (it.hasNext()) {
          if (month.equals(month(it.next().value.getSubmittedAt()))) {
            queued++;
          }
        }
      }
      emit(monthKey(tenantId, month), QuotaUsage.newBuilder()
          .setTenantId(tenantId).setMonth(month).setAnalysesPerMonth(limit)
          .setUsed(usedOrReserved - reserved).setReserved(reserved)
          .setQueued(queued).setRunning((int) Math.max(0, reserved - queued))
          .setUpdatedAt(clock.instant()).build());
    }

    // ---- slots and queue ----------------------------------------------------------------------------------------

    /** Counts the tenant's admitted jobs that have not ended, stopping at the limit (below zero: none). */
    boolean concurrencyReached(String tenantId, int limit) {
      if (limit < 0) {
        return false;
      }
      long count = 0;
      try (KeyValueIterator<String, Long> it =
               jobsInFlight.prefixScan(TenantKeys.of(tenantId, ""), new StringSerializer())) {
        while (count < limit && it.hasNext()) {
          it.next();
          count++;
        }
      }
      return count >= limit;
    }

    /** The tenant's queue, first come first served: keys {@code tenantId:<arrival number, 19 digits>:<jobId>}. */
    KeyValueIterator<String, AnalysisRequest> queue(String tenantId) {
      return queuedJobs.prefixScan(TenantKeys.of(tenantId, ""), new StringSerializer());
    }

    /**
     * Numbers the tenant's queued jobs in the order they reach admission. Concurrent submits reach it in another order
     * than their submit times (each ingress thread stamps its own); ordering by arrival keeps the queue first come,
     * first served, and a waiting job's position can only shrink.
     */
    String nextQueueKey(AnalysisRequest request) {
      String tenantId = request.getTenantId();
      Long last = queueArrivals.get(tenantId);
      long arrival = last == null ? 1 : last + 1;
      queueArrivals.put(tenantId, arrival);
      return TenantKeys.of(tenantId, String.format("%019d", arrival) + ":" + request.getJobId());
    }

    /** Queue length, counting no further than {@code stopAt} (below zero: the whole queue). */
    long queueLength(String tenantId, long stopAt) {
      long count = 0;
      try (KeyValueIterator<String, AnalysisRequest> it = queue(tenantId)) {
        while ((stopAt < 0 || count < stopAt) && it.hasNext()) {
          it.next();
          count++;
        }
      }
      return count;
    }

    /**
     * Starts queued jobs of the tenant, oldest first, while it has free slots; a job whose tenant or file went away
     * while it waited is rejected and its unit given back. Then tells the jobs still waiting their new positions.
     */
    void startQueued(String tenantId) {
      Tenant tenant = valueOf(tenants.get(tenantId));
      boolean moved = false;
      while (true) {
        KeyValue<String, AnalysisRequest> head;
        try (KeyValueIterator<String, AnalysisRequest> it = queue(tenantId)) {
          head = it.hasNext() ? it.next() : null;
        }
        if (head == null) {
          break;
        }
        AnalysisRequest request = head.value;
        String jobKey = TenantKeys.of(tenantId, request.getJobId());
        FileRegistered file = valueOf(files.get(TenantKeys.of(tenantId, request.getFileId())));
        if (tenant == null || tenant.getStatus() != TenantStatus.ACTIVE || file == null) {
          queuedJobs.delete(head.key);
          moved = true;
          emitStatus(status(request, JobState.REJECTED, DECISION_SEQUENCE)
              .setReason((tenant == null || tenant.getStatus() != TenantStatus.ACTIVE
                  ? Rejection.TENANT_INACTIVE : Rejection.FILE_NOT_FOUND).reason)
              .setRetryable(false).setMessage("while the job waited in the queue").build());
          settle(tenantId, jobKey, true);
          continue;
        }
        PlanLimits plan = tenant.getLimits();
        if (concurrencyReached(tenantId, plan.getConcurrentJobs())) {
          break;
        }
        queuedJobs.delete(head.key);
        moved = true;
        jobsInFlight.put(jobKey, outputTimestamp);
        admit(request, file, plan, cacheKeyFor(plan, tenantId, file, request));
      }
      if (moved) {
        renumber(tenantId);
      }
    }

    /**
     * Re-announces the positions of the first {@link #POSITIONS_KEPT_EXACT} waiting jobs after a job left the
     * queue. Jobs further back keep the position they were last told (an upper bound: positions only shrink) until
     * they move into that range, so one slot freeing costs a bounded number of records however long the backlog.
     */
    void renumber(String tenantId) {
      int position = 0;
      try (KeyValueIterator<String, AnalysisRequest> it = queue(tenantId)) {
        while (it.hasNext() && position < POSITIONS_KEPT_EXACT) {
          position++;
          emitStatus(queuedStatus(it.next().value, position));
        }
      }
    }

    AnalysisStatus queuedStatus(AnalysisRequest request, int position) {
      return status(request, JobState.QUEUED, DECISION_SEQUENCE).setPosition(position)
          .setMessage("waiting for one of the plan's concurrent slots").build();
    }

    String cacheKeyFor(PlanLimits plan, String tenantId, FileRegistered file, AnalysisRequest request) {
      return plan.getCacheEnabled()
          ? CacheKeys.of(tenantId, file.getSha256(), request.getSteeringPrompt(), request.getRefinementPrompt())
          : null;
    }

    void admit(AnalysisRequest request, FileRegistered file, PlanLimits plan, String cacheKey) {
      String tenantId = request.getTenantId();
      emitStatus(status(request, JobState.ADMITTED, DECISION_SEQUENCE).build());
      emit(tenantId, AnalysisWork.newBuilder()
          .setJobId(request.getJobId())
          .setTenantId(tenantId)
          .setFileId(request.getFileId())
          .setObjectKey("tenants/" + tenantId + "/files/" + request.getFileId()) // from identity, not from a field
          .setFileName(file.getName())
          .setFileSha256(file.getSha256())
          .setFileRows(file.getRows())
          .setSteeringPrompt(request.getSteeringPrompt())
          .setRefinementPrompt(request.getRefinementPrompt())
          .setCacheKey(cacheKey)
          .setConcurrentJobs(plan.getConcurrentJobs())
          .setSubmittedAt(request.getSubmittedAt())
          .setAdmittedAt(clock.instant())
          .build());
    }

    AnalysisStatus cancelled(AnalysisRequest request, String message) {
      Instant now = clock.instant();
      return status(request, JobState.CANCELLED, ENDED_SEQUENCE).setReason("cancelled").setRetryable(false)
          .setMessage(message).setCompletedAt(now).build();
    }

    AnalysisStatus.Builder status(AnalysisRequest request, JobState state, int sequence) {
      return AnalysisStatus.newBuilder()
          .setJobId(request.getJobId())
          .setTenantId(request.getTenantId())
          .setFileId(request.getFileId())
          .setState(state)
          .setSequence(sequence)
          .setIdempotencyKey(request.getIdempotencyKey())
          .setSubmittedAt(request.getSubmittedAt())
          .setUpdatedAt(clock.instant());
    }

    void emitStatus(AnalysisStatus status) {
      // ids and the decision only: what a post-mortem of one job's path needs (DEBUG; the fault campaign turns it on)
      log.debug("job {} of tenant {}: {} (sequence {})", status.getJobId(), status.getTenantId(), status.getState(),
          status.getSequence());
      emit(TenantKeys.of(status.getTenantId(), status.getJobId()), status);
    }

    void emit(String key, SpecificRecord value) {
      context.forward(new Record<>(key, value, outputTimestamp));
    }
  }

  private record TenantMonth(String tenantId, String month) {}

  static String month(Instant at) {
    return YearMonth.from(at.atOffset(ZoneOffset.UTC)).toString();
  }

  /**
   * An ending from the worker (keyed tenantId:jobId): frees the job's slot, settles its reservation and starts the
   * tenant's next queued job. Most endings repeat nothing admission holds; they cost reads, not writes.
   */
  private final class JobEnded extends Step<AnalysisStatus> {
    @Override
    public void process(Record<String, AnalysisStatus> record) {
      AnalysisStatus ending = record.value();
      if (record.key() == null || ending == null || !TERMINAL_STATES.contains(ending.getState())) {
        return;
      }
      String tenantId = ending.getTenantId();
      if (!record.key().equals(TenantKeys.of(tenantId, ending.getJobId()))) {
        return; // key and body disagree: never settle one tenant's job with another's record
      }
      outputTimestamp = record.timestamp();
      boolean freed = jobsInFlight.get(record.key()) != null;
      if (freed) {
        jobsInFlight.delete(record.key());
      }
      settle(tenantId, record.key(), ending.getReservationReleased());
      if (freed) {
        startQueued(tenantId);
      }
      publishQuota();
    }
  }

  /**
   * A tenant's cancel (keyed by tenant): a job still in admission's hands — queued behind the cap, or waiting for its
   * file to be seen — ends here as CANCELLED with its unit given back. An admitted job is the worker's to stop; a
   * job admission has not seen yet is cancelled when its request arrives.
   */
  private final class Cancellation extends Step<JobCancellation> {
    @Override
    public void process(Record<String, JobCancellation> record) {
      JobCancellation cancel = record.value();
      if (cancel == null || record.key() == null || !record.key().equals(cancel.getTenantId())) {
        return; // identity comes from the key; a body naming another tenant is not acted on
      }
      outputTimestamp = record.timestamp();
      String tenantId = cancel.getTenantId();
      String jobKey = TenantKeys.of(tenantId, cancel.getJobId());
      KeyValue<String, AnalysisRequest> queued = findQueued(tenantId, cancel.getJobId());
      if (queued != null) {
        queuedJobs.delete(queued.key);
        emitStatus(cancelled(queued.value, "cancelled while queued"));
        settle(tenantId, jobKey, true);
        renumber(tenantId);
        publishQuota();
        return;
      }
      ValueAndTimestamp<AnalysisRequest> awaiting = awaitingReferences.get(jobKey);
      if (awaiting != null) {
        awaitingReferences.delete(jobKey);
        emitStatus(cancelled(awaiting.value(), "cancelled before it was admitted"));
        return;
      }
      if (jobIds.get(jobKey) == null) {
        // the cancel overtook its request (another topic): remember it, the request is cancelled on arrival
        earlyCancellations.put(jobKey, ValueAndTimestamp.make(cancel.getJobId(),
            cancel.getRequestedAt().toEpochMilli()));
      }
    }

    private KeyValue<String, AnalysisRequest> findQueued(String tenantId, String jobId) {
      try (KeyValueIterator<String, AnalysisRequest> it = queue(tenantId)) {
        while (it.hasNext()) {
          KeyValue<String, AnalysisRequest> entry = it.next();
          if (entry.value.getJobId().equals(jobId)) {
            return entry;
          }
        }
      }
      return null;
    }
  }

  /**
   * The decision for one request, its checks in the order a reader would ask them. Only the first check throws
   * (a request whose key and body disagree goes to the dead-letter topic having changed nothing); after it, each
   * branch updates exactly the stores its decision consumes.
   */
  private final class Admission extends Step<AnalysisRequest> {

    @Override
    public void init(ProcessorContext<String, SpecificRecord> context) {
      super.init(context);
      context.schedule(Duration.ofSeconds(1), PunctuationType.WALL_CLOCK_TIME, this::decideAwaitedRequests);
      context.schedule(Duration.ofMinutes(10), PunctuationType.WALL_CLOCK_TIME, this::forgetOldRequests);
    }

    @Override
    public void process(Record<String, AnalysisRequest> record) {
      String tenantId = record.key();
      AnalysisRequest request = record.value();
      outputTimestamp = record.timestamp();
      if (tenantId == null || request == null || !tenantId.equals(request.getTenantId())) {
        // identity comes from the key; a body naming another tenant is a bug upstream, not a request to decide
        throw new IllegalArgumentException("request key does not match its tenant id");
      }
      Instant at = request.getSubmittedAt();
      String jobKey = TenantKeys.of(tenantId, request.getJobId());
      if (jobIds.get(jobKey) != null) {
        return; // a redelivered request was decided already; deciding again would count it twice
      }
      jobIds.put(jobKey, ValueAndTimestamp.make(request.getJobId(), at.toEpochMilli()));
      if (earlyCancellations.get(jobKey) != null) {
        earlyCancellations.delete(jobKey);
        emitStatus(cancelled(request, "cancelled before it was admitted"));
        return;
      }
      decide(request, true);
      publishQuota();
    }

    private void decide(AnalysisRequest request, boolean mayAwaitReferences) {
      String tenantId = request.getTenantId();
      Instant at = request.getSubmittedAt();
      String jobKey = TenantKeys.of(tenantId, request.getJobId());
      String idempotencyKey = request.getIdempotencyKey() == null ? null
          : TenantKeys.of(tenantId, request.getIdempotencyKey());
      ValueAndTimestamp<String> firstJob = idempotencyKey == null ? null : idempotencyKeys.get(idempotencyKey);
      if (firstJob != null) {
        reject(request, Rejection.DUPLICATE_IDEMPOTENCY_KEY, "same idempotency key as " + firstJob.value());
        return;
      }
      Tenant tenant = valueOf(tenants.get(tenantId));
      FileRegistered file = valueOf(files.get(TenantKeys.of(tenantId, request.getFileId())));
      boolean knownInactive = tenant != null && tenant.getStatus() != TenantStatus.ACTIVE;
      if ((tenant == null || file == null) && !knownInactive && mayAwaitReferences) {
        awaitReferences(jobKey, request);
        return;
      }
      if (tenant == null || tenant.getStatus() != TenantStatus.ACTIVE) {
        reject(request, Rejection.TENANT_INACTIVE, null);
        return;
      }
      if (file == null || !tenantId.equals(file.getTenantId())) {
        reject(request, Rejection.FILE_NOT_FOUND, null); // another tenant's file is one that does not exist
        return;
      }
      PlanLimits plan = tenant.getLimits();
      String cacheKey = cacheKeyFor(plan, tenantId, file, request);
      CacheIndexEntry cached = cacheKey == null ? null : liveCacheEntry(tenantId, cacheKey, at);
      if (cached != null) {
        remember(idempotencyKey, request);
        completeFromCache(request, tenant, cached);
        return; // served from a stored result: no rate, quota or slot consumed
      }

      if (rateReached(tenantId, at, plan.getRequestsPerMinute())) {
        reject(request, Rejection.RATE_LIMITED, null);
        return;
      }
      if (plan.getRequestsPerMinute() >= 0) {
        requestsLastMinute.put(tenantId, minuteWindow(tenantId).plusOne(at.toEpochMilli()));
      }

      String month = month(at);
      if (exceeds(counted(analysesPerMonth, monthKey(tenantId, month)), plan.getAnalysesPerMonth())) {
        reject(request, Rejection.QUOTA_EXCEEDED, null);
        return;
      }
      boolean full = concurrencyReached(tenantId, plan.getConcurrentJobs());
      long waiting = full || plan.getConcurrentJobs() >= 0
          ? queueLength(tenantId, plan.getMaxQueuedJobs() >= 0 ? plan.getMaxQueuedJobs() : -1) : 0;
      if (full || waiting > 0) {
        // over the cap the job waits its turn (its unit reserved now, so the quota stays exact); only a full
        // backlog turns it away, and a client may send it again later
        if (plan.getMaxQueuedJobs() >= 0 && waiting >= plan.getMaxQueuedJobs()) {
          reject(request, Rejection.BACKLOG_FULL, "the plan's queue of " + plan.getMaxQueuedJobs() + " jobs is full");
          return;
        }
        reserve(tenantId, jobKey, month);
        remember(idempotencyKey, request);
        queuedJobs.put(nextQueueKey(request), request);
        emitStatus(queuedStatus(request, (int) Math.min(Integer.MAX_VALUE, waiting + 1)));
        if (!full) {
          startQueued(tenantId); // slots free but older jobs waiting (the cap was raised): they go first
        }
        return;
      }

      reserve(tenantId, jobKey, month);
      jobsInFlight.put(jobKey, at.toEpochMilli());
      remember(idempotencyKey, request);
      admit(request, file, plan, cacheKey);
    }

    /** Parks a request until its tenant and file are seen or {@link #REFERENCE_GRACE} has passed. */
    private void awaitReferences(String jobKey, AnalysisRequest request) {
      awaitingReferences.put(jobKey, ValueAndTimestamp.make(request, context.currentSystemTimeMs()));
    }

    /** Decides parked requests whose tenant and file have arrived, and, after the grace, those still missing one. */
    private void decideAwaitedRequests(long now) {
      List<KeyValue<String, ValueAndTimestamp<AnalysisRequest>>> ready = new ArrayList<>();
      try (KeyValueIterator<String, ValueAndTimestamp<AnalysisRequest>> it = awaitingReferences.all()) {
        while (it.hasNext()) {
          KeyValue<String, ValueAndTimestamp<AnalysisRequest>> parked = it.next();
          AnalysisRequest request = parked.value.value();
          boolean seen = tenants.get(request.getTenantId()) != null
              && files.get(TenantKeys.of(request.getTenantId(), request.getFileId())) != null;
          if (seen || now - parked.value.timestamp() >= REFERENCE_GRACE.toMillis()) {
            ready.add(parked);
          }
        }
      }
      for (KeyValue<String, ValueAndTimestamp<AnalysisRequest>> parked : ready) {
        awaitingReferences.delete(parked.key);
        outputTimestamp = parked.value.value().getSubmittedAt().toEpochMilli();
        decide(parked.value.value(), false);
      }
      publishQuota();
    }

    /** A limit below zero means unlimited; otherwise {@code used} may not reach it. */
    private boolean exceeds(long used, int limit) {
      return limit >= 0 && used >= limit;
    }

    private CacheIndexEntry liveCacheEntry(String tenantId, String cacheKey, Instant at) {
      CacheIndexEntry entry = valueOf(cacheIndex.get(CacheKeys.indexKey(tenantId, cacheKey)));
      if (entry == null || !tenantId.equals(entry.getTenantId())
          || !entry.getResultPrefix().startsWith("tenants/" + tenantId + "/")) {
        return null;
      }
      boolean expired = !at.isBefore(entry.getExpiresAt()) || !at.isBefore(entry.getCreatedAt().plus(cacheTtl));
      return expired ? null : entry;
    }

    /** Whether the tenant's requests in the minute up to {@code at} reached the limit (below zero: none). */
    private boolean rateReached(String tenantId, Instant at, int limit) {
      return limit >= 0 && minuteWindow(tenantId).count(at.toEpochMilli()) >= limit;
    }

    private MinuteWindow minuteWindow(String tenantId) {
      MinuteWindow window = requestsLastMinute.get(tenantId);
      return window == null ? MinuteWindow.empty() : window;
    }

    /** Idempotency keys are held by admitted, queued and cache-served jobs only, so a rejected request may be retried. */
    private void remember(String idempotencyKey, AnalysisRequest request) {
      if (idempotencyKey != null) {
        idempotencyKeys.put(idempotencyKey,
            ValueAndTimestamp.make(request.getJobId(), request.getSubmittedAt().toEpochMilli()));
      }
    }

    private void reject(AnalysisRequest request, Rejection rejection, String message) {
      emitStatus(status(request, JobState.REJECTED, DECISION_SEQUENCE)
          .setReason(rejection.reason).setRetryable(rejection.retryable).setMessage(message).build());
    }

    private void completeFromCache(AnalysisRequest request, Tenant tenant, CacheIndexEntry cached) {
      Instant now = clock.instant();
      emitStatus(status(request, JobState.COMPLETED, DECISION_SEQUENCE).setFromCache(true)
          .setResultPrefix(cached.getResultPrefix())
          .setMessage("served from the result of " + cached.getJobId()).setCompletedAt(now).build());
      emit(request.getTenantId(), UsageEvent.newBuilder()
          .setEventId(request.getJobId() + ":cache_hit") // derived from the job: a replay cannot bill it twice
          .setTenantId(request.getTenantId())
          .setType(UsageType.CACHE_HIT)
          .setQuantity(1)
          .setRows(0) // nothing was analysed
          .setJobId(request.getJobId())
          .setFileId(request.getFileId())
          .setPlan(tenant.getPlan())
          .setOccurredAt(now)
          .build());
    }

    /**
     * Job ids, idempotency keys and early cancels are remembered as long as the requests topic keeps a request to
     * redeliver; slots of jobs that never ended are given back after {@link #LOST_JOB_AFTER}, their unit kept (the
     * conservative choice: an analysis may have run), and the tenant's next queued job starts.
     */
    private void forgetOldRequests(long now) {
      long cutoff = now - dedupRetention.toMillis();
      forgetBefore(jobIds, cutoff);
      forgetBefore(idempotencyKeys, cutoff);
      forgetBefore(earlyCancellations, cutoff);
      long lostBefore = now - LOST_JOB_AFTER.toMillis();
      List<String> lost = new ArrayList<>();
      try (KeyValueIterator<String, Long> it = jobsInFlight.all()) {
        while (it.hasNext()) {
          KeyValue<String, Long> job = it.next();
          if (job.value < lostBefore) {
            lost.add(job.key);
          }
        }
      }
      outputTimestamp = now;
      Set<String> tenantsWithFreedSlots = new java.util.TreeSet<>();
      for (String jobKey : lost) {
        jobsInFlight.delete(jobKey);
        String tenantId = TenantKeys.tenantOf(jobKey);
        settle(tenantId, jobKey, false);
        tenantsWithFreedSlots.add(tenantId);
      }
      tenantsWithFreedSlots.forEach(this::startQueued);
      publishQuota();
    }

    private void forgetBefore(TimestampedKeyValueStore<String, String> store, long cutoff) {
      try (KeyValueIterator<String, ValueAndTimestamp<String>> it = store.all()) {
        while (it.hasNext()) {
          KeyValue<String, ValueAndTimestamp<String>> entry = it.next();
          if (entry.value.timestamp() < cutoff) {
            store.delete(entry.key);
          }
        }
      }
    }
  }

  private static <V> V valueOf(ValueAndTimestamp<V> value) {
    return value == null ? null : value.value();
  }
}
