package io.storystream.ingress;

import io.storystream.common.config.PlatformOptions;
import io.storystream.common.kafka.KafkaPreflight;
import io.storystream.common.ops.Management;
import io.storystream.common.ops.ManagementOptions;
import io.storystream.common.ops.ManagementServer;
import java.nio.file.Path;
import io.storystream.ingress.lifecycle.TenantLifecycle;
import java.time.Clock;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.Callable;
import java.util.concurrent.CountDownLatch;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;

/**
 * {@code ingress}: runs one ingress instance against a platform. Each flag has an environment variable of the same
 * name ({@code --ingress-port} ↔ {@code STORYSTREAM_INGRESS_PORT}).
 */
@Command(name = "ingress", mixinStandardHelpOptions = true,
    description = "Runs the storystream ingress: tenant API (/v1) and operator API (/admin).")
public final class IngressCommand implements Callable<Integer> {

  @Mixin io.storystream.common.logging.LogOptions logs;

  @Mixin
  PlatformOptions platform;

  @Mixin
  ManagementOptions management;

  @Option(names = "--bind-host", defaultValue = "${env:STORYSTREAM_BIND_HOST:-127.0.0.1}",
      description = "Address both APIs listen on (env STORYSTREAM_BIND_HOST; default ${DEFAULT-VALUE}).")
  String bindHost;

  @Option(names = "--ingress-port", defaultValue = "${env:STORYSTREAM_INGRESS_PORT:-8080}",
      description = "Tenant API port (env STORYSTREAM_INGRESS_PORT; default ${DEFAULT-VALUE}).")
  int ingressPort;

  @Option(names = "--admin-port", defaultValue = "${env:STORYSTREAM_ADMIN_PORT:-8082}",
      description = "Operator API port (env STORYSTREAM_ADMIN_PORT; default ${DEFAULT-VALUE}).")
  int adminPort;

  @Option(names = "--advertised-host", defaultValue = "${env:STORYSTREAM_ADVERTISED_HOST:-127.0.0.1}",
      description = "Host other ingress instances use to reach this one (env STORYSTREAM_ADVERTISED_HOST).")
  String advertisedHost;

  @Option(names = "--operator-token", defaultValue = "${env:STORYSTREAM_OPERATOR_TOKEN}",
      description = "Operator bearer token (env STORYSTREAM_OPERATOR_TOKEN; unset: <data-dir>/operator-token).")
  String operatorToken;

  @Option(names = "--pepper", defaultValue = "${env:STORYSTREAM_PEPPER}",
      description = "Secret mixed into key hashes, identical on every instance (env STORYSTREAM_PEPPER).")
  String pepper;

  @Option(names = "--pepper-file", defaultValue = "${env:STORYSTREAM_PEPPER_FILE}",
      description = "File holding the pepper (env STORYSTREAM_PEPPER_FILE; neither set: <data-dir>/pepper).")
  Path pepperFile;

  @Option(names = "--billing-url", defaultValue = "${env:STORYSTREAM_BILLING_URL:-http://127.0.0.1:8083}",
      description = "Billing aggregator read API (env STORYSTREAM_BILLING_URL; default ${DEFAULT-VALUE}).")
  String billingUrl;

  @Option(names = "--billing-token", defaultValue = "${env:STORYSTREAM_BILLING_TOKEN}",
      description = "Token presented to the billing read API, the same as the aggregator's "
          + "(env STORYSTREAM_BILLING_TOKEN; unset: <data-dir>/billing-token).")
  String billingToken;

  @Option(names = "--retention-sweep-interval",
      defaultValue = "${env:STORYSTREAM_RETENTION_SWEEP_INTERVAL:-PT1H}", converter = io.storystream.common.config.Durations.Converter.class,
      description = "How often files and results older than their plan's retention are removed, e.g. PT1H, 15m; "
          + "0 turns the sweep off (env STORYSTREAM_RETENTION_SWEEP_INTERVAL; default ${DEFAULT-VALUE}).")
  Duration retentionSweepInterval;

  /** The extensions these options describe: the tenant lifecycle with its sweep interval. */
  public List<IngressExtension> extensions(IngressConfig config) {
    return List.of(new TenantLifecycle(config.platform().kafka(), retentionSweepInterval, null));
  }

  /** The configuration these options describe (reads or creates the secrets in the data folder). */
  public IngressConfig config() throws Exception {
    Path dataDir = platform.dataDir.toAbsolutePath().normalize();
    return new IngressConfig(platform, bindHost, ingressPort, adminPort, advertisedHost,
        IngressSecrets.operatorToken(operatorToken, dataDir), IngressSecrets.pepper(pepper, pepperFile, dataDir),
        billingUrl, Clock.systemUTC());
  }

  @Override
  public Integer call() throws Exception {
    logs.apply(false);
    try {
      platform.checkedKafka();
    } catch (KafkaPreflight.KafkaUnavailableException e) {
      System.err.println("ingress not started: " + e.getMessage());
      return 2;
    }
    IngressConfig config = config();
    Management processManagement = management.management();
    ManagementServer managementServer = management.start(processManagement, platform.dataDir);
    IngressService service;
    try {
      service = new IngressService(config, extensions(config)).withManagement(processManagement)
          .withBillingToken(billingToken).start();
    } catch (Exception e) {
      managementServer.close();
      throw e;
    }
    CountDownLatch stopped = new CountDownLatch(1);
    Runtime.getRuntime().addShutdownHook(new Thread(() -> {
      service.close();
      managementServer.close();
      stopped.countDown();
    }, "ingress-shutdown"));
    System.out.println("ingress: tenant API http://" + bindHost + ":" + service.ingressPort()
        + ", operator API http://" + bindHost + ":" + service.adminPort() + ", management http://"
        + management.host + ":" + managementServer.port());
    stopped.await();
    return 0;
  }

  public static void main(String[] args) {
    System.setProperty("org.apache.avro.SERIALIZABLE_PACKAGES", "io.storystream.schemas");
    int code = new CommandLine(new IngressCommand()).execute(args);
    if (code != 0) {
      System.exit(code);
    }
  }
}
