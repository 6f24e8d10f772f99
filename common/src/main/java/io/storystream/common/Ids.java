package io.storystream.common;

import io.storystream.common.crypto.SecureRandoms;

/**
 * Opaque, unguessable ids: a type prefix and 130 random bits in lower-case Crockford base32
 * ({@code job_3k9…}). Nothing about a tenant, a time or a sequence can be read from them.
 */
public final class Ids {
  private static final char[] ALPHABET = "0123456789abcdefghjkmnpqrstvwxyz".toCharArray();
  private static final int CHARS = 26; // 26 × 5 bits = 130 bits

  private Ids() {}

  public static String newId(String prefix) {
    byte[] bytes = new byte[17];
    SecureRandoms.nextBytes(bytes); // a generator per thread: request threads never queue for one
    StringBuilder id = new StringBuilder(prefix.length() + 1 + CHARS).append(prefix).append('_');
    long buffer = 0;
    int bits = 0;
    int index = 0;
    for (int i = 0; i < CHARS; i++) {
      if (bits < 5) {
        buffer = (buffer << 8) | (bytes[index++] & 0xff);
        bits += 8;
      }
      id.append(ALPHABET[(int) (buffer >>> (bits - 5)) & 31]);
      bits -= 5;
    }
    return id.toString();
  }

  /** True when {@code id} has the given prefix and the shape {@link #newId} produces. */
  public static boolean looksLike(String prefix, String id) {
    if (id == null || id.length() != prefix.length() + 1 + CHARS || !id.startsWith(prefix + "_")) {
      return false;
    }
    for (int i = prefix.length() + 1; i < id.length(); i++) {
      char c = id.charAt(i);
      if (!((c >= '0' && c <= '9') || (c >= 'a' && c <= 'z' && c != 'i' && c != 'l' && c != 'o' && c != 'u'))) {
        return false;
      }
    }
    return true;
  }
}
