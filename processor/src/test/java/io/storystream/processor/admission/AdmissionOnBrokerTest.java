package io.storystream.processor.admission;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import io.storystream.common.kafka.KafkaSettings;
import io.storystream.embedded.EmbeddedKafka;
import io.storystream.embedded.registry.SchemaRegistryServer;
import io.storystream.processor.ProcessorTopics;
import io.storystream.schemas.AnalysisRequest;
import io.storystream.schemas.AnalysisStatus;
import io.storystream.schemas.AnalysisWork;
import io.storystream.schemas.DeadLetter;
import io.storystream.schemas.FileRegistered;
import io.storystream.schemas.JobState;
import io.storystream.schemas.PlanLimits;
import io.storystream.schemas.Tenant;
import io.storystream.schemas.TenantStatus;
import io.storystream.schemas.registry.HttpSchemaRegistryClient;
import io.storystream.schemas.topics.TenantKeys;
import io.storystream.schemas.topics.Topic;
import io.storystream.schemas.topics.TopicSerdes;
import io.storystream.schemas.topics.Topics;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Properties;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.stream.Collectors;
import org.apache.avro.specific.SpecificRecord;
import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.common.TopicPartition;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInstance;
import org.junit.jupiter.api.io.TempDir;

/**
 * Admission as it runs: the {@link AdmissionService} (exactly-once v2) on a real in-process KRaft broker with the
 * embedded Confluent-compatible schema registry, fed by concurrent producers using the tenant partitioner.
 */
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
class AdmissionOnBrokerTest {
  private static final int PARTITIONS = 3;
  private static final int SUBMISSIONS = 1_000;
  private static final int QUOTA = 50;
  private static final int PRODUCERS = 8;

  private Path dataDir;
  private EmbeddedKafka kafka;
  private SchemaRegistryServer registryServer;
  private KafkaSettings settings;
  private TopicSerdes serdes;
  private AdmissionService admission;
  private KafkaProducer<String, byte[]> producer;
  private KafkaConsumer<String, byte[]> outputs;
  private final Map<String, List<AnalysisStatus>> decisionsByTenant = new ConcurrentHashMap<>();
  private final Map<String, List<AnalysisWork>> workByTenant = new ConcurrentHashMap<>();
  private final List<DeadLetter> deadLetters = new ArrayList<>();

  @BeforeAll
  void startTheStack(@TempDir Path dir) throws Exception {
    kafka = EmbeddedKafka.forTests(dir.resolve("kafka")).start();
    registryServer = new SchemaRegistryServer("127.0.0.1", 0, kafka.bootstrapServers(), (short) 1).start();
    settings = new KafkaSettings(kafka.bootstrapServers(), registryServer.url(), PARTITIONS, (short) 1);
    serdes = new TopicSerdes(new HttpSchemaRegistryClient(registryServer.url()));
    try (Admin admin = Admin.create(settings.admin())) {
      ProcessorTopics.catalogue(PARTITIONS, (short) 1).ensure(admin);
    }
    dataDir = dir.resolve("data");
    admission = new AdmissionService(settings, dataDir).start();
    producer = new KafkaProducer<>(settings.producer("admission-test"));
    outputs = new KafkaConsumer<>(settings.consumer(null));
    List<TopicPartition> partitions = new ArrayList<>();
    for (String topic : List.of(Topics.ANALYSIS_STATUS.name(), Topics.ANALYSIS_WORK.name(), Topics.DEAD_LETTER.name())) {
      for (int p = 0; p < PARTITIONS; p++) {
        partitions.add(new TopicPartition(topic, p));
      }
    }
    outputs.assign(partitions);
    outputs.seekToBeginning(partitions);
  }

  @AfterAll
  void stopTheStack() throws Exception {
    if (outputs != null) outputs.close();
    if (producer != null) producer.close();
    if (admission != null) admission.close();
    if (registryServer != null) registryServer.close();
    if (kafka != null) kafka.close();
  }

  /** The suite's size: 3 rounds of 1,000 concurrent submissions (the 10 rounds run under the benchmark tag). */
  @Test
  void aQuotaOf50AdmitsExactly50Of1000ConcurrentSubmissionsInEachOf3Rounds() throws Exception {
    floodRounds("suite", 3);
  }

  /** The full size: 10 rounds of 1,000. Run with -Dsurefire.excludedGroups= -Dgroups=benchmark. */
  @Test
  @Tag("benchmark")
  void aQuotaOf50AdmitsExactly50Of1000ConcurrentSubmissionsInEachOf10Rounds() throws Exception {
    floodRounds("full", 10);
  }

  @Test
  void aPoisonRecordGoesToTheDeadLetterTopicUnderExactlyOnceAndAdmissionKeepsGoing() throws Exception {
    String tenant = "poisoned";
    provision(tenant, QUOTA);
    producer.send(new ProducerRecord<>(Topics.ANALYSIS_REQUESTS.name(), tenant,
        "{\"not\":\"avro\"}".getBytes(StandardCharsets.UTF_8))).get();
    String jobId = tenant + "-after-poison";
    send(Topics.ANALYSIS_REQUESTS, tenant, request(tenant, jobId));
    producer.flush();

    await().atMost(Duration.ofSeconds(60)).untilAsserted(() -> {
      drainOutputs();
      assertThat(decisionsByTenant.getOrDefault(tenant, List.of())).extracting(AnalysisStatus::getJobId)
          .containsExactly(jobId);
      assertThat(deadLetters).filteredOn(d -> d.getReason().equals(DeadLetters.DESERIALIZATION_FAILED))
          .singleElement().satisfies(d -> {
            assertThat(d.getSourceTopic()).isEqualTo(Topics.ANALYSIS_REQUESTS.name());
            assertThat(d.getApplication()).isEqualTo(AdmissionTopology.APPLICATION_ID);
          });
    });
    assertThat(decisionsByTenant.get(tenant).get(0).getState()).isEqualTo(JobState.ADMITTED);
  }

  @Test
  void quotaCountersAndJobIdsSurviveARestart() throws Exception {
    String tenant = "restarted";
    provision(tenant, QUOTA);
    for (int i = 0; i < 30; i++) {
      send(Topics.ANALYSIS_REQUESTS, tenant, request(tenant, tenant + "-job-" + i));
    }
    producer.flush();
    awaitDecisions(tenant, 30);

    admission.close();
    admission = new AdmissionService(settings, dataDir).start();
    for (int i = 25; i < 60; i++) { // 25..29 are redeliveries of decided jobs: dropped, not counted
      send(Topics.ANALYSIS_REQUESTS, tenant, request(tenant, tenant + "-job-" + i));
    }
    producer.flush();
    awaitDecisions(tenant, 60);

    Map<String, Long> outcomes = decisionsByTenant.get(tenant).stream().collect(Collectors.groupingBy(
        s -> s.getState() + (s.getReason() == null ? "" : "{" + s.getReason() + "}"), Collectors.counting()));
    assertThat(outcomes).containsExactlyInAnyOrderEntriesOf(Map.of("ADMITTED", 50L, "REJECTED{quota_exceeded}", 10L));
    assertThat(decisionsByTenant.get(tenant)).extracting(AnalysisStatus::getJobId).doesNotHaveDuplicates();
  }

  private void awaitDecisions(String tenant, int expected) {
    await().atMost(Duration.ofSeconds(60)).pollInterval(Duration.ofMillis(200)).untilAsserted(() -> {
      drainOutputs();
      assertThat(decisionsByTenant.getOrDefault(tenant, List.of())).hasSize(expected);
    });
  }

  private void floodRounds(String run, int rounds) throws Exception {
    ExecutorService pool = Executors.newFixedThreadPool(PRODUCERS);
    try {
      for (int round = 1; round <= rounds; round++) {
        String tenant = "flood-" + run + "-" + round;
        provision(tenant, QUOTA);
        List<Future<?>> sent = new ArrayList<>();
        for (int p = 0; p < PRODUCERS; p++) {
          int producerIndex = p;
          sent.add(pool.submit(() -> {
            for (int i = producerIndex; i < SUBMISSIONS; i += PRODUCERS) {
              send(Topics.ANALYSIS_REQUESTS, tenant, request(tenant, tenant + "-job-" + i));
            }
            return null;
          }));
        }
        for (Future<?> f : sent) {
          f.get();
        }
        producer.flush();

        awaitDecisions(tenant, SUBMISSIONS);
        List<AnalysisStatus> decided = decisionsByTenant.get(tenant);
        Map<String, Long> outcomes = decided.stream().collect(Collectors.groupingBy(
            s -> s.getState() + (s.getReason() == null ? "" : "{" + s.getReason() + "}"), Collectors.counting()));
        assertThat(outcomes).as("round %d", round)
            .containsExactlyInAnyOrderEntriesOf(Map.of("ADMITTED", 50L, "REJECTED{quota_exceeded}", 950L));
        assertThat(decided).extracting(AnalysisStatus::getJobId).doesNotHaveDuplicates();
        List<String> admitted = decided.stream().filter(s -> s.getState() == JobState.ADMITTED)
            .map(AnalysisStatus::getJobId).sorted().toList();
        await().atMost(Duration.ofSeconds(30)).untilAsserted(() -> {
          drainOutputs();
          assertThat(workByTenant.getOrDefault(tenant, List.of())).extracting(AnalysisWork::getJobId)
              .containsExactlyInAnyOrderElementsOf(admitted);
        });
      }
    } finally {
      pool.shutdownNow();
    }
  }

  private void provision(String tenant, int quota) throws Exception {
    Instant now = Instant.now();
    send(Topics.TENANTS, tenant, Tenant.newBuilder().setTenantId(tenant).setName(tenant).setPlan("pro")
        .setLimits(new PlanLimits(quota, 50L * 1024 * 1024, false, 100_000, 10_000, 30, 100))
        .setStatus(TenantStatus.ACTIVE).setCreatedAt(now).setUpdatedAt(now).build());
    send(Topics.FILES, TenantKeys.of(tenant, "file_1"), FileRegistered.newBuilder().setFileId("file_1")
        .setTenantId(tenant).setName("sales.csv").setObjectKey("tenants/" + tenant + "/files/file_1")
        .setSizeBytes(100).setSha256("ab".repeat(32)).setRows(10).setColumns(2).setUploadedAt(now).build());
    producer.flush();
  }

  private static AnalysisRequest request(String tenant, String jobId) {
    return AnalysisRequest.newBuilder().setJobId(jobId).setTenantId(tenant).setFileId("file_1")
        .setSteeringPrompt("trend").setRequestHash("cd".repeat(32)).setSubmittedAt(Instant.now()).build();
  }

  private <V extends SpecificRecord> void send(Topic<V> topic, String key, V value) {
    producer.send(new ProducerRecord<>(topic.name(), key, serdes.value(topic).serializer().serialize(topic.name(), value)));
  }

  private synchronized void drainOutputs() {
    for (ConsumerRecord<String, byte[]> r : outputs.poll(Duration.ofMillis(100))) {
      if (r.topic().equals(Topics.ANALYSIS_STATUS.name())) {
        AnalysisStatus status = serdes.value(Topics.ANALYSIS_STATUS).deserializer().deserialize(r.topic(), r.value());
        if (status.getSequence() == AdmissionTopology.DECISION_SEQUENCE) {
          decisionsByTenant.computeIfAbsent(status.getTenantId(), t -> new ArrayList<>()).add(status);
        }
      } else if (r.topic().equals(Topics.ANALYSIS_WORK.name())) {
        AnalysisWork work = serdes.value(Topics.ANALYSIS_WORK).deserializer().deserialize(r.topic(), r.value());
        workByTenant.computeIfAbsent(work.getTenantId(), t -> new ArrayList<>()).add(work);
      } else {
        deadLetters.add(serdes.value(Topics.DEAD_LETTER).deserializer().deserialize(r.topic(), r.value()));
      }
    }
  }
}
