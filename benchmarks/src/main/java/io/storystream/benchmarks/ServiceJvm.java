package io.storystream.benchmarks;

import io.storystream.billing.BillingAccess;
import io.storystream.billing.BillingAggregator;
import io.storystream.billing.BillingConfig;
import io.storystream.common.blob.S3Settings;
import io.storystream.common.config.PlatformOptions;
import io.storystream.common.kafka.KafkaSettings;
import io.storystream.common.config.Secrets;
import io.storystream.common.crypto.MasterKeys;
import io.storystream.datastorybot.client.ApiKeySource;
import io.storystream.datastorybot.client.DataStoryBotConfig;
import io.storystream.datastorybot.standin.StandInConfig;
import io.storystream.datastorybot.standin.StandInServer;
import io.storystream.embedded.EmbeddedS3;
import io.storystream.ingress.IngressConfig;
import io.storystream.ingress.IngressService;
import io.storystream.processor.admission.AdmissionService;
import io.storystream.processor.worker.WorkerConfig;
import io.storystream.processor.worker.WorkerService;
import java.net.URI;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Clock;
import java.time.Duration;
import java.util.Set;

/**
 * One service in its own JVM, built exactly as the embedded default builds it, so the benchmark can read each
 * service's resident memory and CPU seconds from {@code /proc}. Prints {@code READY} when started and stops when its
 * standard input closes (the benchmark closes it; a killed benchmark takes its children along).
 *
 * <p>{@code ServiceJvm <service> <bootstrap> <registryUrl> <s3Endpoint> <dataDir> [port] [extra]} where service is
 * one of standin, billing, admission, worker, ingress. Built directly rather than through the launcher's subcommands so
 * the benchmark sets every port and setting itself, the same way for every service.
 */
public final class ServiceJvm {
  /** The ingress relay and the aggregator run in different data folders here, so they are given one token. */
  private static final String BILLING_TOKEN = "ssb_" + "5e1f0c2b9a7d48e3b6c1f0a29d8e7c4b3a2f1e0d9c8b7a6f5e4d3c2b1a0f9e8d";

  private ServiceJvm() {}

  public static void main(String[] args) throws Exception {
    System.setProperty("org.apache.avro.SERIALIZABLE_PACKAGES", "io.storystream.schemas");
    String service = args[0];
    KafkaSettings kafka = new KafkaSettings(args[1], args[2], SystemBenchmark.PARTITIONS, (short) 1);
    S3Settings s3 = new S3Settings(args[3], "us-east-1", S3Settings.DEFAULT_BUCKET, EmbeddedS3.ACCESS_KEY,
        EmbeddedS3.SECRET_KEY);
    Path dataDir = Path.of(args[4]).resolve(service);
    shareMasterKeys(Path.of(args[4]), dataDir);
    int port = args.length > 5 ? Integer.parseInt(args[5]) : 0;
    String extra = args.length > 6 ? args[6] : null;
    AutoCloseable running = switch (service) {
      case "standin" -> StandInServer.start(new StandInConfig("127.0.0.1", port, Set.of(), Duration.ZERO,
          StandInConfig.MAX_UPLOAD_BYTES, Duration.ofMinutes(20), Clock.systemUTC()));
      case "billing" -> new BillingAggregator(BillingConfig.of(kafka, dataDir).withHttpPort(port))
          .withAccess(new BillingAccess(BILLING_TOKEN, null)).start();
      case "admission" -> new AdmissionService(kafka, dataDir).start();
      case "worker" -> reportPeakRunning(new WorkerService(WorkerConfig.of(kafka, s3,
          DataStoryBotConfig.defaults(URI.create(extra), ApiKeySource.none()), dataDir,
          WorkerConfig.DEFAULT_MAX_IN_FLIGHT)).start());
      case "ingress" -> {
        String[] billingAndToken = extra.split(",", 3);
        yield new IngressService(new IngressConfig(PlatformOptions.of(kafka, s3, dataDir), "127.0.0.1", port,
            Integer.parseInt(billingAndToken[2]), "127.0.0.1", billingAndToken[1], "bench-pepper-0123456789abcdef".getBytes(StandardCharsets.UTF_8),
            billingAndToken[0], Clock.systemUTC())).withBillingToken(BILLING_TOKEN).start();
      }
      default -> throw new IllegalArgumentException("unknown service " + service);
    };
    System.out.println("READY " + service);
    System.out.flush();
    while (System.in.read() >= 0) {
      // runs until the benchmark closes our standard input
    }
    running.close();
    System.exit(0);
  }

  /**
   * Every service of the run gets the same master keys (one file in the run's folder, copied into each service's
   * data folder), as a deployment gives every service the same STORYSTREAM_MASTER_KEYS: a service that generated its
   * own could not unwrap the data keys the others made, and refuses to start when the topic holds such keys.
   */
  private static void shareMasterKeys(Path runDir, Path dataDir) throws java.io.IOException {
    String keys = Secrets.readOrCreate(runDir.resolve(MasterKeys.DEFAULT_FILE), "");
    Files.createDirectories(dataDir);
    if (!Files.exists(dataDir.resolve(MasterKeys.DEFAULT_FILE))) {
      Files.writeString(dataDir.resolve(MasterKeys.DEFAULT_FILE), keys + "\n");
    }
  }

  /** Prints {@code PEAK_RUNNING n} whenever the worker has more jobs running at once than ever before. */
  private static WorkerService reportPeakRunning(WorkerService worker) {
    Thread watcher = new Thread(() -> {
      int peak = 0;
      while (!Thread.currentThread().isInterrupted()) {
        int running = worker.jobsRunning();
        if (running > peak) {
          peak = running;
          System.out.println("PEAK_RUNNING " + peak);
        }
        try {
          Thread.sleep(50);
        } catch (InterruptedException e) {
          return;
        }
      }
    }, "peak-running");
    watcher.setDaemon(true);
    watcher.start();
    return worker;
  }
}
