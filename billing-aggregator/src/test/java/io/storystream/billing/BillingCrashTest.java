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
 * progress, and before it has read all the usage, it is destroyed forcibly. More usage arrives while it is down;
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
      SyntheticUsage usage = SyntheticUsage.generate(7, 40_000, Instant.now());
      int firstPart = usage.log.size() * 7 / 10;
      usage.produce(kafka, serdes, 0, firstPart);

      Process first = launch(kafka, "first");
      try {
        // kill as soon as it has committed progress: well before it can have read all of the backlog
        await().atMost(Duration.ofSeconds(180)).pollInterval(Duration.ofMillis(50))
            .until(() -> !first.isAlive() || committed(admin) > 0);
        assertThat(first.isAlive()).as("aggregator alive; see %s", dir.resolve("first.log")).isTrue();
      } finally {
        first.destroyForcibly(); // SIGKILL: no shutdown hook, no final commit
      }
      assertThat(first.waitFor(30, TimeUnit.SECONDS)).isTrue();
      assertThat(committed(admin)).as("killed mid-stream").isPositive().isLessThan(firstPart);

      usage.produce(kafka, serdes, firstPart, usage.log.size());
      Process second = launch(kafka, "second");
      try {
        Map<String, SyntheticUsage.Expected> expected = usage.expected(500_000L, 1, Instant.now());
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

  private Process launch(KafkaSettings kafka, String name) throws Exception {
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
        "--billing-statement-interval", "200ms");
    Files.createDirectories(dir);
    return new ProcessBuilder(command).redirectErrorStream(true)
        .redirectOutput(dir.resolve(name + ".log").toFile()).start();
  }

  /** Usage records the aggregator's group has committed, over all partitions. */
  private static long committed(Admin admin) throws Exception {
    Map<TopicPartition, OffsetAndMetadata> offsets = admin
        .listConsumerGroupOffsets(BillingConfig.DEFAULT_APPLICATION_ID).partitionsToOffsetAndMetadata().get();
    return offsets.entrySet().stream().filter(e -> e.getKey().topic().equals(Topics.USAGE_EVENTS.name()))
        .mapToLong(e -> e.getValue() == null ? 0 : e.getValue().offset()).sum();
  }
}
