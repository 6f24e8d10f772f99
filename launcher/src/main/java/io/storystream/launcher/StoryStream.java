package io.storystream.launcher;

import io.storystream.billing.BillingCommand;
import io.storystream.billing.tables.PostgresOptions;
import io.storystream.datastorybot.standin.StandInCommand;
import io.storystream.ingress.IngressCommand;
import io.storystream.processor.ProcessorCommand;
import java.io.PrintStream;
import java.nio.file.Path;
import java.util.concurrent.Callable;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;

/**
 * {@code storystream}: starts the embedded default. Every flag can also be set by the environment variable of the
 * same name in upper snake case with the {@code STORYSTREAM_} prefix ({@code --data-dir} ↔ {@code STORYSTREAM_DATA_DIR}).
 */
@Command(name = "storystream", mixinStandardHelpOptions = true, version = "storystream 0.1.0",
    subcommands = {ProvisionTopics.class, RunBroker.class, IngressCommand.class, ProcessorCommand.class,
        StandInCommand.class},
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

  @Option(names = "--partitions", defaultValue = "${env:STORYSTREAM_PARTITIONS:-0}",
      description = "Partitions of every tenant-keyed topic: 0 (the default) keeps the data folder's count, or makes 3"
          + " in a new folder; another count is only accepted for a new folder.")
  int partitions;

  @Option(names = "--ingress-port", defaultValue = "${env:STORYSTREAM_INGRESS_PORT:-8080}",
      description = "Tenant API (/v1).")
  int ingressPort;

  @Option(names = "--admin-port", defaultValue = "${env:STORYSTREAM_ADMIN_PORT:-8082}",
      description = "Operator API (/admin).")
  int adminPort;

  @Option(names = "--billing-port", defaultValue = "${env:STORYSTREAM_BILLING_PORT:-8083}",
      description = "The billing aggregator's read API.")
  int billingPort;

  @Option(names = "--management-port", defaultValue = "${env:STORYSTREAM_MANAGEMENT_PORT:-8084}",
      description = "Management port: /metrics, /health/live, /health/ready of every service (on --host).")
  int managementPort;

  @Option(names = "--standin-port", defaultValue = "${env:STORYSTREAM_STANDIN_PORT:-8090}",
      description = "The DataStoryBot stand-in, started unless --datastorybot-url is given.")
  int standInPort;

  @Option(names = "--datastorybot-url", defaultValue = "${env:DATASTORYBOT_URL}",
      description = "A real DataStoryBot (env DATASTORYBOT_URL); unset runs the local stand-in.")
  String datastorybotUrl;

  @Option(names = "--datastorybot-api-key", defaultValue = "${env:DATASTORYBOT_API_KEY}",
      description = "Its key (env DATASTORYBOT_API_KEY, or DATASTORYBOT_API_KEY_FILE for a rotating secret file).")
  String datastorybotApiKey;

  @Option(names = "--operator-token", defaultValue = "${env:STORYSTREAM_OPERATOR_TOKEN}",
      description = "The operator API's bearer token; unset reads or creates <data-dir>/operator-token.")
  String operatorToken;

  @Mixin PostgresOptions postgres;

  @Mixin io.storystream.common.logging.LogOptions logs;

  @Override
  public Integer call() throws Exception {
    logs.apply(true); // plain on a terminal, JSON for a log pipeline
    long t0 = System.nanoTime();
    dataDir = dataDir.toAbsolutePath().normalize();
    EmbeddedDefault system = new EmbeddedDefault(new EmbeddedDefault.Settings(dataDir, host, kafkaPort,
        kafkaControllerPort, s3Port, bucket, registryPort, partitions, ingressPort, adminPort, billingPort, standInPort,
        datastorybotUrl, datastorybotApiKey, operatorToken, managementPort, postgres.port,
        postgres.external() ? postgres.connection(dataDir) : null)).start();
    DemoTenant.Outcome demo;
    try {
      demo = DemoTenant.ensure(dataDir, system.operatorApi(), system.operatorToken());
    } catch (Exception e) {
      system.close();
      throw e;
    }
    CountDownLatch stopped = new CountDownLatch(1);
    Runtime.getRuntime().addShutdownHook(new Thread(() -> {
      System.out.println("storystream: shutting down");
      system.close();
      stopped.countDown();
    }, "storystream-shutdown"));
    printBanner(System.out, system, demo, TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - t0));
    stopped.await();
    return 0;
  }

  private void printBanner(PrintStream out, EmbeddedDefault system, DemoTenant.Outcome demo, long millis) {
    out.println();
    out.println("storystream is up in " + millis + " ms; data in " + dataDir);
    out.println("  tenant API          " + system.tenantApi() + "/v1");
    out.println("  operator API        " + system.operatorApi() + "/admin   (token "
        + (operatorToken == null || operatorToken.isBlank() ? "in " + dataDir.resolve("operator-token")
            : "from STORYSTREAM_OPERATOR_TOKEN") + ")");
    out.println("  billing read API    " + system.billingApi() + "   (billing or operator token)");
    out.println("  management          " + system.managementApi() + "   (/metrics, /health/ready)");
    out.println("  billing tables      " + system.postgres().jdbcUrl() + "  (user " + system.postgres().user()
        + (postgres.external() ? ")" : ", password in " + dataDir.resolve("postgres-password") + ")"));
    out.println("  DataStoryBot        " + system.datastorybot() + (system.usesStandIn() ? "  (local stand-in)" : ""));
    out.println("  Kafka bootstrap     " + system.kafka().bootstrapServers());
    out.println("  schema registry     " + system.registry().url());
    out.println("  S3 endpoint         " + system.s3().endpoint() + "  (bucket " + bucket + ")");
    out.println("  topics              " + system.topics().existing().size() + " existing, "
        + system.topics().created().size() + " created"
        + (system.topics().consistent() ? "" : ", " + system.topics().drifts().size() + " differ from the catalogue")
        + "; " + system.partitions() + " partitions per tenant-keyed topic");
    if (demo.apiKey() != null) {
      out.println("  demo tenant         created; its API key (shown once, also kept in " + demo.keyFile() + "):");
      out.println("                      " + demo.apiKey());
    } else {
      out.println("  demo tenant         its API key is in " + demo.keyFile());
    }
    out.println("  sample CSVs         " + demo.samples());
    out.println("Press Ctrl-C to stop.");
    out.flush();
  }

  public static void main(String[] args) {
    System.setProperty("org.apache.avro.SERIALIZABLE_PACKAGES", "io.storystream.schemas");
    CommandLine commandLine = new CommandLine(new StoryStream());
    commandLine.addSubcommand("billing", BillingCommand.commandLine());
    io.storystream.common.config.Durations.register(commandLine); // after every subcommand: picocli copies it down once
    commandLine.setExecutionExceptionHandler((e, line, parsed) -> {
      if (e instanceof UnusableSetting) {
        line.getErr().println("storystream: " + e.getMessage());
        return CommandLine.ExitCode.USAGE;
      }
      throw e;
    });
    int code = commandLine.execute(args);
    if (code != 0) {
      System.exit(code);
    }
  }
}
