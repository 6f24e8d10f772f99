package io.storystream.common.config;

import java.util.HashSet;
import java.util.Set;

/**
 * A start-up check that a shared secret (the operator token, the billing token) is not guessable. Its strength is
 * estimated as {@code length × log2(alphabet)}, where the alphabet is the smallest of hex, digits, letters, letters
 * and digits, or printable ASCII that covers the characters used, after dropping a short type prefix such as
 * {@code sso_}. A secret made of very few distinct characters ({@code aaaa…}, {@code abab…}) counts as weak whatever
 * its length. It is an estimate of how the secret was made, not a proof: generate secrets with
 * {@code openssl rand -hex 32} (256 bits).
 */
public final class TokenStrength {
  public static final int MINIMUM_BITS = 128;

  private TokenStrength() {}

  /** The estimated entropy in bits. */
  public static double bits(String secret) {
    String s = secret.replaceFirst("^[a-z]{2,5}_", "");
    if (s.isEmpty()) {
      return 0;
    }
    boolean lower = false;
    boolean upper = false;
    boolean digit = false;
    boolean other = false;
    boolean hexLower = true;
    boolean hexUpper = true;
    Set<Character> distinct = new HashSet<>();
    for (char c : s.toCharArray()) {
      distinct.add(c);
      if (c >= 'a' && c <= 'z') {
        lower = true;
        hexUpper = false;
        hexLower &= c <= 'f';
      } else if (c >= 'A' && c <= 'Z') {
        upper = true;
        hexLower = false;
        hexUpper &= c <= 'F';
      } else if (c >= '0' && c <= '9') {
        digit = true;
      } else {
        other = true;
        hexLower = false;
        hexUpper = false;
      }
    }
    int alphabet;
    if (!lower && !upper && !other) {
      alphabet = 10;
    } else if ((hexLower && !upper) || (hexUpper && !lower)) {
      alphabet = 16;
    } else {
      alphabet = (lower ? 26 : 0) + (upper ? 26 : 0) + (digit ? 10 : 0) + (other ? 32 : 0);
    }
    // a secret drawn from the alphabet at random uses a fair share of its characters
    if (distinct.size() * 4 < Math.min(alphabet, s.length())) {
      return 0;
    }
    return s.length() * (Math.log(alphabet) / Math.log(2));
  }

  /**
   * Refuses a weak secret with a message that says how to make a good one (never echoing the secret itself).
   *
   * @param what the secret's name in the message, e.g. "the operator token (STORYSTREAM_OPERATOR_TOKEN)"
   */
  public static String requireStrong(String secret, String what) {
    if (secret == null || secret.isBlank()) {
      throw new IllegalArgumentException(what + " is not set");
    }
    double bits = bits(secret.trim());
    if (bits < MINIMUM_BITS) {
      throw new IllegalArgumentException(String.format(java.util.Locale.ROOT,
          "%s is too weak: about %d bits of entropy, at least %d are required; generate one with "
              + "'openssl rand -hex 32'", what, (long) Math.floor(bits), MINIMUM_BITS));
    }
    return secret.trim();
  }
}
