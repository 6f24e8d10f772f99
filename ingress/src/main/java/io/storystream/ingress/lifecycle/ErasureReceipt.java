package io.storystream.ingress.lifecycle;

import java.time.Instant;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

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
  public Map<String, Object> view() {
    Map<String, Object> v = new LinkedHashMap<>();
    v.put("tenantId", tenantId);
    v.put("status", "deleted");
    v.put("deletedAt", deletedAt == null ? null : deletedAt.toString());
    v.put("dataKeys", part(dataKeys));
    v.put("keys", part(keys));
    v.put("files", part(files));
    v.put("jobs", part(jobs));
    v.put("cacheEntries", part(cacheEntries));
    v.put("objects", part(objects));
    // kept for billing and accountability, without content: the audit trail's resource names were sealed
    v.put("retained", List.of("usage-events", "billing-statements", "audit"));
    return v;
  }

  private static Map<String, Object> part(List<String> ids) {
    Map<String, Object> p = new LinkedHashMap<>();
    p.put("count", ids.size());
    p.put("ids", ids);
    return p;
  }
}
