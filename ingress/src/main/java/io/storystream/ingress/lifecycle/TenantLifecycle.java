package io.storystream.ingress.lifecycle;

import io.storystream.common.http.ProblemException;
import io.storystream.common.kafka.KafkaSettings;
import io.storystream.ingress.IngressConfig;
import io.storystream.ingress.IngressExtension;
import io.storystream.ingress.IngressParts;
import io.storystream.ingress.http.Attrs;
import io.storystream.ingress.http.Json;
import io.storystream.ingress.http.Route;
import io.storystream.ingress.kafka.EventPublisher;
import java.time.Clock;
import java.time.Duration;
import java.util.List;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.Producer;
import org.apache.kafka.clients.producer.ProducerConfig;
import software.amazon.awssdk.core.exception.SdkException;

/**
 * The operator's obligations toward tenants, on the ingress: provisioning in one call
 * ({@code POST /admin/tenants/{tenantId}/provision}), erasure ({@code DELETE /admin/tenants/{tenantId}} → the
 * receipt) and the retention sweep. Plugged in through {@link IngressExtension}; the ingress serves, documents and
 * audits these routes like its own.
 */
public final class TenantLifecycle implements IngressExtension {
  /** The processor's cache index (key tenantId:cacheKey); the ingress only ever writes tombstones to it. */
  public static final String CACHE_INDEX_TOPIC = "processor-cache-index";
  public static final Duration DEFAULT_SWEEP_INTERVAL = Duration.ofHours(1);

  private final KafkaSettings kafka;
  private final Duration sweepInterval;
  private final Clock sweepClock;
  private java.nio.file.Path exportTmpDir = java.nio.file.Path.of(System.getProperty("java.io.tmpdir"));
  private IngressParts parts;
  private Producer<String, byte[]> rawProducer;
  private Erasure erasure;
  private Provisioning provisioning;
  private RetentionSweep sweep;
  private io.storystream.ingress.export.TenantExports exports;
  private io.storystream.ingress.export.ExportRoutes exportRoutes;

  /**
   * @param sweepInterval how often the retention sweep runs (zero or negative: never on its own)
   * @param sweepClock the retention sweep's time (null: the ingress's clock); tests move it forward
   */
  public TenantLifecycle(KafkaSettings kafka, Duration sweepInterval, Clock sweepClock) {
    this.kafka = kafka;
    this.sweepInterval = sweepInterval;
    this.sweepClock = sweepClock;
  }

  /** The standard lifecycle of an ingress: hourly sweeps on the ingress's clock. */
  public static TenantLifecycle standard(IngressConfig config) {
    return new TenantLifecycle(config.platform().kafka(), DEFAULT_SWEEP_INTERVAL, null)
        .exportsIn(config.platform().dataDir.resolve("export-tmp"));
  }

  @Override
  public synchronized List<Route> tenantRoutes(IngressParts parts) {
    wire(parts);
    return exportRoutes.tenantRoutes();
  }

  @Override
  public synchronized List<Route> operatorRoutes(IngressParts parts) {
    wire(parts);
    List<Route> routes = new java.util.ArrayList<>(lifecycleRoutes());
    routes.addAll(exportRoutes.operatorRoutes());
    routes.add(Route.post("/admin/master-keys/rewrap").operator().audit("master-key.rewrap", null)
        .doc("rewrapDataKeys", "After a master-key rotation (the new key listed first in STORYSTREAM_MASTER_KEYS on "
            + "every service, the old ones after it): re-wrap every tenant's data key with the new master key, so the "
            + "old one can then be removed. Answers how many were re-wrapped and the data keys per master key")
        .returns(200, "rewrapped: the count; keysByMasterKey: data keys per master key id",
            io.storystream.ingress.api.ExportBodies.Rewrap.class)
        .handle(ctx -> {
          int rewrapped = parts.keyring().rewrap();
          Json.write(ctx, 200, new io.storystream.ingress.api.ExportBodies.Rewrap(rewrapped,
              parts.keyring().keysByMasterKey()));
        }));
    return routes;
  }

  private List<Route> lifecycleRoutes() {
    return List.of(
        Route.post("/admin/tenants/{tenantId}/provision").operator().audit("tenant.provision", "tenantId")
            .doc("provisionTenant", "Create a tenant with its plan and first API key in one call; the secret is in "
                + "this response only. Idempotent by tenant id: a repeat answers 200 with the same tenant and its "
                + "first key, without a secret, and issues no second key. Body (optional): "
                + "{\"name\",\"plan\",\"limits\":{…},\"keyName\",\"scopes\":[…]}")
            .body(io.storystream.ingress.api.OperatorBodies.ProvisionTenant.class)
            .returns(201, "created (tenant and/or first key); the key's secret is in apiKey",
                io.storystream.ingress.api.OperatorBodies.Provisioned.class)
            .returns(200, "already provisioned; unchanged, no secret",
                io.storystream.ingress.api.OperatorBodies.Provisioned.class)
            .apply(io.storystream.ingress.admin.AdminRoutes::checkedFields)
            .reply(409, "the tenant id belonged to an erased tenant").problems(409, "tenant-deleted")
            .handle(provisioning::provision),
        Route.delete("/admin/tenants/{tenantId}").operator().audit("tenant.delete", "tenantId")
            .doc("deleteTenant", "Erase a tenant: its data keys are destroyed first, so its prompts, file names, "
                + "column names, audit resource names and dead-lettered records are unreadable in every topic at "
                + "once; its keys stop working; its jobs in flight stop and write nothing more; its files, results, "
                + "cache and export objects, file records, job statuses, cache index and quota state are deleted; "
                + "usage events, statements and the audit trail stay. Safe to repeat (a repeat returns an empty "
                + "receipt)")
            .returns(200, "the erasure receipt: per kind a count and the ids deleted",
                io.storystream.ingress.api.TenantBodies.ErasureReceipt.class)
            .reply(404, "no such tenant").problems(404, "not-found")
            .reply(503, "interrupted; nothing is lost, repeat the call").problems(503, "erasure-incomplete")
            .handle(ctx -> {
              String tenantId = ctx.pathParam("tenantId");
              ErasureReceipt receipt;
              try {
                receipt = erasure.erase(tenantId, Attrs.requestId(ctx)).orElseThrow(() ->
                    new ProblemException(404, "not-found", "Not found", "no such tenant"));
              } catch (EventPublisher.PublishFailedException | IllegalStateException | SdkException e) {
                Attrs.auditTenant(ctx, tenantId);
                throw new ProblemException(503, "erasure-incomplete", "Erasure incomplete",
                    "the erasure was interrupted; it is safe to repeat the call");
              }
              Attrs.auditTenant(ctx, tenantId);
              Json.write(ctx, 200, receipt.view());
            }));
  }

  @Override
  public synchronized void started(IngressParts parts) {
    wire(parts);
    sweep = new RetentionSweep(parts, kafka, erasure, sweepClock != null ? sweepClock : parts.clock());
    if (sweepInterval != null && !sweepInterval.isZero() && !sweepInterval.isNegative()) {
      sweep.start(sweepInterval);
    }
  }

  private void wire(IngressParts parts) {
    if (this.parts != null) {
      return;
    }
    this.parts = parts;
    erasure = new Erasure(parts, kafka, this::rawProducer);
    exports = new io.storystream.ingress.export.TenantExports(kafka, parts.blobs(), parts.clock(),
        exportTmpDir);
    exportRoutes = new io.storystream.ingress.export.ExportRoutes(exports, parts);
    provisioning = new Provisioning(parts);
  }

  /** A producer of raw records (cache-index tombstones), made on first use so a failed start leaves none behind. */
  private synchronized Producer<String, byte[]> rawProducer() {
    if (rawProducer == null) {
      var props = kafka.producer("ingress-lifecycle");
      props.put(ProducerConfig.LINGER_MS_CONFIG, 1);
      props.put(ProducerConfig.MAX_BLOCK_MS_CONFIG, 10_000);
      props.put(ProducerConfig.DELIVERY_TIMEOUT_MS_CONFIG, 15_000);
      props.put(ProducerConfig.REQUEST_TIMEOUT_MS_CONFIG, 10_000);
      rawProducer = new KafkaProducer<>(props);
    }
    return rawProducer;
  }

  /** Where exports write their archive before it goes to S3 (the data folder's {@code export-tmp}). */
  public TenantLifecycle exportsIn(java.nio.file.Path dir) {
    this.exportTmpDir = dir;
    return this;
  }

  /** The erasure (for tests and tools in the same process). */
  public Erasure erasure() {
    return erasure;
  }

  /** The retention sweep; {@link RetentionSweep#sweepOnce()} runs one pass now. */
  public RetentionSweep sweep() {
    return sweep;
  }

  @Override
  public synchronized void close() {
    if (exports != null) {
      exports.close();
    }
    if (sweep != null) {
      sweep.close();
    }
    if (rawProducer != null) {
      rawProducer.close(Duration.ofSeconds(5));
    }
  }
}
