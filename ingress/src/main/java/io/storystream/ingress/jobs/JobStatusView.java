package io.storystream.ingress.jobs;

import io.storystream.common.kafka.KafkaSettings;
import io.storystream.schemas.topics.TenantPartitioner;
import io.storystream.schemas.topics.TenantKeys;
import io.storystream.schemas.topics.TopicSerdes;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Properties;
import java.util.Set;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.TimeUnit;
import io.storystream.schemas.topics.Topics;
import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.admin.OffsetSpec;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.common.serialization.Serdes;
import org.apache.kafka.streams.KafkaStreams;
import org.apache.kafka.streams.errors.StreamsUncaughtExceptionHandler;
import org.apache.kafka.streams.KeyQueryMetadata;
import org.apache.kafka.streams.KeyValue;
import org.apache.kafka.streams.StoreQueryParameters;
import org.apache.kafka.streams.StreamsConfig;
import org.apache.kafka.streams.errors.InvalidStateStoreException;
import org.apache.kafka.streams.state.HostInfo;
import org.apache.kafka.streams.state.KeyValueIterator;
import org.apache.kafka.streams.state.QueryableStoreTypes;
import org.apache.kafka.streams.state.ReadOnlyKeyValueStore;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Runs {@link JobStatusTopology} and answers questions about jobs: which instance holds a tenant's jobs (interactive
 * query metadata), the local copy of a job or of a tenant's job list (active or standby replica), and waits for a job
 * to change (long polls woken by the topology, no polling).
 */
public final class JobStatusView implements AutoCloseable, JobStatusTopology.JobChangeListener {
  private static final Logger log = LoggerFactory.getLogger(JobStatusView.class);
  public static final String APPLICATION_ID = "storystream-ingress-jobs";

  /** How long a question about a job not in the store yet waits for the store to catch up with the requests topic. */
  static final Duration CATCH_UP_LIMIT = Duration.ofSeconds(15);
  /**
   * Threads writing long-poll answers. An answer is a few hundred bytes of JSON that fits in a socket's send buffer,
   * so a thread is busy for microseconds per answer; four keep one client whose socket does not drain from delaying
   * the others' answers.
   */
  static final int LONG_POLL_ANSWER_THREADS = 4;

  private final KafkaStreams streams;
  private final HostInfo self;
  /** Where long polls' answers are written: a few threads per process, never the stream thread (JobWaiters). */
  private final java.util.concurrent.ExecutorService longPollAnswers =
      java.util.concurrent.Executors.newFixedThreadPool(LONG_POLL_ANSWER_THREADS, r -> {
        Thread t = new Thread(r, "long-poll-answers");
        t.setDaemon(true);
        return t;
      });
  private final JobWaiters waiters = new JobWaiters(longPollAnswers);
  /** Per partition of analysis-requests: the offset after the last request applied to the store. */
  private final Map<Integer, Long> appliedUpTo = new ConcurrentHashMap<>();
  /** The end offset the last catch-up on each partition waited for (for the log line of a 404). */
  private final Map<Integer, Long> caughtUpTo = new ConcurrentHashMap<>();
  private final Admin admin;
  private final java.util.concurrent.ScheduledExecutorService catchUpChecks =
      java.util.concurrent.Executors.newSingleThreadScheduledExecutor(r -> {
        Thread t = new Thread(r, "jobs-catch-up");
        t.setDaemon(true);
        return t;
      });

  public JobStatusView(KafkaSettings kafka, TopicSerdes serdes, Path dataDir, HostInfo self) {
    this.self = self;
    Properties props = kafka.streams(APPLICATION_ID, dataDir);
    props.put(StreamsConfig.APPLICATION_SERVER_CONFIG, self.host() + ":" + self.port());
    props.put(StreamsConfig.NUM_STANDBY_REPLICAS_CONFIG, 1);
    props.put(StreamsConfig.DEFAULT_KEY_SERDE_CLASS_CONFIG, Serdes.StringSerde.class);
    props.put(StreamsConfig.DESERIALIZATION_EXCEPTION_HANDLER_CLASS_CONFIG,
        io.storystream.common.kafka.SkipUndecodableOnly.class);
    // completion → long-poll: a status reaches a waiting poll the moment this view applies it (the topology wakes the
    // waiters while processing, before any commit), so the commit interval (100 ms) and the record cache (the jobs
    // store has none) add nothing on that path; what remains is how soon the fetch of analysis-status returns once
    // the worker's transaction committed. The broker answers a parked fetch as soon as the transaction's markers make
    // its records readable (at 500 ms completion → long-poll measured the same), but while Streams has paused the
    // partitions that hold data, catching up after a restart, the one fetch in flight is parked for the whole wait
    // (see AdmissionService): fetch.max.wait.ms 10, about 100 small fetches a second per idle instance
    props.put(StreamsConfig.consumerPrefix("fetch.max.wait.ms"), 10);
    // The view needs no order between its two topics: a status may create a job's view before its request does (the
    // request fills in its fields), and transitions apply by sequence. So a task never waits for, or asks about, an
    // empty partition of the other topic. With any idle time >= 0 Kafka Streams checks every empty partition before
    // each record and formats a diagnostic line for it, logged or not: 15 % of this view's thread while submits
    // arrived (JFR, a steady-state submit round of scripts/bench-ingress.sh).
    props.put(StreamsConfig.MAX_TASK_IDLE_MS_CONFIG, StreamsConfig.MAX_TASK_IDLE_MS_DISABLED);
    this.streams = new KafkaStreams(JobStatusTopology.build(serdes, this), props);
    // A thread that dies (e.g. a commit failing while brokers move) is replaced, as in admission and billing: the
    // default shuts the whole client down, and this instance's job routes would answer 500 until a restart
    // (found by the fault campaign). Its tasks reopen from their changelogs under exactly-once.
    streams.setGlobalStateRestoreListener(new RestoreStarts());
    streams.setUncaughtExceptionHandler(e -> {
      log.error("job-status stream thread failed; replacing it", e);
      return StreamsUncaughtExceptionHandler.StreamThreadExceptionResponse.REPLACE_THREAD;
    });
    this.admin = Admin.create(kafka.admin());
  }

  private volatile JobMetrics metrics;
  private io.storystream.common.ops.KafkaMeters.Binding streamsMeters;

  /** Reports transitions into {@code jobMetrics} and binds the Streams metrics; call before {@link #start()}. */
  public JobStatusView withMetrics(JobMetrics jobMetrics, io.micrometer.core.instrument.MeterRegistry registry) {
    this.metrics = jobMetrics;
    this.streamsMeters = io.storystream.common.ops.KafkaMeters.bind(registry, streams);
    return this;
  }

  @Override
  public void transitionApplied(io.storystream.schemas.AnalysisStatus status) {
    JobMetrics m = metrics;
    if (m != null) {
      m.transition(status);
    }
  }

  public JobStatusView start() {
    streams.start();
    return this;
  }

  public boolean ready() {
    return streams.state() == KafkaStreams.State.RUNNING;
  }

  /** True once this view was closed or failed for good (it holds nothing and never will again). */
  public boolean stopped() {
    return !streams.state().isRunningOrRebalancing() && streams.state() != KafkaStreams.State.CREATED;
  }

  /**
   * The partitions of the jobs store this instance holds as active tasks now. Between the two rounds of a
   * cooperative rebalance a partition is active nowhere: a group of instances has settled when every instance is
   * {@link #ready()} and their active partitions together cover every partition once.
   */
  public Set<Integer> activePartitions() {
    Set<Integer> partitions = new java.util.TreeSet<>();
    streams.metadataForLocalThreads().forEach(thread ->
        thread.activeTasks().forEach(task -> partitions.add(task.taskId().partition())));
    return partitions;
  }

  public HostInfo self() {
    return self;
  }

  /** Where a tenant's jobs live: the active host, standbys and the partition. */
  public record Location(HostInfo active, Set<HostInfo> standbys, int partition) {
    public boolean available() {
      return active != null && !KeyQueryMetadata.NOT_AVAILABLE.activeHost().equals(active);
    }
  }

  public Location locate(String tenantId) {
    KeyQueryMetadata metadata = streams.queryMetadataForKey(JobStatusTopology.JOBS_STORE, tenantId,
        TenantPartitioner.<Object>streams());
    if (metadata == null || metadata == KeyQueryMetadata.NOT_AVAILABLE) {
      return new Location(null, Set.of(), -1);
    }
    return new Location(metadata.activeHost(), metadata.standbyHosts(), metadata.partition());
  }

  public boolean isSelf(HostInfo host) {
    return self.equals(host);
  }

  /** The job as this instance's replica (active or standby) holds it. */
  public Optional<JobView> localGet(String tenantId, String jobId) {
    return Optional.ofNullable(store(tenantId).get(TenantKeys.of(tenantId, jobId)));
  }

  /** Every job of the tenant in this instance's replica, unordered. */
  public List<JobView> localList(String tenantId) {
    List<JobView> jobs = new ArrayList<>();
    try (KeyValueIterator<String, JobView> it = store(tenantId)
        .prefixScan(tenantId + TenantKeys.SEPARATOR, Serdes.String().serializer())) {
      while (it.hasNext()) {
        KeyValue<String, JobView> next = it.next();
        jobs.add(next.value);
      }
    }
    return jobs;
  }

  private ReadOnlyKeyValueStore<String, JobView> store(String tenantId) {
    Location location = locate(tenantId);
    StoreQueryParameters<ReadOnlyKeyValueStore<String, JobView>> params = StoreQueryParameters
        .fromNameAndType(JobStatusTopology.JOBS_STORE, QueryableStoreTypes.<String, JobView>keyValueStore())
        .enableStaleStores();
    if (location.partition() >= 0) {
      params = params.withPartition(location.partition());
    }
    return streams.store(params);
  }

  /**
   * Completes with the job's view as soon as it differs from {@code seen}, or with {@code seen} after {@code wait}.
   * The waiter registers before re-reading, so a change between the caller's read and the registration is not lost.
   */
  public CompletableFuture<JobView> awaitChange(String tenantId, String jobId, JobView seen, Duration wait) {
    String key = TenantKeys.of(tenantId, jobId);
    CompletableFuture<JobView> changed = waiters.register(key, seen);
    try {
      // A job missing from this read is not an erased job: the store may be restoring after a failed transaction
      // wiped it, or the partition moving. Only the topology's own tombstone ({@link #changed}) reports an erasure;
      // reading absence as one answered 404 to polls of live jobs after broker faults (found by the fault campaign).
      JobView now = localGet(tenantId, jobId).orElse(null);
      if (now != null && JobWaiters.moved(seen, now)) {
        changed.complete(now);
      }
    } catch (InvalidStateStoreException rebalancing) {
      // the wake-up or the timeout answers
    }
    return waiters.answered(changed, seen, wait);
  }

  @Override
  public void requestApplied(int partition, long offset) {
    appliedUpTo.merge(partition, offset + 1, Math::max);
  }

  /**
   * The partition's store is being rebuilt (restored from its changelog, or opened empty after exactly-once wiped
   * it): what this instance applied before says nothing about what the store holds now, so it is forgotten, and a
   * question about a missing job waits until the requests are applied again (or the commit shows they are).
   */
  @Override
  public void storeReopened(int partition) {
    appliedUpTo.remove(partition);
  }

  /** Forgets what was applied to a partition whose jobs store starts restoring (before its processors open again). */
  private final class RestoreStarts implements org.apache.kafka.streams.processor.StateRestoreListener {
    @Override
    public void onRestoreStart(TopicPartition changelog, String storeName, long startingOffset, long endingOffset) {
      if (JobStatusTopology.JOBS_STORE.equals(storeName)) {
        storeReopened(changelog.partition());
      }
    }

    @Override
    public void onBatchRestored(TopicPartition changelog, String storeName, long batchEndOffset, long numRestored) {
      // only the start matters here
    }

    @Override
    public void onRestoreEnd(TopicPartition changelog, String storeName, long totalRestored) {
      // the requests after the changelog's end are applied by processing, which reports them itself
    }
  }

  /** What a question that found no job saw: for the log line of a 404, ids and offsets only. */
  String catchUpFigures(String tenantId) {
    Location location = locate(tenantId);
    if (location.partition() < 0) {
      return "partition unknown";
    }
    TopicPartition requests = new TopicPartition(Topics.ANALYSIS_REQUESTS.name(), location.partition());
    return "partition " + location.partition() + ", end offset waited for " + caughtUpTo.get(location.partition())
        + ", applied up to " + appliedUpTo.get(location.partition())
        + ", committed up to " + committedUpTo(requests) + ", active " + location.active();
  }

  /**
   * Completes with true once this instance's store holds the view of every request on the tenant's partition of
   * {@code analysis-requests} that was written before this call — every job answered 202 before the question was
   * asked — or with false after {@link #CATCH_UP_LIMIT}. A job not found after it does not exist; one not found
   * before it may simply not have been read yet, which must never be answered 404.
   */
  public CompletableFuture<Boolean> awaitCaughtUp(String tenantId) {
    Location location = locate(tenantId);
    if (location.partition() < 0) {
      return CompletableFuture.completedFuture(false);
    }
    int partition = location.partition();
    TopicPartition requests = new TopicPartition(Topics.ANALYSIS_REQUESTS.name(), partition);
    CompletableFuture<Boolean> caughtUp = new CompletableFuture<>();
    admin.listOffsets(Map.of(requests, OffsetSpec.latest())).partitionResult(requests).toCompletionStage()
        .whenComplete((end, error) -> {
          if (error != null) {
            caughtUp.complete(false);
            return;
          }
          long target = end.offset();
          caughtUpTo.put(partition, target);
          long deadline = System.nanoTime() + CATCH_UP_LIMIT.toNanos();
          Runnable check = new Runnable() {
            @Override
            public void run() {
              if (appliedUpTo.getOrDefault(partition, 0L) >= target || committedUpTo(requests) >= target) {
                caughtUp.complete(true);
              } else if (System.nanoTime() > deadline) {
                caughtUp.complete(false);
              } else {
                catchUpChecks.schedule(this, 10, TimeUnit.MILLISECONDS);
              }
            }
          };
          check.run();
        });
    return caughtUp;
  }

  /** The offset Streams committed for the partition on this instance (skipping unreadable records), or -1. */
  private long committedUpTo(TopicPartition partition) {
    try {
      return streams.metadataForLocalThreads().stream()
          .flatMap(thread -> thread.activeTasks().stream())
          .map(task -> task.committedOffsets().get(partition))
          .filter(java.util.Objects::nonNull)
          .max(Long::compare).orElse(-1L);
    } catch (RuntimeException notRunning) {
      return -1L;
    }
  }

  @Override
  public void changed(String storeKey, JobView view) {
    waiters.changed(storeKey, view);
  }

  @Override
  public void close() {
    waiters.cancelAll();
    longPollAnswers.shutdown(); // the cancelled polls' answers still run
    catchUpChecks.shutdownNow();
    if (streamsMeters != null) {
      streamsMeters.close();
    }
    admin.close(Duration.ofSeconds(5));
    // leave the group: a static member that stops cleanly would otherwise hold its partitions until the session
    // times out (30 s), and the other instances could not answer for its jobs meanwhile
    if (!streams.close(org.apache.kafka.streams.CloseOptions.groupMembershipOperation(
        org.apache.kafka.streams.CloseOptions.GroupMembershipOperation.LEAVE_GROUP)
        .withTimeout(Duration.ofSeconds(10)))) {
      log.warn("the job-status view did not stop within 10 s");
    }
  }
}
