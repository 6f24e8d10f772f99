package io.storystream.schemas.topics;

import java.util.regex.Pattern;

/**
 * Keys of tenant-owned records. A plain tenant id keys per-tenant streams; {@code tenantId:resourceId} keys
 * compacted tables of a tenant's resources (files, statements), so compaction keeps one record per resource while
 * {@link TenantPartitioner} still puts them on the tenant's partition. Tenant ids cannot contain ':'.
 */
public final class TenantKeys {
  public static final char SEPARATOR = ':';
  /** Lower-case letters, digits and dashes, 2–63 characters, starting with a letter or digit. */
  public static final Pattern TENANT_ID = Pattern.compile("[a-z0-9][a-z0-9-]{1,62}");

  private TenantKeys() {}

  public static boolean isValidTenantId(String tenantId) {
    return tenantId != null && TENANT_ID.matcher(tenantId).matches();
  }

  public static String of(String tenantId, String resourceId) {
    return tenantId + SEPARATOR + resourceId;
  }

  /** The tenant part of a key: everything before the first ':', or the whole key. */
  public static String tenantOf(String key) {
    int i = key.indexOf(SEPARATOR);
    return i < 0 ? key : key.substring(0, i);
  }

  /** The resource part of a composite key, or null for a plain tenant key. */
  public static String resourceOf(String key) {
    int i = key.indexOf(SEPARATOR);
    return i < 0 ? null : key.substring(i + 1);
  }
}
