package io.storystream.common.crypto;

import java.nio.ByteBuffer;
import java.security.GeneralSecurityException;
import javax.crypto.Cipher;
import javax.crypto.SecretKey;
import javax.crypto.spec.GCMParameterSpec;

/**
 * AES-256-GCM from the JDK: a fresh random 96-bit nonce per message, written before the ciphertext and its 128-bit
 * tag. The associated data binds a ciphertext to where it belongs (a tenant, a key id), so it cannot be moved.
 */
final class Aead {
  static final int NONCE_BYTES = 12;
  private static final int TAG_BITS = 128;
  /**
   * One cipher per thread, initialised afresh (key and nonce) for every message: {@code Cipher.getInstance} looks the
   * algorithm up among the providers each time, which was most of the cost of sealing a short field (a stream thread
   * seals and opens several per record). GCM refuses to encrypt twice under one key and nonce, never a re-init.
   */
  private static final ThreadLocal<Cipher> CIPHERS = ThreadLocal.withInitial(() -> {
    try {
      return Cipher.getInstance("AES/GCM/NoPadding");
    } catch (GeneralSecurityException e) {
      throw new IllegalStateException("AES-GCM unavailable", e);
    }
  });

  private Aead() {}

  static byte[] encrypt(SecretKey key, byte[] plaintext, byte[] associatedData) {
    try {
      byte[] nonce = new byte[NONCE_BYTES];
      SecureRandoms.nextBytes(nonce);
      Cipher cipher = CIPHERS.get();
      cipher.init(Cipher.ENCRYPT_MODE, key, new GCMParameterSpec(TAG_BITS, nonce));
      cipher.updateAAD(associatedData);
      byte[] sealed = cipher.doFinal(plaintext);
      return ByteBuffer.allocate(NONCE_BYTES + sealed.length).put(nonce).put(sealed).array();
    } catch (GeneralSecurityException e) {
      throw new IllegalStateException("AES-GCM unavailable", e);
    }
  }

  /** The plaintext; throws {@link GeneralSecurityException} when the key, data or associated data do not match. */
  static byte[] decrypt(SecretKey key, byte[] message, byte[] associatedData) throws GeneralSecurityException {
    if (message.length < NONCE_BYTES + TAG_BITS / 8) {
      throw new GeneralSecurityException("too short for AES-GCM");
    }
    Cipher cipher = CIPHERS.get();
    cipher.init(Cipher.DECRYPT_MODE, key, new GCMParameterSpec(TAG_BITS, message, 0, NONCE_BYTES));
    cipher.updateAAD(associatedData);
    return cipher.doFinal(message, NONCE_BYTES, message.length - NONCE_BYTES);
  }

  static byte[] randomKey() {
    byte[] key = new byte[32];
    SecureRandoms.nextBytes(key);
    return key;
  }
}
