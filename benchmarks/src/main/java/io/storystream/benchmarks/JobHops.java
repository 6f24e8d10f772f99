package io.storystream.benchmarks;

import io.storystream.common.http.JsonMapper;
import io.storystream.schemas.topics.Topics;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Properties;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.atomic.AtomicBoolean;
import org.apache.kafka.clients.consumer.ConsumerConfig;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.common.serialization.ByteArrayDeserializer;

/**
 * Where one job's time goes on its way from the front door to the worker and back to a long-poll, hop by hop, on a
 * running system. A consumer watches {@code analysis-requests} and {@code analysis-work} ({@code read_uncommitted}: a
 * record is seen as soon as its producer's write reaches the log, before any transaction around it commits); each
 * probe submits one job through the public API, long-polls it to its end, and reads {@code startedAt} and
 * {@code completedAt} from the job's view. Jobs go one at a time, so the first record after a submit is that job's.
 *
 * <p>A record produced inside a Kafka Streams transaction is sent when the task commits (the producer flushes then),
 * so "work written" is about the moment admission's commit began: the hop before it holds admission's processing and
 * its wait for the commit interval, the hop after it the commit itself and the worker's fetch. The watcher's own
 * {@code fetch.max.wait.ms} is 10 ms, the services' own setting: a sighting can lag the write by up to that much
 * (a shorter wait made the watcher a load of its own: at 1 ms two watchers sent about 2,000 fetches a second).
 *
 * <p>{@code JobHops <bootstrap> <ingress url> <api-key file> <probes> <warm-up jobs>} probes a running system (for
 * {@code ./run.sh}: {@code ./bench.sh hops}); {@link SystemBenchmark} uses the same class on its own services.
 */
public final class JobHops implements AutoCloseable {
  static final String SUBMIT_TO_START = "send → startedAt";
  static final String COMPLETION_TO_LONG_POLL = "completedAt → long-poll answer received";
  static final String ONE_JOB_ALONE = "one job alone, send → completed seen";
  /** The hops between the submit and the worker's start, in the order a job passes them. */
  static final List<String> PATH_TO_START = List.of(
      "send → request stamped (ingress, before its write)",
      "request stamped → request in the log",
      "send → 202 received",
      "request in the log → work written (admission, incl. commit-interval wait)",
      "work written → startedAt (admission's commit, worker's fetch)");
  /** Every figure of a probe, each a list of milliseconds, one per probe. */
  static final List<String> HOPS = java.util.stream.Stream.concat(PATH_TO_START.stream(),
      java.util.stream.Stream.of(SUBMIT_TO_START, COMPLETION_TO_LONG_POLL, ONE_JOB_ALONE)).toList();

  private static final List<String> WATCHED = List.of(Topics.ANALYSIS_REQUESTS.name(), Topics.ANALYSIS_WORK.name());

  private final Map<String, Long> firstSeen = new ConcurrentHashMap<>();
  private final Map<String, Long> firstStamp = new ConcurrentHashMap<>();
  private final AtomicBoolean running = new AtomicBoolean(true);
  private final Thread watcher;
  private final HttpClient http = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(10)).build();
  private final String ingress;
  private final String apiKey;
  private final Map<String, List<Long>> millis = new LinkedHashMap<>();
  private int notCompleted;

  JobHops(String bootstrap, String ingress, String apiKey) throws InterruptedException {
    this.ingress = ingress;
    this.apiKey = apiKey;
    HOPS.forEach(hop -> millis.put(hop, new ArrayList<>()));
    CountDownLatch positioned = new CountDownLatch(1);
    watcher = new Thread(() -> watch(bootstrap, positioned), "hops-watcher");
    watcher.setDaemon(true);
    watcher.start();
    if (!positioned.await(2, java.util.concurrent.TimeUnit.MINUTES)) {
      running.set(false);
      throw new IllegalStateException("no Kafka broker answered at " + bootstrap + " within 2 minutes");
    }
  }

  private void watch(String bootstrap, CountDownLatch positioned) {
    Properties props = new Properties();
    props.put(ConsumerConfig.BOOTSTRAP_SERVERS_CONFIG, bootstrap);
    props.put(ConsumerConfig.ISOLATION_LEVEL_CONFIG, "read_uncommitted");
    // see the class comment; -Dhops.watcher.fetch.wait.ms for the experiment in BENCHMARKS.md
    props.put(ConsumerConfig.FETCH_MAX_WAIT_MS_CONFIG, Integer.getInteger("hops.watcher.fetch.wait.ms", 10));
    props.put(ConsumerConfig.KEY_DESERIALIZER_CLASS_CONFIG, ByteArrayDeserializer.class.getName());
    props.put(ConsumerConfig.VALUE_DESERIALIZER_CLASS_CONFIG, ByteArrayDeserializer.class.getName());
    try (KafkaConsumer<byte[], byte[]> consumer = new KafkaConsumer<>(props)) {
      List<TopicPartition> partitions = new ArrayList<>();
      for (String topic : WATCHED) {
        consumer.partitionsFor(topic).forEach(p -> partitions.add(new TopicPartition(topic, p.partition())));
      }
      consumer.assign(partitions);
      consumer.seekToEnd(partitions);
      partitions.forEach(consumer::position); // resolve the end now, so a probe's record is never skipped
      positioned.countDown();
      while (running.get()) {
        for (ConsumerRecord<byte[], byte[]> record : consumer.poll(Duration.ofMillis(100))) {
          long now = System.currentTimeMillis();
          firstSeen.putIfAbsent(record.topic(), now);
          firstStamp.putIfAbsent(record.topic(), record.timestamp());
        }
      }
    }
  }

  /**
   * One job through the front door, to its end; its hops are kept when {@code keep} and it completed (a job that
   * failed has no start-to-completion path to time, and is counted instead).
   */
  void probe(String fileId, String prompt, boolean keep) throws Exception {
    firstSeen.clear();
    firstStamp.clear();
    long sent = System.currentTimeMillis();
    HttpResponse<String> submitted = http.send(request("/v1/analyses").header("Content-Type", "application/json")
        .POST(HttpRequest.BodyPublishers.ofString(JsonMapper.shared().writeValueAsString(
            Map.of("fileId", fileId, "steeringPrompt", prompt)))).build(), HttpResponse.BodyHandlers.ofString());
    long answered = System.currentTimeMillis();
    if (submitted.statusCode() != 202) {
      throw new IllegalStateException("submit answered " + submitted.statusCode() + ": " + submitted.body());
    }
    String jobId = JsonMapper.shared().readTree(submitted.body()).path("jobId").asText();
    var job = JsonMapper.shared().createObjectNode().path("none");
    Map<String, Long> seen = null;
    for (int polls = 1; !Set.of("completed", "failed", "rejected").contains(job.path("state").asText()); polls++) {
      if (polls > 10) { // ten long polls of 30 s: the pipeline is stuck, say so instead of waiting for ever
        throw new IllegalStateException("probe job " + jobId + " still " + job.path("state").asText()
            + " after 10 long polls of 30 s");
      }
      HttpResponse<String> polled = http.send(request("/v1/analyses/" + jobId + "?wait=30s").GET().build(),
          HttpResponse.BodyHandlers.ofString());
      if (polled.statusCode() != 200) { // a 429 here means the key's 300 requests a minute: runs too close together
        throw new IllegalStateException("long poll of " + jobId + " answered " + polled.statusCode() + ": "
            + polled.body());
      }
      job = JsonMapper.shared().readTree(polled.body());
      if (seen == null && firstSeen.containsKey(Topics.ANALYSIS_WORK.name())) {
        seen = Map.copyOf(firstSeen); // before the job's later records (none on these topics) could matter
      }
    }
    long visible = System.currentTimeMillis();
    if (!keep) {
      return;
    }
    if (!job.path("state").asText().equals("completed")) {
      notCompleted++;
      return;
    }
    if (seen == null) {
      seen = Map.copyOf(firstSeen);
    }
    long started = Instant.parse(job.path("startedAt").asText()).toEpochMilli();
    long completed = Instant.parse(job.path("completedAt").asText()).toEpochMilli();
    long requestStamped = firstStamp.get(Topics.ANALYSIS_REQUESTS.name()); // the producer's send() time
    long requestLogged = seen.get(Topics.ANALYSIS_REQUESTS.name());
    long workWritten = seen.get(Topics.ANALYSIS_WORK.name());
    List<Long> values = List.of(requestStamped - sent, requestLogged - requestStamped, answered - sent,
        workWritten - requestLogged, started - workWritten, started - sent, visible - completed, visible - sent);
    for (int i = 0; i < HOPS.size(); i++) {
      millis.get(HOPS.get(i)).add(values.get(i));
    }
  }

  private HttpRequest.Builder request(String path) {
    return HttpRequest.newBuilder(URI.create(ingress + path)).timeout(Duration.ofSeconds(90))
        .header("Authorization", "Bearer " + apiKey);
  }

  /** Milliseconds of each hop, one per kept probe. */
  Map<String, List<Long>> millis() {
    return millis;
  }

  String table() {
    StringBuilder out = new StringBuilder(notCompleted == 0 ? "" : String.format("%d probe jobs did not complete and "
        + "are not in the figures%n", notCompleted));
    out.append(String.format("%-76s %6s %6s %6s %6s%n", "hop (ms)", "p50", "p90", "p99", "max"));
    millis.forEach((hop, values) -> out.append(String.format("%-76s %6.0f %6.0f %6.0f %6.0f%n", hop,
        SystemBenchmark.pct(values, 50), SystemBenchmark.pct(values, 90), SystemBenchmark.pct(values, 99),
        SystemBenchmark.pct(values, 100))));
    return out.toString();
  }

  @Override
  public void close() throws InterruptedException {
    running.set(false);
    watcher.join();
  }

  /** {@code <bootstrap> <ingress url> <api-key file> <probes> <warm-up jobs>}; uploads the sample CSV first. */
  public static void main(String[] args) throws Exception {
    String bootstrap = args.length > 0 ? args[0] : "127.0.0.1:9092";
    String ingress = args.length > 1 ? args[1] : "http://127.0.0.1:8080";
    String apiKey = Files.readString(Path.of(args.length > 2 ? args[2] : "data/demo-api-key")).trim();
    int probes = args.length > 3 ? Integer.parseInt(args[3]) : 50;
    int warmUp = args.length > 4 ? Integer.parseInt(args[4]) : 10;
    try (JobHops hops = new JobHops(bootstrap, ingress, apiKey)) {
      String fileId = hops.uploadSample();
      for (int i = 0; i < warmUp; i++) {
        hops.probe(fileId, "hops warm-up " + i + " " + System.nanoTime(), false);
      }
      // -Dhops.pause.ms: a pause before each probe, so that it finds the pipeline idle, not just done with the
      // previous job (whose ending admission commits moments before the next submit arrives)
      long pause = Long.getLong("hops.pause.ms", 0);
      for (int i = 0; i < probes; i++) {
        Thread.sleep(pause); // spacing the probes, not waiting for a result
        // a distinct prompt each time: a cached result would skip the worker
        hops.probe(fileId, "hops probe " + i + " " + System.nanoTime(), true);
      }
      System.out.printf("one job at a time, %d probes after %d warm-up jobs, %d ms apart, %s%n%s", probes, warmUp,
          pause, ingress, hops.table());
    }
    System.exit(0);
  }

  String uploadSample() throws Exception {
    try (var in = JobHops.class.getResourceAsStream("/samples/saas_mrr.csv")) {
      return SystemBenchmark.upload(http, ingress, apiKey, "saas_mrr.csv",
          HttpRequest.BodyPublishers.ofByteArray(in.readAllBytes()));
    }
  }
}
