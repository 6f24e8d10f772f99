package io.storystream.processor.admission;

import static io.storystream.testsupport.Rounds.loadAverage;
import static io.storystream.testsupport.Rounds.max;
import static io.storystream.testsupport.Rounds.median;
import static io.storystream.testsupport.Rounds.min;

import io.storystream.common.config.Secrets;
import io.storystream.common.crypto.MasterKeys;
import io.storystream.common.kafka.KafkaSettings;
import io.storystream.embedded.EmbeddedKafka;
import io.storystream.embedded.registry.SchemaRegistryServer;
import io.storystream.processor.ProcessorTopics;
import io.storystream.schemas.AnalysisRequest;
import io.storystream.schemas.FileRegistered;
import io.storystream.schemas.PlanLimits;
import io.storystream.schemas.Tenant;
import io.storystream.schemas.TenantStatus;
import io.storystream.schemas.registry.HttpSchemaRegistryClient;
import io.storystream.schemas.topics.TenantKeys;
import io.storystream.schemas.topics.TopicSerdes;
import io.storystream.schemas.topics.Topics;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Instant;
import java.util.Map;
import java.util.Properties;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.stream.Collectors;
import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.admin.ListOffsetsResult;
import org.apache.kafka.clients.admin.OffsetSpec;
import org.apache.kafka.clients.consumer.OffsetAndMetadata;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.streams.KafkaStreams;
import org.apache.kafka.streams.StreamsBuilder;
import org.apache.kafka.streams.StreamsConfig;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;

/**
 * Admission throughput next to a plain Kafka Streams exactly-once count over the same input, in the same run, on
 * the same in-process broker: both read the same pre-produced {@code analysis-requests} (Avro-decoded), and each is
 * timed from RUNNING until its committed offsets reach the end of the topic. Both run with admission's latency
 * settings (commit interval, poll and fetch waits), so the count commits as often as admission does. Rounds alternate
 * (count, admission, count, …; {@code -Dadmission.bench.rounds}, default 3) after one pair that is not counted
 * ({@code -Dadmission.bench.warmup}, default 1), and the result is the medians with their ranges.
 *
 * <p>{@code mvn -B -o -pl processor -am test -Dtest=AdmissionBenchmark -Dsurefire.excludedGroups= -Dgroups=benchmark
 * -Dsurefire.failIfNoSpecifiedTests=false} (figures in processor/target/surefire-reports/*AdmissionBenchmark-output.txt),
 * or run {@link #main} with {@code [requests] [tenants] [partitions]}.
 */
@Tag("benchmark")
class AdmissionBenchmark {

  @Test
  void printsAdmissionThroughputAgainstAPlainExactlyOnceCount() throws Exception {
    main(new String[] {System.getProperty("admission.bench.requests", "100000"),
        System.getProperty("admission.bench.tenants", "100"), System.getProperty("admission.bench.partitions", "6")});
  }

  public static void main(String[] args) throws Exception {
    int requests = args.length > 0 ? Integer.parseInt(args[0]) : 100_000;
    int tenants = args.length > 1 ? Integer.parseInt(args[1]) : 100;
    int partitions = args.length > 2 ? Integer.parseInt(args[2]) : 6;
    Path dir = Files.createTempDirectory("admission-benchmark");
    try (EmbeddedKafka kafka = EmbeddedKafka.forTests(dir.resolve("kafka")).start();
         SchemaRegistryServer registry = new SchemaRegistryServer("127.0.0.1", 0, kafka.bootstrapServers(), (short) 1).start();
         Admin admin = Admin.create(Map.of("bootstrap.servers", kafka.bootstrapServers()))) {
      KafkaSettings settings = new KafkaSettings(kafka.bootstrapServers(), registry.url(), partitions, (short) 1);
      TopicSerdes serdes = new TopicSerdes(new HttpSchemaRegistryClient(registry.url()));
      ProcessorTopics.catalogue(partitions, (short) 1).ensure(admin);
      produce(settings, serdes, requests, tenants);

      System.out.println(String.format("admission benchmark: %,d requests from %d tenants on %d partitions (plan: "
          + "600/min, %d/month, no concurrency cap)", requests, tenants, partitions, requests / tenants * 2 / 5));
      // first, rounds that are not counted (-Dadmission.bench.warmup, default 1): in a fresh JVM the first pass runs
      // mostly interpreted code, and with it a quick run's per-round ratio swung 0.025–0.111 between two runs
      int warmUps = Integer.getInteger("admission.bench.warmup", 1);
      int rounds = Integer.getInteger("admission.bench.rounds", 3);
      double[] count = new double[rounds];
      double[] passThrough = new double[rounds];
      double[] admission = new double[rounds];
      double[] ratio = new double[rounds];
      double[] floorRatio = new double[rounds];
      for (int round = -warmUps; round < rounds; round++) {
        // alternating, each on a fresh application id: both read the same records from the start
        String name = round < 0 ? "warmup-" + (warmUps + round) : Integer.toString(round);
        double c = timeCount(settings, serdes, admin, dir.resolve("count-" + name), "bench-count-" + name, requests);
        double p = timePassThrough(settings, serdes, admin, dir.resolve("pass-" + name), "bench-pass-" + name,
            requests);
        double a = timeAdmission(settings, admin, withSharedMasterKeys(dir, "admission-" + name),
            "bench-admission-" + name, requests);
        // one println per line: printf writes piecewise and Kafka's log lines would land in the middle
        System.out.println(String.format("%s: plain EOS count %,.0f records/s; EOS pass-through %,.0f records/s "
            + "(%.3f of the count); admission %,.0f requests/s; ratio %.3f; load average %s",
            round < 0 ? "warm-up round (not counted)" : "round " + (round + 1), c, p, p / c, a, a / c, loadAverage()));
        if (round >= 0) {
          count[round] = c;
          passThrough[round] = p;
          admission[round] = a;
          ratio[round] = a / c;
          floorRatio[round] = p / c;
        }
      }
      System.out.println(String.format("RESULT admission %,.0f req/s vs plain EOS count %,.0f rec/s (ratio %.3f, "
          + "range %.3f–%.3f), medians of %d rounds; admission range %,.0f–%,.0f, count range %,.0f–%,.0f",
          median(admission), median(count), median(ratio), min(ratio), max(ratio), rounds, min(admission),
          max(admission), min(count), max(count)));
      System.out.println(String.format("FLOOR an EOS pass-through (one record written per request, nothing else) "
          + "%,.0f rec/s = %.3f of the count (range %.3f–%.3f); admission is %.3f of the pass-through",
          median(passThrough), median(floorRatio), min(floorRatio), max(floorRatio),
          median(admission) / median(passThrough)));
    }
  }

  private static void produce(KafkaSettings settings, TopicSerdes serdes, int requests, int tenants) throws Exception {
    Instant now = Instant.now();
    try (KafkaProducer<String, byte[]> producer = new KafkaProducer<>(settings.producer("benchmark"))) {
      for (int t = 0; t < tenants; t++) {
        String tenant = "tenant-" + t;
        producer.send(new ProducerRecord<>(Topics.TENANTS.name(), tenant, serdes.value(Topics.TENANTS).serializer()
            .serialize(Topics.TENANTS.name(), Tenant.newBuilder().setTenantId(tenant).setName(tenant).setPlan("pro")
                .setLimits(new PlanLimits(requests / tenants * 2 / 5, 1L << 26, true, 600, -1, 30, -1))
                .setStatus(TenantStatus.ACTIVE).setCreatedAt(now).setUpdatedAt(now).build())));
        producer.send(new ProducerRecord<>(Topics.FILES.name(), TenantKeys.of(tenant, "file_1"),
            serdes.value(Topics.FILES).serializer().serialize(Topics.FILES.name(), FileRegistered.newBuilder()
                .setFileId("file_1").setTenantId(tenant).setName("sales.csv")
                .setObjectKey("tenants/" + tenant + "/files/file_1").setSizeBytes(100).setSha256("ab".repeat(32))
                .setRows(10).setColumns(2).setUploadedAt(now).build())));
      }
      producer.flush();
      for (int i = 0; i < requests; i++) {
        String tenant = "tenant-" + (i % tenants);
        AnalysisRequest request = AnalysisRequest.newBuilder().setJobId("job_" + i).setTenantId(tenant)
            .setFileId("file_1").setSteeringPrompt("trend " + i).setRequestHash("cd".repeat(32))
            .setSubmittedAt(now.plusMillis(i / tenants)).build();
        producer.send(new ProducerRecord<>(Topics.ANALYSIS_REQUESTS.name(), tenant,
            serdes.value(Topics.ANALYSIS_REQUESTS).serializer().serialize(Topics.ANALYSIS_REQUESTS.name(), request)));
      }
      producer.flush();
    }
  }

  /**
   * A round's data folder holding the run's one master key file: every round reads the data keys the first round
   * made on the broker's {@code tenant-keys}, as every service of a deployment is given the same master keys (a
   * round with a master key of its own would refuse to start).
   */
  private static Path withSharedMasterKeys(Path dir, String name) throws Exception {
    String keys = Secrets.readOrCreate(dir.resolve(MasterKeys.DEFAULT_FILE), "");
    Path data = Files.createDirectories(dir.resolve(name));
    Files.writeString(data.resolve(MasterKeys.DEFAULT_FILE), keys + "\n");
    return data;
  }

  private static double timeAdmission(KafkaSettings settings, Admin admin, Path dataDir, String appId, int requests)
      throws Exception {
    Properties overrides = new Properties();
    overrides.put(StreamsConfig.APPLICATION_ID_CONFIG, appId);
    withBenchSettings(overrides);
    String idle = System.getProperty("admission.bench.max.task.idle.ms");
    if (idle != null) {
      overrides.put(StreamsConfig.MAX_TASK_IDLE_MS_CONFIG, idle);
    }
    try (AdmissionService admission = new AdmissionService(settings, dataDir,
        new HttpSchemaRegistryClient(settings.registryUrl()), overrides)) {
      admission.start(); // returns at RUNNING
      return requests / secondsUntilCaughtUp(admin, appId);
    }
  }

  private static double timeCount(KafkaSettings settings, TopicSerdes serdes, Admin admin, Path dataDir, String appId,
      int requests) throws Exception {
    StreamsBuilder builder = new StreamsBuilder();
    builder.stream(Topics.ANALYSIS_REQUESTS.name(), serdes.consumed(Topics.ANALYSIS_REQUESTS)).groupByKey().count();
    Properties props = settings.streams(appId, dataDir);
    // the same commit interval, poll and fetch waits admission runs with: a fair baseline commits as often
    AdmissionService.latencySettings(props);
    withBenchSettings(props);
    return timeStreams(builder, props, admin, appId, requests);
  }

  /**
   * The floor under any admission: an exactly-once stream that writes one record per request (the decision every
   * request must get, here the request itself re-serialized) and keeps no state. Same settings as the count.
   */
  private static double timePassThrough(KafkaSettings settings, TopicSerdes serdes, Admin admin, Path dataDir,
      String appId, int requests) throws Exception {
    String output = appId + "-decisions";
    admin.createTopics(java.util.List.of(new org.apache.kafka.clients.admin.NewTopic(output,
        Topics.ANALYSIS_REQUESTS.partitions(settings.tenantPartitions()), (short) 1))).all().get();
    StreamsBuilder builder = new StreamsBuilder();
    builder.stream(Topics.ANALYSIS_REQUESTS.name(), serdes.consumed(Topics.ANALYSIS_REQUESTS))
        .to(output, serdes.produced(Topics.ANALYSIS_REQUESTS));
    Properties props = settings.streams(appId, dataDir);
    AdmissionService.latencySettings(props);
    withBenchSettings(props);
    return timeStreams(builder, props, admin, appId, requests);
  }

  private static double timeStreams(StreamsBuilder builder, Properties props, Admin admin, String appId, int requests)
      throws Exception {
    try (KafkaStreams streams = new KafkaStreams(builder.build(), props)) {
      CountDownLatch running = new CountDownLatch(1);
      streams.setStateListener((now, before) -> {
        if (now == KafkaStreams.State.RUNNING) {
          running.countDown();
        }
      });
      streams.start();
      if (!running.await(90, TimeUnit.SECONDS)) {
        throw new IllegalStateException(appId + " did not start");
      }
      return requests / secondsUntilCaughtUp(admin, appId);
    }
  }

  /**
   * {@code -Dadmission.bench.commit.interval.ms}, {@code -Dadmission.bench.fetch.max.wait.ms}: both sides run with
   * that commit interval or main consumer's fetch wait instead of admission's own.
   */
  private static void withBenchSettings(Properties props) {
    String commit = System.getProperty("admission.bench.commit.interval.ms");
    if (commit != null) {
      props.put(StreamsConfig.COMMIT_INTERVAL_MS_CONFIG, commit);
    }
    String fetchWait = System.getProperty("admission.bench.fetch.max.wait.ms");
    if (fetchWait != null) {
      props.put(StreamsConfig.mainConsumerPrefix(org.apache.kafka.clients.consumer.ConsumerConfig.FETCH_MAX_WAIT_MS_CONFIG),
          fetchWait);
    }
  }

  /** Seconds from now until the group's committed offsets on analysis-requests reach the topic's end. */
  private static double secondsUntilCaughtUp(Admin admin, String groupId) throws Exception {
    long started = System.nanoTime();
    Map<TopicPartition, OffsetSpec> latest = admin.describeTopics(java.util.List.of(Topics.ANALYSIS_REQUESTS.name()))
        .allTopicNames().get().get(Topics.ANALYSIS_REQUESTS.name()).partitions().stream()
        .collect(Collectors.toMap(p -> new TopicPartition(Topics.ANALYSIS_REQUESTS.name(), p.partition()),
            p -> OffsetSpec.latest()));
    Map<TopicPartition, ListOffsetsResult.ListOffsetsResultInfo> ends = admin.listOffsets(latest).all().get();
    while (true) {
      Map<TopicPartition, OffsetAndMetadata> committed =
          admin.listConsumerGroupOffsets(groupId).partitionsToOffsetAndMetadata().get();
      boolean caughtUp = ends.entrySet().stream().allMatch(e -> {
        OffsetAndMetadata c = committed.get(e.getKey());
        return e.getValue().offset() == 0 || (c != null && c.offset() >= e.getValue().offset());
      });
      if (caughtUp) {
        return (System.nanoTime() - started) / 1e9;
      }
      Thread.sleep(20); // polling the group's progress, not hiding a race
    }
  }
}
