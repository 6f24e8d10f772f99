package io.storystream.launcher.chaos;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.storystream.launcher.chaos.Deployment.Kind;
import java.io.PrintStream;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.regex.Pattern;

/**
 * How long each kind of service takes to serve again after {@code kill -9}, each service in its own JVM against a
 * shared broker, under the campaign's load (four tenants submitting): for ingress, processor and billing aggregator
 * in turn, kill -9, a restart on the same data folder, and the times from the restart to its ready line (to
 * {@code /health/ready} for ingress), to a new job of every tenant ending (ingress, processor) or the billing read API
 * answering (billing), each with the 1-minute load average; then the restarted process's own log as a timeline of
 * what it waited on (Streams state transitions, group joins, transactional producer ids, state discarded, corrupted
 * or restored). Not a test: it asserts nothing about time. {@code scripts/measure-service-restarts.sh} runs it.
 */
public final class RestartProfile {
  private static final Duration PROBE = Duration.ofMinutes(5); // a loaded 2-core machine, not a threshold
  private static final ObjectMapper JSON = new ObjectMapper();
  /** The log lines that mark a wait of a restart, the first of each kind printed with its time. */
  private static final Map<String, Pattern> MARKS = marks();

  private RestartProfile() {}

  private static Map<String, Pattern> marks() {
    Map<String, Pattern> m = new LinkedHashMap<>();
    m.put("first log line", Pattern.compile(".*"));
    m.put("crashed task state discarded", Pattern.compile("discarded the state"));
    m.put("state dir lock / task dir", Pattern.compile("(?i)lock|Deleting obsolete state directory"));
    m.put("stream thread starting", Pattern.compile("State transition from CREATED to STARTING"));
    m.put("group join request", Pattern.compile("\\(Re-\\)joining group"));
    m.put("group joined", Pattern.compile("Successfully joined group"));
    m.put("fenced / unknown member", Pattern.compile("(?i)fenced|UNKNOWN_MEMBER_ID|static member"));
    m.put("assignment received", Pattern.compile("(?i)Notifying assignor about the new Assignment|"
        + "Adding newly assigned partitions"));
    m.put("producer id (InitProducerId)", Pattern.compile("ProducerId set to"));
    m.put("state corrupted / wiped", Pattern.compile("(?i)corrupt|wiping|wipe"));
    m.put("restoration", Pattern.compile("(?i)restor"));
    m.put("thread RUNNING", Pattern.compile("State transition from PARTITIONS_ASSIGNED to RUNNING"));
    m.put("client RUNNING", Pattern.compile("State transition from REBALANCING to RUNNING"));
    m.put("ready line", Pattern.compile("ingress: tenant API|processor running|billing aggregator running"));
    return m;
  }

  public static void main(String[] args) throws Exception {
    Path data = args.length > 0 ? Path.of(args[0]) : Files.createTempDirectory("restart-profile-");
    run(data, System.out);
    System.exit(0);
  }

  public static void run(Path data, PrintStream out) throws Exception {
    List<LoadDriver.Tenant> tenants = List.of(
        new LoadDriver.Tenant("restart-enterprise", "enterprise", null),
        new LoadDriver.Tenant("restart-pro", "pro", null),
        new LoadDriver.Tenant("restart-starter", "starter", null),
        new LoadDriver.Tenant("restart-team", "pro", null));
    Ledger ledger = new Ledger();
    HttpClient http = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(5)).build();
    try (SmallDeployment deployment = new SmallDeployment(data)) {
      Thread cleanup = new Thread(deployment::close, "restart-profile-cleanup");
      Runtime.getRuntime().addShutdownHook(cleanup);
      long t = System.nanoTime();
      deployment.start();
      out.printf("deployment started in %d ms (load %s)%n", ms(t), load());
      LoadDriver driver = new LoadDriver(tenants, List.of(deployment.tenantApi()), ledger, 19, 1);
      driver.provision(deployment.operatorApi(), Deployment.OPERATOR_TOKEN);
      driver.start();
      Thread.sleep(30_000); // the services build up state and jobs in flight before the first kill
      List<String> rows = new ArrayList<>();
      for (Kind kind : List.of(Kind.INGRESS, Kind.PROCESSOR, Kind.BILLING)) {
        String loadBefore = load();
        deployment.kill(kind);
        Thread.sleep(3_000); // down for a moment, as a supervisor's restart delay
        Instant restartedAt = Instant.now();
        long t0 = System.nanoTime();
        String name = deployment.restart(kind);
        long ready = ms(t0);
        String loadReady = load();
        long served = kind == Kind.BILLING
            ? untilOk(http, deployment.billingApi() + "/tenants/" + tenants.get(0).id() + "/usage",
                Deployment.BILLING_TOKEN, t0)
            : untilEveryTenantServed(http, deployment.tenantApi(), driver, tenants, t0);
        String row = String.format("%-9s restart→ready %6d ms, →%s %6d ms, load %s at kill, %s when ready",
            kind, ready, kind == Kind.BILLING ? "usage 200" : "a job of every tenant ended", served, loadBefore,
            loadReady);
        rows.add(row);
        out.println(row);
        out.println(timeline(Path.of("target", "child-logs", name + ".log"), restartedAt));
        Thread.sleep(20_000); // the system settles before the next kind's kill
      }
      driver.close();
      out.println("summary:");
      rows.forEach(out::println);
      out.println("ledger violations: " + ledger.violations());
      Runtime.getRuntime().removeShutdownHook(cleanup);
    }
  }

  /**
   * The smallest deployment with every service in its own JVM: one broker, S3, the schema registry and the stand-in
   * in this JVM (none of them is killed here), one billing aggregator, one processor, one ingress.
   */
  static final class SmallDeployment implements AutoCloseable {
    private static final Duration READY = Duration.ofMinutes(5); // a loaded 2-core machine, not a threshold
    private final Path data;
    private final Map<Kind, List<String>> commands = new java.util.EnumMap<>(Kind.class);
    private final Map<Kind, io.storystream.launcher.ChildProcess> processes = new java.util.EnumMap<>(Kind.class);
    private final Map<Kind, Integer> generations = new java.util.EnumMap<>(Kind.class);
    private final Map<String, String> env = new java.util.HashMap<>();
    private final int tenantPort = io.storystream.embedded.FreePorts.pick();
    private final int adminPort = io.storystream.embedded.FreePorts.pick();
    private final int billingPort = io.storystream.embedded.FreePorts.pick();
    private final List<AutoCloseable> infrastructure = new ArrayList<>();

    SmallDeployment(Path data) {
      this.data = data;
    }

    void start() throws Exception {
      io.storystream.embedded.EmbeddedKafka kafka = io.storystream.embedded.EmbeddedKafka.forTests(
          data.resolve("kafka")).start();
      infrastructure.add(kafka);
      int s3Port = io.storystream.embedded.FreePorts.pick();
      infrastructure.add(new io.storystream.embedded.EmbeddedS3(data.resolve("s3"), s3Port, "storystream").start());
      io.storystream.embedded.registry.SchemaRegistryServer registry =
          new io.storystream.embedded.registry.SchemaRegistryServer("127.0.0.1",
              io.storystream.embedded.FreePorts.pick(), kafka.bootstrapServers(),
              (short) 1).start();
      infrastructure.add(registry);
      io.storystream.datastorybot.standin.StandInServer standIn = io.storystream.datastorybot.standin.StandInServer
          .start(io.storystream.datastorybot.standin.StandInConfig.forTests());
      infrastructure.add(standIn);
      try (org.apache.kafka.clients.admin.Admin admin = org.apache.kafka.clients.admin.Admin.create(
          Map.of("bootstrap.servers", kafka.bootstrapServers()))) {
        io.storystream.processor.ProcessorTopics.catalogue(6, (short) 1).ensure(admin);
      }
      try (io.storystream.billing.PriceBookPublisher prices = new io.storystream.billing.PriceBookPublisher(
          new io.storystream.common.kafka.KafkaSettings(kafka.bootstrapServers(), registry.url(), 6, (short) 1))) {
        prices.publishDefaultIfNone();
      }
      env.putAll(Map.of(
          "STORYSTREAM_BOOTSTRAP_SERVERS", kafka.bootstrapServers(),
          "STORYSTREAM_REGISTRY_URL", registry.url(),
          "STORYSTREAM_S3_ENDPOINT", "http://127.0.0.1:" + s3Port,
          "STORYSTREAM_S3_ACCESS_KEY", io.storystream.embedded.EmbeddedS3.ACCESS_KEY,
          "STORYSTREAM_S3_SECRET_KEY", io.storystream.embedded.EmbeddedS3.SECRET_KEY,
          "STORYSTREAM_PARTITIONS", "6",
          "STORYSTREAM_REPLICATION_FACTOR", "1",
          "DATASTORYBOT_URL", standIn.baseUri().toString(),
          "STORYSTREAM_OPERATOR_TOKEN", Deployment.OPERATOR_TOKEN,
          "STORYSTREAM_PEPPER", "00112233445566778899aabbccddeeff00112233"));
      env.put("STORYSTREAM_BILLING_TOKEN", Deployment.BILLING_TOKEN);
      env.put("STORYSTREAM_MANAGEMENT_PORT", "0");
      env.put("STORYSTREAM_MASTER_KEYS", "mk_test=" + "5a".repeat(32));
      env.put("STORYSTREAM_WORKER_INSTANCE_ID", "worker-1");
      commands.put(Kind.BILLING, List.of("billing", "run", "--data-dir", data.resolve("billing").toString(),
          "--billing-port", Integer.toString(billingPort)));
      commands.put(Kind.PROCESSOR, List.of("processor", "--data-dir", data.resolve("processor").toString()));
      commands.put(Kind.INGRESS, List.of("ingress", "--data-dir", data.resolve("ingress").toString(),
          "--ingress-port", Integer.toString(tenantPort), "--admin-port", Integer.toString(adminPort),
          "--billing-url", billingApi()));
      for (Kind kind : List.of(Kind.BILLING, Kind.PROCESSOR, Kind.INGRESS)) {
        restart(kind); // one after the other: a first start on a loaded machine, not what is measured
      }
    }

    void kill(Kind kind) throws InterruptedException {
      processes.get(kind).kill();
    }

    /** Starts the kind's process on its data folder and waits until it serves; its name (and log file's). */
    String restart(Kind kind) throws Exception {
      int generation = generations.merge(kind, 1, Integer::sum);
      String name = kind.name().toLowerCase() + (generation == 1 ? "" : "." + generation);
      io.storystream.launcher.ChildProcess started = io.storystream.launcher.ChildProcess.start(name,
          commands.get(kind), env, "256m");
      processes.put(kind, started);
      started.awaitLine(kind.readyLine, READY);
      if (kind == Kind.INGRESS) {
        long deadline = System.nanoTime() + READY.toNanos();
        HttpClient http = HttpClient.newHttpClient();
        while (true) {
          HttpResponse<String> ready = send(http, HttpRequest.newBuilder(URI.create(tenantApi() + "/health/ready"))
              .timeout(Duration.ofSeconds(10)).build());
          if (ready != null && ready.statusCode() == 200) {
            break;
          }
          if (System.nanoTime() > deadline) {
            throw new IllegalStateException("ingress not ready within " + READY);
          }
          Thread.sleep(100); // readiness poll
        }
      }
      return name;
    }

    String tenantApi() {
      return "http://127.0.0.1:" + tenantPort;
    }

    String operatorApi() {
      return "http://127.0.0.1:" + adminPort;
    }

    String billingApi() {
      return "http://127.0.0.1:" + billingPort;
    }

    @Override
    public void close() {
      for (io.storystream.launcher.ChildProcess p : processes.values()) {
        try {
          p.close();
        } catch (Exception e) {
          // keep closing the rest
        }
      }
      for (int i = infrastructure.size() - 1; i >= 0; i--) {
        try {
          infrastructure.get(i).close();
        } catch (Exception e) {
          // keep closing the rest
        }
      }
    }
  }

  private static long untilOk(HttpClient http, String url, String token, long t0) throws Exception {
    long deadline = System.nanoTime() + PROBE.toNanos();
    while (System.nanoTime() < deadline) {
      try {
        if (http.send(HttpRequest.newBuilder(URI.create(url)).header("Authorization", "Bearer " + token)
            .timeout(Duration.ofSeconds(10)).build(), HttpResponse.BodyHandlers.discarding()).statusCode() == 200) {
          return ms(t0);
        }
      } catch (java.io.IOException notYet) {
        // still starting
      }
      Thread.sleep(100); // probing
    }
    return -1;
  }

  /** Submits one job per tenant to the given ingress and waits until each has ended; ms since t0, -1 if not. */
  private static long untilEveryTenantServed(HttpClient http, String base, LoadDriver driver,
      List<LoadDriver.Tenant> tenants, long t0) throws Exception {
    long deadline = System.nanoTime() + PROBE.toNanos();
    for (LoadDriver.Tenant tenant : tenants) {
      String key = driver.keyOf(tenant.id());
      String fileId = null;
      while (fileId == null && System.nanoTime() < deadline) {
        HttpResponse<String> up = send(http, HttpRequest.newBuilder(URI.create(base + "/v1/files?name=probe.csv"))
            .header("Authorization", "Bearer " + key).header("Content-Type", "text/csv")
            .POST(HttpRequest.BodyPublishers.ofString("month,mrr\n2026-01,100\n2026-02,120\n2026-03,150\n")).build());
        if (up != null && up.statusCode() == 201) {
          fileId = JSON.readTree(up.body()).path("id").asText();
        } else {
          Thread.sleep(200); // probing
        }
      }
      String jobId = null;
      while (jobId == null && System.nanoTime() < deadline) {
        HttpResponse<String> job = send(http, LoadDriver.post(base + "/v1/analyses", key,
            "{\"fileId\":\"" + fileId + "\",\"steeringPrompt\":\"restart probe " + System.nanoTime() + "\"}").build());
        if (job != null && job.statusCode() == 202) {
          jobId = JSON.readTree(job.body()).path("jobId").asText();
        } else {
          Thread.sleep(200); // probing
        }
      }
      String state = null;
      while (!Ledger.TERMINAL.contains(String.valueOf(state)) && System.nanoTime() < deadline) {
        HttpResponse<String> polled = send(http, LoadDriver.get(base + "/v1/analyses/" + jobId + "?wait=20s", key)
            .build());
        state = polled != null && polled.statusCode() == 200 ? JSON.readTree(polled.body()).path("state").asText()
            : null;
        if (state == null) {
          Thread.sleep(200); // probing
        }
      }
      if (!Ledger.TERMINAL.contains(String.valueOf(state))) {
        return -1;
      }
    }
    return ms(t0);
  }

  private static HttpResponse<String> send(HttpClient http, HttpRequest request) throws InterruptedException {
    try {
      return http.send(request, HttpResponse.BodyHandlers.ofString());
    } catch (java.io.IOException noAnswer) {
      return null;
    }
  }

  /** The first line of each mark in a child's log, as ms after the restart. */
  static String timeline(Path log, Instant restartedAt) throws Exception {
    if (!Files.exists(log)) {
      return "  (no log at " + log + ")";
    }
    Map<String, String> first = new LinkedHashMap<>();
    Map<String, String> last = new LinkedHashMap<>();
    for (String line : Files.readAllLines(log, StandardCharsets.UTF_8)) {
      if (!line.startsWith("{")) {
        continue;
      }
      JsonNode entry = JSON.readTree(line);
      String message = entry.path("message").asText("");
      String at = entry.path("@timestamp").asText(null);
      if (at == null) {
        continue;
      }
      long offset = Duration.between(restartedAt, Instant.parse(at)).toMillis();
      for (Map.Entry<String, Pattern> mark : MARKS.entrySet()) {
        if (mark.getValue().matcher(message).find()) {
          String shown = String.format("  %6d ms  %-30s %s", offset, mark.getKey(),
              message.length() > 150 ? message.substring(0, 150) + "…" : message);
          first.putIfAbsent(mark.getKey(), shown);
          last.put(mark.getKey(), shown);
        }
      }
    }
    StringBuilder s = new StringBuilder();
    for (String key : MARKS.keySet()) {
      if (first.containsKey(key)) {
        s.append(first.get(key)).append('\n');
        if (!last.get(key).equals(first.get(key)) && !key.equals("first log line")) {
          s.append(last.get(key).replace("ms  ", "ms  (last) ")).append('\n');
        }
      }
    }
    return s.toString();
  }

  private static long ms(long since) {
    return Duration.ofNanos(System.nanoTime() - since).toMillis();
  }

  private static String load() {
    try {
      return Files.readString(Path.of("/proc/loadavg")).split(" ")[0];
    } catch (java.io.IOException e) {
      return "?";
    }
  }
}
