package io.storystream.ingress.auth;

import io.storystream.common.Ids;
import java.nio.charset.StandardCharsets;
import java.security.GeneralSecurityException;
import java.security.MessageDigest;
import java.security.SecureRandom;
import java.util.Base64;
import java.util.Optional;
import javax.crypto.Mac;
import javax.crypto.spec.SecretKeySpec;

/**
 * The tenant API key format {@code ssk_<keyId>_<secret>}: a type prefix, the public key id ({@code key_} + 130 random
 * bits) and a 256-bit random secret (base64url). Only {@code HMAC-SHA-256(pepper, secret)} is ever stored; checks
 * compare in constant time. The pepper lives outside Kafka, so a copy of the {@code api-keys} topic alone cannot be
 * used to test guesses offline.
 */
public final class ApiKeyCodec {
  public static final String PREFIX = "ssk_";
  public static final String PEPPER_ID = "p1";
  private static final int KEY_ID_LENGTH = Ids.newId("key").length();
  private static final int SECRET_BYTES = 32;
  private static final int SECRET_LENGTH = Base64.getUrlEncoder().withoutPadding().encodeToString(new byte[SECRET_BYTES]).length();
  private static final SecureRandom RANDOM = new SecureRandom();

  private final byte[] pepper;
  /**
   * One initialized HMAC per thread: looking the algorithm up and keying it took about half of each authentication's
   * HMAC time in the submit profile (a JFR of the ingress benchmark), and every authenticated request does it once.
   */
  private final ThreadLocal<Mac> macs = ThreadLocal.withInitial(this::newMac);

  public ApiKeyCodec(byte[] pepper) {
    if (pepper == null || pepper.length < 16) {
      throw new IllegalArgumentException("the pepper must have at least 16 bytes");
    }
    this.pepper = pepper.clone();
  }

  private Mac newMac() {
    try {
      Mac mac = Mac.getInstance("HmacSHA256");
      mac.init(new SecretKeySpec(pepper, "HmacSHA256"));
      return mac;
    } catch (GeneralSecurityException e) {
      throw new IllegalStateException("HmacSHA256 is part of every JDK", e);
    }
  }

  /** A freshly issued key: the full key string (shown once) and what is stored. */
  public record Issued(String keyId, String apiKey, byte[] secretHash) {
    @Override
    public String toString() {
      return "Issued[" + keyId + "]"; // never the secret
    }
  }

  /** The two parts of a presented key. */
  public record Presented(String keyId, String secret) {
    @Override
    public String toString() {
      return "Presented[" + keyId + "]";
    }
  }

  public Issued issue() {
    String keyId = Ids.newId("key");
    byte[] secretBytes = new byte[SECRET_BYTES];
    RANDOM.nextBytes(secretBytes);
    String secret = Base64.getUrlEncoder().withoutPadding().encodeToString(secretBytes);
    return new Issued(keyId, PREFIX + keyId + "_" + secret, hash(secret));
  }

  /** Splits a presented key; empty when it does not have the key shape at all. */
  public static Optional<Presented> parse(String apiKey) {
    if (apiKey == null || apiKey.length() != PREFIX.length() + KEY_ID_LENGTH + 1 + SECRET_LENGTH
        || !apiKey.startsWith(PREFIX)) {
      return Optional.empty();
    }
    String keyId = apiKey.substring(PREFIX.length(), PREFIX.length() + KEY_ID_LENGTH);
    if (!Ids.looksLike("key", keyId) || apiKey.charAt(PREFIX.length() + KEY_ID_LENGTH) != '_') {
      return Optional.empty();
    }
    return Optional.of(new Presented(keyId, apiKey.substring(PREFIX.length() + KEY_ID_LENGTH + 1)));
  }

  public byte[] hash(String secret) {
    Mac mac = macs.get();
    // doFinal resets the Mac for its next use on this thread
    return mac.doFinal(secret.getBytes(StandardCharsets.UTF_8));
  }

  /** Constant-time comparison of the presented secret's HMAC with the stored one. */
  public boolean matches(String secret, byte[] storedHash) {
    return storedHash != null && MessageDigest.isEqual(hash(secret), storedHash);
  }

  /** HMAC with the pepper of an arbitrary message (derived ids, signatures between instances). */
  public byte[] sign(String message) {
    return hash(message);
  }
}
