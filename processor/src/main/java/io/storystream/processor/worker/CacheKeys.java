package io.storystream.processor.worker;

import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.HexFormat;
import java.util.Locale;

/**
 * The result cache's key, the same formula admission uses: sha256 hex of the file's content hash and the two
 * normalized prompts, one per line. Normalizing (trim, collapse whitespace, lower-case, null → "") makes prompts
 * that differ only in spacing or case share a result.
 */
public final class CacheKeys {
  private CacheKeys() {}

  public static String of(String fileSha256, String steeringPrompt, String refinementPrompt) {
    String material = fileSha256 + "\n" + normalize(steeringPrompt) + "\n" + normalize(refinementPrompt);
    try {
      byte[] digest = MessageDigest.getInstance("SHA-256").digest(material.getBytes(StandardCharsets.UTF_8));
      return HexFormat.of().formatHex(digest);
    } catch (NoSuchAlgorithmException e) {
      throw new IllegalStateException("every JDK has SHA-256", e);
    }
  }

  public static String normalize(String prompt) {
    if (prompt == null) {
      return "";
    }
    return prompt.trim().replaceAll("\\s+", " ").toLowerCase(Locale.ROOT);
  }
}
