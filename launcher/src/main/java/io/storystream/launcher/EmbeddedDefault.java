package io.storystream.launcher;

import io.storystream.embedded.EmbeddedKafka;
import io.storystream.embedded.EmbeddedS3;
import io.storystream.embedded.registry.SchemaRegistryServer;
import io.storystream.schemas.topics.TopicCatalogue;
import java.nio.file.Path;
import java.util.ArrayDeque;
import java.util.Deque;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import org.apache.kafka.clients.admin.Admin;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The whole system in one JVM with its data under one folder: a real KRaft broker, S3Proxy on the file system, the
 * schema-registry endpoint, the topic catalogue, then the services. Started in dependency order and closed in the
 * reverse order, so every service drains before the infrastructure under it goes away.
 */
public final class EmbeddedDefault implements AutoCloseable {
  private static final Logger log = LoggerFactory.getLogger(EmbeddedDefault.class);

  /** Where everything listens and lives. Port 0 picks a free port (tests). */
  public record Settings(Path dataDir, String host, int kafkaPort, int kafkaControllerPort, int s3Port,
                         String bucket, int registryPort, int tenantPartitions) {}

  private final Settings settings;
  private final Deque<Stage> started = new ArrayDeque<>();
  private EmbeddedKafka kafka;
  private EmbeddedS3 s3;
  private SchemaRegistryServer registry;
  private TopicCatalogue.Report topics;

  private record Stage(String name, AutoCloseable component) {}

  public EmbeddedDefault(Settings settings) {
    this.settings = settings;
  }

  public EmbeddedDefault start() throws Exception {
    try {
      kafka = stage("Kafka broker", new EmbeddedKafka(settings.dataDir().resolve("kafka"), settings.kafkaPort(),
          settings.kafkaControllerPort(), Map.of()).start());
      s3 = stage("S3", new EmbeddedS3(settings.dataDir().resolve("s3"), settings.s3Port(), settings.bucket()).start());
      registry = stage("schema registry", new SchemaRegistryServer(settings.host(), settings.registryPort(),
          kafka.bootstrapServers(), (short) 1).start());
      try (Admin admin = Admin.create(Map.of("bootstrap.servers", kafka.bootstrapServers()))) {
        topics = TopicCatalogue.standard(settings.tenantPartitions(), (short) 1).ensure(admin);
      }
      return this;
    } catch (Exception e) {
      close();
      throw e;
    }
  }

  private <T extends AutoCloseable> T stage(String name, T component) {
    started.push(new Stage(name, component));
    return component;
  }

  public EmbeddedKafka kafka() {
    return kafka;
  }

  public EmbeddedS3 s3() {
    return s3;
  }

  public SchemaRegistryServer registry() {
    return registry;
  }

  public TopicCatalogue.Report topics() {
    return topics;
  }

  @Override
  public synchronized void close() {
    while (!started.isEmpty()) {
      Stage stage = started.pop();
      long t0 = System.nanoTime();
      try {
        stage.component().close();
        log.info("stopped {} in {} ms", stage.name(), TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - t0));
      } catch (Exception e) {
        log.warn("stopping {} failed: {}", stage.name(), e.toString());
      }
    }
  }
}
