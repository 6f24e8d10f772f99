package io.storystream.launcher;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import com.fasterxml.jackson.databind.JsonNode;
import io.storystream.common.http.JsonMapper;
import io.storystream.datastorybot.standin.StandInConfig;
import io.storystream.datastorybot.standin.StandInServer;
import io.storystream.embedded.EmbeddedS3;
import io.storystream.embedded.FreePorts;
import io.storystream.embedded.registry.SchemaRegistryServer;
import io.storystream.processor.ProcessorTopics;
import io.storystream.schemas.UsageEvent;
import io.storystream.schemas.UsageType;
import io.storystream.schemas.registry.HttpSchemaRegistryClient;
import io.storystream.schemas.topics.TopicSerdes;
import io.storystream.schemas.topics.Topics;
import java.io.InputStream;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CompletableFuture;
import java.util.stream.IntStream;
import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.common.Uuid;
import org.apache.kafka.common.serialization.StringDeserializer;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The distributed deployment on one machine, every part in its own JVM: a three-node KRaft cluster, two ingress, two
 * processors and one billing aggregator (S3, the registry and the DataStoryBot stand-in run in the test's JVM, as
 * outside services would). Jobs are submitted through one ingress and polled through the other; under load one
 * processor is killed with SIGKILL and one broker is stopped. Every acknowledged submission must complete, exactly
 * once as the bill sees it.
 */
class MultiProcessClusterTest {
  private static final int JOBS = 30;
  private static final String OPERATOR_TOKEN = "sso_3d5f7a9c1e2b4d6f8a0c2e4b6d8f0a1c3e5b7d9f1a3c5e7b9d0f2a4c6e8b1d3f";
  private static final String BILLING_TOKEN = "ssb_9a8b7c6d5e4f3a2b1c0d9e8f7a6b5c4d3e2f1a0b9c8d7e6f5a4b3c2d1e0f9a8b";
  private static final String PEPPER = "00112233445566778899aabbccddeeff00112233";

  @TempDir Path data;
  private final HttpClient http = HttpClient.newHttpClient();
  private final List<ChildProcess> children = new ArrayList<>();

  @Test
  void jobsSurviveAKilledProcessorAndAStoppedBroker() throws Exception {
    List<ChildProcess> brokers = startBrokers();
    String bootstrap = String.join(",", brokerAddresses);
    try (EmbeddedS3 s3 = new EmbeddedS3(data.resolve("s3"), 0, "storystream").start();
         SchemaRegistryServer registry = new SchemaRegistryServer("127.0.0.1", 0, bootstrap, (short) 3).start();
         StandInServer standIn = StandInServer.start(withFreePort(StandInConfig.defaults()))) {
      try (Admin admin = Admin.create(Map.of("bootstrap.servers", bootstrap))) {
        ProcessorTopics.catalogue(6, (short) 3).ensure(admin);
      }
      Map<String, String> env = new HashMap<>(Map.of(
          "STORYSTREAM_BOOTSTRAP_SERVERS", bootstrap,
          "STORYSTREAM_REGISTRY_URL", registry.url(),
          "STORYSTREAM_S3_ENDPOINT", s3.endpoint(),
          "STORYSTREAM_S3_ACCESS_KEY", EmbeddedS3.ACCESS_KEY,
          "STORYSTREAM_S3_SECRET_KEY", EmbeddedS3.SECRET_KEY,
          "STORYSTREAM_PARTITIONS", "6",
          "STORYSTREAM_REPLICATION_FACTOR", "3",
          "DATASTORYBOT_URL", standIn.baseUri().toString(),
          "STORYSTREAM_OPERATOR_TOKEN", OPERATOR_TOKEN,
          "STORYSTREAM_PEPPER", PEPPER));
      env.put("STORYSTREAM_BILLING_TOKEN", BILLING_TOKEN);
      env.put("STORYSTREAM_MANAGEMENT_PORT", "0"); // every process has its own management port
      // every service seals and opens tenant content with the same master key (each has its own data folder)
      env.put("STORYSTREAM_MASTER_KEYS", "mk_test=" + "5a".repeat(32));

      int billingPort = FreePorts.pick();
      ChildProcess billing = child("billing", List.of("billing", "run", "--data-dir", dir("billing"),
          "--billing-port", Integer.toString(billingPort)), env);
      List<ChildProcess> processors = new ArrayList<>();
      for (int i = 1; i <= 2; i++) {
        Map<String, String> processorEnv = new HashMap<>(env);
        processorEnv.put("STORYSTREAM_WORKER_INSTANCE_ID", "worker-" + i);
        processors.add(child("processor-" + i, List.of("processor", "--data-dir", dir("processor-" + i)), processorEnv));
      }
      List<Integer> tenantPorts = new ArrayList<>();
      List<Integer> adminPorts = new ArrayList<>();
      for (int i = 1; i <= 2; i++) {
        tenantPorts.add(FreePorts.pick());
        adminPorts.add(FreePorts.pick());
        child("ingress-" + i, List.of("ingress", "--data-dir", dir("ingress-" + i),
            "--ingress-port", tenantPorts.get(i - 1).toString(), "--admin-port", adminPorts.get(i - 1).toString(),
            "--billing-url", "http://127.0.0.1:" + billingPort), env);
      }
      billing.awaitLine("billing aggregator running", Duration.ofMinutes(4));
      for (ChildProcess processor : processors) {
        processor.awaitLine("processor running", Duration.ofMinutes(4));
      }
      List<String> ingress = tenantPorts.stream().map(p -> "http://127.0.0.1:" + p).toList();
      for (String base : ingress) {
        await().atMost(Duration.ofMinutes(4)).pollInterval(Duration.ofMillis(500))
            .until(() -> get(base + "/health/ready", null).statusCode() == 200);
      }

      // provisioning through the first ingress, the key known to the second within moments
      String admin = "http://127.0.0.1:" + adminPorts.get(0);
      assertThat(post(admin + "/admin/tenants", OPERATOR_TOKEN, "{\"tenantId\":\"cluster\",\"name\":\"Cluster test\","
          + "\"plan\":\"enterprise\",\"limits\":{\"concurrentJobs\":500,\"requestsPerMinute\":100000}}").statusCode())
          .isEqualTo(201);
      String key = json(post(admin + "/admin/tenants/cluster/keys", OPERATOR_TOKEN, "{}")).path("apiKey").asText();
      await().atMost(Duration.ofSeconds(30)).until(() -> get(ingress.get(1) + "/v1/files", key).statusCode() == 200);

      String fileId = json(uploadSample(ingress.get(0), key)).path("id").asText();
      assertThat(fileId).startsWith("file_");

      Map<String, Integer> submittedThrough = new LinkedHashMap<>();
      for (int i = 0; i < JOBS; i++) {
        if (i == JOBS / 3) {
          processors.get(0).kill(); // SIGKILL: admission tasks and running jobs move to the other processor
        }
        if (i == 2 * JOBS / 3) {
          brokers.get(2).stop(); // one of three brokers gone; min.insync.replicas=2 keeps writes acknowledged
        }
        int via = i % 2;
        HttpResponse<String> accepted = post(ingress.get(via) + "/v1/analyses", key,
            "{\"fileId\":\"" + fileId + "\",\"steeringPrompt\":\"angle " + i + " of the cluster run\"}");
        assertThat(accepted.statusCode()).as("submission %d: %s", i, accepted.body()).isEqualTo(202);
        submittedThrough.put(json(accepted).path("jobId").asText(), via);
      }

      // each job polled through the other ingress until it ends
      Map<String, String> finalStates = new ConcurrentHashMap<>();
      CompletableFuture.allOf(submittedThrough.entrySet().stream().map(job -> CompletableFuture.runAsync(() ->
          finalStates.put(job.getKey(), pollUntilDone(ingress.get(1 - job.getValue()), key, job.getKey()))))
          .toArray(CompletableFuture[]::new)).join();

      Map<String, Integer> completions = completionsBilled(bootstrap, registry.url(), submittedThrough.keySet());
      long completed = finalStates.values().stream().filter("completed"::equals).count();
      long lost = submittedThrough.size() - finalStates.size();
      long duplicated = completions.values().stream().filter(n -> n > 1).count();
      System.out.printf("multi-process: submitted=%d completed=%d lost=%d duplicated=%d (billed completions=%d)%n",
          submittedThrough.size(), completed, lost, duplicated, completions.size());
      assertThat(finalStates).as("every acknowledged job reached an end").hasSize(JOBS);
      assertThat(finalStates.values()).as("final states").containsOnly("completed");
      assertThat(completions).as("each job billed exactly once").hasSize(JOBS).allSatisfy((job, n) -> assertThat(n).isOne());
    } finally {
      for (ChildProcess child : children) {
        child.close();
      }
    }
  }

  private final List<String> brokerAddresses = new ArrayList<>();

  private List<ChildProcess> startBrokers() throws Exception {
    int[] ports = IntStream.range(0, 3).map(i -> FreePorts.pick()).toArray();
    int[] controllers = IntStream.range(0, 3).map(i -> FreePorts.pick()).toArray();
    String voters = String.join(",", IntStream.range(0, 3).mapToObj(i -> (i + 1) + "@127.0.0.1:" + controllers[i]).toList());
    String clusterId = Uuid.randomUuid().toString();
    List<ChildProcess> brokers = new ArrayList<>();
    for (int i = 0; i < 3; i++) {
      brokerAddresses.add("127.0.0.1:" + ports[i]);
      brokers.add(child("broker-" + (i + 1), List.of("broker", "--node-id", Integer.toString(i + 1),
          "--kafka-port", Integer.toString(ports[i]), "--kafka-controller-port", Integer.toString(controllers[i]),
          "--voters", voters, "--cluster-id", clusterId, "--data-dir", dir("brokers")), Map.of()));
    }
    for (int i = 0; i < 3; i++) {
      brokers.get(i).awaitLine("broker " + (i + 1) + " is up", Duration.ofMinutes(3));
    }
    return brokers;
  }

  private ChildProcess child(String name, List<String> args, Map<String, String> env) throws Exception {
    ChildProcess child = ChildProcess.start(name, args, env);
    children.add(child);
    return child;
  }

  private String dir(String name) {
    return data.resolve(name).toString();
  }

  private static StandInConfig withFreePort(StandInConfig c) {
    return new StandInConfig(c.host(), 0, c.apiKeys(), c.latency(), c.maxUploadBytes(), c.containerTtl(), c.clock());
  }

  private String pollUntilDone(String base, String key, String jobId) {
    long deadline = System.nanoTime() + Duration.ofMinutes(8).toNanos();
    while (System.nanoTime() < deadline) {
      try {
        HttpResponse<String> status = get(base + "/v1/analyses/" + jobId + "?wait=30s", key);
        if (status.statusCode() == 200) {
          String state = json(status).path("state").asText();
          if (Set.of("completed", "failed", "rejected").contains(state)) {
            return state;
          }
        }
      } catch (Exception retryOnTheNextLongPoll) {
        // a connection cut during the broker stop: ask again
      }
    }
    throw new AssertionError("job " + jobId + " did not end within 8 minutes");
  }

  /**
   * ANALYSIS_COMPLETE usage events per job, as the billing aggregator reads them (committed records only; the
   * aggregator's own ticks in the log are no usage).
   */
  private static Map<String, Integer> completionsBilled(String bootstrap, String registryUrl, Set<String> jobs) {
    Map<String, Integer> perJob = new HashMap<>();
    TopicSerdes serdes = new TopicSerdes(new HttpSchemaRegistryClient(registryUrl));
    var usageEvents = serdes.value(Topics.USAGE_EVENTS).deserializer();
    try (KafkaConsumer<String, byte[]> consumer = new KafkaConsumer<>(Map.of("bootstrap.servers", bootstrap,
        "isolation.level", "read_committed", "auto.offset.reset", "earliest"),
        new StringDeserializer(), new org.apache.kafka.common.serialization.ByteArrayDeserializer())) {
      var partitions = consumer.partitionsFor(Topics.USAGE_EVENTS.name()).stream()
          .map(p -> new org.apache.kafka.common.TopicPartition(p.topic(), p.partition())).toList();
      consumer.assign(partitions);
      Map<org.apache.kafka.common.TopicPartition, Long> end = consumer.endOffsets(partitions);
      while (partitions.stream().anyMatch(p -> consumer.position(p) < end.get(p))) {
        for (ConsumerRecord<String, byte[]> record : consumer.poll(Duration.ofMillis(500))) {
          if (io.storystream.billing.BillingTick.isTick(record.headers())) {
            continue;
          }
          UsageEvent event = usageEvents.deserialize(record.topic(), record.value());
          if (event.getType() == UsageType.ANALYSIS_COMPLETE && jobs.contains(event.getJobId())) {
            perJob.merge(event.getJobId(), 1, Integer::sum);
          }
        }
      }
    }
    return perJob;
  }

  private HttpResponse<String> uploadSample(String base, String key) throws Exception {
    byte[] csv;
    try (InputStream in = MultiProcessClusterTest.class.getResourceAsStream("/samples/saas_mrr.csv")) {
      csv = in.readAllBytes();
    }
    return http.send(HttpRequest.newBuilder(URI.create(base + "/v1/files?name=saas_mrr.csv"))
        .header("Authorization", "Bearer " + key).header("Content-Type", "text/csv")
        .POST(HttpRequest.BodyPublishers.ofByteArray(csv)).build(), HttpResponse.BodyHandlers.ofString());
  }

  private HttpResponse<String> post(String url, String token, String body) throws Exception {
    return http.send(HttpRequest.newBuilder(URI.create(url)).header("Authorization", "Bearer " + token)
        .header("Content-Type", "application/json").POST(HttpRequest.BodyPublishers.ofString(body)).build(),
        HttpResponse.BodyHandlers.ofString());
  }

  private HttpResponse<String> get(String url, String token) throws Exception {
    HttpRequest.Builder request = HttpRequest.newBuilder(URI.create(url)).timeout(Duration.ofSeconds(60));
    if (token != null) {
      request.header("Authorization", "Bearer " + token);
    }
    return http.send(request.build(), HttpResponse.BodyHandlers.ofString());
  }

  private static JsonNode json(HttpResponse<String> response) throws Exception {
    return JsonMapper.shared().readTree(response.body());
  }
}
