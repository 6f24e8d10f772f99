package io.storystream.ingress;

import io.storystream.ingress.jobs.JobMetrics;
import io.storystream.common.blob.BlobStore;
import io.storystream.common.config.TokenStrength;
import io.storystream.common.kafka.CrashedStreamsState;
import io.storystream.common.ops.Management;
import io.storystream.common.webhooks.WebhookTargets;
import io.storystream.ingress.admin.AdminRoutes;
import io.storystream.ingress.audit.AuditLog;
import io.storystream.ingress.audit.AuditRoutes;
import io.storystream.ingress.audit.AuditTrail;
import io.storystream.ingress.auth.ApiKeyCodec;
import io.storystream.ingress.auth.Directory;
import io.storystream.ingress.auth.EdgeRateLimiter;
import io.storystream.ingress.billing.BillingOperatorRelay;
import io.storystream.ingress.billing.BillingRelay;
import io.storystream.ingress.billing.QuotaBook;
import io.storystream.ingress.dashboard.DashboardRoutes;
import io.storystream.ingress.embed.EmbedRoutes;
import io.storystream.ingress.embed.EmbedSettings;
import io.storystream.ingress.embed.EmbedTokens;
import io.storystream.ingress.files.FileCatalog;
import io.storystream.ingress.files.FileRoutes;
import io.storystream.ingress.http.ApiServer;
import io.storystream.ingress.http.Gate;
import io.storystream.ingress.http.HttpMetrics;
import io.storystream.ingress.http.OpenApiDocument;
import io.storystream.ingress.http.OpsRoutes;
import io.storystream.ingress.http.Route;
import io.storystream.ingress.http.TransferSlots;
import io.storystream.ingress.jobs.AnalysisRoutes;
import io.storystream.ingress.jobs.JobRouter;
import io.storystream.ingress.jobs.JobStatusView;
import io.storystream.ingress.kafka.EventPublisher;
import io.storystream.ingress.kafka.TopicMirror;
import io.storystream.ingress.lifecycle.TenantLifecycle;
import io.storystream.ingress.webhooks.WebhookBook;
import io.storystream.ingress.webhooks.WebhookRoutes;
import io.storystream.schemas.registry.HttpSchemaRegistryClient;
import io.storystream.schemas.topics.TopicCatalogue;
import io.storystream.schemas.topics.TopicSerdes;
import io.storystream.schemas.topics.Topics;
import java.time.Duration;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.Deque;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;
import java.util.function.BooleanSupplier;
import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.streams.state.HostInfo;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * One ingress instance: the tenant API ({@code /v1}, default port 8080) and the operator API ({@code /admin}, default
 * port 8082), in front of local copies of the directory (tenants, keys), the file catalogue and the audit log, and
 * the job-status view (Kafka Streams). {@link #start()} returns once the copies have caught up and both servers
 * listen; {@link #close()} stops everything in reverse order.
 */
public final class IngressService implements AutoCloseable {
  private static final Logger log = LoggerFactory.getLogger(IngressService.class);

  private final IngressConfig config;
  private final List<IngressExtension> extensions;
  private final Deque<AutoCloseable> started = new ArrayDeque<>();
  private IngressParts parts;
  private ApiServer tenantApi;
  private ApiServer operatorApi;
  private JobStatusView jobs;
  private Management management = new Management();
  private String billingToken;

  /** An ingress with the standard extensions: the tenant lifecycle (provisioning, erasure, retention sweep). */
  public IngressService(IngressConfig config) {
    this(config, List.of(TenantLifecycle.standard(config)));
  }

  public IngressService(IngressConfig config, List<IngressExtension> extensions) {
    this.config = config;
    this.extensions = List.copyOf(extensions);
  }

  /**
   * Records metrics and registers readiness checks ({@code ingress.*}) in this process's management registry
   * (call before {@link #start()}; by default the service has a registry of its own that nothing serves).
   */
  public IngressService withManagement(Management processManagement) {
    this.management = processManagement;
    return this;
  }

  /**
   * The token presented to the billing read API (call before {@link #start()}); by default the one in
   * {@code <data-dir>/billing-token}, created on first use, which a billing aggregator sharing the data folder reads.
   */
  public IngressService withBillingToken(String token) {
    this.billingToken = token;
    return this;
  }

  public IngressService start() throws Exception {
    long t0 = System.nanoTime();
    TokenStrength.requireStrong(config.operatorToken(), "the operator token (STORYSTREAM_OPERATOR_TOKEN)");
    String relayToken = billingToken != null ? billingToken
        : IngressSecrets.billingToken(null, config.platform().dataDir.toAbsolutePath());
    try {
      var kafka = config.platform().kafka();
      try (Admin admin = Admin.create(kafka.admin())) {
        TopicCatalogue.standard(kafka.tenantPartitions(), kafka.replicationFactor()).ensure(admin);
      }
      // tenant content in every topic this instance reads or writes is sealed under the tenant's data key
      var keys = closeLater(io.storystream.common.crypto.Keyrings.acquire(kafka, config.platform().dataDir));
      TopicSerdes serdes = new TopicSerdes(new HttpSchemaRegistryClient(kafka.registryUrl()));
      // no upload or export lands under an erased tenant's prefix once this instance knows of the erasure
      BlobStore blobs = closeLater(new BlobStore(config.platform().s3())).fenceWrites(key -> {
        String tenant = BlobStore.tenantOfKey(key);
        return tenant != null && keys.keyring().isErased(tenant);
      });
      blobs.ensureBucket();
      ApiKeyCodec codec = new ApiKeyCodec(config.pepper());
      EventPublisher publisher = closeLater(new EventPublisher(kafka, serdes, "ingress"));
      closeLater(publisher.bindMetrics(management.registry())); // closed before the producer (last in, first out)

      Directory directory = new Directory(serdes, codec, config.clock());
      FileCatalog files = new FileCatalog(serdes);
      AuditLog auditLog = new AuditLog(serdes, kafka);
      var registry = management.registry(); // every mirror's consumer metrics too (kafka_consumer_*)
      TopicMirror directoryMirror = closeLater(new TopicMirror("directory", kafka,
          List.of(Topics.TENANTS.name(), Topics.API_KEYS.name()), directory).meters(registry).start());
      TopicMirror fileMirror = closeLater(new TopicMirror("files", kafka, List.of(Topics.FILES.name()), files)
          .meters(registry).start());
      files.followedBy(fileMirror);
      TopicMirror auditMirror = closeLater(new TopicMirror("audit", kafka, List.of(Topics.AUDIT.name()), auditLog)
          .meters(registry).start());
      WebhookBook webhooks = new WebhookBook(serdes);
      TopicMirror webhookMirror = closeLater(new TopicMirror("webhooks", kafka,
          List.of(Topics.WEBHOOKS.name(), Topics.WEBHOOK_DELIVERIES.name()), webhooks).meters(registry).start());
      QuotaBook quotas = new QuotaBook(serdes);
      TopicMirror quotaMirror = closeLater(new TopicMirror("quota", kafka, List.of(Topics.QUOTA_USAGE.name()), quotas)
          .meters(registry).start());
      publisher.mirrorInto(Topics.TENANTS, directoryMirror);
      publisher.mirrorInto(Topics.API_KEYS, directoryMirror);
      publisher.mirrorInto(Topics.FILES, fileMirror);

      // the tenant port must be known before the Streams instance advertises it
      int ingressPort = config.ingressPort() == 0 ? pickPort() : config.ingressPort();
      HostInfo self = new HostInfo(config.advertisedHost(), ingressPort);
      JobMetrics jobMetrics = new JobMetrics(management.registry(), directory, quotas, config.clock());
      management.beforeScrape(jobMetrics::refresh);
      // after kill -9: the crash's uncheckpointed task state, which exactly-once would open and then wipe, goes first
      CrashedStreamsState.discardUnlessInUse(config.platform().dataDir.resolve("streams"),
          JobStatusView.APPLICATION_ID);
      jobs = closeLater(new JobStatusView(kafka, serdes, config.platform().dataDir, self)
          .withMetrics(jobMetrics, management.registry()).start());

      AuditTrail auditTrail = closeLater(new AuditTrail(publisher, config.clock()));
      parts = new IngressParts(directory, files, jobs, blobs, publisher, auditTrail, auditLog, codec, config.clock(),
          keys.keyring());
      EmbedSettings embedSettings = EmbedSettings.fromEnvironment();
      EmbedTokens embedTokens = new EmbedTokens(directory, codec, embedSettings, config.clock());
      Gate gate = new Gate(directory, directoryMirror::ready, new EdgeRateLimiter(), codec, config.operatorToken(),
          config.advertisedHost() + ":" + ingressPort, config.clock(), embedTokens);
      HttpMetrics metrics = new HttpMetrics(management);
      BillingRelay billingRelay = new BillingRelay(config.billingUrl(), relayToken, quotas);
      AuditRoutes audit = new AuditRoutes(auditLog, directory);

      List<Route> operatorRoutes = new ArrayList<>(new AdminRoutes(directory, publisher, codec, auditLog,
          config.clock()).routes());
      operatorRoutes.add(audit.operatorRoute());
      operatorRoutes.addAll(billingRelay.operatorRoutes());
      operatorRoutes.addAll(new BillingOperatorRelay(config.billingUrl(), relayToken).routes());
      List<Route> tenantRoutes = new ArrayList<>();
      tenantRoutes.addAll(new FileRoutes(files, blobs, publisher, config.clock()).routes());
      tenantRoutes.addAll(new AnalysisRoutes(files, jobs, new JobRouter(jobs, gate), blobs, publisher, codec,
          config.clock()).routes());
      tenantRoutes.addAll(billingRelay.routes());
      tenantRoutes.addAll(new WebhookRoutes(webhooks, publisher, WebhookTargets.fromEnvironment(), config.clock())
          .routes());
      tenantRoutes.add(audit.tenantRoute());
      tenantRoutes.addAll(new EmbedRoutes(embedTokens).routes());
      tenantRoutes.addAll(new DashboardRoutes(embedSettings).routes());
      for (IngressExtension extension : extensions) {
        tenantRoutes.addAll(extension.tenantRoutes(parts));
        operatorRoutes.addAll(extension.operatorRoutes(parts));
      }

      Map<String, BooleanSupplier> readiness = new LinkedHashMap<>();
      readiness.put("kafka", () -> publisher.reachable(Topics.ANALYSIS_REQUESTS));
      readiness.put("s3", cached(() -> {
        blobs.client().headBucket(b -> b.bucket(blobs.bucket()));
        return true;
      }));
      readiness.put("directory", directoryMirror::ready);
      readiness.put("files", fileMirror::ready);
      readiness.put("audit", auditMirror::ready);
      readiness.put("quota", quotaMirror::ready);
      readiness.put("webhooks", webhookMirror::ready);
      readiness.put("jobs", jobs::ready);
      List<Route> served = new ArrayList<>(tenantRoutes);
      readiness.forEach((name, check) -> management.readiness("ingress." + name, check));
      // the document describes the routes as the servers serve them (with the gate's declarations)
      List<Route> ops = OpsRoutes.routes(readiness, () -> OpenApiDocument.build(tenantApi.routes(),
          operatorApi.routes(), "http://" + config.advertisedHost() + ":" + tenantApi.port(),
          "http://" + config.advertisedHost() + ":" + operatorApi.port()));
      served.addAll(ops);

      for (TopicMirror mirror : List.of(directoryMirror, fileMirror, auditMirror, quotaMirror,
          webhookMirror)) {
        if (!mirror.awaitCaughtUp(Duration.ofSeconds(60))) {
          throw new IllegalStateException("a local copy did not catch up within 60 s");
        }
      }
      operatorApi = closeLater(new ApiServer("operator", config.bindHost(), config.adminPort(), operatorRoutes, gate,
          auditTrail, metrics).start());
      tenantApi = closeLater(new ApiServer("tenant", config.bindHost(), ingressPort, served, gate, auditTrail,
          metrics).transfers(TransferSlots.standard()).start());
      for (IngressExtension extension : extensions) {
        extension.started(parts);
        closeLater((AutoCloseable) extension::close);
      }
      log.info("ingress ready in {} ms: tenant API on {}, operator API on {}",
          TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - t0), tenantApi.port(), operatorApi.port());
      return this;
    } catch (Exception e) {
      close();
      throw e;
    }
  }

  private static BooleanSupplier cached(BooleanSupplier check) {
    AtomicLong okUntil = new AtomicLong();
    return () -> {
      long now = System.nanoTime();
      if (now < okUntil.get()) {
        return true;
      }
      boolean ok;
      try {
        ok = check.getAsBoolean();
      } catch (RuntimeException e) {
        ok = false;
      }
      if (ok) {
        okUntil.set(now + TimeUnit.SECONDS.toNanos(5));
      }
      return ok;
    };
  }

  private static int pickPort() throws java.io.IOException {
    try (java.net.ServerSocket socket = new java.net.ServerSocket(0)) {
      return socket.getLocalPort();
    }
  }

  private <T extends AutoCloseable> T closeLater(T component) {
    started.push(component);
    return component;
  }

  public int ingressPort() {
    return tenantApi.port();
  }

  public int adminPort() {
    return operatorApi.port();
  }

  /** The registry this instance records into (the management port serves it). */
  public Management management() {
    return management;
  }

  public IngressParts parts() {
    return parts;
  }

  public ApiServer tenantApi() {
    return tenantApi;
  }

  public ApiServer operatorApi() {
    return operatorApi;
  }

  /** True when Kafka, S3 and every local copy and store are ready (what /health/ready reports). */
  public boolean ready() {
    return jobs != null && jobs.ready();
  }

  @Override
  public synchronized void close() {
    while (!started.isEmpty()) {
      AutoCloseable component = started.pop();
      try {
        component.close();
      } catch (Exception e) {
        log.warn("stopping {} failed: {}", component.getClass().getSimpleName(), e.toString());
      }
    }
  }
}
