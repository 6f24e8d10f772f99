package io.storystream.billing;

import io.storystream.common.kafka.KafkaSettings;
import io.storystream.schemas.Statement;
import io.storystream.schemas.registry.SchemaRegistryClient;
import io.storystream.schemas.topics.TopicSerdes;
import io.storystream.schemas.topics.Topics;
import java.io.PrintStream;
import java.nio.file.Path;
import java.time.Clock;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Properties;
import java.util.Set;
import java.util.TreeSet;
import java.util.concurrent.ExecutionException;
import java.util.stream.Collectors;
import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.admin.ListOffsetsResult;
import org.apache.kafka.clients.admin.NewTopic;
import org.apache.kafka.clients.admin.OffsetSpec;
import org.apache.kafka.clients.consumer.OffsetAndMetadata;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.streams.CloseOptions;
import org.apache.kafka.streams.KafkaStreams;
import org.apache.kafka.streams.StreamsConfig;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Full replay: rebuilds every statement from the immutable usage log with the current rating logic, under a fresh
 * application id (empty state) and into a topic of its own, then compares the latest record of every tenant-month
 * with the live one <em>as serialized</em>: key bytes, value bytes (schema id and Avro body) and record timestamp.
 * A statement depends only on the usage log (including the live aggregator's {@link BillingTick ticks}, which say
 * where revisions were issued and on which clock) and the price books, so with nothing changed they are identical
 * byte for byte, revision numbers and times included. The live aggregator is not touched; the replay's topics are
 * removed afterwards unless kept.
 */
public final class BillingReplay {
  private static final Logger log = LoggerFactory.getLogger(BillingReplay.class);

  /** One tenant-month on which the live and the replayed statements disagree, and where their bytes part. */
  public record Difference(String key, String live, String replayed, String bytes) {
    @Override
    public String toString() {
      return key + ": " + bytes + "; live " + live + " | replayed " + replayed;
    }
  }

  /** The outcome: how many usage events were re-read (ticks aside), how many statements compared, and the differences. */
  public record Result(String runId, long events, int statements, List<Difference> differences, Duration rebuildTime) {
    public boolean identical() {
      return differences.isEmpty();
    }

    public void print(PrintStream out) {
      out.printf("replay %s: %d usage events re-read in %.1f s, %d statements compared byte for byte%n", runId,
          events, rebuildTime.toMillis() / 1000.0, statements);
      if (identical()) {
        out.println("identical: every replayed statement record equals the live one, byte for byte");
      } else {
        out.printf("%d difference(s):%n", differences.size());
        differences.forEach(d -> out.println("  " + d));
      }
    }
  }

  private final KafkaSettings kafka;
  private final Path dataDir;
  private final SchemaRegistryClient registry;
  private final Duration grace;
  private final Clock clock;

  public BillingReplay(KafkaSettings kafka, Path dataDir, SchemaRegistryClient registry, Duration grace) {
    this(kafka, dataDir, registry, grace, Clock.systemUTC());
  }

  /** With the live aggregator's clock (it only paces the replay's stream threads; statements follow the log's ticks). */
  public BillingReplay(KafkaSettings kafka, Path dataDir, SchemaRegistryClient registry, Duration grace, Clock clock) {
    this.kafka = kafka;
    this.dataDir = dataDir;
    this.registry = registry;
    this.grace = grace;
    this.clock = clock;
  }

  /**
   * @param settle how long, once caught up, to keep comparing while the live side may still be catching up
   * @param keepOutput keep the replay's statement topic (e.g. to swap consumers onto it after a rating change); its
   *     dead letters are removed either way
   */
  public Result run(Duration settle, boolean keepOutput) throws InterruptedException {
    for (int attempt = 1; ; attempt++) {
      try {
        return runOnce(settle, keepOutput);
      } catch (ReplayInterrupted e) {
        if (attempt == ATTEMPTS) {
          throw new IllegalStateException("replay failed: interrupted " + ATTEMPTS + " times; " + e.getMessage(), e);
        }
        log.warn("replay interrupted ({}); starting it again from the beginning", e.getMessage());
      }
    }
  }

  /** How often a replay is started from the beginning when it is interrupted (its stores keep no changelogs). */
  static final int ATTEMPTS = 3;

  private Result runOnce(Duration settle, boolean keepOutput) throws InterruptedException {
    String runId = "replay-" + System.currentTimeMillis();
    String applicationId = BillingConfig.DEFAULT_APPLICATION_ID + "-" + runId;
    String statementsTopic = "billing-statements-" + runId;
    String deadLetterTopic = "billing-dead-letter-" + runId;
    TopicSerdes serdes = new TopicSerdes(registry);
    BillingTopology.Settings settings = BillingTopology.Settings.defaults(applicationId).withGrace(grace)
        .withOutputs(statementsTopic, deadLetterTopic).withoutChangelogs();
    Duration interval = settings.statementInterval();
    try (Admin admin = Admin.create(kafka.admin())) {
      int partitions = admin.describeTopics(List.of(Topics.USAGE_EVENTS.name())).allTopicNames().get()
          .get(Topics.USAGE_EVENTS.name()).partitions().size();
      admin.createTopics(List.of(
          new NewTopic(statementsTopic, partitions, kafka.replicationFactor()).configs(Map.of("cleanup.policy", "compact")),
          new NewTopic(deadLetterTopic, partitions, kafka.replicationFactor()))).all().get();
      Map<TopicPartition, Long> end = endOffsets(admin, partitions);
      long t0 = System.nanoTime();
      KafkaStreams streams = BillingStreams.start(BillingTopology.build(serdes, settings),
          properties(kafka, applicationId, dataDir, partitions), clock, Duration.ofSeconds(60));
      try {
        // a statement is issued by the tick it follows, in the transaction that commits the tick's offset
        awaitCaughtUp(admin, applicationId, end, streams);
        Duration rebuild = Duration.ofNanos(System.nanoTime() - t0);
        long[] events = new long[1];
        TopicReader.readRecords(kafka, Topics.USAGE_EVENTS.name(), r -> {
          if (!BillingTick.isTick(r.headers())) {
            events[0]++;
          }
        });
        List<Difference> differences;
        int compared;
        long deadline = System.nanoTime() + settle.toNanos();
        while (true) {
          Map<String, StatementLog.Serialized> live = StatementLog.latestSerialized(kafka, serdes, Topics.BILLING_STATEMENTS.name());
          Map<String, StatementLog.Serialized> replayed = StatementLog.latestSerialized(kafka, serdes, statementsTopic);
          differences = compare(live, replayed, serdes);
          compared = new TreeSet<>(live.keySet()).size();
          if (differences.isEmpty() || System.nanoTime() > deadline) {
            break;
          }
          Thread.sleep(interval.toMillis());
        }
        return new Result(runId, events[0], compared, differences, rebuild);
      } finally {
        // leave the group at once (Streams otherwise keeps it until the session times out), so it can be deleted
        streams.close(CloseOptions.groupMembershipOperation(CloseOptions.GroupMembershipOperation.LEAVE_GROUP)
            .withTimeout(Duration.ofSeconds(30)));
        streams.cleanUp();
        cleanUp(admin, applicationId, keepOutput ? Set.of(deadLetterTopic) : Set.of(statementsTopic, deadLetterTopic));
      }
    } catch (ExecutionException e) {
      throw new IllegalStateException("replay failed: " + e.getCause().getMessage(), e.getCause());
    }
  }

  /**
   * The live aggregator's stream settings, with a stream thread per core up to one per partition: a replay is a batch
   * job that has the log to itself, where the live aggregator's one thread leaves the cores to the other services.
   */
  static Properties properties(KafkaSettings kafka, String applicationId, Path dataDir, int partitions) {
    Properties props = BillingStreams.properties(kafka, applicationId, dataDir, null);
    props.put(StreamsConfig.NUM_STREAM_THREADS_CONFIG,
        Math.max(1, Math.min(partitions, Runtime.getRuntime().availableProcessors())));
    return props;
  }

  /**
   * Differences between two sets of latest statement records, byte for byte: a key missing on one side, other value
   * bytes or another record timestamp.
   */
  public static List<Difference> compare(Map<String, StatementLog.Serialized> live,
                                         Map<String, StatementLog.Serialized> replayed, TopicSerdes serdes) {
    Set<String> keys = new TreeSet<>(live.keySet());
    keys.addAll(replayed.keySet());
    List<Difference> differences = new ArrayList<>();
    var values = serdes.value(Topics.BILLING_STATEMENTS).deserializer();
    for (String key : keys) {
      StatementLog.Serialized a = live.get(key);
      StatementLog.Serialized b = replayed.get(key);
      String bytes = a == null ? "missing live" : b == null ? "missing in the replay" : a.differenceFrom(b);
      if (bytes != null) {
        differences.add(new Difference(key, a == null ? "(none)" : describe(a.decode(values)),
            b == null ? "(none)" : describe(b.decode(values)), bytes));
      }
    }
    return differences;
  }

  private static String describe(Statement s) {
    if (s == null) {
      return "(none)";
    }
    return "rev " + s.getRevision() + " " + s.getStatus() + " generated " + s.getGeneratedAt() + " v" + s.getPriceBookVersion() + " " + s.getPlan() + " total "
        + StatementJson.money(s.getTotalMicros()) + " " + s.getCurrency() + " quantities " + s.getQuantities();
  }

  private void awaitCaughtUp(Admin admin, String group, Map<TopicPartition, Long> end, KafkaStreams streams)
      throws InterruptedException, ExecutionException {
    while (true) {
      KafkaStreams.State state = streams.state();
      if (state == KafkaStreams.State.ERROR || state == KafkaStreams.State.PENDING_ERROR
          || state == KafkaStreams.State.PENDING_SHUTDOWN || state == KafkaStreams.State.NOT_RUNNING) {
        throw new ReplayInterrupted("the replay's Kafka Streams stopped (" + state + ") before it caught up");
      }
      Map<TopicPartition, OffsetAndMetadata> committed =
          admin.listConsumerGroupOffsets(group).partitionsToOffsetAndMetadata().get();
      boolean caughtUp = end.entrySet().stream().allMatch(e -> e.getValue() == 0
          || (committed.get(e.getKey()) != null && committed.get(e.getKey()).offset() >= e.getValue()));
      if (caughtUp) {
        return;
      }
      Thread.sleep(200); // polling the group's committed offsets
    }
  }

  private static Map<TopicPartition, Long> endOffsets(Admin admin, int partitions)
      throws InterruptedException, ExecutionException {
    return offsets(admin, partitions, OffsetSpec.latest());
  }

  private static Map<TopicPartition, Long> offsets(Admin admin, int partitions, OffsetSpec spec)
      throws InterruptedException, ExecutionException {
    Map<TopicPartition, OffsetSpec> request = new java.util.HashMap<>();
    for (int p = 0; p < partitions; p++) {
      request.put(new TopicPartition(Topics.USAGE_EVENTS.name(), p), spec);
    }
    Map<TopicPartition, ListOffsetsResult.ListOffsetsResultInfo> result = admin.listOffsets(request).all().get();
    return result.entrySet().stream().collect(Collectors.toMap(Map.Entry::getKey, e -> e.getValue().offset()));
  }

  private static void cleanUp(Admin admin, String applicationId, Set<String> outputs) {
    try {
      Set<String> doomed = new TreeSet<>(outputs);
      admin.listTopics().names().get().stream().filter(t -> t.startsWith(applicationId + "-")).forEach(doomed::add);
      admin.deleteTopics(doomed).all().get();
      admin.deleteConsumerGroups(List.of(applicationId)).all().get();
    } catch (Exception e) {
      log.warn("could not remove the replay's topics or group {}: {}", applicationId, e.getMessage());
    }
  }
}
