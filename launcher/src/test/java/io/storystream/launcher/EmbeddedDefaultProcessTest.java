package io.storystream.launcher;

import static org.assertj.core.api.Assertions.assertThat;

import io.storystream.common.blob.BlobStore;
import io.storystream.common.blob.S3Settings;
import io.storystream.embedded.EmbeddedS3;
import io.storystream.embedded.FreePorts;
import io.storystream.schemas.Tenant;
import io.storystream.schemas.registry.HttpSchemaRegistryClient;
import io.storystream.schemas.topics.Topic;
import io.storystream.processor.ProcessorTopics;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.ResultSet;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.admin.Config;
import org.apache.kafka.common.config.ConfigResource;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The embedded default as a user runs it: its own JVM, stopped with SIGTERM (what Ctrl-C sends through the JVM's
 * shutdown hook), started again on the same folder. Topics, objects and schema ids are all still there.
 */
class EmbeddedDefaultProcessTest {
  @TempDir Path data;
  private final int kafkaPort = FreePorts.pick();
  private final int controllerPort = FreePorts.pick();
  private final int s3Port = FreePorts.pick();
  private final int registryPort = FreePorts.pick();
  private final int postgresPort = FreePorts.pick();
  private final List<String> servicePorts = List.of(
      "--ingress-port", Integer.toString(FreePorts.pick()), "--admin-port", Integer.toString(FreePorts.pick()),
      "--billing-port", Integer.toString(FreePorts.pick()), "--standin-port", Integer.toString(FreePorts.pick()),
      "--management-port", Integer.toString(FreePorts.pick()));

  @Test
  void startsServesStopsCleanlyAndKeepsEverythingAcrossARestart() throws Exception {
    String registryUrl = "http://127.0.0.1:" + registryPort;
    String bootstrap = "127.0.0.1:" + kafkaPort;
    S3Settings s3 = new S3Settings("http://127.0.0.1:" + s3Port, "us-east-1", "storystream",
        EmbeddedS3.ACCESS_KEY, EmbeddedS3.SECRET_KEY);

    ChildProcess first = launch("--partitions", "2");
    assertThat(first.output()).anyMatch(l -> l.contains("0 existing, " + ProcessorTopics.all().size() + " created"
        + "; 2 partitions per tenant-keyed topic"));
    int schemaId;
    try (Admin admin = Admin.create(Map.of("bootstrap.servers", bootstrap));
         BlobStore blobs = new BlobStore(s3)) {
      List<String> names = ProcessorTopics.all().stream().map(Topic::name).toList();
      assertThat(admin.listTopics().names().get()).containsAll(names);
      Map<ConfigResource, Config> configs = admin.describeConfigs(names.stream()
          .map(n -> new ConfigResource(ConfigResource.Type.TOPIC, n)).toList()).all().get();
      for (Topic<?> topic : ProcessorTopics.all()) {
        Config live = configs.get(new ConfigResource(ConfigResource.Type.TOPIC, topic.name()));
        topic.configs().forEach((key, value) -> assertThat(live.get(key).value()).as("%s %s", topic, key).isEqualTo(value));
      }
      blobs.put("tenants/acme/files/file_x", "region,revenue\nnorth,10\n".getBytes(StandardCharsets.UTF_8), "text/csv");
      schemaId = new HttpSchemaRegistryClient(registryUrl).register("tenants-value", Tenant.getClassSchema());
    }
    assertThat(first.output()).anyMatch(l -> l.contains("demo tenant         created"));
    String demoKey = Files.readString(data.resolve("demo-api-key")).trim();
    assertThat(first.output()).as("the demo key is printed once").anyMatch(l -> l.strip().equals(demoKey));
    assertThat(Files.list(data.resolve("samples")).map(p -> p.getFileName().toString()))
        .contains("saas_mrr.csv", "support_tickets.csv");
    String token = Files.readString(data.resolve("operator-token")).trim();
    assertThat(token).startsWith("sso_").hasSizeGreaterThan(40);
    assertThat(billingTables()).as("the sink created the billing tables in the embedded PostgreSQL")
        .contains("billing_statements", "billing_statement_lines", "billing_statement_revisions");
    first.stop();
    assertThat(first.output()).as("exit code %d", first.exitCode()).anyMatch(l -> l.contains("stopped Kafka broker"));
    assertThat(first.exitCode()).isIn(0, 143);

    // started without --partitions, the folder keeps its count (the default would be 3 only for a new folder)
    ChildProcess second = launch();
    assertThat(second.output()).anyMatch(l -> l.contains(ProcessorTopics.all().size() + " existing, 0 created"
        + "; 2 partitions per tenant-keyed topic"));
    try (BlobStore blobs = new BlobStore(s3)) {
      assertThat(new String(blobs.get("tenants/acme/files/file_x").orElseThrow(), StandardCharsets.UTF_8))
          .isEqualTo("region,revenue\nnorth,10\n");
      HttpSchemaRegistryClient registry = new HttpSchemaRegistryClient(registryUrl);
      assertThat(registry.schemaById(schemaId)).isEqualTo(Tenant.getClassSchema());
      assertThat(registry.register("tenants-value", Tenant.getClassSchema())).isEqualTo(schemaId);
    }
    assertThat(Files.readString(data.resolve("operator-token")).trim()).isEqualTo(token);
    assertThat(billingTables()).contains("billing_statements");
    assertThat(second.output()).as("the secret is never printed again").noneMatch(l -> l.contains(demoKey))
        .anyMatch(l -> l.contains("its API key is in"));
    HttpResponse<String> files = HttpClient.newHttpClient().send(HttpRequest.newBuilder(
            URI.create("http://127.0.0.1:" + servicePorts.get(1) + "/v1/files"))
        .header("Authorization", "Bearer " + demoKey).build(), HttpResponse.BodyHandlers.ofString());
    assertThat(files.statusCode()).as("the demo key still works after a restart: %s", files.body()).isEqualTo(200);

    // kill -9 with jobs in flight: the next start is ready again and every job answered 202 still ends, each once
    List<String> jobs = submitJobs(demoKey, 30);
    second.kill();
    long restarted = System.nanoTime();
    ChildProcess third = launch();
    long banner = System.nanoTime();
    awaitReady();
    long ready = System.nanoTime();
    // printed, not asserted: a duration on a shared machine is a figure for BENCHMARKS.md, with its load average
    System.out.printf("embedded default after kill -9 with %d jobs submitted: restart → banner %d ms, restart → "
            + "ready %d ms (1-minute load average %s)%n", jobs.size(), (banner - restarted) / 1_000_000,
        (ready - restarted) / 1_000_000, loadAverage());
    Map<String, String> ended = awaitEnded(demoKey, jobs);
    assertThat(ended).as("every job answered 202 before the kill ended, none lost").hasSize(jobs.size());
    assertThat(ended.values()).as("the stand-in fails nothing: every job completed").containsOnly("completed");
    third.stop();
  }

  private final HttpClient http = HttpClient.newHttpClient();

  /** The 1-minute load average (Linux), printed next to a duration measured on a shared machine. */
  private static String loadAverage() {
    try {
      return Files.readString(Path.of("/proc/loadavg")).split(" ")[0];
    } catch (java.io.IOException e) {
      return "unknown";
    }
  }

  private String tenantApi() {
    return "http://127.0.0.1:" + servicePorts.get(1) + "/v1";
  }

  /** Uploads a small CSV and submits {@code count} analyses of it with distinct prompts (no cache hits). */
  private List<String> submitJobs(String key, int count) throws Exception {
    HttpResponse<String> upload = http.send(HttpRequest.newBuilder(URI.create(tenantApi() + "/files?name=kill.csv"))
        .header("Authorization", "Bearer " + key).header("Content-Type", "text/csv")
        .POST(HttpRequest.BodyPublishers.ofString("region,revenue\nnorth,10\nsouth,20\n")).build(),
        HttpResponse.BodyHandlers.ofString());
    assertThat(upload.statusCode()).as(upload.body()).isEqualTo(201);
    String fileId = upload.body().replaceAll(".*\"id\":\"(file_[^\"]+)\".*", "$1");
    List<String> jobs = new ArrayList<>();
    for (int i = 0; i < count; i++) {
      HttpResponse<String> submit = http.send(HttpRequest.newBuilder(URI.create(tenantApi() + "/analyses"))
          .header("Authorization", "Bearer " + key).header("Content-Type", "application/json")
          .POST(HttpRequest.BodyPublishers.ofString("{\"fileId\":\"" + fileId
              + "\",\"steeringPrompt\":\"angle " + i + "\"}")).build(), HttpResponse.BodyHandlers.ofString());
      assertThat(submit.statusCode()).as(submit.body()).isEqualTo(202);
      jobs.add(submit.body().replaceAll(".*\"jobId\":\"(job_[^\"]+)\".*", "$1"));
    }
    return jobs;
  }

  /** Waits (bounded generously) until the management port reports every service of the process ready. */
  private void awaitReady() throws Exception {
    URI ready = URI.create("http://127.0.0.1:" + servicePorts.get(9) + "/health/ready");
    long deadline = System.nanoTime() + Duration.ofMinutes(3).toNanos();
    while (true) {
      HttpResponse<String> r = http.send(HttpRequest.newBuilder(ready).build(), HttpResponse.BodyHandlers.ofString());
      if (r.statusCode() == 200) {
        return;
      }
      assertThat(System.nanoTime()).as("ready within 3 minutes: %s", r.body()).isLessThan(deadline);
      Thread.sleep(100); // polling the readiness probe, as an orchestrator does
    }
  }

  /** The terminal state of every job, long-polling each until it ends (bounded generously). */
  private Map<String, String> awaitEnded(String key, List<String> jobs) throws Exception {
    Map<String, String> ended = new java.util.LinkedHashMap<>();
    long deadline = System.nanoTime() + Duration.ofMinutes(3).toNanos();
    for (String job : jobs) {
      while (true) {
        HttpResponse<String> r = http.send(HttpRequest.newBuilder(URI.create(tenantApi() + "/analyses/" + job
            + "?wait=20s")).header("Authorization", "Bearer " + key).build(), HttpResponse.BodyHandlers.ofString());
        assertThat(r.statusCode()).as("job %s: %s", job, r.body()).isIn(200, 503);
        String state = r.body().replaceAll(".*\"state\":\"([a-z]+)\".*", "$1");
        if (r.statusCode() == 200 && List.of("completed", "failed", "rejected", "cancelled").contains(state)) {
          ended.put(job, state);
          break;
        }
        assertThat(System.nanoTime()).as("job %s ended within 3 minutes: %s", job, r.body()).isLessThan(deadline);
        if (r.statusCode() == 503) {
          Thread.sleep(200); // the job store is moving (Retry-After): ask again shortly
        }
      }
    }
    return ended;
  }

  /** The tables of database storystream, as user storystream with the password the first start generated. */
  private List<String> billingTables() throws Exception {
    List<String> tables = new ArrayList<>();
    try (Connection c = DriverManager.getConnection("jdbc:postgresql://127.0.0.1:" + postgresPort + "/storystream",
        "storystream", Files.readString(data.resolve("postgres-password")).trim());
         ResultSet rs = c.createStatement().executeQuery(
             "SELECT table_name FROM information_schema.tables WHERE table_schema = 'public'")) {
      while (rs.next()) {
        tables.add(rs.getString(1));
      }
    }
    return tables;
  }

  private ChildProcess launch(String... more) throws Exception {
    List<String> args = new ArrayList<>(servicePorts);
    args.addAll(List.of(more));
    args.addAll(List.of(
        "--postgres-port", Integer.toString(postgresPort),
        "--data-dir", data.toString(),
        "--kafka-port", Integer.toString(kafkaPort),
        "--kafka-controller-port", Integer.toString(controllerPort),
        "--s3-port", Integer.toString(s3Port),
        "--registry-port", Integer.toString(registryPort)));
    return ChildProcess.start("storystream", args, Map.of()).awaitLine("Press Ctrl-C", Duration.ofSeconds(180));
  }
}
