package io.storystream.processor.admission;

import io.storystream.schemas.topics.TenantKeys;
import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.time.Duration;
import java.util.HexFormat;
import java.util.Locale;
import java.util.regex.Pattern;

/**
 * The result cache's key: the same file content analysed with the same prompts (up to case and whitespace) by the
 * same tenant. The tenant id is hashed in as well as prefixed to the index key, so a key computed for one tenant
 * can never address another tenant's entry.
 */
public final class CacheKeys {
  /** How long a stored result serves repeated analyses unless configured otherwise. */
  public static final Duration DEFAULT_TTL = Duration.ofDays(7);

  private static final Pattern WHITESPACE = Pattern.compile("\\s+");

  private CacheKeys() {}

  /** Hex SHA-256 over the tenant, the file's content hash and both normalized prompts (null counts as empty). */
  public static String of(String tenantId, String fileSha256, String steeringPrompt, String refinementPrompt) {
    String canonical = String.join("\u0000", tenantId, fileSha256.toLowerCase(Locale.ROOT),
        normalize(steeringPrompt), normalize(refinementPrompt));
    return HexFormat.of().formatHex(sha256().digest(canonical.getBytes(StandardCharsets.UTF_8)));
  }

  /** The record key of a cache entry on the processor-cache-index topic: {@code tenantId:cacheKey}. */
  public static String indexKey(String tenantId, String cacheKey) {
    return TenantKeys.of(tenantId, cacheKey);
  }

  /** Trim, collapse runs of whitespace to one space, lower-case. */
  public static String normalize(String prompt) {
    if (prompt == null) {
      return "";
    }
    return WHITESPACE.matcher(prompt.strip()).replaceAll(" ").toLowerCase(Locale.ROOT);
  }

  private static MessageDigest sha256() {
    try {
      return MessageDigest.getInstance("SHA-256");
    } catch (NoSuchAlgorithmException e) {
      throw new IllegalStateException("every JDK has SHA-256", e);
    }
  }
}
