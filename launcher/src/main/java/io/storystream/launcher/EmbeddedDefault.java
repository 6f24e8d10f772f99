package io.storystream.launcher;

import io.storystream.billing.BillingAccess;
import io.storystream.billing.BillingAggregator;
import io.storystream.billing.BillingConfig;
import io.storystream.billing.PriceBookPublisher;
import io.storystream.billing.tables.BillingSink;
import io.storystream.billing.tables.PostgresConnection;
import io.storystream.billing.tables.PostgresServer;
import io.storystream.common.config.PlatformOptions;
import io.storystream.common.config.TokenStrength;
import io.storystream.common.kafka.CrashedStreamsState;
import io.storystream.common.ops.Management;
import io.storystream.common.ops.ManagementServer;
import io.storystream.processor.ProcessorCommand;
import io.storystream.common.kafka.KafkaSettings;
import io.storystream.datastorybot.client.ApiKeySource;
import io.storystream.datastorybot.client.DataStoryBotConfig;
import io.storystream.datastorybot.standin.StandInConfig;
import io.storystream.datastorybot.standin.StandInServer;
import io.storystream.embedded.EmbeddedKafka;
import io.storystream.embedded.EmbeddedS3;
import io.storystream.embedded.registry.SchemaRegistryServer;
import io.storystream.ingress.IngressConfig;
import io.storystream.ingress.IngressSecrets;
import io.storystream.ingress.IngressService;
import io.storystream.processor.ProcessorTopics;
import io.storystream.processor.admission.AdmissionService;
import io.storystream.processor.worker.WorkerConfig;
import io.storystream.processor.worker.WorkerService;
import io.storystream.schemas.registry.HttpSchemaRegistryClient;
import io.storystream.schemas.topics.TopicCatalogue;
import io.storystream.schemas.topics.TopicSerdes;
import java.net.URI;
import java.nio.file.Path;
import java.time.Clock;
import java.util.ArrayDeque;
import java.util.Deque;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import io.storystream.embedded.FreePorts;
import org.apache.kafka.clients.admin.Admin;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The whole system in one JVM with its data under one folder: a real KRaft broker, S3Proxy on the file system, the
 * schema-registry endpoint, PostgreSQL for the billing tables and the topic catalogue; then the DataStoryBot stand-in (unless a real DataStoryBot is
 * configured), the billing aggregator and its sink into the billing tables, the processor (admission and worker) and the ingress. Started in dependency
 * order and closed in the reverse order, so every service drains before the infrastructure under it goes away.
 */
public final class EmbeddedDefault implements AutoCloseable {
  private static final Logger log = LoggerFactory.getLogger(EmbeddedDefault.class);

  /**
   * Where everything listens and lives. Port 0 picks a free port (tests).
   *
   * @param datastorybotUrl a real DataStoryBot; null or blank starts the stand-in on {@code standInPort}
   * @param operatorToken the operator API's token; null reads or creates {@code <dataDir>/operator-token}
   * @param postgresPort where the embedded PostgreSQL of the billing tables listens (127.0.0.1)
   * @param postgres an existing PostgreSQL for the billing tables; null starts one under {@code <dataDir>/postgres}
   */
  public record Settings(Path dataDir, String host, int kafkaPort, int kafkaControllerPort, int s3Port,
                         String bucket, int registryPort, int tenantPartitions, int ingressPort, int adminPort,
                         int billingPort, int standInPort, String datastorybotUrl, String datastorybotApiKey,
                         String operatorToken, int managementPort, int postgresPort, PostgresConnection postgres) {
    /** The settings without the billing tables' options: PostgreSQL on its default port, started here. */
    public Settings(Path dataDir, String host, int kafkaPort, int kafkaControllerPort, int s3Port, String bucket,
                    int registryPort, int tenantPartitions, int ingressPort, int adminPort, int billingPort,
                    int standInPort, String datastorybotUrl, String datastorybotApiKey, String operatorToken,
                    int managementPort) {
      this(dataDir, host, kafkaPort, kafkaControllerPort, s3Port, bucket, registryPort, tenantPartitions, ingressPort,
          adminPort, billingPort, standInPort, datastorybotUrl, datastorybotApiKey, operatorToken, managementPort,
          PostgresServer.DEFAULT_PORT, null);
    }

    boolean usesStandIn() {
      return datastorybotUrl == null || datastorybotUrl.isBlank();
    }
  }

  private final Settings settings;
  private final Deque<Stage> stages = new ArrayDeque<>();
  private final Starter starter = new Starter();
  private final StartedFlag started = new StartedFlag();
  private EmbeddedKafka kafka;
  private EmbeddedS3 s3;
  private SchemaRegistryServer registry;
  private TopicCatalogue.Report topics;
  /** The tenant-keyed topics' partition count: the data folder's, or the one chosen for a new folder. */
  private int partitions;
  private StandInServer standIn;
  private BillingAggregator billing;
  private PostgresConnection postgres;
  private IngressService ingress;
  private WorkerService worker;
  private ManagementServer managementServer;
  private final Management management = new Management();
  private URI datastorybot;
  private String operatorToken;

  private record Stage(String name, AutoCloseable component) {}

  /**
   * The broker's settings here, where it is alone and its own controller. A controller keeps a crashed broker's
   * registration alive for a whole session after it restarts, refusing the restarted broker until then
   * (DUPLICATE_BROKER_REGISTRATION): measured after kill -9, 10 s of refusals with the defaults (a 9 s session,
   * 2 s heartbeats). The controller is in the same JVM, so its heartbeats need no network, and a heartbeat that
   * waits too long in an overloaded controller's queue still counts as contact (Kafka logs it as "controller event
   * queue overloaded" and does not fence): a 3 s session is lost only if no heartbeat arrives at all for 3 s, with
   * beats every second. (Beats every 500 ms were tried first; at load 90 they expired in the queue often enough to
   * fill the log with those messages.)
   */
  static final Map<String, String> BROKER_ALONE = Map.of(
      "broker.session.timeout.ms", "3000",
      "broker.heartbeat.interval.ms", "1000");

  /** Whether {@link #start()} has finished; the process is not ready before (a readiness check). */
  private static final class StartedFlag {
    private volatile boolean ready;

    boolean isReady() {
      return ready;
    }

    void ready() {
      ready = true;
    }
  }

  public EmbeddedDefault(Settings settings) {
    this.settings = settings;
  }

  public EmbeddedDefault start() throws Exception {
    // until every service has started, the process is not ready, whichever of their checks exist yet
    management.readiness("embedded.started", started::isReady);
    try {
      startInfrastructure();
      startServices();
      started.ready();
      return this;
    } catch (Exception e) {
      starter.awaitAll(); // a part still starting would otherwise be left running after close()
      close();
      throw e;
    } finally {
      starter.shutdown();
    }
  }

  private void startInfrastructure() throws Exception {
    // S3 and PostgreSQL need nothing from the broker: they start while it loads its logs (after a crash the broker
    // alone takes the longest), instead of one after the other
    Future<EmbeddedS3> s3Started = starter.submit(() -> stage("S3",
        new EmbeddedS3(settings.dataDir().resolve("s3"), settings.s3Port(), settings.bucket()).start()));
    Future<PostgresConnection> postgresStarted = settings.postgres() != null
        ? CompletableFuture.completedFuture(settings.postgres())
        : starter.submit(() -> stage("PostgreSQL",
            new PostgresServer(settings.dataDir(), settings.postgresPort()).start()).connection());
    kafka = stage("Kafka broker", new EmbeddedKafka(settings.dataDir().resolve("kafka"), settings.kafkaPort(),
        settings.kafkaControllerPort(), BROKER_ALONE).start());
    registry = stage("schema registry", new SchemaRegistryServer(settings.host(), settings.registryPort(),
        kafka.bootstrapServers(), (short) 1).start());
    try (Admin admin = Admin.create(Map.of("bootstrap.servers", kafka.bootstrapServers()))) {
      partitions = EmbeddedPartitions.choose(EmbeddedPartitions.existing(admin), settings.tenantPartitions());
      topics = ProcessorTopics.catalogue(partitions, (short) 1).ensure(admin);
      EmbeddedPartitions.requireSamePartitions(topics);
    }
    // the Streams applications have not started yet, and the broker's lock on the data folder keeps out any other
    // process: a crash's uncheckpointed task state, which exactly-once would wipe anyway, can go before it is opened
    CrashedStreamsState.discard(settings.dataDir().resolve("streams"));
    // the broker shares this JVM, so a kill -9 of it is a broker crash, which can leave hanging transactions
    stage("hanging-transaction sweeper", new HangingTransactions(kafka.bootstrapServers(), Clock.systemUTC()).start());
    s3 = Starter.result(s3Started);
    postgres = Starter.result(postgresStarted);
  }

  private void startServices() throws Exception {
    KafkaSettings kafkaSettings = new KafkaSettings(kafka.bootstrapServers(), registry.url(), partitions, (short) 1);
    PlatformOptions platform = PlatformOptions.of(kafkaSettings, s3.settings(), settings.dataDir());
    operatorToken = IngressSecrets.operatorToken(settings.operatorToken(), settings.dataDir());
    TokenStrength.requireStrong(operatorToken, "the operator token (STORYSTREAM_OPERATOR_TOKEN)");
    // one management port for every service of this process, on the same loopback address as everything else
    managementServer = stage("management port", ManagementServer.start(settings.host(), settings.managementPort(),
        management, operatorToken)); // the operator's token also reads the metrics

    ApiKeySource datastorybotKey;
    if (settings.usesStandIn()) {
      StandInConfig standInConfig = StandInConfig.defaults();
      standIn = stage("DataStoryBot stand-in", StandInServer.start(new StandInConfig(settings.host(),
          settings.standInPort(), Set.of(), standInConfig.latency(), standInConfig.maxUploadBytes(),
          standInConfig.containerTtl(), standInConfig.clock())));
      datastorybot = standIn.baseUri();
      datastorybotKey = ApiKeySource.none();
    } else {
      datastorybot = URI.create(settings.datastorybotUrl());
      datastorybotKey = settings.datastorybotApiKey() == null || settings.datastorybotApiKey().isBlank()
          ? ApiKeySource.fromEnv() : ApiKeySource.of(settings.datastorybotApiKey());
    }

    try (PriceBookPublisher prices = new PriceBookPublisher(kafkaSettings)) {
      if (prices.publishDefaultIfNone()) {
        log.info("published the default price book");
      }
    }
    // the ingress and the aggregator share the data folder, so they read the same billing token from it
    String billingToken = IngressSecrets.billingToken(null, settings.dataDir());
    // chosen here, not by the aggregator, so the ingress can be given it while the aggregator is still starting
    int billingPort = FreePorts.orPick(settings.billingPort());
    io.storystream.processor.ProcessorMetrics processorMetrics =
        new io.storystream.processor.ProcessorMetrics(management.registry());
    // The services are independent of each other (each its own consumer groups, as in the multi-process
    // deployment), and most of a Streams application's start is waiting: for its group, its offsets, its
    // changelogs (restored in full after a crash under exactly-once). So they start side by side and wait together.
    Future<BillingAggregator> billingStarted = starter.submit(() -> {
      BillingAggregator aggregator = stage("billing aggregator", new BillingAggregator(
          BillingConfig.of(kafkaSettings, settings.dataDir()).withHttpPort(billingPort))
          .withAccess(new BillingAccess(billingToken, operatorToken)).withManagement(management).start());
      stage("billing sink", new BillingSink(kafkaSettings,
          new TopicSerdes(new HttpSchemaRegistryClient(registry.url())), postgres).meters(management.registry()).start());
      return aggregator;
    });
    Future<AdmissionService> admissionStarted = starter.submit(() -> stage("processor admission",
        new AdmissionService(kafkaSettings, settings.dataDir()).withMetrics(processorMetrics).start()));
    Future<WorkerService> workerStarted = starter.submit(() -> {
      WorkerService started = stage("processor worker", new WorkerService(WorkerConfig.of(kafkaSettings,
          s3.settings(), DataStoryBotConfig.defaults(datastorybot, datastorybotKey), settings.dataDir(),
          WorkerConfig.DEFAULT_MAX_IN_FLIGHT)).withMetrics(processorMetrics).start());
      stage("webhook dispatcher", new io.storystream.processor.webhooks.WebhookDispatcher(
          io.storystream.processor.webhooks.WebhookDispatcher.Config.of(kafkaSettings, "embedded"),
          new io.storystream.schemas.registry.HttpSchemaRegistryClient(kafkaSettings.registryUrl()),
          io.storystream.common.webhooks.WebhookTargets.fromEnvironment(), Clock.systemUTC())
          .withMetrics(processorMetrics).start());
      return started;
    });
    IngressService startedIngress = new IngressService(new IngressConfig(platform, settings.host(),
        settings.ingressPort(), settings.adminPort(), settings.host(), operatorToken,
        IngressSecrets.pepper(null, null, settings.dataDir()), "http://" + settings.host() + ":" + billingPort,
        Clock.systemUTC())).withManagement(management).withBillingToken(billingToken).start();
    AdmissionService admission;
    try {
      billing = Starter.result(billingStarted);
      admission = Starter.result(admissionStarted);
      worker = Starter.result(workerStarted);
    } finally {
      // recorded after the others whatever the order they finished in, so it is the first to stop: no request is
      // taken any more while the services behind it drain
      ingress = stage("ingress", startedIngress);
    }
    ProcessorCommand.register(management, admission, worker);
  }

  /** Records a started part, to be closed before everything started earlier (called from the starting threads). */
  private <T extends AutoCloseable> T stage(String name, T component) {
    synchronized (stages) {
      stages.push(new Stage(name, component));
    }
    return component;
  }

  public EmbeddedKafka kafka() {
    return kafka;
  }

  /** The DataStoryBot worker of this process (tests look at its jobs in flight). */
  public WorkerService worker() {
    return worker;
  }

  public EmbeddedS3 s3() {
    return s3;
  }

  public SchemaRegistryServer registry() {
    return registry;
  }

  /** The tenant-keyed topics' partition count in use (see {@link EmbeddedPartitions}). */
  public int partitions() {
    return partitions;
  }

  public TopicCatalogue.Report topics() {
    return topics;
  }

  public String tenantApi() {
    return "http://" + settings.host() + ":" + ingress.ingressPort();
  }

  public String operatorApi() {
    return "http://" + settings.host() + ":" + ingress.adminPort();
  }

  public String billingApi() {
    return "http://" + settings.host() + ":" + billing.port();
  }

  /** The management port: /metrics, /health/live and /health/ready of every service in this JVM. */
  public String managementApi() {
    return "http://" + settings.host() + ":" + managementServer.port();
  }

  public Management management() {
    return management;
  }

  /** Where the billing tables are (the embedded PostgreSQL unless an existing server was configured). */
  public PostgresConnection postgres() {
    return postgres;
  }

  public URI datastorybot() {
    return datastorybot;
  }

  /** The DataStoryBot stand-in, when this system runs one (null with a real DataStoryBot). */
  public StandInServer standIn() {
    return standIn;
  }

  public boolean usesStandIn() {
    return standIn != null;
  }

  public String operatorToken() {
    return operatorToken;
  }

  @Override
  public synchronized void close() {
    while (true) {
      Stage stage;
      synchronized (stages) {
        if (stages.isEmpty()) {
          break;
        }
        stage = stages.pop();
      }
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
