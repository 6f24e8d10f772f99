package io.storystream.ingress.lifecycle;

import io.storystream.ingress.api.TenantBodies;
import java.time.Instant;
import java.util.List;

/**
 * What one erasure call deleted: API keys revoked, files and job statuses tombstoned, cache-index entries tombstoned,
 * S3 objects deleted. A repeated call finds nothing left and returns an empty receipt.
 */
public record ErasureReceipt(String tenantId, Instant deletedAt, List<String> keys, List<String> files,
                             List<String> jobs, List<String> cacheEntries, List<String> objects) {

  public boolean empty() {
    return keys.isEmpty() && files.isEmpty() && jobs.isEmpty() && cacheEntries.isEmpty() && objects.isEmpty();
  }

  /** The JSON answer: per kind, a count and the ids (object keys for objects). */
  public TenantBodies.ErasureReceipt view() {
    return new TenantBodies.ErasureReceipt(tenantId, "deleted", deletedAt, part(keys), part(files), part(jobs),
        part(cacheEntries), part(objects), List.of("usage-events", "billing-statements", "audit"));
  }

  private static TenantBodies.ErasedPart part(List<String> ids) {
    return new TenantBodies.ErasedPart(ids.size(), ids);
  }
}
