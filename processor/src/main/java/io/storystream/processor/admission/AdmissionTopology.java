package io.storystream.processor.admission;

import io.storystream.processor.ProcessorTopics;
import io.storystream.processor.admission.erasure.ForgetErasedTenant;
import io.storystream.schemas.AnalysisRequest;
import io.storystream.schemas.AnalysisStatus;
import io.storystream.schemas.AnalysisWork;
import io.storystream.schemas.FileRegistered;
import io.storystream.schemas.JobState;
import io.storystream.schemas.PlanLimits;
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
 * cache, or admitted and handed to the worker — under exactly-once, so the check and the consumption of a quota are
 * one transaction with the decision. Every input is keyed (or partitioned) by tenant, so one task owns all of a
 * tenant's requests, files, cache entries, counters and job endings: quotas are exact under any concurrency,
 * without locks.
 *
 * <p>The data's path, top to bottom:
 * <ol>
 *   <li>tables of tenants (plan and status), files and cache entries, each on its tenant's partition;</li>
 *   <li>job endings from {@code analysis-status} free their concurrency slot; a tenant turning DELETED (erasure)
 *       takes every entry admission keeps about it out of its stores;</li>
 *   <li>each request: drop a redelivered job id; reject a reused idempotency key, an inactive tenant, a file the
 *       tenant does not own; complete from a live cache entry; reject over the per-minute rate, the monthly quota or
 *       the concurrency cap; otherwise admit;</li>
 *   <li>decisions fan out to {@code analysis-status}, {@code analysis-work} and {@code usage-events}.</li>
 * </ol>
 * Records that cannot be read or processed go to {@code dead-letter} through {@link DeadLetters}.
 */
public final class AdmissionTopology {
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

  private static final Set<JobState> TERMINAL_STATES = Set.of(JobState.COMPLETED, JobState.FAILED, JobState.REJECTED);

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

    // 2. A job that ended (keyed tenantId:jobId, partitioned by tenant) gives its tenant's slot back. The worker
    //    writes endings to a topic of their own: reading analysis-status, which carries admission's own decisions,
    //    made each commit wait for the fetch of the statuses it had just written.
    builder.stream(ProcessorTopics.JOB_ENDINGS.name(), serdes.consumed(ProcessorTopics.JOB_ENDINGS))
        .process(ReleaseSlotOnJobEnd::new, Named.as("release-slot-on-job-end"), JOBS_IN_FLIGHT);
    // 2b. Erasure: a tenant turning DELETED takes everything admission remembers about it (ForgetErasedTenant),
    //     from each of its own stores keyed tenantId or tenantId:…
    String[] erasable = {JOB_IDS, IDEMPOTENCY_KEYS, REQUESTS_LAST_MINUTE, ANALYSES_PER_MONTH, JOBS_IN_FLIGHT,
        AWAITING_REFERENCES};
    tenants.toStream(Named.as("tenant-changes"))
        .process(() -> new ForgetErasedTenant(erasable), Named.as("forget-erased-tenant"), erasable);

    // 3. Each request becomes one decision.
    KStream<String, SpecificRecord> decisions = builder
        .stream(Topics.ANALYSIS_REQUESTS.name(), serdes.consumed(Topics.ANALYSIS_REQUESTS))
        .process(Admission::new, Named.as("admit-or-reject"),
            TENANTS, FILES, CACHE_INDEX, JOB_IDS, IDEMPOTENCY_KEYS, REQUESTS_LAST_MINUTE, ANALYSES_PER_MONTH,
            JOBS_IN_FLIGHT, AWAITING_REFERENCES);

    // 4. Decisions fan out to their topics (keys set by Admission: tenantId:jobId for status, tenantId otherwise).
    decisions.split(Named.as("decision-"))
        .branch((key, value) -> value instanceof AnalysisStatus, Branched.withConsumer(status -> status
            .mapValues(value -> (AnalysisStatus) value, Named.as("job-status"))
            .to(Topics.ANALYSIS_STATUS.name(), serdes.produced(Topics.ANALYSIS_STATUS)), "status"))
        .branch((key, value) -> value instanceof AnalysisWork, Branched.withConsumer(work -> work
            .mapValues(value -> (AnalysisWork) value, Named.as("admitted-job"))
            .to(Topics.ANALYSIS_WORK.name(), serdes.produced(Topics.ANALYSIS_WORK)), "work"))
        .branch((key, value) -> value instanceof UsageEvent, Branched.withConsumer(usage -> usage
            .mapValues(value -> (UsageEvent) value, Named.as("cache-hit-usage"))
            .to(Topics.USAGE_EVENTS.name(), serdes.produced(Topics.USAGE_EVENTS)), "usage"))
        .noDefaultBranch();

    return builder.build(OPTIMIZATIONS);
  }

  /** Frees a concurrency slot when a job admission counted reaches a terminal state; later repeats find none. */
  private static final class ReleaseSlotOnJobEnd implements Processor<String, AnalysisStatus, Void, Void> {
    private KeyValueStore<String, Long> jobsInFlight;

    @Override
    public void init(ProcessorContext<Void, Void> context) {
      jobsInFlight = context.getStateStore(JOBS_IN_FLIGHT);
    }

    @Override
    public void process(Record<String, AnalysisStatus> record) {
      // most endings are of jobs admission never counted (its own rejections and cache hits): look before deleting,
      // so they cost a read, not a changelog write
      if (record.value() != null && TERMINAL_STATES.contains(record.value().getState())
          && jobsInFlight.get(record.key()) != null) {
        jobsInFlight.delete(record.key());
      }
    }
  }

  /**
   * The decision for one request, its checks in the order a reader would ask them. Only the first check throws
   * (a request whose key and body disagree goes to the dead-letter topic having changed nothing); after it, each
   * branch updates exactly the stores its decision consumes.
   */
  private final class Admission implements Processor<String, AnalysisRequest, String, SpecificRecord> {
    private ProcessorContext<String, SpecificRecord> context;
    private TimestampedKeyValueStore<String, Tenant> tenants;
    private TimestampedKeyValueStore<String, FileRegistered> files;
    private TimestampedKeyValueStore<String, CacheIndexEntry> cacheIndex;
    private TimestampedKeyValueStore<String, String> jobIds;
    private TimestampedKeyValueStore<String, String> idempotencyKeys;
    private KeyValueStore<String, MinuteWindow> requestsLastMinute;
    private KeyValueStore<String, Long> analysesPerMonth;
    private KeyValueStore<String, Long> jobsInFlight;
    private TimestampedKeyValueStore<String, AnalysisRequest> awaitingReferences;
    private long requestTimestamp;

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
      context.schedule(Duration.ofSeconds(1), PunctuationType.WALL_CLOCK_TIME, this::decideAwaitedRequests);
      context.schedule(Duration.ofMinutes(10), PunctuationType.WALL_CLOCK_TIME, this::forgetOldRequests);
    }

    @Override
    public void process(Record<String, AnalysisRequest> record) {
      String tenantId = record.key();
      AnalysisRequest request = record.value();
      requestTimestamp = record.timestamp();
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
      decide(request, true);
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
      String cacheKey = plan.getCacheEnabled()
          ? CacheKeys.of(tenantId, file.getSha256(), request.getSteeringPrompt(), request.getRefinementPrompt())
          : null;
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

      String monthKey = TenantKeys.of(tenantId, YearMonth.from(at.atOffset(ZoneOffset.UTC)).toString());
      Long analysesThisMonth = analysesPerMonth.get(monthKey);
      long used = analysesThisMonth == null ? 0 : analysesThisMonth;
      if (exceeds(used, plan.getAnalysesPerMonth())) {
        reject(request, Rejection.QUOTA_EXCEEDED, null);
        return;
      }
      if (concurrencyReached(tenantId, plan.getConcurrentJobs())) {
        reject(request, Rejection.CONCURRENCY_EXCEEDED, null);
        return;
      }

      analysesPerMonth.put(monthKey, used + 1);
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
        requestTimestamp = parked.value.value().getSubmittedAt().toEpochMilli();
        decide(parked.value.value(), false);
      }
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

    /** Counts the tenant's admitted jobs that have not ended, stopping at the limit (below zero: none). */
    private boolean concurrencyReached(String tenantId, int limit) {
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

    /** Idempotency keys are held by admitted and cache-served jobs only, so a rejected request may be retried. */
    private void remember(String idempotencyKey, AnalysisRequest request) {
      if (idempotencyKey != null) {
        idempotencyKeys.put(idempotencyKey,
            ValueAndTimestamp.make(request.getJobId(), request.getSubmittedAt().toEpochMilli()));
      }
    }

    private void reject(AnalysisRequest request, Rejection rejection, String message) {
      emitStatus(status(request, JobState.REJECTED)
          .setReason(rejection.reason).setRetryable(rejection.retryable).setMessage(message).build());
    }

    private void completeFromCache(AnalysisRequest request, Tenant tenant, CacheIndexEntry cached) {
      Instant now = clock.instant();
      emitStatus(status(request, JobState.COMPLETED).setFromCache(true).setResultPrefix(cached.getResultPrefix())
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

    private void admit(AnalysisRequest request, FileRegistered file, PlanLimits plan, String cacheKey) {
      String tenantId = request.getTenantId();
      emitStatus(status(request, JobState.ADMITTED).build());
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

    private AnalysisStatus.Builder status(AnalysisRequest request, JobState state) {
      return AnalysisStatus.newBuilder()
          .setJobId(request.getJobId())
          .setTenantId(request.getTenantId())
          .setFileId(request.getFileId())
          .setState(state)
          .setSequence(DECISION_SEQUENCE)
          .setIdempotencyKey(request.getIdempotencyKey())
          .setSubmittedAt(request.getSubmittedAt())
          .setUpdatedAt(clock.instant());
    }

    private void emitStatus(AnalysisStatus status) {
      emit(TenantKeys.of(status.getTenantId(), status.getJobId()), status);
    }

    private void emit(String key, SpecificRecord value) {
      context.forward(new Record<>(key, value, requestTimestamp));
    }

    /**
     * Job ids and idempotency keys are remembered as long as the requests topic keeps a request to redeliver; slots
     * of jobs that never ended are given back after {@link #LOST_JOB_AFTER}.
     */
    private void forgetOldRequests(long now) {
      long cutoff = now - dedupRetention.toMillis();
      forgetBefore(jobIds, cutoff);
      forgetBefore(idempotencyKeys, cutoff);
      long lostBefore = now - LOST_JOB_AFTER.toMillis();
      try (KeyValueIterator<String, Long> it = jobsInFlight.all()) {
        while (it.hasNext()) {
          KeyValue<String, Long> job = it.next();
          if (job.value < lostBefore) {
            jobsInFlight.delete(job.key);
          }
        }
      }
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
