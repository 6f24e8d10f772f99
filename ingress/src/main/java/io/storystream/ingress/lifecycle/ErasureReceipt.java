package io.storystream.ingress.lifecycle;

import io.storystream.ingress.api.TenantBodies;
import java.time.Instant;
import java.util.List;

/**
 * What one erasure call deleted: the tenant's data keys destroyed (so every sealed copy of its content in every topic,
 * changelog and backup is unreadable), API keys revoked, files and job statuses tombstoned, cache-index entries tombstoned,
 * S3 objects deleted. A repeated call finds nothing left and returns an empty receipt.
 */
public record ErasureReceipt(String tenantId, Instant deletedAt, List<String> keys, List<String> files,
                             List<String> jobs, List<String> cacheEntries, List<String> objects,
                             List<String> dataKeys) {

  public boolean empty() {
    return dataKeys.isEmpty() && keys.isEmpty() && files.isEmpty() && jobs.isEmpty() && cacheEntries.isEmpty() && objects.isEmpty();
  }

  /** The JSON answer: per kind, a count and the ids (object keys for objects). */
  public TenantBodies.ErasureReceipt view() {
    // kept for billing and accountability, without content: the audit trail's resource names were sealed
    return new TenantBodies.ErasureReceipt(tenantId, "deleted", deletedAt, part(dataKeys), part(keys), part(files),
        part(jobs), part(cacheEntries), part(objects), List.of("usage-events", "billing-statements", "audit"));
  }

  private static TenantBodies.ErasedPart part(List<String> ids) {
    return new TenantBodies.ErasedPart(ids.size(), ids);
  }
}
