package io.storystream.launcher;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.awaitility.Awaitility.await;

import io.storystream.billing.BillingAccess;
import io.storystream.billing.BillingAggregator;
import io.storystream.billing.BillingCommand;
import io.storystream.billing.BillingConfig;
import io.storystream.common.kafka.KafkaPreflight;
import io.storystream.common.kafka.KafkaSettings;
import io.storystream.embedded.EmbeddedKafka;
import io.storystream.embedded.FreePorts;
import io.storystream.embedded.registry.SchemaRegistryServer;
import java.io.PrintWriter;
import java.io.StringWriter;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import org.apache.kafka.streams.KafkaStreams;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInstance;
import org.junit.jupiter.api.io.TempDir;
import picocli.CommandLine;

/**
 * A broker whose client listener requires SASL/SCRAM and authorizes every request (StandardAuthorizer, nothing
 * allowed without an ACL), as docker-compose.yml runs it. The topics job, as the administrator, creates the billing
 * service's and the billing sink's SCRAM users and their ACLs; the billing aggregator then runs on that listener with
 * the client properties, the sink's principal reads statements and nothing else,
 * and stops at once with a message naming what to set when it is started without them or with a wrong password.
 */
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
class SaslClusterTest {
  private static final String PASSWORD = "billing-scram-password-0123456789";
  private static final String SINK_PASSWORD = "billing-sink-scram-password-9876543210";

  @TempDir static Path dir;
  private EmbeddedKafka broker;
  private SchemaRegistryServer registry;
  private String saslBootstrap;

  @BeforeAll
  void startASaslBroker() throws Exception {
    int plain = FreePorts.pick();
    int sasl = FreePorts.pick();
    int controller = FreePorts.pick();
    saslBootstrap = "127.0.0.1:" + sasl;
    // the plaintext listener stands for the operator's own access (its principal, ANONYMOUS, is the super user)
    broker = new EmbeddedKafka(dir.resolve("kafka"), plain, controller, Map.of(
        "listeners", "PLAINTEXT://127.0.0.1:" + plain + ",SASL_PLAINTEXT://127.0.0.1:" + sasl
            + ",CONTROLLER://127.0.0.1:" + controller,
        "advertised.listeners", "PLAINTEXT://127.0.0.1:" + plain + ",SASL_PLAINTEXT://127.0.0.1:" + sasl,
        "listener.security.protocol.map", "PLAINTEXT:PLAINTEXT,SASL_PLAINTEXT:SASL_PLAINTEXT,CONTROLLER:PLAINTEXT",
        "sasl.enabled.mechanisms", "SCRAM-SHA-512",
        "listener.name.sasl_plaintext.scram-sha-512.sasl.jaas.config",
        "org.apache.kafka.common.security.scram.ScramLoginModule required;",
        "authorizer.class.name", "org.apache.kafka.metadata.authorizer.StandardAuthorizer",
        "super.users", "User:ANONYMOUS",
        "allow.everyone.if.no.acl.found", "false")).start();
    registry = new SchemaRegistryServer("127.0.0.1", 0, broker.bootstrapServers(), (short) 1).start();

    try (ChildProcess topics = ChildProcess.start("topics-sasl", List.of("topics", "--bootstrap-servers",
        broker.bootstrapServers(), "--partitions", "2", "--replication-factor", "1", "--scram-users",
        "billing,billing-sink", "--acls", "billing=User:billing,billing-sink=User:billing-sink"),
        Map.of("STORYSTREAM_SCRAM_PASSWORD_BILLING", PASSWORD, "STORYSTREAM_SCRAM_PASSWORD_BILLING_SINK", SINK_PASSWORD))) {
      await().atMost(Duration.ofMinutes(2)).until(() -> !topics.isAlive());
      assertThat(topics.exitCode()).as(topics.tail()).isZero();
      assertThat(topics.output()).anyMatch(l -> l.startsWith("SCRAM users: [billing, billing-sink]"))
          .anyMatch(l -> l.startsWith("ACLs: ") && l.contains("User:billing") && l.contains("User:billing-sink"));
    }
  }

  @AfterAll
  void stop() {
    if (registry != null) {
      registry.close();
    }
    if (broker != null) {
      broker.close();
    }
  }

  @Test
  void theAggregatorRunsOnTheScramListenerWithTheClientPropertiesAndItsAclsOnly() throws Exception {
    KafkaSettings kafka = new KafkaSettings(saslBootstrap, registry.url(), 2, (short) 1, Map.of(
        "security.protocol", "SASL_PLAINTEXT",
        "sasl.mechanism", "SCRAM-SHA-512",
        "sasl.jaas.config", "org.apache.kafka.common.security.scram.ScramLoginModule required username=\"billing\" "
            + "password=\"" + PASSWORD + "\";"));
    KafkaPreflight.check(kafka, Duration.ofSeconds(30));
    assertThat(kafka.toString()).doesNotContain(PASSWORD);
    try (BillingAggregator aggregator = new BillingAggregator(BillingConfig.of(kafka, dir.resolve("billing"))
        .withHttpPort(0)).withAccess(BillingAccess.none()).start()) {
      await().atMost(Duration.ofMinutes(2)).until(() -> aggregator.streams().state() == KafkaStreams.State.RUNNING);
    }
  }

  /**
   * The billing sink's principal reads billing-statements the way the sink does (assigned partitions, no group) and
   * nothing else: not the usage log, and it cannot write statements.
   */
  @Test
  void theSinksPrincipalMayReadStatementsAndNothingElse() throws Exception {
    String statements = io.storystream.schemas.topics.Topics.BILLING_STATEMENTS.name();
    try (var admin = new org.apache.kafka.clients.producer.KafkaProducer<String, String>(Map.of(
        "bootstrap.servers", broker.bootstrapServers(), "key.serializer", StringSerializerName.VALUE,
        "value.serializer", StringSerializerName.VALUE))) {
      admin.send(new org.apache.kafka.clients.producer.ProducerRecord<>(statements, "acme:2026-11", "a statement")).get();
    }
    Map<String, Object> sink = new java.util.HashMap<>(Map.of("bootstrap.servers", saslBootstrap,
        "security.protocol", "SASL_PLAINTEXT", "sasl.mechanism", "SCRAM-SHA-512",
        "sasl.jaas.config", "org.apache.kafka.common.security.scram.ScramLoginModule required "
            + "username=\"billing-sink\" password=\"" + SINK_PASSWORD + "\";",
        "key.deserializer", StringDeserializerName.VALUE, "value.deserializer", StringDeserializerName.VALUE,
        "auto.offset.reset", "earliest", "isolation.level", "read_committed"));
    try (var consumer = new org.apache.kafka.clients.consumer.KafkaConsumer<String, String>(sink)) {
      var partitions = consumer.partitionsFor(statements, Duration.ofSeconds(30)).stream()
          .map(p -> new org.apache.kafka.common.TopicPartition(statements, p.partition())).toList();
      consumer.assign(partitions);
      consumer.seekToBeginning(partitions);
      List<String> read = new java.util.ArrayList<>();
      await().atMost(Duration.ofMinutes(1)).until(() -> {
        consumer.poll(Duration.ofMillis(500)).forEach(r -> read.add(r.value()));
        return !read.isEmpty();
      });
      assertThat(read).containsExactly("a statement");

      var usage = new org.apache.kafka.common.TopicPartition(
          io.storystream.schemas.topics.Topics.USAGE_EVENTS.name(), 0);
      consumer.assign(List.of(usage));
      consumer.seekToBeginning(List.of(usage));
      assertThatThrownBy(() -> consumer.poll(Duration.ofSeconds(10)))
          .isInstanceOf(org.apache.kafka.common.errors.TopicAuthorizationException.class);
    }
    Map<String, Object> writer = new java.util.HashMap<>(sink);
    writer.keySet().removeIf(k -> k.endsWith("deserializer") || k.equals("auto.offset.reset")
        || k.equals("isolation.level"));
    writer.putAll(Map.of("key.serializer", StringSerializerName.VALUE, "value.serializer", StringSerializerName.VALUE,
        "enable.idempotence", "false", "max.block.ms", "20000"));
    try (var producer = new org.apache.kafka.clients.producer.KafkaProducer<String, String>(writer)) {
      assertThatThrownBy(() -> producer.send(new org.apache.kafka.clients.producer.ProducerRecord<>(statements,
          "acme:2026-11", "forged")).get())
          .hasCauseInstanceOf(org.apache.kafka.common.errors.TopicAuthorizationException.class);
    }
  }

  private static final class StringSerializerName {
    static final String VALUE = org.apache.kafka.common.serialization.StringSerializer.class.getName();
  }

  private static final class StringDeserializerName {
    static final String VALUE = org.apache.kafka.common.serialization.StringDeserializer.class.getName();
  }

  @Test
  void withoutTheClientPropertiesTheServiceStopsAndSaysWhatToSet() {
    StringWriter err = new StringWriter();
    CommandLine billing = BillingCommand.commandLine();
    billing.setErr(new PrintWriter(err, true));
    int code = billing.execute("run", "--bootstrap-servers", saslBootstrap, "--registry-url", registry.url(),
        "--data-dir", dir.resolve("billing-plain").toString(), "--billing-port", "0", "--management-port", "0",
        "--kafka-connect-timeout", "PT5S");
    assertThat(code).isEqualTo(2);
    assertThat(err.toString()).contains("billing aggregator not started", saslBootstrap, "security.protocol=PLAINTEXT",
        "STORYSTREAM_KAFKA_SECURITY_PROTOCOL", "STORYSTREAM_KAFKA_SASL_JAAS_CONFIG", "--kafka-properties-file");
  }

  @Test
  void aWrongPasswordIsReportedAsRefusedAuthentication() {
    KafkaSettings wrong = new KafkaSettings(saslBootstrap, registry.url(), 2, (short) 1, Map.of(
        "security.protocol", "SASL_PLAINTEXT",
        "sasl.mechanism", "SCRAM-SHA-512",
        "sasl.jaas.config", "org.apache.kafka.common.security.scram.ScramLoginModule required username=\"billing\" "
            + "password=\"not-the-password\";"));
    assertThatThrownBy(() -> KafkaPreflight.check(wrong, Duration.ofSeconds(20)))
        .isInstanceOf(KafkaPreflight.KafkaUnavailableException.class)
        .hasMessageContaining("refused authentication")
        .hasMessageContaining("sasl.jaas.config")
        .satisfies(e -> assertThat(e.getMessage()).doesNotContain("not-the-password"));
  }
}
