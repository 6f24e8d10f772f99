package io.storystream.billing;

import static io.storystream.testsupport.Rounds.loadAverage;
import static io.storystream.testsupport.Rounds.max;
import static io.storystream.testsupport.Rounds.median;
import static io.storystream.testsupport.Rounds.min;

import io.storystream.common.kafka.KafkaSettings;
import io.storystream.embedded.EmbeddedKafka;
import io.storystream.embedded.registry.SchemaRegistryServer;
import io.storystream.schemas.Statement;
import io.storystream.schemas.UsageEvent;
import io.storystream.schemas.UsageType;
import io.storystream.schemas.registry.HttpSchemaRegistryClient;
import io.storystream.schemas.topics.TopicCatalogue;
import io.storystream.schemas.topics.TopicSerdes;
import io.storystream.schemas.topics.Topics;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.time.YearMonth;
import java.time.ZoneOffset;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.Map;
import java.util.Properties;
import java.util.Random;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.TimeUnit;
import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.admin.OffsetSpec;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.clients.consumer.OffsetAndMetadata;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.common.serialization.Serdes;
import org.apache.kafka.streams.KafkaStreams;
import org.apache.kafka.streams.StreamsBuilder;
import org.apache.kafka.streams.Topology;
import org.apache.kafka.streams.kstream.Consumed;

/**
 * Billing figures, each next to a baseline measured in the same run on the same broker:
 * <ol>
 *   <li>aggregation throughput of the billing topology over N usage events (5% duplicates, three tenants, two
 *       months) against a plain Kafka Streams exactly-once count over the same events;</li>
 *   <li>the time to replay R events (a fresh application id reading the whole log into stores without changelogs,
 *       which is what a full replay does before it compares; {@code -Dbilling.bench.replay.changelogs=true} keeps
 *       the changelogs, as the live aggregator does);</li>
 *   <li>usage event → statement update latency, p50/p99, on a caught-up aggregator at the default 1 s statement
 *       interval.</li>
 * </ol>
 * Run: {@code mvn -o -q -pl billing-aggregator -am test-compile} and then
 * {@code java -cp <test classpath> io.storystream.billing.BillingBenchmark [events] [replayEvents] [latencySamples]};
 * defaults 1,000,000 / 1,000,000 / 300; {@code --full} means 1,000,000 / 10,000,000 / 500; 0 samples skips the
 * latency part. Throughput alternates count and billing for {@code -Dbilling.bench.rounds} rounds (default 3), after
 * one pair that is not counted ({@code -Dbilling.bench.warmup}, default 1), and reports medians with their ranges.
 */
public final class BillingBenchmark {
  private static final String[] TENANTS = {"acme", "acme", "acme", "acme", "acme", "globex", "globex", "globex",
      "initech", "initech"};

  public static void main(String[] args) throws Exception {
    boolean full = args.length > 0 && args[0].equals("--full");
    int events = full ? 1_000_000 : args.length > 0 ? Integer.parseInt(args[0]) : 1_000_000;
    int replayEvents = full ? 10_000_000 : args.length > 1 ? Integer.parseInt(args[1]) : events;
    int samples = full ? 500 : args.length > 2 ? Integer.parseInt(args[2]) : 300;
    Path dir = Files.createTempDirectory("billing-benchmark");
    try (EmbeddedKafka broker = new EmbeddedKafka(dir.resolve("kafka"), 0, 0, Map.of()).start();
         SchemaRegistryServer registry = new SchemaRegistryServer("127.0.0.1", 0, broker.bootstrapServers(), (short) 1)
             .start();
         Admin admin = Admin.create(Map.of("bootstrap.servers", broker.bootstrapServers()))) {
      KafkaSettings kafka = new KafkaSettings(broker.bootstrapServers(), registry.url(), 3, (short) 1);
      TopicSerdes serdes = new TopicSerdes(new HttpSchemaRegistryClient(registry.url()));
      TopicCatalogue.standard(3, (short) 1).ensure(admin);
      try (PriceBookPublisher publisher = new PriceBookPublisher(kafka)) {
        publisher.publishDefaultIfNone();
      }
      System.out.printf("billing benchmark: %d events (replay %d), %d cores, JVM %s%n", events, replayEvents,
          Runtime.getRuntime().availableProcessors(), System.getProperty("java.version"));

      long t0 = System.nanoTime();
      double firstShare = (double) events / Math.max(events, replayEvents);
      produce(kafka, serdes, events, 1, 0, firstShare);
      System.out.printf("produced %d usage events in %.1f s%n", events, seconds(t0));

      // alternate the two on the same log (count, billing, count, …), so that both see the same machine (it is shared
      // and noisy); both run with BillingStreams' properties: the same commit interval, poll and fetch settings,
      // partitions and state folder, so the ratio compares the topologies alone
      // first, rounds that are not counted (-Dbilling.bench.warmup, default 1): in a fresh JVM the first pass runs
      // mostly interpreted code
      int warmUps = Integer.getInteger("billing.bench.warmup", 1);
      int rounds = Integer.getInteger("billing.bench.rounds", 3);
      double[] count = new double[rounds];
      double[] passThrough = new double[rounds];
      double[] billing = new double[rounds];
      double[] ratio = new double[rounds];
      double[] floorRatio = new double[rounds];
      for (int round = -warmUps; round < rounds; round++) {
        String name = round < 0 ? "warmup-" + (warmUps + round) : Integer.toString(round);
        double c = events / timeToConsume(admin, kafka, "bench-eos-count-" + name, plainCount(), dir, events);
        double p = events / timeToConsume(admin, kafka, "bench-pass-" + name, passThrough(serdes, "bench-pass-" + name), dir,
            events);
        double b = events / timeToConsume(admin, kafka, "bench-billing-" + name,
            BillingTopology.build(serdes, settings("bench-billing-" + name)), dir, events);
        System.out.printf("%s: billing aggregation %,.0f rec/s vs plain EOS count %,.0f rec/s (ratio %.3f);"
            + " EOS pass-through %,.0f rec/s (%.3f of the count); load average %s%n",
            round < 0 ? "warm-up round (not counted)" : "round " + (round + 1), b, c, b / c, p, p / c, loadAverage());
        if (round >= 0) {
          count[round] = c;
          passThrough[round] = p;
          billing[round] = b;
          ratio[round] = b / c;
          floorRatio[round] = p / c;
        }
      }
      System.out.printf("%nRESULT billing %,.0f rec/s vs plain EOS count %,.0f rec/s (ratio %.3f, range %.3f–%.3f),"
          + " medians of %d rounds over %d events; billing range %,.0f–%,.0f, count range %,.0f–%,.0f%n",
          median(billing), median(count), median(ratio), min(ratio), max(ratio), rounds, events, min(billing),
          max(billing), min(count), max(count));
      System.out.printf("FLOOR an EOS pass-through (each event decoded, its bytes written once, nothing else) %,.0f rec/s = "
          + "%.3f of the count (range %.3f–%.3f); billing is %.3f of the pass-through%n", median(passThrough),
          median(floorRatio), min(floorRatio), max(floorRatio), median(billing) / median(passThrough));
      double countMedian = median(count);

      if (replayEvents > events) {
        t0 = System.nanoTime();
        produce(kafka, serdes, replayEvents - events, 2, firstShare, 1);
        System.out.printf("produced %d more usage events in %.1f s%n", replayEvents - events, seconds(t0));
      }
      // as BillingReplay runs it: stores without changelogs, a stream thread per core up to one per partition
      // (-Dbilling.bench.replay.changelogs=true: as the live aggregator runs, with changelogs and one thread;
      // -Dbilling.bench.replay.threads=N: N threads)
      boolean asLive = Boolean.getBoolean("billing.bench.replay.changelogs");
      BillingTopology.Settings replay = asLive ? settings("bench-replay") : settings("bench-replay").withoutChangelogs();
      Properties replayProps = asLive ? BillingStreams.properties(kafka, "bench-replay", dir, null)
          : BillingReplay.properties(kafka, "bench-replay", dir, 3);
      if (System.getProperty("billing.bench.replay.threads") != null) {
        replayProps.put(org.apache.kafka.streams.StreamsConfig.NUM_STREAM_THREADS_CONFIG,
            Integer.getInteger("billing.bench.replay.threads"));
      }
      System.out.printf("replay with %s, %s stream thread(s)%n", asLive ? "changelogs" : "no changelogs",
          replayProps.get(org.apache.kafka.streams.StreamsConfig.NUM_STREAM_THREADS_CONFIG) == null ? 1
              : replayProps.get(org.apache.kafka.streams.StreamsConfig.NUM_STREAM_THREADS_CONFIG));
      double replaySeconds = timeToConsume(admin, kafka, "bench-replay", BillingTopology.build(serdes, replay), dir,
          replayEvents, replayProps);
      System.out.printf("replay of %d usage events: %.1f s (%,.0f rec/s); at the median count's rate %.1f s;"
          + " load average %s%n", replayEvents, replaySeconds, replayEvents / replaySeconds, replayEvents / countMedian,
          loadAverage());
      replayPairs(admin, kafka, serdes, dir, replayEvents, Integer.getInteger("billing.bench.replay.pairs", 0));
      if (samples <= 0) {
        return;
      }

      latency(kafka, serdes, dir, samples);
    }
  }

  /**
   * The replay as the live aggregator would run it (changelogs, one stream thread) against the replay as
   * {@link BillingReplay} runs it, alternating over the same log in the same JVM, so that the machine's drift from
   * one run to the next falls on both alike.
   */
  private static void replayPairs(Admin admin, KafkaSettings kafka, TopicSerdes serdes, Path dir, long events,
                                  int pairs) throws Exception {
    double[] live = new double[pairs];
    double[] replay = new double[pairs];
    for (int i = 0; i < pairs; i++) {
      String a = "bench-replay-live-" + i;
      live[i] = timeToConsume(admin, kafka, a, BillingTopology.build(serdes, settings(a)), dir, events,
          BillingStreams.properties(kafka, a, dir, null));
      String b = "bench-replay-new-" + i;
      replay[i] = timeToConsume(admin, kafka, b, BillingTopology.build(serdes, settings(b).withoutChangelogs()), dir,
          events, BillingReplay.properties(kafka, b, dir, 3));
      System.out.printf("pair %d: %d events with changelogs and one thread %.1f s, as BillingReplay runs %.1f s"
          + " (%.2fx); load average %s%n", i + 1, events, live[i], replay[i], live[i] / replay[i], loadAverage());
    }
    if (pairs > 0) {
      double[] speedup = new double[pairs];
      for (int i = 0; i < pairs; i++) {
        speedup[i] = live[i] / replay[i];
      }
      System.out.printf("pairs: with changelogs median %.1f s, as BillingReplay runs median %.1f s, speed-up %.2fx"
          + " (%.2f–%.2f)%n", median(live), median(replay), median(speedup), min(speedup), max(speedup));
    }
  }

  private static BillingTopology.Settings settings(String applicationId) {
    return BillingTopology.Settings.defaults(applicationId).withOutputs("bench-statements-" + applicationId,
        "bench-dead-letter-" + applicationId);
  }

  private static Topology plainCount() {
    StreamsBuilder builder = new StreamsBuilder();
    builder.stream(Topics.USAGE_EVENTS.name(), Consumed.with(Serdes.String(), Serdes.ByteArray()))
        .groupByKey().count();
    return builder.build();
  }

  /**
   * The floor under anything that reads each usage event and writes one durable record for it (billing's dedup mark
   * is one): an exactly-once stream decoding each event (Avro, as billing does) and copying its bytes to a topic, no
   * state.
   */
  private static Topology passThrough(TopicSerdes serdes, String applicationId) {
    var events = serdes.value(Topics.USAGE_EVENTS).deserializer();
    StreamsBuilder builder = new StreamsBuilder();
    builder.stream(Topics.USAGE_EVENTS.name(), Consumed.with(Serdes.String(), Serdes.ByteArray()))
        .peek((key, bytes) -> events.deserialize(Topics.USAGE_EVENTS.name(), bytes))
        .to("bench-statements-" + applicationId, org.apache.kafka.streams.kstream.Produced.with(Serdes.String(),
            Serdes.ByteArray()));
    return builder.build();
  }

  /** Seconds from RUNNING until the application has committed every usage record. */
  private static double timeToConsume(Admin admin, KafkaSettings kafka, String applicationId, Topology topology,
                                      Path dir, long expected) throws Exception {
    return timeToConsume(admin, kafka, applicationId, topology, dir, expected,
        BillingStreams.properties(kafka, applicationId, dir, null));
  }

  private static double timeToConsume(Admin admin, KafkaSettings kafka, String applicationId, Topology topology,
                                      Path dir, long expected, Properties props) throws Exception {
    for (String topic : List.of("bench-statements-" + applicationId, "bench-dead-letter-" + applicationId)) {
      admin.createTopics(List.of(new org.apache.kafka.clients.admin.NewTopic(topic, 3, (short) 1))).all().get();
    }
    Map<TopicPartition, Long> end = new java.util.HashMap<>();
    Map<TopicPartition, OffsetSpec> request = new java.util.HashMap<>();
    for (int p = 0; p < 3; p++) {
      request.put(new TopicPartition(Topics.USAGE_EVENTS.name(), p), OffsetSpec.latest());
    }
    admin.listOffsets(request).all().get().forEach((tp, info) -> end.put(tp, info.offset()));
    KafkaStreams streams = BillingStreams.start(topology, props, java.time.Clock.systemUTC(), Duration.ofSeconds(120));
    long t0 = System.nanoTime();
    try {
      while (true) {
        Map<TopicPartition, OffsetAndMetadata> committed =
            admin.listConsumerGroupOffsets(applicationId).partitionsToOffsetAndMetadata().get();
        if (end.entrySet().stream().allMatch(e -> e.getValue() == 0 || (committed.get(e.getKey()) != null
            && committed.get(e.getKey()).offset() >= e.getValue()))) {
          double s = seconds(t0);
          System.out.printf("  %s: %d records in %.1f s%n", applicationId, expected, s);
          return s;
        }
        Thread.sleep(100);
      }
    } finally {
      streams.close(Duration.ofSeconds(30));
    }
  }

  /** Events over the previous and the current month, in logged order, with 5% sent twice. */
  /**
   * Usage events in log-time order over the previous month and this one, from {@code fromShare} to {@code toShare} of
   * that span: the replay's extra events continue where the first ones ended, so the whole log stays in time order
   * (starting the second batch at the beginning again made 90% of a 10M replay dead letters, too late).
   */
  private static void produce(KafkaSettings kafka, TopicSerdes serdes, int count, long seed, double fromShare,
                              double toShare) throws Exception {
    Random random = new Random(seed);
    Instant now = Instant.now().minus(Duration.ofMinutes(5));
    YearMonth previous = YearMonth.from(now.atOffset(ZoneOffset.UTC)).minusMonths(1);
    long start = previous.atDay(1).atStartOfDay().toInstant(ZoneOffset.UTC).toEpochMilli();
    long span = now.toEpochMilli() - start;
    long from = start + (long) (span * fromShare);
    double step = span * (toShare - fromShare) / count;
    Properties props = kafka.producer("bench-usage");
    try (KafkaProducer<String, byte[]> producer = new KafkaProducer<>(props)) {
      int sent = 0;
      for (int i = 0; sent < count; i++) {
        String tenant = TENANTS[random.nextInt(TENANTS.length)];
        long loggedAt = from + (long) (i * step);
        UsageType type = random.nextInt(100) < 70 ? UsageType.ANALYSIS_COMPLETE : UsageType.CACHE_HIT;
        UsageEvent e = UsageEvent.newBuilder().setEventId("job_" + seed + "_" + i + ":" + type).setTenantId(tenant)
            .setType(type).setQuantity(1).setRows(random.nextInt(20_000)).setBytes(0).setJobId(null).setFileId(null)
            .setPlan(SyntheticUsage.PLANS.get(tenant))
            .setOccurredAt(Instant.ofEpochMilli(Math.max(from, loggedAt - random.nextInt(5_000)))).build();
        byte[] value = serdes.value(Topics.USAGE_EVENTS).serializer().serialize(Topics.USAGE_EVENTS.name(), e);
        int copies = random.nextInt(100) < 5 ? 2 : 1;
        for (int c = 0; c < copies && sent < count; c++, sent++) {
          producer.send(new ProducerRecord<>(Topics.USAGE_EVENTS.name(), null, loggedAt, tenant, value));
        }
      }
      producer.flush();
    }
  }

  /** A caught-up aggregator; one probe event at a time, timed until a statement includes it. */
  private static void latency(KafkaSettings kafka, TopicSerdes serdes, Path dir, int samples) throws Exception {
    BillingConfig config = BillingConfig.of(kafka, dir.resolve("live")).withHttpPort(0);
    long[] sentAt = new long[samples + 1];
    List<Long> latencies = Collections.synchronizedList(new ArrayList<>());
    Map<Long, Boolean> seen = new ConcurrentHashMap<>();
    try (BillingAggregator aggregator = new BillingAggregator(config).start();
         KafkaConsumer<String, byte[]> consumer = new KafkaConsumer<>(kafka.consumer(null));
         KafkaProducer<String, byte[]> producer = new KafkaProducer<>(kafka.producer("bench-probe"))) {
      List<TopicPartition> partitions = List.of(0, 1, 2).stream()
          .map(p -> new TopicPartition(Topics.BILLING_STATEMENTS.name(), p)).toList();
      consumer.assign(partitions);
      long t0 = System.nanoTime();
      awaitCaughtUp(kafka, config.applicationId());
      System.out.printf("live aggregator caught up in %.1f s; probing latency with %d events%n", seconds(t0), samples);
      consumer.seekToEnd(partitions);
      partitions.forEach(consumer::position);
      YearMonth month = YearMonth.now(ZoneOffset.UTC);
      long highest = 0;
      for (int i = 1; i <= samples; i++) {
        UsageEvent e = UsageEvent.newBuilder().setEventId("probe_" + i + ":ANALYSIS_COMPLETE")
            .setTenantId("latency-probe").setType(UsageType.ANALYSIS_COMPLETE).setQuantity(1).setRows(1)
            .setBytes(0).setJobId(null).setFileId(null).setPlan("starter").setOccurredAt(Instant.now()).build();
        sentAt[i] = System.nanoTime();
        producer.send(new ProducerRecord<>(Topics.USAGE_EVENTS.name(), "latency-probe",
            serdes.value(Topics.USAGE_EVENTS).serializer().serialize(Topics.USAGE_EVENTS.name(), e)));
        producer.flush();
        long deadline = System.nanoTime() + TimeUnit.MILLISECONDS.toNanos(37); // ~27 probes/s, statements read between
        do {
          for (ConsumerRecord<String, byte[]> r : consumer.poll(Duration.ofMillis(5))) {
            if (!r.key().equals("latency-probe:" + month)) {
              continue;
            }
            Statement s = serdes.value(Topics.BILLING_STATEMENTS).deserializer().deserialize(r.topic(), r.value());
            long now = System.nanoTime();
            for (long k = highest + 1; k <= s.getQuantities().getAnalyses(); k++) {
              if (seen.putIfAbsent(k, true) == null) {
                latencies.add(TimeUnit.NANOSECONDS.toMillis(now - sentAt[(int) k]));
              }
            }
            highest = Math.max(highest, s.getQuantities().getAnalyses());
          }
        } while (System.nanoTime() < deadline || (i == samples && highest < samples
            && System.nanoTime() < deadline + TimeUnit.SECONDS.toNanos(10)));
      }
    }
    List<Long> sorted = new ArrayList<>(latencies);
    Collections.sort(sorted);
    System.out.printf("usage event → statement update latency over %d events (statement interval "
        + config.statementInterval().toMillis() + " ms): "
        + "p50 %d ms, p99 %d ms, max %d ms%n", sorted.size(), percentile(sorted, 50), percentile(sorted, 99),
        sorted.get(sorted.size() - 1));
  }

  private static void awaitCaughtUp(KafkaSettings kafka, String group) throws Exception {
    try (Admin admin = Admin.create(kafka.admin())) {
      Map<TopicPartition, OffsetSpec> request = new java.util.HashMap<>();
      for (int p = 0; p < 3; p++) {
        request.put(new TopicPartition(Topics.USAGE_EVENTS.name(), p), OffsetSpec.latest());
      }
      Map<TopicPartition, Long> end = new java.util.HashMap<>();
      admin.listOffsets(request).all().get().forEach((tp, info) -> end.put(tp, info.offset()));
      while (true) {
        Map<TopicPartition, OffsetAndMetadata> committed =
            admin.listConsumerGroupOffsets(group).partitionsToOffsetAndMetadata().get();
        if (end.entrySet().stream().allMatch(e -> e.getValue() == 0 || (committed.get(e.getKey()) != null
            && committed.get(e.getKey()).offset() >= e.getValue()))) {
          return;
        }
        Thread.sleep(100);
      }
    }
  }

  private static long percentile(List<Long> sorted, int p) {
    return sorted.get(Math.min(sorted.size() - 1, (int) Math.ceil(p / 100.0 * sorted.size()) - 1));
  }

  private static double seconds(long t0) {
    return (System.nanoTime() - t0) / 1e9;
  }
}
