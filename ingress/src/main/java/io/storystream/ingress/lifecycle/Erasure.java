package io.storystream.ingress.lifecycle;

import io.storystream.common.kafka.KafkaSettings;
import io.storystream.ingress.IngressParts;
import io.storystream.ingress.audit.AuditTrail;
import io.storystream.ingress.kafka.EventPublisher;
import io.storystream.schemas.AnalysisRequest;
import io.storystream.schemas.ApiKey;
import io.storystream.schemas.ApiKeyStatus;
import io.storystream.schemas.AuditActor;
import io.storystream.schemas.Tenant;
import io.storystream.schemas.TenantStatus;
import io.storystream.schemas.topics.TenantKeys;
import io.storystream.schemas.topics.Topics;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Optional;
import java.util.Set;
import java.util.concurrent.CompletableFuture;
import java.util.function.Function;
import java.util.function.Supplier;
import org.apache.kafka.clients.producer.Producer;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.clients.producer.RecordMetadata;
import org.apache.kafka.common.serialization.Deserializer;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The right to be forgotten, in the order that makes every step safe to stop and repeat:
 * <ol>
 *   <li>destroy the tenant's data keys (the erasure marker and a tombstone per key on {@code tenant-keys}): from that
 *       moment every sealed copy of its prompts, file names, column names, audit resource names and dead-lettered
 *       bodies — in every topic, changelog and backup — is unreadable; every instance drops the keys within one
 *       fetch, and the worker stops the tenant's jobs before their next DataStoryBot step and refuses their puts;</li>
 *   <li>disable: the tenant's record turns DELETED (every instance refuses its keys on the next poll of its
 *       directory, this one at once) and each active key is revoked;</li>
 *   <li>tombstone what the topics hold about the tenant's content: files ({@code tenantId:fileId}), job statuses
 *       ({@code tenantId:jobId}, also of jobs known only from their request) and the processor's cache index ({@code tenantId:cacheKey}), each read from the
 *       tenant's partition so records no local copy holds are found too; admission forgets its quota and dedup
 *       state when it reads the DELETED record;</li>
 *   <li>delete every object under {@code tenants/{tenantId}/} (files, results, cache), after the tombstones, so no
 *       index points at a deleted object for long;</li>
 *   <li>wait {@link #SETTLE} — long enough for every instance to have read the destroyed key and for a put that
 *       passed the worker's fence just before to finish — and delete the prefix again: a put racing the erasure is
 *       either listed by this second pass or deleted by its writer's check after the put. Only then the receipt.</li>
 * </ol>
 * Usage events, statements and the audit trail stay: they are billing and accountability records without content
 * (their resource names were sealed).
 * A second call finds the tenant DELETED, no active key, no live key on the topics and no object: an empty receipt.
 */
public final class Erasure {
  private static final Logger log = LoggerFactory.getLogger(Erasure.class);
  static final Duration SCAN_TIMEOUT = Duration.ofSeconds(30);
  /** Requests this much older than a tenant's deletion were written before its first erasure read the topic. */
  static final Duration REQUESTS_SEEN_BY_FIRST_ERASURE = Duration.ofMinutes(1);
  /** Between the first and the final deletion of the prefix: instances learn of a destroyed key within ~100 ms. */
  static final Duration SETTLE = Duration.ofSeconds(2);

  private final IngressParts parts;
  private final KafkaSettings kafka;
  private final Supplier<Producer<String, byte[]>> rawProducer;

  Erasure(IngressParts parts, KafkaSettings kafka, Supplier<Producer<String, byte[]>> rawProducer) {
    this.parts = parts;
    this.kafka = kafka;
    this.rawProducer = rawProducer;
  }

  /**
   * Erases the tenant; empty when no such tenant ever existed. Each key it revokes is audited as {@code key.revoke}
   * under {@code requestId}; the call itself is audited by the route ({@code tenant.delete}).
   */
  public synchronized Optional<ErasureReceipt> erase(String tenantId, String requestId) {
    Optional<Tenant> held = parts.directory().tenant(tenantId);
    if (held.isEmpty()) {
      return Optional.empty();
    }
    // the data keys go first: whatever happens after, the tenant's content at rest is unreadable from here on
    List<String> dataKeys = parts.keyring().destroy(tenantId);
    Instant now = parts.clock().instant();
    Tenant tenant = held.get();
    // on a repeated erasure, the first one already handled every job requested well before it (see tombstoneJobs)
    Instant erasedBefore = tenant.getStatus() == TenantStatus.DELETED && tenant.getDeletedAt() != null
        ? tenant.getDeletedAt().minus(REQUESTS_SEEN_BY_FIRST_ERASURE) : null;
    boolean first = tenant.getStatus() != TenantStatus.DELETED;
    if (first) {
      tenant = Tenant.newBuilder(tenant).setStatus(TenantStatus.DELETED).setDeletedAt(now).setUpdatedAt(now).build();
      parts.publisher().sendAndWait(Topics.TENANTS, tenantId, tenant);
      log.info("tenant {} marked deleted; its keys are refused from now on", tenantId);
    }
    List<String> keys = new ArrayList<>();
    for (ApiKey key : parts.directory().keysOf(tenantId)) {
      if (key.getStatus() != ApiKeyStatus.REVOKED) {
        parts.publisher().sendAndWait(Topics.API_KEYS, key.getKeyId(),
            ApiKey.newBuilder(key).setStatus(ApiKeyStatus.REVOKED).setRevokedAt(now).build());
        parts.auditTrail().record(new AuditTrail.Entry(tenantId, null, AuditActor.OPERATOR, "key.revoke",
            key.getKeyId(), "success", 200, requestId));
        keys.add(key.getKeyId());
      }
    }

    List<String> files = tombstone(Topics.FILES.name(), tenantId,
        key -> parts.publisher().send(Topics.FILES, key, null).thenApply(m -> null));
    List<String> jobs = tombstoneJobs(tenantId, erasedBefore);
    List<String> cacheEntries = tombstone(TenantLifecycle.CACHE_INDEX_TOPIC, tenantId, this::rawTombstone);
    // webhooks (with their secrets), their deliveries (job views) and the quota figures go too
    List<String> webhooks = tombstone(Topics.WEBHOOKS.name(), tenantId,
        key -> parts.publisher().send(Topics.WEBHOOKS, key, null).thenApply(m -> null));
    List<String> deliveries = tombstone(Topics.WEBHOOK_DELIVERIES.name(), tenantId,
        key -> parts.publisher().send(Topics.WEBHOOK_DELIVERIES, key, null).thenApply(m -> null));
    List<String> quotaMonths = tombstone(Topics.QUOTA_USAGE.name(), tenantId,
        key -> parts.publisher().send(Topics.QUOTA_USAGE, key, null).thenApply(m -> null));
    log.info("tenant {}: {} webhooks, {} webhook deliveries, {} quota months tombstoned", tenantId, webhooks.size(),
        deliveries.size(), quotaMonths.size());

    List<String> objects = new ArrayList<>(parts.blobs().deletePrefix(prefixOf(tenantId)));
    if (first || !dataKeys.isEmpty()) {
      settle(); // a repeat (or the sweep's re-erasure) finds no work in flight any more
    }
    objects.addAll(parts.blobs().deletePrefix(prefixOf(tenantId))); // what in-flight work wrote meanwhile
    ErasureReceipt receipt = new ErasureReceipt(tenantId, tenant.getDeletedAt(), List.copyOf(keys), files, jobs,
        cacheEntries, List.copyOf(objects), dataKeys);
    log.info("tenant {} erased: {} keys revoked, {} files, {} jobs, {} cache entries, {} objects deleted", tenantId,
        keys.size(), files.size(), jobs.size(), cacheEntries.size(), objects.size());
    return Optional.of(receipt);
  }

  /**
   * Tombstones the tenant's jobs on {@code analysis-status}: every job with a live status, and every job known only
   * from its request (a submit writes the request record alone; its queued view is derived from it), read from the
   * tenant's partition of {@code analysis-requests}. A request whose job has any status record left (live or already
   * a tombstone) is covered by the status; on a repeated erasure ({@code erasedBefore} not null) requests older than
   * the first erasure are skipped, because it tombstoned them and compaction may since have dropped the tombstones.
   */
  private List<String> tombstoneJobs(String tenantId, Instant erasedBefore) {
    TenantPartitionScan.Keys statuses = TenantPartitionScan.keys(kafka, Topics.ANALYSIS_STATUS.name(), tenantId,
        SCAN_TIMEOUT);
    Set<String> keys = new LinkedHashSet<>(statuses.live().keySet());
    Deserializer<AnalysisRequest> requests = parts.publisher().serdes().value(Topics.ANALYSIS_REQUESTS).deserializer();
    TenantPartitionScan.tenantRecords(kafka, Topics.ANALYSIS_REQUESTS.name(), tenantId, SCAN_TIMEOUT, (bytes, at) -> {
      if (erasedBefore != null && at < erasedBefore.toEpochMilli()) {
        return;
      }
      AnalysisRequest request;
      try {
        request = requests.deserialize(Topics.ANALYSIS_REQUESTS.name(), bytes);
      } catch (RuntimeException unreadable) {
        return; // not a request this ingress wrote; it has no view either
      }
      String key = TenantKeys.of(tenantId, request.getJobId());
      if (tenantId.equals(request.getTenantId()) && !statuses.seen().contains(key)) {
        keys.add(key);
      }
    });
    List<CompletableFuture<RecordMetadata>> acks = keys.stream()
        .map(key -> parts.publisher().send(Topics.ANALYSIS_STATUS, key, null)).toList();
    EventPublisher.await(CompletableFuture.allOf(acks.toArray(CompletableFuture[]::new)));
    return keys.stream().map(TenantKeys::resourceOf).toList();
  }

  private static void settle() {
    try {
      Thread.sleep(SETTLE.toMillis());
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new IllegalStateException("interrupted while waiting for in-flight writes", e);
    }
  }

  static String prefixOf(String tenantId) {
    return "tenants/" + tenantId + "/";
  }

  /** Tombstones every live key of the tenant on a topic and returns their resource ids (the part after the colon). */
  private List<String> tombstone(String topic, String tenantId,
                                 Function<String, CompletableFuture<Void>> writer) {
    List<String> keys = new ArrayList<>(TenantPartitionScan.liveKeys(kafka, topic, tenantId, SCAN_TIMEOUT).keySet());
    List<CompletableFuture<Void>> acks = keys.stream().map(writer).toList();
    EventPublisher.await(CompletableFuture.allOf(acks.toArray(CompletableFuture[]::new)));
    return keys.stream().map(TenantKeys::resourceOf).toList();
  }

  CompletableFuture<Void> rawTombstone(String key) {
    CompletableFuture<Void> acked = new CompletableFuture<>();
    rawProducer.get().send(new ProducerRecord<>(TenantLifecycle.CACHE_INDEX_TOPIC, key, null), (m, e) -> {
      if (e != null) {
        acked.completeExceptionally(e);
      } else {
        acked.complete(null);
      }
    });
    return acked;
  }
}
