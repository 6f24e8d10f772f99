package io.storystream.launcher;

import java.io.PrintStream;
import java.nio.file.Path;
import java.util.concurrent.Callable;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

/**
 * {@code storystream}: starts the embedded default. Every flag can also be set by the environment variable of the
 * same name in upper snake case with the {@code STORYSTREAM_} prefix ({@code --data-dir} ↔ {@code STORYSTREAM_DATA_DIR}).
 */
@Command(name = "storystream", mixinStandardHelpOptions = true, version = "storystream 0.1.0",
    subcommands = {ProvisionTopics.class, RunBroker.class},
    description = "Runs storystream on its embedded default: Kafka, S3, schema registry and the services in one JVM.")
public final class StoryStream implements Callable<Integer> {

  @Option(names = "--data-dir", defaultValue = "${env:STORYSTREAM_DATA_DIR:-data}",
      description = "Folder holding every topic, object and schema (default: ${DEFAULT-VALUE}).")
  Path dataDir;

  @Option(names = "--host", defaultValue = "${env:STORYSTREAM_HOST:-127.0.0.1}", description = "Address to listen on.")
  String host;

  @Option(names = "--kafka-port", defaultValue = "${env:STORYSTREAM_KAFKA_PORT:-9092}")
  int kafkaPort;

  @Option(names = "--kafka-controller-port", defaultValue = "${env:STORYSTREAM_KAFKA_CONTROLLER_PORT:-9093}")
  int kafkaControllerPort;

  @Option(names = "--s3-port", defaultValue = "${env:STORYSTREAM_S3_PORT:-9000}")
  int s3Port;

  @Option(names = "--s3-bucket", defaultValue = "${env:STORYSTREAM_S3_BUCKET:-storystream}")
  String bucket;

  @Option(names = "--registry-port", defaultValue = "${env:STORYSTREAM_REGISTRY_PORT:-8081}")
  int registryPort;

  @Option(names = "--partitions", defaultValue = "${env:STORYSTREAM_PARTITIONS:-6}",
      description = "Partitions of every tenant-keyed topic, created on first start.")
  int partitions;

  @Override
  public Integer call() throws Exception {
    long t0 = System.nanoTime();
    dataDir = dataDir.toAbsolutePath().normalize();
    OperatorToken.Resolved token = OperatorToken.resolve(dataDir, System.getenv(OperatorToken.ENV));
    EmbeddedDefault system = new EmbeddedDefault(new EmbeddedDefault.Settings(dataDir, host, kafkaPort,
        kafkaControllerPort, s3Port, bucket, registryPort, partitions)).start();
    CountDownLatch stopped = new CountDownLatch(1);
    Runtime.getRuntime().addShutdownHook(new Thread(() -> {
      System.out.println("storystream: shutting down");
      system.close();
      stopped.countDown();
    }, "storystream-shutdown"));
    printBanner(System.out, system, token, TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - t0));
    stopped.await();
    return 0;
  }

  private void printBanner(PrintStream out, EmbeddedDefault system, OperatorToken.Resolved token, long millis) {
    out.println();
    out.println("storystream is up in " + millis + " ms; data in " + dataDir.toAbsolutePath());
    out.println("  Kafka bootstrap     " + system.kafka().bootstrapServers());
    out.println("  schema registry     " + system.registry().url());
    out.println("  S3 endpoint         " + system.s3().endpoint() + "  (bucket " + bucket + ")");
    out.println("  topics              " + system.topics().existing().size() + " existing, "
        + system.topics().created().size() + " created"
        + (system.topics().consistent() ? "" : ", " + system.topics().drifts().size() + " differ from the catalogue"));
    out.println("  operator token      " + (token.file() == null ? "from " + OperatorToken.ENV : "in " + token.file()));
    out.println("Press Ctrl-C to stop.");
    out.flush();
  }

  public static void main(String[] args) {
    System.setProperty("org.apache.avro.SERIALIZABLE_PACKAGES", "io.storystream.schemas");
    int code = new CommandLine(new StoryStream()).execute(args);
    if (code != 0) {
      System.exit(code);
    }
  }
}
