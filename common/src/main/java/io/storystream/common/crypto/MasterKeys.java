package io.storystream.common.crypto;

import io.storystream.common.config.Secrets;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.Base64;
import java.util.HexFormat;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Optional;
import javax.crypto.SecretKey;
import javax.crypto.spec.SecretKeySpec;

/**
 * The master keys that wrap every tenant's data key. Several may be configured so the master key rotates: the first
 * wraps new data keys (and re-wraps old ones on {@link TenantKeyring#rewrap()}), the others still unwrap what they
 * wrapped. Each key has an id, written next to every wrapped data key: {@code id=key}, or a bare key whose id is
 * {@code mk_} and the first 8 hex digits of its SHA-256 (so two services given different keys fail with a clear
 * "unknown master key" instead of a decryption error). A key is 32 bytes as 64 hex digits or base64.
 *
 * <p>Where they come from, first found wins: {@code STORYSTREAM_MASTER_KEYS} (comma-separated), the file named by
 * {@code STORYSTREAM_MASTER_KEY_FILE} (one per line), or {@code <data>/master-keys}, which is generated once when
 * absent like the operator token — right for the embedded default, whose services share the data folder; services on
 * separate machines must all be given the same keys.
 */
public final class MasterKeys {
  public static final String ENV = "STORYSTREAM_MASTER_KEYS";
  public static final String FILE_ENV = "STORYSTREAM_MASTER_KEY_FILE";
  public static final String DEFAULT_FILE = "master-keys";

  private final Map<String, SecretKey> keys;
  private final String currentId;

  private MasterKeys(Map<String, SecretKey> keys) {
    if (keys.isEmpty()) {
      throw new IllegalArgumentException("no master key given (" + ENV + ")");
    }
    this.keys = java.util.Collections.unmodifiableMap(new LinkedHashMap<>(keys)); // in the given order
    this.currentId = keys.keySet().iterator().next();
  }

  /** Parses {@code id=key,key,…}; the first is the current one. */
  public static MasterKeys parse(String spec) {
    Map<String, SecretKey> keys = new LinkedHashMap<>();
    for (String part : spec.split("[,\\n]")) {
      String entry = part.trim();
      if (entry.isEmpty() || entry.startsWith("#")) {
        continue;
      }
      int eq = entry.indexOf('=');
      // base64 may end in '=': an id is only what stands before an '=' that is followed by more text
      String id = null;
      String material = entry;
      if (eq > 0 && eq < entry.length() - 1 && entry.substring(0, eq).matches("[A-Za-z0-9_.-]{1,40}")
          && !entry.substring(eq + 1).matches("=*")) {
        id = entry.substring(0, eq);
        material = entry.substring(eq + 1);
      }
      byte[] bytes = decode(material.trim());
      if (bytes.length != 32) {
        throw new IllegalArgumentException("a master key must be 32 bytes (64 hex digits or base64), got "
            + bytes.length + " bytes" + (id == null ? "" : " for " + id));
      }
      keys.putIfAbsent(id != null ? id : fingerprint(bytes), new SecretKeySpec(bytes, "AES"));
    }
    return new MasterKeys(keys);
  }

  /** From the environment, the key file, or {@code <dataDir>/master-keys} (generated when absent). */
  public static MasterKeys resolve(Map<String, String> env, Path dataDir) {
    String given = env.get(ENV);
    if (given != null && !given.isBlank()) {
      return parse(given);
    }
    try {
      String file = env.get(FILE_ENV);
      if (file != null && !file.isBlank()) {
        return parse(Files.readString(Path.of(file), StandardCharsets.UTF_8));
      }
      return parse(Secrets.readOrCreate(dataDir.resolve(DEFAULT_FILE), ""));
    } catch (IOException e) {
      throw new UncheckedIOException("cannot read the master keys", e);
    }
  }

  public static MasterKeys fromEnvironment(Path dataDir) {
    return resolve(System.getenv(), dataDir);
  }

  public String currentId() {
    return currentId;
  }

  SecretKey current() {
    return keys.get(currentId);
  }

  Optional<SecretKey> byId(String id) {
    return Optional.ofNullable(id == null ? null : keys.get(id));
  }

  public java.util.Set<String> ids() {
    return keys.keySet();
  }

  static String fingerprint(byte[] key) {
    try {
      return "mk_" + HexFormat.of().formatHex(MessageDigest.getInstance("SHA-256").digest(key), 0, 4);
    } catch (NoSuchAlgorithmException e) {
      throw new IllegalStateException(e);
    }
  }

  private static byte[] decode(String material) {
    if (material.matches("([0-9a-fA-F]{2})+")) {
      return HexFormat.of().parseHex(material);
    }
    try {
      return Base64.getDecoder().decode(material);
    } catch (IllegalArgumentException e) {
      throw new IllegalArgumentException("a master key must be hex or base64");
    }
  }

  @Override
  public String toString() {
    return "MasterKeys" + keys.keySet() + " (current " + currentId + ")"; // ids only, never key material
  }
}
