package io.storystream.ingress.billing;

import io.storystream.common.billing.api.BillingBodies.UsageQuota;
import io.storystream.ingress.kafka.TopicMirror;
import io.storystream.schemas.QuotaUsage;
import io.storystream.schemas.topics.TenantKeys;
import io.storystream.schemas.topics.TopicSerdes;
import io.storystream.schemas.topics.Topics;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.ConcurrentHashMap;
import org.apache.kafka.common.serialization.Deserializer;

/**
 * The monthly analysis quota of every tenant exactly as admission decides with it, from the compacted
 * {@code quota-usage} topic (key tenantId:yyyy-MM), which admission writes in the transaction of every change. It is
 * the one source of {@code /v1/usage}'s quota figures: what a tenant is told it has left is what the next submit is
 * checked against.
 */
public final class QuotaBook implements TopicMirror.Sink {
  private final Map<String, QuotaUsage> byTenantMonth = new ConcurrentHashMap<>();
  private final Deserializer<QuotaUsage> reader;

  public QuotaBook(TopicSerdes serdes) {
    this.reader = serdes.value(Topics.QUOTA_USAGE).deserializer();
  }

  @Override
  public void apply(String topic, String key, byte[] value) {
    if (value == null) {
      byTenantMonth.remove(key);
      return;
    }
    QuotaUsage usage = reader.deserialize(topic, value);
    if (!TenantKeys.of(usage.getTenantId(), usage.getMonth()).equals(key)) {
      return; // key and body disagree: never file one tenant's figures under another
    }
    byTenantMonth.put(key, usage);
  }

  public Optional<QuotaUsage> find(String tenantId, String month) {
    return Optional.ofNullable(byTenantMonth.get(TenantKeys.of(tenantId, month)));
  }

  /**
   * The {@code quota} object of {@code /v1/usage}: the plan's limit, units used by ended jobs, units reserved by
   * queued and running jobs, and what remains for new submits. A tenant admission has not counted anything for this
   * month yet has used and reserved nothing.
   */
  public UsageQuota quota(String tenantId, String month, int planLimit) {
    QuotaUsage usage = find(tenantId, month).orElse(null);
    long limit = usage != null ? usage.getAnalysesPerMonth() : planLimit;
    long used = usage == null ? 0 : usage.getUsed();
    long reserved = usage == null ? 0 : usage.getReserved();
    return new UsageQuota(limit, used, reserved, limit < 0 ? null : Math.max(0, limit - used - reserved),
        (long) (usage == null ? 0 : usage.getQueued()), (long) (usage == null ? 0 : usage.getRunning()), "admission");
  }
}
