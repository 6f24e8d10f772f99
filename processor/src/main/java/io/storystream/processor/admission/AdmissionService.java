package io.storystream.processor.admission;

import io.storystream.common.kafka.CrashedStreamsState;
import io.storystream.common.kafka.KafkaSettings;
import io.storystream.processor.ProcessorTopics;
import io.storystream.schemas.registry.HttpSchemaRegistryClient;
import io.storystream.schemas.registry.SchemaRegistryClient;
import io.storystream.schemas.topics.TopicSerdes;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Properties;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.streams.CloseOptions;
import org.apache.kafka.streams.KafkaStreams;
import org.apache.kafka.streams.StreamsConfig;
import org.apache.kafka.streams.errors.StreamsUncaughtExceptionHandler;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Runs the {@link AdmissionTopology} as a Kafka Streams application (exactly-once v2, state under
 * {@code dataDir/streams/storystream-admission}). {@link #start()} makes sure the topics exist and returns once the
 * application is RUNNING; {@link #close()} stops it cleanly. Instances of the same application id share the work
 * by partition, i.e. by tenant.
 */
public final class AdmissionService implements AutoCloseable {
  private static final Logger log = LoggerFactory.getLogger(AdmissionService.class);
  private static final Duration START_TIMEOUT = Duration.ofSeconds(90);

  /** How often a busy admission commits; a record that wakes an idle task commits at once ({@link CommitWhenIdle}). */
  static final Duration COMMIT_INTERVAL = Duration.ofMillis(20);

  private final KafkaSettings kafka;
  private final Path dataDir;
  private final SchemaRegistryClient registry;
  private final Properties overrides;
  private KafkaStreams streams;
  private io.storystream.processor.ProcessorMetrics metrics = io.storystream.processor.ProcessorMetrics.none();
  private io.storystream.common.ops.KafkaMeters.Binding streamsMeters;

  /** Where admission's metrics go (the process's management registry); call before {@link #start()}. */
  public AdmissionService withMetrics(io.storystream.processor.ProcessorMetrics processMetrics) {
    this.metrics = processMetrics;
    return this;
  }
  private io.storystream.common.crypto.Keyrings.Lease keys;

  public AdmissionService(KafkaSettings kafka, Path dataDir) {
    this(kafka, dataDir, new HttpSchemaRegistryClient(kafka.registryUrl()), new Properties());
  }

  /** @param overrides Streams settings that win over the defaults (tests, benchmarks: e.g. the application id) */
  public AdmissionService(KafkaSettings kafka, Path dataDir, SchemaRegistryClient registry, Properties overrides) {
    this.kafka = kafka;
    this.dataDir = dataDir;
    this.registry = registry;
    this.overrides = overrides;
  }

  public synchronized AdmissionService start() throws InterruptedException {
    try (Admin admin = Admin.create(kafka.admin())) {
      ProcessorTopics.catalogue(kafka.tenantPartitions(), kafka.replicationFactor()).ensure(admin);
    }
    // prompts and file names in its topics and changelogs are sealed under each tenant's data key
    keys = io.storystream.common.crypto.Keyrings.acquire(kafka, dataDir);
    Properties props = kafka.streams(AdmissionTopology.APPLICATION_ID, dataDir);
    props.putAll(DeadLetters.streamsConfig(registry));
    props.put(DeadLetters.METER_REGISTRY_CONFIG, metrics.registry());
    // the same optimization AdmissionTopology builds with: tables restore from their compacted source topics
    props.put(StreamsConfig.TOPOLOGY_OPTIMIZATION_CONFIG, StreamsConfig.REUSE_KTABLE_SOURCE_TOPICS);
    latencySettings(props);
    props.putAll(overrides);
    // after kill -9: the crash's uncheckpointed task state, which exactly-once would open and then wipe, goes first
    CrashedStreamsState.discardUnlessInUse(props);
    streams = new KafkaStreams(new AdmissionTopology(new TopicSerdes(registry)).build(), props);
    CountDownLatch running = new CountDownLatch(1);
    streams.setStateListener((now, before) -> {
      log.info("admission {} -> {}", before, now);
      if (now == KafkaStreams.State.RUNNING) {
        running.countDown();
      }
    });
    // an error that escapes the dead-letter handlers (a broker or registry outage) restarts the thread, which
    // resumes from the last committed transaction
    streams.setUncaughtExceptionHandler(e -> {
      log.error("admission stream thread failed; replacing it", e);
      return StreamsUncaughtExceptionHandler.StreamThreadExceptionResponse.REPLACE_THREAD;
    });
    streamsMeters = io.storystream.common.ops.KafkaMeters.bind(metrics.registry(), streams);
    streams.start();
    if (!running.await(START_TIMEOUT.toMillis(), TimeUnit.MILLISECONDS)) {
      throw new IllegalStateException("admission did not reach RUNNING within " + START_TIMEOUT
          + " (state " + streams.state() + ")");
    }
    return this;
  }

  /**
   * Admission sits on the path from a submit to the worker's start, and under exactly-once its decisions reach the
   * worker only when the transaction that wrote them commits. So on that path the waits add up to: the wait for a
   * commit, plus the poll wait (a thread idle in {@code poll} commits only when the poll returns), plus the fetch of
   * the reader of a transactional topic. The Streams defaults of the first two are 100 ms:
   * <ul>
   *   <li>a record that wakes an idle task is committed right after its batch ({@link CommitWhenIdle}), so on a quiet
   *       system a decision waits for no interval at all;</li>
   *   <li>{@code commit.interval.ms} 20: how often a busy admission commits, so a decision made under load is visible
   *       at most 20 ms (plus the commit itself) after it was made. A commit only happens when something was
   *       processed, so an idle admission costs nothing. Under a backlog it costs throughput, and so does any
   *       exactly-once application: on 100,000 requests admission ran 5,021 requests/s at 20 ms and 7,175 at 100 ms,
   *       the plain count 108,677 and 227,233 records/s (medians of three rounds each, BENCHMARKS.md);</li>
   *   <li>{@code poll.ms} 10: an idle thread returns from {@code poll} every 10 ms, so a due commit of the records a
   *       burst left behind waits at most that long (a returning empty poll costs microseconds; it sends no extra
   *       request while a fetch is in flight);</li>
   *   <li>{@code fetch.max.wait.ms} 10 (main consumer), for throughput rather than latency: the broker answers a
   *       parked fetch as soon as a record becomes readable, but Streams pauses a partition whose buffer is full, and
   *       while only paused partitions hold data the consumer's one fetch in flight asks for the empty ones (the tables,
   *       endings, cancels) and is parked for the whole wait; the resumed partition is fetched only after it. At
   *       Kafka's 500 ms admission's third round of 100,000 requests fell to 976 requests/s (5,154 at 10 ms); on a
   *       quiet system the wait costs about 100 small fetches a second;</li>
   *   <li>the producer's {@code retry.backoff.ms} 5 (default 100): a transaction's first write to a partition is
   *       refused with {@code CONCURRENT_TRANSACTIONS} while the previous transaction's markers are still being
   *       written, which is the common case once a quiet task commits at once, and the producer sends it again after
   *       this backoff (growing exponentially up to {@code retry.backoff.max.ms} when the refusal persists);</li>
   *   <li>the record cache stays at its default: admission's decisions are written by processors, not by cached
   *       aggregations, so the cache never holds them back.</li>
   * </ul>
   */
  static void latencySettings(Properties props) {
    props.put(StreamsConfig.COMMIT_INTERVAL_MS_CONFIG, (int) COMMIT_INTERVAL.toMillis());
    props.put(StreamsConfig.POLL_MS_CONFIG, 10);
    props.put(StreamsConfig.mainConsumerPrefix(org.apache.kafka.clients.consumer.ConsumerConfig.FETCH_MAX_WAIT_MS_CONFIG),
        10);
    props.put(StreamsConfig.producerPrefix(org.apache.kafka.clients.producer.ProducerConfig.RETRY_BACKOFF_MS_CONFIG), 5);
  }

  public synchronized KafkaStreams.State state() {
    return streams == null ? KafkaStreams.State.NOT_RUNNING : streams.state();
  }

  @Override
  public synchronized void close() {
    if (streamsMeters != null) {
      streamsMeters.close();
      streamsMeters = null;
    }
    if (streams != null) {
      // leave the group: otherwise the tenants' partitions stall until the session times out (30 s) before another
      // instance, or this one restarted, takes them over
      streams.close(CloseOptions.groupMembershipOperation(CloseOptions.GroupMembershipOperation.LEAVE_GROUP)
          .withTimeout(Duration.ofSeconds(30)));
      streams = null;
    }
    if (keys != null) {
      keys.close();
      keys = null;
    }
  }
}
