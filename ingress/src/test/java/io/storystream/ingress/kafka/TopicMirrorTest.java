package io.storystream.ingress.kafka;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import io.storystream.common.kafka.KafkaSettings;
import io.storystream.embedded.EmbeddedKafka;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicInteger;
import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.admin.NewTopic;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The mirror on a real broker: a record it cannot apply is retried, never skipped, and the copy is not ready meanwhile. */
class TopicMirrorTest {
  @TempDir static Path dir;
  static EmbeddedKafka broker;
  static KafkaSettings kafka;

  @BeforeAll
  static void startBroker() throws Exception {
    broker = EmbeddedKafka.forTests(dir.resolve("kafka")).start();
    kafka = new KafkaSettings(broker.bootstrapServers(), "http://127.0.0.1:9", 1, (short) 1);
    try (Admin admin = Admin.create(kafka.admin())) {
      admin.createTopics(List.of(new NewTopic("mirror-test", 1, (short) 1), new NewTopic("mirror-current", 2, (short) 1)))
          .all().get();
    }
  }

  @AfterAll
  static void stopBroker() {
    broker.close();
  }

  @Test
  void aRecordThatCannotBeAppliedIsRetriedNotSkippedAndTheCopyIsNotReadyMeanwhile() throws Exception {
    List<String> applied = new CopyOnWriteArrayList<>();
    AtomicBoolean poisoned = new AtomicBoolean(false);
    AtomicInteger refusals = new AtomicInteger();
    TopicMirror.Sink sink = (topic, key, value) -> {
      String text = new String(value, StandardCharsets.UTF_8);
      if (text.equals("revoke key_2") && poisoned.get()) {
        refusals.incrementAndGet();
        throw new IllegalStateException("cannot decode (registry unreachable)");
      }
      applied.add(text);
    };
    try (TopicMirror mirror = new TopicMirror("test", kafka, List.of("mirror-test"), sink).start()) {
      assertThat(mirror.awaitCaughtUp(Duration.ofSeconds(60))).isTrue();
      assertThat(mirror.ready()).isTrue();

      poisoned.set(true);
      produce("key_1", "create key_1");
      produce("key_2", "revoke key_2");
      produce("key_3", "create key_3");
      await().atMost(Duration.ofSeconds(30)).until(() -> refusals.get() >= 2);
      assertThat(mirror.ready()).as("a stuck record makes the copy not current").isFalse();
      assertThat(applied).as("nothing after the stuck record is applied").containsExactly("create key_1");

      poisoned.set(false);
      await().atMost(Duration.ofSeconds(30)).untilAsserted(() ->
          assertThat(applied).containsExactly("create key_1", "revoke key_2", "create key_3"));
      await().atMost(Duration.ofSeconds(30)).until(mirror::ready);
    }
  }

  @Test
  void aQuestionAboutCurrencyIsAnsweredOnceEveryRecordWrittenBeforeItIsAppliedAndNotWhileOneIsStuck() throws Exception {
    List<String> applied = new CopyOnWriteArrayList<>();
    AtomicBoolean poisoned = new AtomicBoolean(false);
    AtomicInteger refusals = new AtomicInteger();
    TopicMirror.Sink sink = (topic, key, value) -> {
      String text = new String(value, StandardCharsets.UTF_8);
      if (text.startsWith("stuck") && poisoned.get()) {
        refusals.incrementAndGet();
        throw new IllegalStateException("cannot decode (registry unreachable)");
      }
      applied.add(text);
    };
    try (TopicMirror mirror = new TopicMirror("current", kafka, List.of("mirror-current"), sink).start()) {
      assertThat(mirror.awaitCaughtUp(Duration.ofSeconds(60))).isTrue();

      // written (acknowledged) by another instance, then the question: the answer comes only after it is applied
      produce("mirror-current", "key_10", "uploaded elsewhere");
      assertThat(mirror.awaitCurrent().get(30, java.util.concurrent.TimeUnit.SECONDS)).isTrue();
      assertThat(applied).contains("uploaded elsewhere");

      poisoned.set(true);
      produce("mirror-current", "key_11", "stuck record");
      var current = mirror.awaitCurrent();
      int before = refusals.get();
      await().atMost(Duration.ofSeconds(30)).until(() -> refusals.get() >= before + 2);
      assertThat(current).as("not current while a record before the question is stuck").isNotDone();

      poisoned.set(false);
      assertThat(current.get(30, java.util.concurrent.TimeUnit.SECONDS)).isTrue();
      assertThat(applied).contains("stuck record");
    }
  }

  private static void produce(String key, String value) throws Exception {
    produce("mirror-test", key, value);
  }

  private static void produce(String topic, String key, String value) throws Exception {
    var props = kafka.producer("mirror-test");
    props.put("value.serializer", org.apache.kafka.common.serialization.ByteArraySerializer.class.getName());
    try (KafkaProducer<String, byte[]> producer = new KafkaProducer<>(props)) {
      producer.send(new ProducerRecord<>(topic, key, value.getBytes(StandardCharsets.UTF_8))).get();
    }
  }
}
