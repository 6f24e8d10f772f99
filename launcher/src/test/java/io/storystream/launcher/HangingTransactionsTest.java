package io.storystream.launcher;

import static org.assertj.core.api.Assertions.assertThat;

import io.storystream.embedded.EmbeddedKafka;
import io.storystream.testsupport.TestClock;
import java.io.DataInputStream;
import java.io.DataOutputStream;
import java.net.Socket;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Properties;
import java.util.UUID;
import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.admin.ListOffsetsOptions;
import org.apache.kafka.clients.admin.NewTopic;
import org.apache.kafka.clients.admin.OffsetSpec;
import org.apache.kafka.clients.admin.ProducerState;
import org.apache.kafka.clients.admin.TransactionDescription;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.common.IsolationLevel;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.common.compress.Compression;
import org.apache.kafka.common.message.ProduceRequestData;
import org.apache.kafka.common.protocol.ApiKeys;
import org.apache.kafka.common.protocol.Errors;
import org.apache.kafka.common.record.internal.MemoryRecords;
import org.apache.kafka.common.record.internal.SimpleRecord;
import org.apache.kafka.common.requests.AbstractResponse;
import org.apache.kafka.common.requests.ProduceRequest;
import org.apache.kafka.common.requests.ProduceResponse;
import org.apache.kafka.common.requests.RequestHeader;
import org.apache.kafka.common.serialization.StringDeserializer;
import org.apache.kafka.common.serialization.StringSerializer;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * {@link HangingTransactions} against a real broker. A hanging transaction is made on purpose, in the state a crash
 * of the embedded default left behind: a producer's transactional write sits open on a partition while the
 * producer's coordinator has moved on to a newer epoch (its successor fenced it) and knows nothing of that
 * partition, so no marker will ever close it. The write is sent as a raw produce request of the producer's old
 * epoch, which a broker with transaction verification off appends as it is (a crashed broker loses the verification
 * state the same way). The partition's last stable offset is then stuck and read_committed readers stall.
 */
class HangingTransactionsTest {
  @TempDir static Path dir;
  static EmbeddedKafka broker;
  static Admin admin;

  @BeforeAll
  static void startBroker() throws Exception {
    broker = new EmbeddedKafka(dir.resolve("kafka"), 0, 0,
        Map.of("transaction.partition.verification.enable", "false")).start();
    admin = Admin.create(Map.of("bootstrap.servers", broker.bootstrapServers()));
  }

  @AfterAll
  static void stopBroker() {
    admin.close();
    broker.close();
  }

  @Test
  void abortsATransactionItsCoordinatorForgotAndReadCommittedReadersMoveOn() throws Exception {
    TopicPartition partition = topic("forgotten");
    String id = "forgetful-" + UUID.randomUUID();
    TransactionDescription before;
    try (KafkaProducer<String, String> predecessor = transactional(id)) {
      predecessor.initTransactions();
      before = admin.describeTransactions(List.of(id)).description(id).get();
    }
    try (KafkaProducer<String, String> successor = transactional(id)) {
      successor.initTransactions(); // fences the predecessor: same producer id, a newer epoch, nothing open
    }
    writeUnverified(partition, id, before.producerId(), (short) before.producerEpoch());
    long hangingFrom = openTransactionStart(partition);
    plain(partition, "written after it");
    assertThat(lastStableOffset(partition)).as("read_committed readers are stuck at the hanging transaction")
        .isEqualTo(hangingFrom);

    TestClock clock = TestClock.frozenAt(Instant.parse("2026-12-01T10:00:00Z"));
    try (HangingTransactions sweeper = new HangingTransactions(broker.bootstrapServers(), clock)) {
      assertThat(sweeper.sweep()).as("seen once: noted, not yet aborted").isZero();
      assertThat(sweeper.sweep()).as("seen twice while its coordinator is idle under a newer epoch").isEqualTo(1);
    }
    assertThat(describe(partition).activeProducers()).allMatch(p -> p.currentTransactionStartOffset().isEmpty());
    assertThat(readCommitted(partition)).as("the aborted write is skipped, the later record is readable")
        .containsExactly("written after it");
  }

  @Test
  void leavesALiveTransactionAloneUntilItHasBeenOpenLongerThanAnyTimeout() throws Exception {
    TopicPartition partition = topic("slow");
    TestClock clock = TestClock.frozenAt(Instant.parse("2026-12-01T10:00:00Z"));
    try (KafkaProducer<String, String> producer = transactional("slow-" + UUID.randomUUID());
         HangingTransactions sweeper = new HangingTransactions(broker.bootstrapServers(), clock)) {
      producer.initTransactions();
      producer.beginTransaction();
      producer.send(new ProducerRecord<>(partition.topic(), 0, "k", "still being written")).get();
      long openFrom = openTransactionStart(partition);
      assertThat(sweeper.sweep()).isZero();
      clock.advance(HangingTransactions.HANGING_AFTER.minusSeconds(1));
      assertThat(sweeper.sweep()).as("its coordinator is still in it, and it is younger than the rule").isZero();
      assertThat(lastStableOffset(partition)).isEqualTo(openFrom);

      clock.advance(Duration.ofSeconds(2));
      assertThat(sweeper.sweep()).as("open longer than every transaction timeout here").isEqualTo(1);
      plain(partition, "written after the abort");
      assertThat(readCommitted(partition)).containsExactly("written after the abort");
    }
  }

  private static TopicPartition topic(String prefix) throws Exception {
    String name = prefix + "-" + UUID.randomUUID();
    admin.createTopics(List.of(new NewTopic(name, 1, (short) 1))).all().get();
    return new TopicPartition(name, 0);
  }

  /**
   * A transactional write of {@code producerId} at {@code epoch} to {@code partition}, as a raw produce request
   * from before transactions version 2: the client's own producer could not write under a fenced epoch.
   */
  private static void writeUnverified(TopicPartition partition, String transactionalId, long producerId, short epoch)
      throws Exception {
    MemoryRecords records = MemoryRecords.withTransactionalRecords(Compression.NONE, producerId, epoch, 0,
        new SimpleRecord("k".getBytes(StandardCharsets.UTF_8),
            "inside the forgotten transaction".getBytes(StandardCharsets.UTF_8)));
    ProduceRequestData data = new ProduceRequestData().setAcks((short) -1).setTimeoutMs(30_000)
        .setTransactionalId(transactionalId)
        .setTopicData(new ProduceRequestData.TopicProduceDataCollection(List.of(
            new ProduceRequestData.TopicProduceData().setName(partition.topic()).setPartitionData(List.of(
                new ProduceRequestData.PartitionProduceData().setIndex(partition.partition()).setRecords(records))))
            .iterator()));
    short version = ProduceRequest.LAST_STABLE_VERSION_BEFORE_TRANSACTION_V2;
    RequestHeader header = new RequestHeader(ApiKeys.PRODUCE, version, "hanging-transactions-test", 1);
    ByteBuffer request = new ProduceRequest.Builder(version, version, data).build(version).serializeWithHeader(header);
    byte[] bytes = new byte[request.remaining()];
    request.get(bytes);
    try (Socket socket = new Socket("127.0.0.1", broker.port())) {
      DataOutputStream out = new DataOutputStream(socket.getOutputStream());
      out.writeInt(bytes.length);
      out.write(bytes);
      out.flush();
      DataInputStream in = new DataInputStream(socket.getInputStream());
      byte[] answer = new byte[in.readInt()];
      in.readFully(answer);
      ProduceResponse response = (ProduceResponse) AbstractResponse.parseResponse(ByteBuffer.wrap(answer), header);
      response.data().responses().forEach(topic -> topic.partitionResponses().forEach(p ->
          assertThat(Errors.forCode(p.errorCode())).as("the unverified write was appended").isEqualTo(Errors.NONE)));
    }
  }

  private static KafkaProducer<String, String> transactional(String id) {
    Properties props = new Properties();
    props.put("bootstrap.servers", broker.bootstrapServers());
    props.put("transactional.id", id);
    props.put("transaction.timeout.ms", "600000"); // the broker's own expiry must not end it during the test
    return new KafkaProducer<>(props, new StringSerializer(), new StringSerializer());
  }

  private static void plain(TopicPartition partition, String value) throws Exception {
    try (KafkaProducer<String, String> producer = new KafkaProducer<>(
        Map.of("bootstrap.servers", broker.bootstrapServers()), new StringSerializer(), new StringSerializer())) {
      producer.send(new ProducerRecord<>(partition.topic(), 0, "k", value)).get();
    }
  }

  private static org.apache.kafka.clients.admin.DescribeProducersResult.PartitionProducerState describe(
      TopicPartition partition) throws Exception {
    return admin.describeProducers(List.of(partition)).partitionResult(partition).get();
  }

  /** Where the partition's one open transaction starts (failing when there is none). */
  private static long openTransactionStart(TopicPartition partition) throws Exception {
    List<ProducerState> open = describe(partition).activeProducers().stream()
        .filter(p -> p.currentTransactionStartOffset().isPresent()).toList();
    assertThat(open).as("an open transaction on %s", partition).hasSize(1);
    return open.get(0).currentTransactionStartOffset().getAsLong();
  }

  private static long lastStableOffset(TopicPartition partition) throws Exception {
    return admin.listOffsets(Map.of(partition, OffsetSpec.latest()),
        new ListOffsetsOptions(IsolationLevel.READ_COMMITTED)).partitionResult(partition).get().offset();
  }

  /** Every value a read_committed reader gets from the partition, up to its last stable offset. */
  private static List<String> readCommitted(TopicPartition partition) throws Exception {
    long end = lastStableOffset(partition);
    Properties props = new Properties();
    props.put("bootstrap.servers", broker.bootstrapServers());
    props.put("isolation.level", "read_committed");
    List<String> values = new ArrayList<>();
    try (KafkaConsumer<String, String> consumer = new KafkaConsumer<>(props, new StringDeserializer(),
        new StringDeserializer())) {
      consumer.assign(List.of(partition));
      consumer.seekToBeginning(List.of(partition));
      long deadline = System.nanoTime() + Duration.ofSeconds(30).toNanos();
      while (consumer.position(partition) < end) {
        assertThat(System.nanoTime()).as("read up to %d within 30 s", end).isLessThan(deadline);
        for (ConsumerRecord<String, String> r : consumer.poll(Duration.ofMillis(200))) {
          values.add(r.value());
        }
      }
    }
    return values;
  }
}
