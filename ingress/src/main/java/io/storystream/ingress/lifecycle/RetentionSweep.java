package io.storystream.ingress.lifecycle;

import io.storystream.common.Ids;
import io.storystream.common.kafka.KafkaSettings;
import io.storystream.ingress.IngressParts;
import io.storystream.ingress.audit.AuditTrail;
import io.storystream.ingress.jobs.JobStatusView;
import io.storystream.ingress.jobs.JobView;
import io.storystream.ingress.kafka.EventPublisher;
import io.storystream.schemas.AuditActor;
import io.storystream.schemas.FileRegistered;
import io.storystream.schemas.Tenant;
import io.storystream.schemas.TenantStatus;
import io.storystream.schemas.topics.TenantKeys;
import io.storystream.schemas.topics.Topics;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import org.apache.kafka.streams.errors.InvalidStateStoreException;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Retention per plan ({@code PlanLimits.retentionDays}): every interval, files uploaded and jobs last changed before
 * the tenant's retention are removed — the file's object and its {@code files} record (tombstone), the job's result
 * objects and its {@code analysis-status} record (tombstone), and cache-index entries written before the cut — each
 * with a SYSTEM audit event ({@code file.expire}, {@code result.expire}).
 *
 * <p>An erased tenant is erased again by the sweep for {@link #LATE_WRITE_WINDOW} after its erasure, so that work in
 * flight at the erasure (a job the worker finishes, a late rejection) leaves nothing behind for longer than one
 * interval.
 *
 * <p>One instance sweeps a tenant: the one whose job-status view holds the tenant's partition as active (the same
 * assignment that answers the tenant's job queries). During a rebalance two instances may briefly both believe so;
 * every step is idempotent (a tombstone again, a delete of a missing object), so the worst case is a repeated audit
 * event, never a lost or half-removed item.
 */
public final class RetentionSweep implements AutoCloseable {
  private static final Logger log = LoggerFactory.getLogger(RetentionSweep.class);

  private final IngressParts parts;
  private final KafkaSettings kafka;
  private final Erasure writer;
  private final Clock clock;
  private ScheduledExecutorService scheduler;

  /**
   * How long after an erasure the sweep erases the tenant again: as long as the topics keep work that was in flight
   * when the erasure ran (requests and admitted work are kept 7 days), a late write (a job finishing, a rejection)
   * can still land under the erased tenant.
   */
  static final Duration LATE_WRITE_WINDOW = Duration.ofDays(7);

  /** What one sweep removed: expired items, and whatever late writes re-erasure found under erased tenants. */
  public record Swept(List<String> files, List<String> jobs, List<String> cacheEntries, List<String> objects,
                      List<ErasureReceipt> lateWrites) {
    public int total() {
      return files.size() + jobs.size() + cacheEntries.size() + objects.size()
          + lateWrites.stream().mapToInt(r -> r.keys().size() + r.files().size() + r.jobs().size()
              + r.cacheEntries().size() + r.objects().size()).sum();
    }
  }

  RetentionSweep(IngressParts parts, KafkaSettings kafka, Erasure writer, Clock clock) {
    this.parts = parts;
    this.kafka = kafka;
    this.writer = writer;
    this.clock = clock;
  }

  RetentionSweep start(Duration interval) {
    scheduler = Executors.newSingleThreadScheduledExecutor(r -> {
      Thread t = new Thread(r, "retention-sweep");
      t.setDaemon(true);
      return t;
    });
    scheduler.scheduleWithFixedDelay(this::sweepQuietly, interval.toMillis(), interval.toMillis(),
        TimeUnit.MILLISECONDS);
    log.info("retention sweep every {}", interval);
    return this;
  }

  private void sweepQuietly() {
    try {
      Swept swept = sweepOnce();
      if (swept.total() > 0) {
        log.info("retention sweep removed {} files, {} jobs, {} cache entries, {} objects", swept.files().size(),
            swept.jobs().size(), swept.cacheEntries().size(), swept.objects().size());
      }
    } catch (RuntimeException e) {
      log.warn("retention sweep failed, next interval retries: {}", e.toString());
    }
  }

  /** One pass over every tenant this instance owns. */
  public synchronized Swept sweepOnce() {
    Swept all = new Swept(new ArrayList<>(), new ArrayList<>(), new ArrayList<>(), new ArrayList<>(),
        new ArrayList<>());
    if (!parts.jobs().ready()) {
      return all; // ownership is unknown while the job-status view is not running
    }
    Instant now = clock.instant();
    for (Tenant tenant : parts.directory().tenants()) {
      if (!owns(tenant.getTenantId())) {
        continue;
      }
      if (tenant.getStatus() == TenantStatus.DELETED) {
        if (tenant.getDeletedAt() != null && tenant.getDeletedAt().isAfter(now.minus(LATE_WRITE_WINDOW))) {
          eraseLateWrites(tenant.getTenantId(), all);
        }
        continue;
      }
      Instant cutoff = now.minus(Duration.ofDays(tenant.getLimits().getRetentionDays()));
      sweepTenant(tenant.getTenantId(), cutoff, all);
    }
    return all;
  }

  /** True when this instance's job-status view is the active holder of the tenant's partition. */
  boolean owns(String tenantId) {
    JobStatusView.Location location = parts.jobs().locate(tenantId);
    return location.available() && parts.jobs().isSelf(location.active());
  }

  private void sweepTenant(String tenantId, Instant cutoff, Swept swept) {
    String sweepId = Ids.newId("sweep");
    for (FileRegistered file : parts.files().list(tenantId)) {
      if (!file.getUploadedAt().isBefore(cutoff)) {
        continue;
      }
      EventPublisher.await(parts.publisher().send(Topics.FILES, TenantKeys.of(tenantId, file.getFileId()), null));
      if (file.getObjectKey().startsWith(Erasure.prefixOf(tenantId))) {
        parts.blobs().delete(file.getObjectKey());
        swept.objects().add(file.getObjectKey());
      }
      swept.files().add(file.getFileId());
      audit(tenantId, "file.expire", file.getFileId(), sweepId);
    }
    List<JobView> jobs;
    try {
      jobs = parts.jobs().localList(tenantId);
    } catch (InvalidStateStoreException moving) {
      return; // the partition is moving; the next sweep (on whichever instance owns it then) picks it up
    }
    for (JobView job : jobs) {
      Long last = job.completedAt() != null ? job.completedAt() : job.updatedAt() != null ? job.updatedAt()
          : job.submittedAt();
      if (last == null || !Instant.ofEpochMilli(last).isBefore(cutoff)) {
        continue;
      }
      // a cache hit's prefix is the original job's result: it goes when that job expires, not with the hit
      if (!job.fromCache() && job.resultPrefix() != null && job.resultPrefix().startsWith(Erasure.prefixOf(tenantId))
          && job.resultPrefix().endsWith("/")) {
        swept.objects().addAll(parts.blobs().deletePrefix(job.resultPrefix()));
      }
      EventPublisher.await(parts.publisher().send(Topics.ANALYSIS_STATUS, TenantKeys.of(tenantId, job.jobId()), null));
      swept.jobs().add(job.jobId());
      audit(tenantId, "result.expire", job.jobId(), sweepId);
    }
    Map<String, Long> cache = TenantPartitionScan.liveKeys(kafka, TenantLifecycle.CACHE_INDEX_TOPIC, tenantId,
        Erasure.SCAN_TIMEOUT);
    List<CompletableFuture<Void>> acks = new ArrayList<>();
    cache.forEach((key, writtenAt) -> {
      if (writtenAt < cutoff.toEpochMilli()) {
        acks.add(writer.rawTombstone(key));
        swept.cacheEntries().add(TenantKeys.resourceOf(key));
      }
    });
    EventPublisher.await(CompletableFuture.allOf(acks.toArray(CompletableFuture[]::new)));
  }

  /** Erases an erased tenant again: anything found is a late write of work that was in flight at the erasure. */
  private void eraseLateWrites(String tenantId, Swept swept) {
    String sweepId = Ids.newId("sweep");
    writer.erase(tenantId, sweepId).filter(receipt -> !receipt.empty()).ifPresent(receipt -> {
      swept.lateWrites().add(receipt);
      log.info("tenant {} erased again: {} jobs, {} files, {} cache entries, {} objects written after its erasure",
          tenantId, receipt.jobs().size(), receipt.files().size(), receipt.cacheEntries().size(),
          receipt.objects().size());
      audit(tenantId, "tenant.delete", tenantId, sweepId);
    });
  }

  private void audit(String tenantId, String action, String resourceId, String sweepId) {
    parts.auditTrail().record(new AuditTrail.Entry(tenantId, null, AuditActor.SYSTEM, action, resourceId, "success",
        null, sweepId));
  }

  @Override
  public void close() {
    if (scheduler != null) {
      scheduler.shutdownNow();
      try {
        scheduler.awaitTermination(5, TimeUnit.SECONDS);
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
      }
    }
  }
}
