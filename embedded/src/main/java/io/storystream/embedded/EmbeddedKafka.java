package io.storystream.embedded;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Map;
import java.util.Properties;
import java.util.concurrent.TimeUnit;
import kafka.server.KafkaConfig;
import kafka.server.KafkaRaftServer;
import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.admin.AdminClientConfig;
import org.apache.kafka.common.Uuid;
import org.apache.kafka.common.utils.Time;
import org.apache.kafka.metadata.storage.Formatter;
import org.apache.kafka.server.common.MetadataVersion;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * A real Apache Kafka node in this JVM: Kafka's own {@link KafkaRaftServer} in combined broker+controller KRaft mode
 * on 127.0.0.1. Alone it is a single-node cluster; with {@link Quorum} several nodes (usually one per child process)
 * form one cluster with replicated internal topics. The log directory is formatted on first start only, so a restart
 * on the same folder keeps every topic and offset.
 */
public final class EmbeddedKafka implements AutoCloseable {
  private static final Logger log = LoggerFactory.getLogger(EmbeddedKafka.class);

  private final Path logDir;
  private final int port;
  private final int controllerPort;
  private final Map<String, String> overrides;
  private final Quorum quorum;
  private KafkaRaftServer server;

  /**
   * Membership of a multi-node cluster with a static controller quorum.
   *
   * @param nodeId this node's id, one of the voters
   * @param voters {@code id@host:controllerPort,…} of every node, the same string on every node
   * @param clusterId the id every node is formatted with (a base64 UUID, e.g. {@code Uuid.randomUuid().toString()})
   */
  public record Quorum(int nodeId, String voters, String clusterId) {
    int replicationFactor() {
      return voters.split(",").length;
    }
  }

  /**
   * @param logDir where the broker keeps its data
   * @param port the client port; 0 picks a free one
   * @param controllerPort the KRaft controller port; 0 picks a free one
   * @param overrides broker settings that win over the defaults (e.g. share-group heartbeats for tests)
   */
  public EmbeddedKafka(Path logDir, int port, int controllerPort, Map<String, String> overrides) {
    this(logDir, port, controllerPort, null, overrides);
  }

  /** One node of a multi-node cluster; {@code controllerPort} must be this node's port in {@code quorum.voters}. */
  public EmbeddedKafka(Path logDir, int port, int controllerPort, Quorum quorum, Map<String, String> overrides) {
    this.logDir = logDir;
    this.port = FreePorts.orPick(port);
    this.controllerPort = FreePorts.orPick(controllerPort);
    this.quorum = quorum;
    this.overrides = overrides;
  }

  /** A broker on free ports in a fresh temporary folder, for tests. */
  public static EmbeddedKafka forTests(Path dir) {
    return new EmbeddedKafka(dir, 0, 0, Map.of(
        "group.share.min.heartbeat.interval.ms", "500",
        "group.share.heartbeat.interval.ms", "500",
        "group.share.min.record.lock.duration.ms", "1000"));
  }

  public EmbeddedKafka start() {
    long started = System.nanoTime();
    Properties props = brokerProperties();
    KafkaConfig config = KafkaConfig.fromProps(props);
    formatIfNeeded();
    server = new KafkaRaftServer(config, Time.SYSTEM);
    server.startup();
    awaitReady();
    log.info("Kafka broker ready on {} in {} ms (data in {})", bootstrapServers(),
        TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - started), logDir);
    return this;
  }

  public String bootstrapServers() {
    return "127.0.0.1:" + port;
  }

  public int port() {
    return port;
  }

  private Properties brokerProperties() {
    Properties props = new Properties();
    int nodeId = quorum == null ? 1 : quorum.nodeId();
    int replicas = quorum == null ? 1 : quorum.replicationFactor();
    String minIsr = Integer.toString(Math.min(2, replicas));
    props.put("process.roles", "broker,controller");
    props.put("node.id", Integer.toString(nodeId));
    props.put("controller.quorum.voters", quorum == null ? "1@127.0.0.1:" + controllerPort : quorum.voters());
    props.put("listeners", "PLAINTEXT://127.0.0.1:" + port + ",CONTROLLER://127.0.0.1:" + controllerPort);
    props.put("advertised.listeners", "PLAINTEXT://127.0.0.1:" + port);
    props.put("controller.listener.names", "CONTROLLER");
    props.put("inter.broker.listener.name", "PLAINTEXT");
    props.put("listener.security.protocol.map", "PLAINTEXT:PLAINTEXT,CONTROLLER:PLAINTEXT");
    props.put("log.dirs", logDir.toAbsolutePath().toString());
    // internal topics need as many replicas as there are nodes (one, alone), or consumers silently receive nothing
    props.put("offsets.topic.replication.factor", Integer.toString(replicas));
    props.put("offsets.topic.num.partitions", "10");
    props.put("transaction.state.log.replication.factor", Integer.toString(replicas));
    props.put("transaction.state.log.min.isr", minIsr);
    props.put("transaction.state.log.num.partitions", "10");
    props.put("share.coordinator.state.topic.replication.factor", Integer.toString(replicas));
    props.put("share.coordinator.state.topic.min.isr", minIsr);
    props.put("group.initial.rebalance.delay.ms", "0");
    props.put("num.partitions", "1");
    props.put("default.replication.factor", Integer.toString(replicas));
    props.put("min.insync.replicas", minIsr);
    props.put("auto.create.topics.enable", "false");
    props.put("log.cleaner.dedupe.buffer.size", Integer.toString(16 * 1024 * 1024));
    props.put("log.segment.bytes", Integer.toString(64 * 1024 * 1024));
    // After a crash (kill -9) the broker loads every log without a clean-shutdown marker and recovers each one's
    // unflushed tail: a few ms of mostly file work per partition, but there are hundreds of partitions (every topic
    // and changelog). Two threads per folder was the default; four overlap the file waits on a small machine and
    // cost nothing once started (the pool exists only while the logs load).
    props.put("num.recovery.threads.per.data.dir", "4");
    props.putAll(overrides);
    return props;
  }

  private void formatIfNeeded() {
    if (Files.exists(logDir.resolve("meta.properties"))) {
      return;
    }
    try {
      Files.createDirectories(logDir);
      new Formatter()
          .setClusterId(quorum == null ? Uuid.randomUuid().toString() : quorum.clusterId())
          .setNodeId(quorum == null ? 1 : quorum.nodeId())
          .addDirectory(logDir.toAbsolutePath().toString())
          .setMetadataLogDirectory(logDir.toAbsolutePath().toString())
          .setControllerListenerName("CONTROLLER")
          .setReleaseVersion(MetadataVersion.LATEST_PRODUCTION)
          .setPrintStream(new java.io.PrintStream(java.io.OutputStream.nullOutputStream()))
          .run();
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    } catch (Exception e) {
      throw new IllegalStateException("could not format the Kafka log directory " + logDir, e);
    }
  }

  private void awaitReady() {
    Properties props = new Properties();
    props.put(AdminClientConfig.BOOTSTRAP_SERVERS_CONFIG, bootstrapServers());
    long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(60);
    try (Admin admin = Admin.create(props)) {
      while (true) {
        try {
          if (!admin.describeCluster().nodes().get(5, TimeUnit.SECONDS).isEmpty()) {
            return;
          }
        } catch (Exception notYet) {
          if (System.nanoTime() > deadline) {
            throw new IllegalStateException("Kafka broker did not become ready within 60 s", notYet);
          }
        }
        Thread.sleep(50); // polling a readiness probe, not hiding a race
      }
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new IllegalStateException("interrupted while waiting for the broker", e);
    }
  }

  @Override
  public synchronized void close() {
    if (server != null) {
      long started = System.nanoTime();
      server.shutdown();
      server.awaitShutdown();
      server = null;
      log.info("Kafka broker stopped in {} ms", TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - started));
    }
  }
}
