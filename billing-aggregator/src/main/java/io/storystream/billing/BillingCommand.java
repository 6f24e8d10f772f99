package io.storystream.billing;

import io.storystream.common.billing.api.PriceBookDocument;
import io.storystream.billing.tables.BillingSink;
import io.storystream.billing.tables.PostgresOptions;
import io.storystream.common.config.PlatformOptions;
import io.storystream.common.config.TokenStrength;
import io.storystream.common.kafka.KafkaPreflight;
import io.storystream.common.kafka.KafkaSettings;
import io.storystream.common.ops.Management;
import io.storystream.common.ops.ManagementOptions;
import io.storystream.common.ops.ManagementServer;
import io.storystream.schemas.PriceBook;
import io.storystream.schemas.Statement;
import io.storystream.schemas.registry.HttpSchemaRegistryClient;
import io.storystream.schemas.topics.TopicSerdes;
import io.storystream.schemas.topics.Topics;
import java.io.PrintStream;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.concurrent.Callable;
import java.util.concurrent.CountDownLatch;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;

/**
 * {@code storystream-billing}: the billing aggregator and its operator tools. Every flag has an environment
 * variable of the same name ({@code --billing-port} ↔ {@code STORYSTREAM_BILLING_PORT}).
 */
@Command(name = "storystream-billing", mixinStandardHelpOptions = true, version = "storystream-billing 0.1.0",
    description = "Usage events → monthly statements: the aggregator, price books, replay and a statement tail.",
    subcommands = {BillingCommand.Run.class, BillingCommand.PublishPriceBook.class, BillingCommand.Replay.class,
        BillingCommand.TailStatements.class, BillingCommand.Sink.class})
public final class BillingCommand implements Runnable {

  @Override
  public void run() {
    new CommandLine(this).usage(System.out);
  }

  public static void main(String[] args) {
    System.exit(commandLine().execute(args));
  }

  public static CommandLine commandLine() {
    return io.storystream.common.config.Durations.register(new CommandLine(new BillingCommand()));
  }

  @Command(name = "run", mixinStandardHelpOptions = true, description = "Runs the billing aggregator and its read API.")
  static final class Run implements Callable<Integer> {
    @Mixin PlatformOptions platform;

    @Mixin io.storystream.common.logging.LogOptions logs;

    @Mixin ManagementOptions managementOptions;

    @Option(names = "--billing-token", defaultValue = "${env:STORYSTREAM_BILLING_TOKEN}",
        description = "Token the ingress relay presents (env STORYSTREAM_BILLING_TOKEN; unset: "
            + "<data-dir>/billing-token).")
    String billingToken;

    @Option(names = "--operator-token", defaultValue = "${env:STORYSTREAM_OPERATOR_TOKEN}",
        description = "The operator token, also accepted by the read API (env STORYSTREAM_OPERATOR_TOKEN; unset: "
            + "<data-dir>/operator-token when it exists).")
    String operatorToken;

    @Option(names = "--billing-host", defaultValue = "${env:STORYSTREAM_BILLING_HOST:-127.0.0.1}",
        description = "Address of the read API (env STORYSTREAM_BILLING_HOST; default ${DEFAULT-VALUE}).")
    String host;

    @Option(names = "--billing-port", defaultValue = "${env:STORYSTREAM_BILLING_PORT:-8083}",
        description = "Port of the read API (env STORYSTREAM_BILLING_PORT; default ${DEFAULT-VALUE}).")
    int port;

    @Option(names = "--billing-grace", defaultValue = "${env:STORYSTREAM_BILLING_GRACE:-48h}",
        description = "How long after a month's end its usage still counts (env STORYSTREAM_BILLING_GRACE).")
    Duration grace;

    @Option(names = "--billing-statement-interval", defaultValue = "${env:STORYSTREAM_BILLING_STATEMENT_INTERVAL:-200ms}",
        description = "How often changed statements are issued (env STORYSTREAM_BILLING_STATEMENT_INTERVAL).")
    Duration interval;

    @Option(names = "--billing-application-id",
        defaultValue = "${env:STORYSTREAM_BILLING_APPLICATION_ID:-" + BillingConfig.DEFAULT_APPLICATION_ID + "}",
        description = "Kafka Streams application id (env STORYSTREAM_BILLING_APPLICATION_ID).")
    String applicationId;

    @Option(names = "--clock-offset", hidden = true, defaultValue = "${env:STORYSTREAM_CLOCK_OFFSET:-0s}",
        converter = io.storystream.common.config.Durations.SignedConverter.class,
        description = "Shifts the wall clock that decides which month is current and which months are final "
            + "(tests pinning 'now', month-end rehearsals on a copy of the data). Never set in production.")
    Duration clockOffset;

    @picocli.CommandLine.Spec picocli.CommandLine.Model.CommandSpec spec;

    @Override
    public Integer call() throws Exception {
      logs.apply(false);
      KafkaSettings kafka;
      try {
        kafka = platform.checkedKafka();
      } catch (KafkaPreflight.KafkaUnavailableException e) {
        spec.commandLine().getErr().println("billing aggregator not started: " + e.getMessage());
        spec.commandLine().getErr().flush();
        return 2;
      }
      BillingConfig config = new BillingConfig(kafka, platform.dataDir, host, port, applicationId, grace,
          interval, java.time.Clock.offset(java.time.Clock.systemUTC(), clockOffset));
      BillingAccess access = BillingAccess.givenOrStored(billingToken, operatorToken,
          platform.dataDir.toAbsolutePath());
      for (String token : new String[] {access.billingToken(), access.operatorToken()}) {
        if (token != null) {
          TokenStrength.requireStrong(token, token.equals(access.billingToken())
              ? "the billing token (STORYSTREAM_BILLING_TOKEN)" : "the operator token (STORYSTREAM_OPERATOR_TOKEN)");
        }
      }
      Management management = managementOptions.management();
      ManagementServer managementServer = managementOptions.start(management, platform.dataDir);
      BillingAggregator aggregator;
      try {
        aggregator = new BillingAggregator(config).withAccess(access).withManagement(management).start();
      } catch (Exception e) {
        managementServer.close();
        throw e;
      }
      CountDownLatch stopped = new CountDownLatch(1);
      Runtime.getRuntime().addShutdownHook(new Thread(() -> {
        aggregator.close();
        managementServer.close();
        stopped.countDown();
      }, "billing-shutdown"));
      System.out.println("billing aggregator running; read API on http://" + host + ":" + aggregator.port());
      stopped.await();
      return 0;
    }
  }

  @Command(name = "publish-price-book", mixinStandardHelpOptions = true,
      description = "Validates a price book (JSON or YAML), prints the per-tenant old → new totals it re-rates, "
          + "and publishes it.")
  static final class PublishPriceBook implements Callable<Integer> {
    @Mixin PlatformOptions platform;

    @Parameters(index = "0", paramLabel = "<file>", description = "the price-book document, .json or .yaml")
    Path file;

    @Option(names = "--dry-run", description = "validate and print the re-rating table, publish nothing")
    boolean dryRun;

    @Override
    public Integer call() {
      PrintStream out = System.out;
      try {
        PriceBookDocument doc = PriceBookFormat.read(file);
        List<String> errors = PriceBookValidator.standard().errors(doc);
        if (!errors.isEmpty()) {
          throw InvalidPriceBookException.of(errors); // before touching Kafka
        }
        return publish(doc, out);
      } catch (InvalidPriceBookException e) {
        System.err.println("price book not published:");
        e.errors().forEach(err -> System.err.println("  - " + err));
        return 2;
      }
    }

    private int publish(PriceBookDocument doc, PrintStream out) {
      try (PriceBookPublisher publisher = new PriceBookPublisher(platform.kafka())) {
        var published = publisher.published();
        if (PriceBookValidator.standard().check(doc, published)) {
          out.println("price book v" + doc.version() + " is already published with these prices; nothing to do");
          return 0;
        }
        PriceBook next = doc.toPriceBook(java.time.Instant.now());
        Map<String, Statement> latest = StatementLog.latest(platform.kafka(),
            new TopicSerdes(new HttpSchemaRegistryClient(platform.registryUrl)), Topics.BILLING_STATEMENTS.name());
        ReRatingReport.of(latest, published, next).print(out, next.getCurrency());
        if (dryRun) {
          out.println("dry run: price book v" + doc.version() + " is valid and was not published");
          return 0;
        }
        publisher.publish(doc);
        out.println("published price book v" + doc.version() + "; the aggregator issues the new revisions");
        return 0;
      }
    }
  }

  @Command(name = "replay", mixinStandardHelpOptions = true,
      description = "Rebuilds every statement from the usage log under a fresh application id and compares them "
          + "with the live statements. Exit code 0 when identical, 1 when they differ.")
  static final class Replay implements Callable<Integer> {
    @Mixin PlatformOptions platform;

    @Option(names = "--billing-grace", defaultValue = "${env:STORYSTREAM_BILLING_GRACE:-48h}")
    Duration grace;

    @Option(names = "--settle", defaultValue = "30s",
        description = "how long to keep comparing once caught up, while the live side catches up")
    Duration settle;

    @Option(names = "--keep-output", description = "keep the replay's statement topic")
    boolean keep;

    @Override
    public Integer call() throws Exception {
      BillingReplay.Result result = new BillingReplay(platform.kafka(), platform.dataDir,
          new HttpSchemaRegistryClient(platform.registryUrl), grace).run(settle, keep);
      result.print(System.out);
      return result.identical() ? 0 : 1;
    }
  }

  @Command(name = "tail-statements", mixinStandardHelpOptions = true,
      description = "A downstream consumer: prints one line per new statement revision on billing-statements.")
  static final class TailStatements implements Callable<Integer> {
    @Mixin PlatformOptions platform;

    @Option(names = "--from-beginning", description = "start with the revisions already on the topic")
    boolean fromBeginning;

    @Option(names = "--max", defaultValue = "0", description = "stop after this many lines (0: run until stopped)")
    long max;

    @Override
    public Integer call() {
      StatementTail tail = new StatementTail(platform.kafka(),
          new TopicSerdes(new HttpSchemaRegistryClient(platform.registryUrl)));
      Runtime.getRuntime().addShutdownHook(new Thread(tail::stop, "tail-shutdown"));
      tail.run(fromBeginning, max, System.out);
      return 0;
    }
  }

  @Command(name = "sink", mixinStandardHelpOptions = true,
      description = "Copies billing-statements into the PostgreSQL billing tables (exactly once in effect: offsets "
          + "are stored in the same transaction as the rows). Creates or migrates the tables first.")
  static final class Sink implements Callable<Integer> {
    @Mixin PlatformOptions platform;
    @Mixin PostgresOptions postgres;
    @Mixin ManagementOptions managementOptions;

    @Override
    public Integer call() throws Exception {
      // readiness and metrics on the management port: /health/ready reports billing.sink (copying)
      Management management = managementOptions.management();
      ManagementServer managementServer = managementOptions.start(management, platform.dataDir);
      BillingSink sink;
      try {
        sink = new BillingSink(platform.kafka(),
            new TopicSerdes(new HttpSchemaRegistryClient(platform.registryUrl)), postgres.connection(platform.dataDir))
            .meters(management.registry()).start();
      } catch (Exception e) {
        managementServer.close();
        throw e;
      }
      management.readiness("billing.sink", sink::copying);
      CountDownLatch stopped = new CountDownLatch(1);
      Runtime.getRuntime().addShutdownHook(new Thread(() -> {
        sink.close();
        managementServer.close();
        stopped.countDown();
      }, "billing-sink-shutdown"));
      System.out.println("billing sink running");
      stopped.await();
      return 0;
    }
  }
}
