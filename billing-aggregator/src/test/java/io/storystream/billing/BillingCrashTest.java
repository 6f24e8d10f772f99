package io.storystream.billing;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import io.storystream.common.kafka.KafkaSettings;
import io.storystream.embedded.EmbeddedKafka;
import io.storystream.embedded.registry.SchemaRegistryServer;
import io.storystream.schemas.registry.HttpSchemaRegistryClient;
import io.storystream.schemas.topics.TopicCatalogue;
import io.storystream.schemas.topics.TopicSerdes;
import io.storystream.schemas.topics.Topics;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.consumer.OffsetAndMetadata;
import org.apache.kafka.common.TopicPartition;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * kill -9 of the aggregator mid-stream: a child JVM runs {@code BillingCommand run}; once it has committed its first
 * progress, and before it has read all the usage, it is destroyed forcibly (tried again with more usage when a child
 * was quicker than the kill). More usage arrives while it is down;
 * restarted on the same data folder, its statements still equal the independent calculation: nothing lost, nothing
 * counted twice.
 */
class BillingCrashTest {
  @TempDir Path dir;

  @Test
  void statementsSurviveAKillNineMidStream() throws Exception {
    try (EmbeddedKafka broker = EmbeddedKafka.forTests(dir.resolve("kafka")).start();
         SchemaRegistryServer registry = new SchemaRegistryServer("127.0.0.1", 0, broker.bootstrapServers(), (short) 1)
             .start();
         Admin admin = Admin.create(Map.of("bootstrap.servers", broker.bootstrapServers()))) {
      KafkaSettings kafka = new KafkaSettings(broker.bootstrapServers(), registry.url(), 3, (short) 1);
      TopicSerdes serdes = new TopicSerdes(new HttpSchemaRegistryClient(registry.url()));
      TopicCatalogue.standard(3, (short) 1).ensure(admin);
      try (PriceBookPublisher publisher = new PriceBookPublisher(kafka)) {
        publisher.publishDefaultIfNone();
      }
      Clock clock = SyntheticUsage.beforeThePreviousMonthCloses(io.storystream.testsupport.TestClock.ticking());
      SyntheticUsage usage = SyntheticUsage.generate(7, 40_000, clock.instant());

      // The kill must land mid-stream: after the aggregator committed some progress, before it read everything it
      // was given. A fast child can finish a backlog between the moment the test sees its first commit and the kill;
      // then that attempt proved nothing, and the next attempt gives a restarted child a twice larger backlog.
      int produced = 0;
      int chunk = usage.log.size() / 4;
      boolean killedMidStream = false;
      for (int attempt = 1; attempt <= 3 && !killedMidStream; attempt++) {
        int upTo = Math.min(usage.log.size() * 9 / 10, produced + chunk);
        usage.produce(kafka, serdes, produced, upTo);
        produced = upTo;
        chunk *= 2;
        long before = committed(admin);
        Process child = launch(kafka, clock, "attempt-" + attempt);
        try {
          await().atMost(Duration.ofSeconds(180)).pollInterval(Duration.ofMillis(50))
              .until(() -> !child.isAlive() || committed(admin) > before);
          assertThat(child.isAlive()).as("aggregator alive; see %s", dir.resolve("attempt-" + attempt + ".log"))
              .isTrue();
        } finally {
          child.destroyForcibly(); // SIGKILL: no shutdown hook, no final commit
        }
        assertThat(child.waitFor(30, TimeUnit.SECONDS)).isTrue();
        long committedAtKill = committed(admin);
        // offsets, not records: the log also holds the aggregator's ticks and their transactions' markers
        long logEnd = logEnd(admin);
        System.out.printf("crash attempt %d: %d of %d usage records produced, offsets %d committed of %d at the kill%n",
            attempt, produced, usage.log.size(), committedAtKill, logEnd);
        killedMidStream = committedAtKill > before && committedAtKill < logEnd;
      }
      assertThat(killedMidStream).as("one of the kills landed mid-stream").isTrue();

      usage.produce(kafka, serdes, produced, usage.log.size());
      Process second = launch(kafka, clock, "second");
      try {
        Map<String, SyntheticUsage.Expected> expected = usage.expected(500_000L, 1, clock.instant());
        await().atMost(Duration.ofSeconds(150)).pollInterval(Duration.ofMillis(500)).untilAsserted(() -> {
          assertThat(second.isAlive()).as("aggregator alive; see %s", dir.resolve("second.log")).isTrue();
          assertThat(BillingIntegrationTest.mismatches(expected,
              StatementLog.latest(kafka, serdes, Topics.BILLING_STATEMENTS.name()))).isEmpty();
        });
      } finally {
        second.toHandle().destroy(); // SIGTERM: a clean stop
        second.waitFor(60, TimeUnit.SECONDS);
        second.destroyForcibly();
      }
    }
  }

  /** A child JVM on the test's clock (shifted like the test's own when "now" is pinned). */
  private Process launch(KafkaSettings kafka, Clock clock, String name) throws Exception {
    Duration offset = Duration.between(Instant.now(), clock.instant());
    List<String> command = List.of(
        Path.of(System.getProperty("java.home"), "bin", "java").toString(),
        "-Dorg.apache.avro.SERIALIZABLE_PACKAGES=io.storystream.schemas", "-Xmx384m", "-XX:+UseSerialGC",
        "-cp", System.getProperty("java.class.path"),
        BillingCommand.class.getName(), "run",
        "--bootstrap-servers", kafka.bootstrapServers(),
        "--registry-url", kafka.registryUrl(),
        "--partitions", "3",
        "--data-dir", dir.resolve("billing-data").toString(),
        "--billing-port", "0",
        "--management-port", "0",
        "--billing-statement-interval", "200ms",
        "--clock-offset", offset.toString());
    Files.createDirectories(dir);
    return new ProcessBuilder(command).redirectErrorStream(true)
        .redirectOutput(dir.resolve(name + ".log").toFile()).start();
  }

  /** The end offsets of the usage log, summed over its partitions. */
  private static long logEnd(Admin admin) throws Exception {
    Map<TopicPartition, org.apache.kafka.clients.admin.OffsetSpec> request = new java.util.HashMap<>();
    for (var p : admin.describeTopics(List.of(Topics.USAGE_EVENTS.name())).allTopicNames().get()
        .get(Topics.USAGE_EVENTS.name()).partitions()) {
      request.put(new TopicPartition(Topics.USAGE_EVENTS.name(), p.partition()),
          org.apache.kafka.clients.admin.OffsetSpec.latest());
    }
    return admin.listOffsets(request).all().get().values().stream().mapToLong(i -> i.offset()).sum();
  }

  /** Usage-log offsets the aggregator's group has committed, over all partitions. */
  private static long committed(Admin admin) throws Exception {
    Map<TopicPartition, OffsetAndMetadata> offsets = admin
        .listConsumerGroupOffsets(BillingConfig.DEFAULT_APPLICATION_ID).partitionsToOffsetAndMetadata().get();
    return offsets.entrySet().stream().filter(e -> e.getKey().topic().equals(Topics.USAGE_EVENTS.name()))
        .mapToLong(e -> e.getValue() == null ? 0 : e.getValue().offset()).sum();
  }
}
