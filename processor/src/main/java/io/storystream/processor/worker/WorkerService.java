package io.storystream.processor.worker;

import io.micrometer.core.instrument.Gauge;
import io.storystream.common.ops.KafkaMeters;
import io.storystream.processor.ProcessorMetrics;
import io.storystream.common.logging.LogContext;
import io.storystream.processor.ProcessorTopics;
import io.storystream.common.blob.BlobStore;
import io.storystream.common.crypto.Keyrings;
import io.storystream.datastorybot.client.DataStoryBotClient;
import io.storystream.datastorybot.client.JobControl;
import io.storystream.schemas.AnalysisWork;
import io.storystream.schemas.registry.HttpSchemaRegistryClient;
import io.storystream.schemas.registry.SchemaRegistryClient;
import io.storystream.schemas.serde.AvroDeserializer;
import io.storystream.schemas.serde.ReadAgainLater;
import io.storystream.schemas.topics.Topics;
import java.time.Clock;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Collection;
import java.util.HashMap;
import java.util.HashSet;
import java.util.Iterator;
import java.util.List;
import java.util.Map;
import java.util.Properties;
import java.util.Set;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicLong;
import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.consumer.ConsumerRebalanceListener;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.consumer.ConsumerRecords;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.clients.consumer.OffsetAndMetadata;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerConfig;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.common.KafkaException;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.common.config.ConfigException;
import org.apache.kafka.common.errors.AuthenticationException;
import org.apache.kafka.common.errors.AuthorizationException;
import org.apache.kafka.common.errors.InvalidConfigurationException;
import org.apache.kafka.common.errors.OutOfOrderSequenceException;
import org.apache.kafka.common.errors.ProducerFencedException;
import org.apache.kafka.common.errors.UnsupportedVersionException;
import org.apache.kafka.common.errors.WakeupException;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The DataStoryBot worker: reads admitted jobs from {@code analysis-work} with a plain consumer group, runs
 * hundreds of them at once on the async DataStoryBot client under a fair per-tenant scheduler, and reports each
 * job's transitions, usage and cache entry in Kafka transactions that also commit the consumer offsets.
 *
 * <p>One loop thread owns the consumer, the producer, the scheduler and the offset bookkeeping; jobs run on the
 * client's and an I/O pool's threads and hand their outcomes back through a queue. Each loop turn: read new jobs,
 * take finished ones, start as many as the scheduler allows, then commit one transaction with every status,
 * usage event and cache entry of the turn plus the offsets (first unfinished job, finished ones after it in the
 * metadata). A job's facts and the record saying it is done are committed together, so a job is either reported
 * once and never read again, or not reported and redone.
 *
 * <p>An unexpected exception in the loop does not end the service: the loop drops everything it had not committed,
 * aborts the open transaction, closes its consumer and producer, waits (1 s doubling to 30 s, back to 1 s after a
 * healthy turn), and starts again from the committed offsets with new clients; the new transactional producer has
 * the same {@code transactional.id}, so it fences the old one. {@link #health()} is {@code RESTARTING} from the
 * failure until a turn goes well again, and {@link #restarts()} counts the restarts. Failures a restart cannot fix
 * (authorization, authentication, configuration) stop the loop for good: health {@code FAILED}, and
 * {@link #terminated()} completes so the command can exit with an error. A failure while the loop was handling one
 * work record is charged to that record ({@link PoisonRecords}); after three, the record is dead-lettered with its
 * error and its job reported FAILED ({@code worker_error}) when it is read again, instead of restarting forever.
 */
public final class WorkerService implements AutoCloseable {
  private static final Logger log = LoggerFactory.getLogger(WorkerService.class);
  private static final Duration IDLE_POLL = Duration.ofMillis(200);

  /** What the loop is doing. Only {@code RUNNING} is healthy. */
  public enum Health {
    /** Not started yet, or closed. */
    STOPPED,
    /** Reading and running jobs. */
    RUNNING,
    /** Failed unexpectedly: backing off, or started again but no turn has gone well yet. */
    RESTARTING,
    /** Stopped for good by a failure a restart cannot fix; see the log. */
    FAILED
  }

  /** Waits before a restart; returns early when the worker is closed meanwhile. */
  interface Pause {
    void await(Duration delay) throws InterruptedException;
  }

  private final WorkerConfig config;
  private final SchemaRegistryClient registry;
  private final Clock clock;
  private final AtomicBoolean running = new AtomicBoolean();
  private volatile boolean halted;
  private final AtomicBoolean polling = new AtomicBoolean();
  private final ConcurrentLinkedQueue<Finished> finishedJobs = new ConcurrentLinkedQueue<>();
  private final AtomicInteger jobsRunning = new AtomicInteger();
  private final AtomicLong restarts = new AtomicLong();
  private volatile Health health = Health.STOPPED;
  private final CompletableFuture<Health> terminated = new CompletableFuture<>();
  private final CountDownLatch closing = new CountDownLatch(1);
  /** Records that made the loop throw; kept across restarts so a poison record is dead-lettered, not run forever. */
  private final PoisonRecords poisonRecords = new PoisonRecords(PoisonRecords.DEFAULT_MAX_ATTEMPTS);
  private Pause pause = delay -> closing.await(delay.toMillis(), TimeUnit.MILLISECONDS);

  // replaced on every restart; the consumer is read by job threads to wake the loop up
  private volatile KafkaConsumer<String, byte[]> consumer;
  private KafkaProducer<String, byte[]> producer;
  private boolean inTransaction;
  private BlobStore blobs;
  /** The cluster's tenant keyring: sealing of what the worker reads and writes, and erasure's fence. */
  private Keyrings.Lease keys;
  private DataStoryBotClient client;
  private ExecutorService io;
  private final JobExecutor injectedJobs;
  private JobExecutor runner;
  private WorkerOutputs outputs;
  private AvroDeserializer<AnalysisWork> workDeserializer;
  private CancellationFeed cancellations;
  private Thread loop;
  private ProcessorMetrics metrics = ProcessorMetrics.none();
  private final List<KafkaMeters.Binding> clientMeters = new ArrayList<>();

  // loop-thread state
  private FairScheduler<Job> scheduler;
  private final Map<TopicPartition, PartitionProgress> progress = new HashMap<>();
  private final List<Outgoing> outbox = new ArrayList<>();
  private final Set<TopicPartition> offsetsToCommit = new HashSet<>();
  private final List<Finished> held = new ArrayList<>();
  private boolean paused;
  /** Counts the loop's restarts: a job started before the latest one is not the current scheduler's to release. */
  private int generation;

  /**
   * A job read from a partition; {@code owner} is the bookkeeping of the assignment it was read under,
   * {@code generation} the loop restart it was read in.
   */
  private record Job(TopicPartition partition, long offset, PartitionProgress owner, AnalysisWork work, long[] startedAt,
      int generation) {
    /** Ids for a log line; a record that could not be read has none ({@code work} is null). */
    String describe() {
      return work == null ? "unreadable work record" : "job " + work.getJobId() + " of tenant " + work.getTenantId();
    }
  }

  /** A job that ended (or a record that never became one), with what to emit for it. */
  private record Finished(Job job, JobOutcome outcome, List<ProducerRecord<String, byte[]>> records) {}

  /** A record waiting for the turn's transaction; dropped if its partition is taken away first. */
  private record Outgoing(TopicPartition source, ProducerRecord<String, byte[]> record) {}

  public WorkerService(WorkerConfig config) {
    this(config, new HttpSchemaRegistryClient(config.kafka().registryUrl(), Duration.ofSeconds(30)), Clock.systemUTC());
  }

  public WorkerService(WorkerConfig config, SchemaRegistryClient registry, Clock clock) {
    this(config, registry, clock, null);
  }

  /** With jobs run by {@code jobs} instead of S3 + DataStoryBot: for measuring the queue alone. */
  WorkerService(WorkerConfig config, SchemaRegistryClient registry, Clock clock, JobExecutor jobs) {
    this.config = config;
    this.registry = registry;
    this.clock = clock;
    this.injectedJobs = jobs;
  }

  /** Where the worker's metrics go (the process's management registry); call before {@link #start()}. */
  public WorkerService withMetrics(ProcessorMetrics processMetrics) {
    this.metrics = processMetrics;
    return this;
  }

  /** How the loop waits before a restart (tests hold it there to look at the worker). Call before {@link #start()}. */
  WorkerService pauseBeforeRestart(Pause pause) {
    this.pause = pause;
    return this;
  }

  public synchronized WorkerService start() {
    if (terminated.isDone()) {
      throw new IllegalStateException("a stopped worker cannot start again; create a new one");
    }
    if (!running.compareAndSet(false, true)) {
      return this;
    }
    ensureTopics();
    keys = Keyrings.acquire(config.kafka(), config.dataDir());
    io = Executors.newFixedThreadPool(Math.max(4, Math.min(32, config.maxInFlight() / 8)), daemon("worker-io"));
    if (injectedJobs != null) {
      runner = injectedJobs;
    } else {
      // nothing is written under an erased tenant's prefix once this instance has seen its key destroyed
      blobs = new BlobStore(config.s3()).fenceWrites(key -> {
        String tenant = BlobStore.tenantOfKey(key);
        return tenant != null && keys.keyring().isErased(tenant);
      });
      client = new DataStoryBotClient(config.datastorybot(), metrics.datastorybotCalls());
      runner = new JobRunner(blobs, client, config.dataDir().resolve("worker-tmp"), io, clock);
    }
    outputs = new WorkerOutputs(registry, config.cacheTtl());
    outputs.registerSchemas(); // up front, so the loop never waits on the registry to write
    workDeserializer = new AvroDeserializer<>(registry, AnalysisWork.class);
    scheduler = new FairScheduler<>(config.maxInFlight());
    cancellations = new CancellationFeed(config.kafka(), registry, clock, config.instanceId()).start();
    openClients();
    health = Health.RUNNING;
    Gauge.builder("storystream_worker_jobs_running", jobsRunning, AtomicInteger::get)
        .description("Jobs this worker is running now").register(metrics.registry());
    loop = new Thread(this::runLoop, "worker-loop-" + config.instanceId());
    loop.start();
    log.info("worker {} started: group {}, {} jobs in flight at most", config.instanceId(), config.groupId(),
        config.maxInFlight());
    return this;
  }

  /** A new consumer subscribed to the work topic and a new transactional producer (which fences its predecessor). */
  private void openClients() {
    Properties consumerProps = config.kafka().consumer(config.groupId());
    consumerProps.put("client.id", "storystream-worker-" + config.instanceId());
    consumerProps.put("max.poll.interval.ms", "300000");
    consumerProps.put("group.protocol", "classic");
    // static membership: a restarted instance takes its partitions back at once instead of waiting out the
    // session timeout of its dead predecessor
    consumerProps.put("group.instance.id", "storystream-worker-" + config.instanceId());
    consumerProps.put("session.timeout.ms", "30000");
    // fetch.max.wait.ms stays 500 ms: admitted work becomes readable when admission's transaction commits, and the
    // broker answers the parked fetch at that moment (10 ms here measured no faster). Unlike a Streams consumer this
    // one pauses all its partitions or none (flowControl), so a parked fetch never holds back a resumed partition
    // while jobs are still waiting: at resume half the waiting limit is still queued.
    KafkaConsumer<String, byte[]> created = new KafkaConsumer<>(consumerProps);
    try {
      producer = newProducer();
      inTransaction = false;
      created.subscribe(List.of(Topics.ANALYSIS_WORK.name()), new Rebalance());
    } catch (RuntimeException e) {
      created.close(Duration.ZERO);
      throw e;
    }
    consumer = created;
    synchronized (clientMeters) { // the clients of the previous loop run are closed: their series go with them
      clientMeters.forEach(KafkaMeters.Binding::close);
      clientMeters.clear();
      clientMeters.add(KafkaMeters.bind(metrics.registry(), created));
      clientMeters.add(KafkaMeters.bind(metrics.registry(), producer));
    }
  }

  private void ensureTopics() {
    try (Admin admin = Admin.create(config.kafka().admin())) {
      ProcessorTopics.catalogue(config.kafka().tenantPartitions(), config.kafka().replicationFactor()).ensure(admin);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new IllegalStateException("interrupted while provisioning topics", e);
    }
  }

  private KafkaProducer<String, byte[]> newProducer() {
    Properties props = config.kafka().producer("storystream-worker-" + config.instanceId());
    // stable per instance: a restarted instance fences and aborts its predecessor's open transaction at once
    props.put(ProducerConfig.TRANSACTIONAL_ID_CONFIG, "storystream-worker-" + config.instanceId());
    props.put(ProducerConfig.TRANSACTION_TIMEOUT_CONFIG, 30_000);
    props.put(ProducerConfig.LINGER_MS_CONFIG, 0);
    KafkaProducer<String, byte[]> created = new KafkaProducer<>(props);
    created.initTransactions();
    return created;
  }

  // ---------------------------------------------------------------- the loop thread

  private void runLoop() {
    Backoff backoff = new Backoff(Backoff.FIRST, Backoff.MAX);
    try {
      while (running.get()) {
        try {
          if (consumer == null) {
            openClients();
          }
          turns(backoff);
          return;
        } catch (Throwable failure) {
          if (!running.get()) {
            return; // closed meanwhile: nothing to restart
          }
          if (!restartable(failure)) {
            health = Health.FAILED;
            log.error("worker {} stopped for good: {} at {} is not fixed by a restart", config.instanceId(),
                describe(failure), where(failure));
            return;
          }
          health = Health.RESTARTING;
          int charged = poisonRecords.loopFailed(failure);
          if (charged > 0) {
            log.warn("worker {}: the loop failed while handling one work record, attempt {} of {} before it is "
                + "dead-lettered", config.instanceId(), charged, poisonRecords.maxAttempts());
          }
          long restart = restarts.incrementAndGet();
          Duration delay = backoff.next();
          // class and place only: a message could quote a job's data
          log.error("worker {} loop failed with {} at {}; restart {} in {} ms", config.instanceId(),
              describe(failure), where(failure), restart, delay.toMillis());
          abandon();
          pause.await(delay);
        }
      }
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
    } finally {
      closeClients();
      if (health != Health.FAILED) {
        health = Health.STOPPED;
      }
      terminated.complete(health);
    }
  }

  /** Loop turns until the worker is closed or halted; the last turn is committed on a clean close. */
  private void turns(Backoff backoff) {
    while (running.get()) {
      ConsumerRecords<String, byte[]> records = poll();
      for (ConsumerRecord<String, byte[]> record : records) {
        accept(record);
      }
      if (halted) {
        return;
      }
      takeFinished();
      startJobs();
      commitTurn();
      flowControl();
      if (health != Health.RUNNING) {
        health = Health.RUNNING;
        log.info("worker {} running again after restart {}", config.instanceId(), restarts.get());
      }
      backoff.reset();
    }
    if (!halted) {
      try {
        commitTurn();
      } catch (RuntimeException e) {
        log.warn("could not commit the last turn: {}", e.getClass().getSimpleName());
      }
    }
  }

  /**
   * Forgets everything the failed loop had not committed and closes its clients, so the restart begins like a new
   * instance: from the committed offsets, which cover exactly the jobs whose facts were committed. Jobs still
   * running belong to the old generation; when they finish they are dropped, and the new loop runs them again
   * (a result already in S3 is reused).
   */
  private void abandon() {
    generation++;
    outbox.clear();
    offsetsToCommit.clear();
    held.clear();
    progress.clear();
    scheduler = new FairScheduler<>(config.maxInFlight());
    paused = false;
    if (producer != null) {
      if (inTransaction) {
        try {
          producer.abortTransaction();
        } catch (RuntimeException e) {
          // the next producer's initTransactions (same transactional.id) aborts it and fences this one anyway
          log.debug("abort after failure: {}", e.getClass().getSimpleName());
        }
      }
      KafkaProducer<String, byte[]> oldProducer = producer;
      producer = null;
      inTransaction = false;
      closeQuietly(() -> oldProducer.close(Duration.ZERO));
    }
    KafkaConsumer<String, byte[]> oldConsumer = consumer;
    consumer = null;
    if (oldConsumer != null) {
      // nothing is left to commit, so a revocation callback during close has nothing to report
      closeQuietly(() -> oldConsumer.close(Duration.ZERO));
    }
  }

  private void closeClients() {
    KafkaConsumer<String, byte[]> oldConsumer = consumer;
    consumer = null;
    if (oldConsumer != null) {
      closeQuietly(() -> oldConsumer.close(Duration.ofSeconds(5)));
    }
    KafkaProducer<String, byte[]> oldProducer = producer;
    producer = null;
    if (oldProducer != null) {
      closeQuietly(() -> oldProducer.close(halted || health == Health.FAILED ? Duration.ZERO : Duration.ofSeconds(5)));
    }
  }

  /** Failures that a new consumer and producer would meet again: the loop stops instead of restarting forever. */
  static boolean restartable(Throwable failure) {
    int depth = 0;
    for (Throwable t = failure; t != null && depth < 20; t = t.getCause(), depth++) {
      if (t instanceof Error || t instanceof AuthorizationException || t instanceof AuthenticationException
          || t instanceof ConfigException || t instanceof InvalidConfigurationException
          || t instanceof UnsupportedVersionException) {
        return false;
      }
    }
    return true;
  }

  private static String describe(Throwable failure) {
    Throwable root = failure;
    for (int depth = 0; root.getCause() != null && root.getCause() != root && depth < 20; depth++) {
      root = root.getCause();
    }
    return root == failure ? failure.getClass().getName()
        : failure.getClass().getName() + " caused by " + root.getClass().getName();
  }

  private static String where(Throwable failure) {
    StackTraceElement[] trace = failure.getStackTrace();
    return trace.length == 0 ? "an unknown place" : trace[0].toString();
  }

  private ConsumerRecords<String, byte[]> poll() {
    polling.set(true);
    try {
      return consumer.poll(finishedJobs.isEmpty() ? IDLE_POLL : Duration.ZERO);
    } catch (WakeupException woken) {
      return ConsumerRecords.empty(); // a job finished, or close() was called
    } finally {
      polling.set(false);
    }
  }

  private void accept(ConsumerRecord<String, byte[]> record) {
    TopicPartition partition = new TopicPartition(record.topic(), record.partition());
    PartitionProgress owner = progress.get(partition);
    if (owner == null || !owner.received(record.offset())) {
      return; // not ours any more, or finished by an earlier owner
    }
    long now = clock.millis();
    AnalysisWork work;
    poisonRecords.handling(partition, record.offset());
    try {
      work = decode(record);
      if (work == null || !work.getTenantId().equals(record.key())) {
        throw new IllegalArgumentException("the record's tenant does not match its key");
      }
    } catch (RuntimeException e) {
      if (ReadAgainLater.isCause(e)) {
        // valid, only unreadable now (the registry, the keyring, a broker away): dead-lettered, its job would never
        // end. The loop restarts and reads it again from the last commit, charging the record nothing.
        poisonRecords.done();
        throw e;
      }
      try (LogContext ids = LogContext.of(LogContext.TENANT_ID, record.key())) { // the key: the tenant's id
        log.warn("analysis-work {}-{}@{} cannot be processed, sent to the dead-letter topic: {}", record.topic(),
            record.partition(), record.offset(), e.getClass().getSimpleName());
      }
      Job poison = new Job(partition, record.offset(), owner, null, new long[] {now}, generation);
      held.add(new Finished(poison, null, List.of(outputs.deadLetter(record, "deserialization_failed", e, now))));
      metrics.deadLettered("worker", "deserialization_failed");
      poisonRecords.done();
      return;
    }
    Throwable poisonError = poisonRecords.exhausted(partition, record.offset());
    if (poisonError != null) {
      deadLetterPoison(record, partition, owner, work, poisonError, now);
      poisonRecords.done();
      return;
    }
    scheduler.offer(work.getTenantId(), work.getConcurrentJobs(),
        new Job(partition, record.offset(), owner, work, new long[1], generation));
    poisonRecords.done();
  }

  /**
   * A record that failed the loop {@link PoisonRecords#maxAttempts()} times: dead-lettered with its error, its job
   * reported FAILED ({@code worker_error}, not retryable) so its tenant and the admission see it end, and the worker
   * goes on. If even the failure report cannot be built, the dead letter goes alone.
   */
  private void deadLetterPoison(ConsumerRecord<String, byte[]> record, TopicPartition partition,
      PartitionProgress owner, AnalysisWork work, Throwable error, long now) {
    log.warn("analysis-work {}-{}@{} (job {}) failed the worker loop {} times ({}), sent to the dead-letter topic",
        record.topic(), record.partition(), record.offset(), work.getJobId(), poisonRecords.maxAttempts(),
        error.getClass().getSimpleName());
    List<ProducerRecord<String, byte[]>> records = new ArrayList<>();
    records.add(outputs.deadLetter(record, "processing_failed", error, now));
    metrics.deadLettered("worker", "processing_failed");
    try {
      records.addAll(outputs.finished(work, now, JobOutcome.failed("worker_error", false,
          "the worker could not process this job", now)));
    } catch (RuntimeException e) {
      log.warn("job {}: no failure status could be built ({})", work.getJobId(), e.getClass().getSimpleName());
    }
    poisonRecords.forget(partition, record.offset());
    held.add(new Finished(new Job(partition, record.offset(), owner, work, new long[] {now}, generation), null,
        records));
  }

  /**
   * Decodes a work record. A registry that is briefly unreachable is waited out by the deserializer itself
   * ({@link io.storystream.schemas.serde.AvroDeserializer#OUTAGE_LIMIT}); what it cannot wait out fails with a
   * {@link ReadAgainLater} cause, which is never taken for poison.
   */
  private AnalysisWork decode(ConsumerRecord<String, byte[]> record) {
    return workDeserializer.deserialize(record.topic(), record.value());
  }

  private void startJobs() {
    Job job;
    while ((job = scheduler.next()) != null) {
      Job started = job;
      long now = clock.millis();
      started.startedAt()[0] = now;
      AnalysisWork work = started.work();
      JobControl control = new JobControl() {
        @Override
        public boolean cancelled() {
          // checked before each DataStoryBot step and before the result is stored: an erased tenant's job stops
          return cancellations.cancelled(work.getTenantId(), work.getJobId()) || erased(work);
        }

        @Override
        public void analyzeSent() {}
      };
      if (control.cancelled()) {
        // cancelled before it started: it ends here, without a DataStoryBot call, and its unit goes back
        jobsRunning.incrementAndGet();
        finishedJobs.add(new Finished(started, JobOutcome.cancelled(false, now), null));
        continue;
      }
      // a runner that throws instead of failing the job is a bug: the loop restarts and the job is read again, up to
      // PoisonRecords' bound, then it is dead-lettered
      poisonRecords.handling(started.partition(), started.offset());
      CompletableFuture<JobOutcome> outcome;
      // the job's ids go with it into the runner's asynchronous steps (LogContext.propagating)
      try (LogContext ids = LogContext.job(work.getTenantId(), work.getJobId())) {
        outcome = runner.run(work, control);
      }
      if (!erased(work)) {
        outbox.add(new Outgoing(started.partition(), outputs.running(work, now)));
      }
      log.debug("job {} of tenant {} started ({}, offset {}, generation {})", work.getJobId(), work.getTenantId(),
          started.partition(), started.offset(), generation);
      poisonRecords.done();
      jobsRunning.incrementAndGet();
      outcome.whenComplete((done, error) -> {
        JobOutcome result = done != null ? done
            : JobOutcome.failed("worker_error", true, String.valueOf(error), clock.millis());
        finishedJobs.add(new Finished(started, result, null));
        wakeUp();
      });
    }
  }

  private void takeFinished() {
    Finished finished;
    while ((finished = finishedJobs.poll()) != null) {
      jobsRunning.decrementAndGet();
      if (finished.job().generation() != generation) {
        continue; // started before a restart, which read its record again and runs it anew
      }
      scheduler.release(finished.job().work().getTenantId());
      held.add(finished);
    }
    for (Iterator<Finished> it = held.iterator(); it.hasNext(); ) {
      Finished f = it.next();
      Job job = f.job();
      if (progress.get(job.partition()) != job.owner()) {
        it.remove(); // the partition moved to another worker, which redoes the job (and finds its result in S3)
        log.debug("{} at {} offset {} ended after its partition moved: left to the new owner", job.describe(),
            job.partition(), job.offset());
        continue;
      }
      if (!job.owner().canFinish(job.offset())) {
        continue; // finished ahead of a long gap: reported once earlier jobs finish and the offset moves on
      }
      poisonRecords.handling(job.partition(), job.offset());
      // an erased tenant's job ends without a trace: no status, no usage, no dead letter
      List<ProducerRecord<String, byte[]>> records = erased(job.work()) ? List.of()
          : f.records() != null ? f.records()
          : outputs.finished(job.work(), job.startedAt()[0], f.outcome());
      poisonRecords.done();
      records.forEach(r -> outbox.add(new Outgoing(job.partition(), r)));
      log.debug("{} ended ({}, offset {}): {} records in the next transaction", job.describe(), job.partition(),
          job.offset(), records.size());
      job.owner().finished(job.offset());
      offsetsToCommit.add(job.partition());
      it.remove();
    }
  }

  /** One transaction with everything the turn produced and the offsets it moved. */
  private void commitTurn() {
    if (outbox.isEmpty() && offsetsToCommit.isEmpty()) {
      return;
    }
    Map<TopicPartition, OffsetAndMetadata> offsets = new HashMap<>();
    for (TopicPartition partition : offsetsToCommit) {
      PartitionProgress owner = progress.get(partition);
      if (owner != null) {
        offsets.put(partition, owner.committable());
      }
    }
    try {
      producer.beginTransaction();
      inTransaction = true;
      for (Outgoing out : outbox) {
        producer.send(out.record());
      }
      if (!offsets.isEmpty()) {
        producer.sendOffsetsToTransaction(offsets, consumer.groupMetadata());
      }
      producer.commitTransaction();
      inTransaction = false;
      log.debug("transaction committed: {} records, offsets {}", outbox.size(), offsets);
      outbox.clear();
      offsetsToCommit.clear();
    } catch (AuthorizationException | AuthenticationException denied) {
      throw denied; // a new producer would be refused too: the loop stops and says so
    } catch (ProducerFencedException | OutOfOrderSequenceException fatal) {
      log.warn("transactional producer unusable ({}); starting a new one", fatal.getClass().getSimpleName());
      producer.close(Duration.ZERO);
      inTransaction = false;
      producer = newProducer(); // the turn's records stay in the outbox and go out with the next turn
    } catch (KafkaException abortable) {
      log.warn("transaction aborted ({}); retrying with the next turn", abortable.getClass().getSimpleName());
      try {
        producer.abortTransaction();
        inTransaction = false;
      } catch (KafkaException e) {
        producer.close(Duration.ZERO);
        inTransaction = false;
        producer = newProducer();
      }
    }
  }

  /** Stops reading while too many jobs wait, so memory stays bounded whatever the backlog. */
  private void flowControl() {
    int waiting = scheduler.waiting() + held.size();
    if (!paused && waiting >= config.maxWaiting()) {
      consumer.pause(consumer.assignment());
      paused = true;
    } else if (paused && waiting < config.maxWaiting() / 2) {
      consumer.resume(consumer.assignment());
      paused = false;
    }
  }

  private final class Rebalance implements ConsumerRebalanceListener {
    @Override
    public void onPartitionsRevoked(Collection<TopicPartition> partitions) {
      commitTurn(); // report what finished while the partitions were still ours
      forget(partitions);
    }

    @Override
    public void onPartitionsLost(Collection<TopicPartition> partitions) {
      forget(partitions);
    }

    @Override
    public void onPartitionsAssigned(Collection<TopicPartition> partitions) {
      if (partitions.isEmpty()) {
        return;
      }
      Map<TopicPartition, OffsetAndMetadata> committed = committed(Set.copyOf(partitions));
      for (TopicPartition partition : partitions) {
        OffsetAndMetadata last = committed.get(partition);
        progress.put(partition, PartitionProgress.resume(last, consumer.position(partition),
            PartitionProgress.DEFAULT_METADATA_LIMIT));
      }
      if (paused) {
        consumer.pause(partitions);
      }
      log.info("worker {} took partitions {}", config.instanceId(), partitions);
    }

    private Map<TopicPartition, OffsetAndMetadata> committed(Set<TopicPartition> partitions) {
      while (true) {
        try {
          return consumer.committed(partitions);
        } catch (WakeupException woken) {
          // a job finished meanwhile; its outcome waits in the queue for the next turn
        }
      }
    }

    private void forget(Collection<TopicPartition> partitions) {
      partitions.forEach(progress::remove);
      scheduler.removeWaiting(job -> partitions.contains(job.partition()));
      outbox.removeIf(out -> out.source() != null && partitions.contains(out.source()));
      offsetsToCommit.removeAll(partitions);
      held.removeIf(f -> partitions.contains(f.job().partition()));
    }
  }

  // ---------------------------------------------------------------- lifecycle

  /** Jobs running now (for tests and metrics), including any a restart left to finish on their own. */
  public int jobsRunning() {
    return jobsRunning.get();
  }

  public Health health() {
    return health;
  }

  /** True only while the loop runs normally: false before start, while restarting, after a fatal failure. */
  public boolean healthy() {
    return health == Health.RUNNING;
  }

  /** How often the loop has restarted after an unexpected failure since start. */
  public long restarts() {
    return restarts.get();
  }

  /** Completes with {@code STOPPED} after {@link #close()}, or with {@code FAILED} when the loop stopped for good. */
  public CompletableFuture<Health> terminated() {
    return terminated.copy();
  }

  /** Wakes the loop from its poll, from any thread: the only consumer method that is safe from another thread. */
  private void wakeUp() {
    KafkaConsumer<String, byte[]> current = consumer;
    if (polling.get() && current != null) {
      try {
        current.wakeup();
      } catch (RuntimeException closedMeanwhile) {
        // a restart closed it; the new one polls without waiting for this
      }
    }
  }

  /**
   * Stops like a crash, for benchmarks and tests in one JVM: nothing more is reported, the open transaction is left
   * for the next instance to abort, running jobs are abandoned.
   */
  void halt() {
    halted = true;
    close();
  }

  @Override
  public synchronized void close() {
    if (!running.compareAndSet(true, false)) {
      return;
    }
    closing.countDown();
    KafkaConsumer<String, byte[]> current = consumer;
    if (current != null) {
      try {
        current.wakeup();
      } catch (RuntimeException closedMeanwhile) {
        // the loop is between consumers; it sees running == false
      }
    }
    try {
      loop.join(TimeUnit.SECONDS.toMillis(30));
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
    }
    io.shutdownNow();
    synchronized (clientMeters) {
      clientMeters.forEach(KafkaMeters.Binding::close);
      clientMeters.clear();
    }
    closeQuietly(cancellations);
    closeQuietly(client);
    closeQuietly(blobs);
    closeQuietly(keys);
    log.info("worker {} stopped", config.instanceId());
  }

  private boolean erased(AnalysisWork work) {
    // null: a record that never decoded into work (its dead letter and failure still go out)
    return work != null && keys != null && keys.keyring().isErased(work.getTenantId());
  }

  private static void closeQuietly(Object resource) {
    if (resource instanceof AutoCloseable closeable) {
      closeQuietly(closeable);
    }
  }

  private static void closeQuietly(AutoCloseable closeable) {
    try {
      closeable.close();
    } catch (Exception e) {
      log.debug("close failed: {}", e.getClass().getSimpleName());
    }
  }

  private static java.util.concurrent.ThreadFactory daemon(String name) {
    AtomicInteger n = new AtomicInteger();
    return r -> {
      Thread t = new Thread(r, name + "-" + n.incrementAndGet());
      t.setDaemon(true);
      return t;
    };
  }
}
