package io.storystream.ingress.lifecycle;

import java.time.Instant;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

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
  public Map<String, Object> view() {
    Map<String, Object> v = new LinkedHashMap<>();
    v.put("tenantId", tenantId);
    v.put("status", "deleted");
    v.put("deletedAt", deletedAt == null ? null : deletedAt.toString());
    v.put("keys", part(keys));
    v.put("files", part(files));
    v.put("jobs", part(jobs));
    v.put("cacheEntries", part(cacheEntries));
    v.put("objects", part(objects));
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
