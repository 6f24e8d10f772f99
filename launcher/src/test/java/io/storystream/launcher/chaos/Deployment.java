package io.storystream.launcher.chaos;

import io.storystream.billing.PriceBookPublisher;
import io.storystream.billing.tables.PostgresServer;
import io.storystream.common.kafka.KafkaSettings;
import io.storystream.datastorybot.standin.StandInConfig;
import io.storystream.datastorybot.standin.StandInServer;
import io.storystream.datastorybot.standin.StandInStats;
import io.storystream.embedded.EmbeddedS3;
import io.storystream.embedded.FreePorts;
import io.storystream.embedded.registry.SchemaRegistryServer;
import io.storystream.launcher.ChildProcess;
import io.storystream.processor.ProcessorTopics;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.time.Duration;
import java.util.ArrayList;
import java.util.EnumMap;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.stream.IntStream;
import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.common.Uuid;

/**
 * The distributed deployment the campaign runs against, every service in its own JVM as in production: three KRaft
 * brokers (replication factor 3), two ingress, two processors, two billing aggregators and the billing sink into a
 * real PostgreSQL; S3, the schema registry and the DataStoryBot stand-in run in this JVM on fixed ports, so they can
 * be stopped and started again where the services expect them. Every process can be killed (SIGKILL), stopped
 * (SIGTERM), paused (SIGSTOP) and restarted with the same flags, ports and data folder.
 */
public final class Deployment implements AutoCloseable {
  public static final String OPERATOR_TOKEN = "sso_3d5f7a9c1e2b4d6f8a0c2e4b6d8f0a1c3e5b7d9f1a3c5e7b9d0f2a4c6e8b1d3f";
  public static final String BILLING_TOKEN = "ssb_9a8b7c6d5e4f3a2b1c0d9e8f7a6b5c4d3e2f1a0b9c8d7e6f5a4b3c2d1e0f9a8b";
  private static final String PEPPER = "00112233445566778899aabbccddeeff00112233";
  private static final Duration READY = Duration.ofMinutes(5); // a loaded 2-core machine, not a threshold
  private static final String HEAP = "256m";

  /** The kinds of service process, each with the line it prints once it serves. */
  public enum Kind {
    BROKER(3, "is up"), INGRESS(2, "ingress: tenant API"), PROCESSOR(2, "processor running"),
    BILLING(2, "billing aggregator running"), SINK(1, "billing sink running");

    final int count;
    final String readyLine;

    Kind(int count, String readyLine) {
      this.count = count;
      this.readyLine = readyLine;
    }
  }

  private final Path data;
  private final Map<Kind, List<ChildProcess>> processes = new EnumMap<>(Kind.class);
  private final Map<Kind, List<List<String>>> commands = new EnumMap<>(Kind.class);
  private final Map<Kind, List<Map<String, String>>> environments = new EnumMap<>(Kind.class);
  private final Map<String, Integer> generations = new HashMap<>();
  private final List<StandInStats> pastStandIns = new CopyOnWriteArrayList<>();
  private final HttpClient http = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(5)).build();
  private final int s3Port = FreePorts.pick();
  private final int registryPort = FreePorts.pick();
  private final int standInPort = FreePorts.pick();
  private final List<Integer> tenantPorts = new ArrayList<>();
  private final List<Integer> adminPorts = new ArrayList<>();
  private final List<Integer> billingPorts = new ArrayList<>();
  private String bootstrap;
  private volatile EmbeddedS3 s3;
  private volatile SchemaRegistryServer registry;
  private volatile StandInServer standIn;
  private PostgresServer postgres;
  private Duration standInLatency = Duration.ZERO;
  private volatile boolean closed;

  public Deployment(Path data) {
    this.data = data;
  }

  public Deployment start() throws Exception {
    Files.createDirectories(data);
    // PostgreSQL runs as the postgres user when this runs as root: it must pass through the data folder
    Files.setPosixFilePermissions(data, PosixFilePermissions.fromString("rwx--x--x"));
    startBrokers();
    s3 = new EmbeddedS3(data.resolve("s3"), s3Port, "storystream").start();
    registry = new SchemaRegistryServer("127.0.0.1", registryPort, bootstrap, (short) 3).start();
    standIn = StandInServer.start(StandInConfig.forTests().withPort(standInPort));
    try (Admin admin = Admin.create(Map.of("bootstrap.servers", bootstrap))) {
      ProcessorTopics.catalogue(6, (short) 3).ensure(admin);
    }
    try (PriceBookPublisher prices = new PriceBookPublisher(kafka())) {
      prices.publishDefaultIfNone();
    }
    postgres = new PostgresServer(data.resolve("postgres"), FreePorts.pick()).start();

    Map<String, String> env = new HashMap<>(Map.of(
        "STORYSTREAM_BOOTSTRAP_SERVERS", bootstrap,
        "STORYSTREAM_REGISTRY_URL", registry.url(),
        "STORYSTREAM_S3_ENDPOINT", "http://127.0.0.1:" + s3Port,
        "STORYSTREAM_S3_ACCESS_KEY", EmbeddedS3.ACCESS_KEY,
        "STORYSTREAM_S3_SECRET_KEY", EmbeddedS3.SECRET_KEY,
        "STORYSTREAM_PARTITIONS", "6",
        "STORYSTREAM_REPLICATION_FACTOR", "3",
        "DATASTORYBOT_URL", "http://127.0.0.1:" + standInPort,
        "STORYSTREAM_OPERATOR_TOKEN", OPERATOR_TOKEN,
        "STORYSTREAM_PEPPER", PEPPER));
    env.put("STORYSTREAM_BILLING_TOKEN", BILLING_TOKEN);
    env.put("STORYSTREAM_MANAGEMENT_PORT", "0");
    env.put("STORYSTREAM_MASTER_KEYS", "mk_test=" + "5a".repeat(32));

    for (int i = 1; i <= Kind.BILLING.count; i++) {
      billingPorts.add(FreePorts.pick());
      add(Kind.BILLING, List.of("billing", "run", "--data-dir", dir("billing-" + i),
          "--billing-port", billingPorts.get(i - 1).toString()), env);
    }
    Map<String, String> sinkEnv = new HashMap<>(env);
    sinkEnv.put("STORYSTREAM_POSTGRES_URL", postgres.jdbcUrl());
    sinkEnv.put("STORYSTREAM_POSTGRES_USER", postgres.user());
    sinkEnv.put("STORYSTREAM_POSTGRES_PASSWORD", postgres.password());
    add(Kind.SINK, List.of("billing", "sink", "--data-dir", dir("sink"), "--bootstrap-servers", bootstrap,
        "--registry-url", registry.url()), sinkEnv);
    for (int i = 1; i <= Kind.PROCESSOR.count; i++) {
      Map<String, String> processorEnv = new HashMap<>(env);
      processorEnv.put("STORYSTREAM_WORKER_INSTANCE_ID", "worker-" + i);
      if (i == 1) {
        add(Kind.PROCESSOR, List.of("processor", "--data-dir", dir("processor-" + i)), processorEnv);
      } else {
        register(Kind.PROCESSOR, List.of("processor", "--data-dir", dir("processor-" + i)), processorEnv);
      }
    }
    for (int i = 1; i <= Kind.INGRESS.count; i++) {
      tenantPorts.add(FreePorts.pick());
      adminPorts.add(FreePorts.pick());
      add(Kind.INGRESS, List.of("ingress", "--data-dir", dir("ingress-" + i),
          "--ingress-port", tenantPorts.get(i - 1).toString(), "--admin-port", adminPorts.get(i - 1).toString(),
          "--billing-url", "http://127.0.0.1:" + billingPorts.get(i - 1)), env);
    }
    for (Kind kind : List.of(Kind.BILLING, Kind.SINK, Kind.INGRESS)) {
      for (ChildProcess p : processes.get(kind)) {
        p.awaitLine(kind.readyLine, READY);
      }
    }
    // the second processor joins once the first runs: two joining one group at once on a loaded machine kept
    // admission rebalancing past its 90 s start-up limit
    for (int i = 1; i < Kind.PROCESSOR.count; i++) {
      processes.get(Kind.PROCESSOR).get(i - 1).awaitLine(Kind.PROCESSOR.readyLine, READY);
      processes.get(Kind.PROCESSOR).set(i, launch(Kind.PROCESSOR, i));
    }
    processes.get(Kind.PROCESSOR).get(Kind.PROCESSOR.count - 1).awaitLine(Kind.PROCESSOR.readyLine, READY);
    for (int i = 0; i < Kind.INGRESS.count; i++) {
      awaitIngressReady(i);
    }
    return this;
  }

  private void startBrokers() throws Exception {
    int[] ports = IntStream.range(0, 3).map(i -> FreePorts.pick()).toArray();
    int[] controllers = IntStream.range(0, 3).map(i -> FreePorts.pick()).toArray();
    String voters = String.join(",",
        IntStream.range(0, 3).mapToObj(i -> (i + 1) + "@127.0.0.1:" + controllers[i]).toList());
    String clusterId = Uuid.randomUuid().toString();
    List<String> addresses = new ArrayList<>();
    for (int i = 0; i < 3; i++) {
      addresses.add("127.0.0.1:" + ports[i]);
      add(Kind.BROKER, List.of("broker", "--node-id", Integer.toString(i + 1),
          "--kafka-port", Integer.toString(ports[i]), "--kafka-controller-port", Integer.toString(controllers[i]),
          "--voters", voters, "--cluster-id", clusterId, "--data-dir", dir("brokers")), Map.of());
    }
    bootstrap = String.join(",", addresses);
    for (ChildProcess broker : processes.get(Kind.BROKER)) {
      broker.awaitLine(Kind.BROKER.readyLine, READY);
    }
  }

  private void add(Kind kind, List<String> args, Map<String, String> env) throws Exception {
    int index = processes.computeIfAbsent(kind, k -> new ArrayList<>()).size();
    commands.computeIfAbsent(kind, k -> new ArrayList<>()).add(args);
    environments.computeIfAbsent(kind, k -> new ArrayList<>()).add(Map.copyOf(env));
    processes.get(kind).add(launch(kind, index));
  }

  /** Its flags and environment now, its process later (a slot that {@link #launch} fills). */
  private void register(Kind kind, List<String> args, Map<String, String> env) {
    processes.computeIfAbsent(kind, k -> new ArrayList<>()).add(null);
    commands.computeIfAbsent(kind, k -> new ArrayList<>()).add(args);
    environments.computeIfAbsent(kind, k -> new ArrayList<>()).add(Map.copyOf(env));
  }

  private ChildProcess launch(Kind kind, int index) throws Exception {
    // "chaos-": other tests' children (MultiProcessClusterTest's processor-1, …) write to the same log folder
    String name = "chaos-" + kind.name().toLowerCase() + "-" + (index + 1);
    int generation = generations.merge(name, 1, Integer::sum);
    Map<String, String> env = new java.util.HashMap<>(environments.get(kind).get(index));
    // the campaign's log levels (chaos-log4j2.xml) merged over the services' own: evidence for a post-mortem
    env.put("JAVA_TOOL_OPTIONS", "-Dlog4j2.configurationFile=classpath:log4j2.xml,classpath:chaos-log4j2.xml");
    return ChildProcess.start(generation == 1 ? name : name + "." + generation, commands.get(kind).get(index),
        env, HEAP);
  }

  // ---- faults ---------------------------------------------------------------------------------------------------

  /** kill -9 of one process. */
  public synchronized void kill(Kind kind, int index) throws InterruptedException {
    processes.get(kind).get(index).kill();
  }

  /** SIGTERM of one process, waiting for it to end. */
  public synchronized void stop(Kind kind, int index) throws InterruptedException {
    processes.get(kind).get(index).stop();
  }

  /** Starts a process again with its flags, ports and data folder, and waits until it serves. */
  public void restart(Kind kind, int index) throws Exception {
    ChildProcess started;
    synchronized (this) {
      if (closed) {
        throw new IllegalStateException("the deployment is closed; " + kind + " " + (index + 1) + " stays down");
      }
      started = launch(kind, index);
      processes.get(kind).set(index, started);
    }
    started.awaitLine(kind.readyLine, READY);
    if (kind == Kind.INGRESS) {
      awaitIngressReady(index);
    }
  }

  public void pause(Kind kind, int index) throws Exception {
    processes.get(kind).get(index).pause();
  }

  public void resume(Kind kind, int index) throws InterruptedException {
    processes.get(kind).get(index).resume();
  }

  /** The node id (1-3) of the active KRaft controller. */
  public int controllerNode() throws Exception {
    try (Admin admin = Admin.create(Map.of("bootstrap.servers", bootstrap))) {
      return admin.describeMetadataQuorum().quorumInfo().get().leaderId();
    }
  }

  public StandInServer standIn() {
    return standIn;
  }

  public synchronized void stopStandIn() {
    pastStandIns.add(standIn.stats());
    standIn.close();
  }

  public synchronized void startStandIn() {
    standIn = StandInServer.start(StandInConfig.forTests().withPort(standInPort).withLatency(standInLatency));
  }

  /** The time DataStoryBot takes per call, kept across the stand-in's restarts. */
  public synchronized void standInLatency(Duration latency) {
    standInLatency = latency;
    standIn.faults().latency(latency);
  }

  /** DataStoryBot analyses answered for this steering prompt, over every stand-in instance of the run. */
  public long analysesFor(String steeringPrompt) {
    long n = standIn.stats().analysesFor(steeringPrompt);
    for (StandInStats past : pastStandIns) {
      n += past.analysesFor(steeringPrompt);
    }
    return n;
  }

  public synchronized void stopS3() throws Exception {
    s3.close();
  }

  public synchronized void startS3() throws Exception {
    s3 = new EmbeddedS3(data.resolve("s3"), s3Port, "storystream").start();
  }

  public synchronized void restartRegistry() throws Exception {
    registry.close();
    registry = new SchemaRegistryServer("127.0.0.1", registryPort, bootstrap, (short) 3).start();
  }

  // ---- addresses ------------------------------------------------------------------------------------------------

  public List<String> tenantApis() {
    return tenantPorts.stream().map(p -> "http://127.0.0.1:" + p).toList();
  }

  public String operatorApi() {
    return "http://127.0.0.1:" + adminPorts.get(0);
  }

  public String billingApi() {
    return "http://127.0.0.1:" + billingPorts.get(0);
  }

  public String bootstrap() {
    return bootstrap;
  }

  public String registryUrl() {
    return "http://127.0.0.1:" + registryPort;
  }

  public KafkaSettings kafka() {
    return new KafkaSettings(bootstrap, registryUrl(), 6, (short) 3);
  }

  public PostgresServer postgres() {
    return postgres;
  }

  private void awaitIngressReady(int index) throws Exception {
    String url = "http://127.0.0.1:" + tenantPorts.get(index) + "/health/ready";
    long deadline = System.nanoTime() + READY.toNanos();
    while (true) {
      try {
        if (http.send(HttpRequest.newBuilder(URI.create(url)).timeout(Duration.ofSeconds(10)).build(),
            HttpResponse.BodyHandlers.discarding()).statusCode() == 200) {
          return;
        }
      } catch (java.io.IOException notYet) {
        // still starting
      }
      if (System.nanoTime() > deadline) {
        throw new IllegalStateException("ingress " + (index + 1) + " not ready within " + READY);
      }
      Thread.sleep(250); // readiness poll
    }
  }

  private String dir(String name) {
    return data.resolve(name).toString();
  }

  @Override
  public synchronized void close() {
    closed = true; // a restart still under way launches nothing after this
    for (Kind kind : List.of(Kind.INGRESS, Kind.PROCESSOR, Kind.BILLING, Kind.SINK, Kind.BROKER)) {
      for (ChildProcess p : processes.getOrDefault(kind, List.of())) {
        try {
          if (p != null) {
            p.close();
          }
        } catch (Exception e) {
          // keep closing the rest
        }
      }
    }
    for (AutoCloseable c : new AutoCloseable[] {standIn, registry, s3, postgres}) {
      try {
        if (c != null) {
          c.close();
        }
      } catch (Exception e) {
        // keep closing the rest
      }
    }
  }
}
