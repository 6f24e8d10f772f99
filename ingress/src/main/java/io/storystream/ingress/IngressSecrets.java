package io.storystream.ingress;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.security.SecureRandom;
import java.util.HexFormat;

/**
 * The operator token and the key pepper when they are not given: read from the data folder, or generated once and
 * written there readable by the owner only, so a restart (and the embedded default's other services) see the same.
 */
public final class IngressSecrets {
  public static final String OPERATOR_TOKEN_FILE = "operator-token";
  public static final String PEPPER_FILE = "pepper";

  private IngressSecrets() {}

  public static String operatorToken(String given, Path dataDir) throws IOException {
    if (given != null && !given.isBlank()) {
      return given.trim();
    }
    return readOrCreate(dataDir.resolve(OPERATOR_TOKEN_FILE), "sso_");
  }

  /** The pepper as bytes: given text (hex when it looks like hex), a file's content, or a generated one. */
  public static byte[] pepper(String given, Path file, Path dataDir) throws IOException {
    String text;
    if (given != null && !given.isBlank()) {
      text = given.trim();
    } else if (file != null) {
      text = Files.readString(file).trim();
    } else {
      text = readOrCreate(dataDir.resolve(PEPPER_FILE), "");
    }
    if (text.matches("([0-9a-fA-F]{2}){16,}")) {
      return HexFormat.of().parseHex(text);
    }
    if (text.length() < 16) {
      throw new IllegalArgumentException("the pepper must have at least 16 characters");
    }
    return text.getBytes(StandardCharsets.UTF_8);
  }

  private static synchronized String readOrCreate(Path file, String prefix) throws IOException {
    if (Files.exists(file)) {
      return Files.readString(file).trim();
    }
    byte[] random = new byte[32];
    new SecureRandom().nextBytes(random);
    String value = prefix + HexFormat.of().formatHex(random);
    Files.createDirectories(file.toAbsolutePath().getParent());
    Path tmp = Files.createTempFile(file.toAbsolutePath().getParent(), file.getFileName().toString(), ".tmp");
    Files.writeString(tmp, value + "\n");
    try {
      Files.setPosixFilePermissions(tmp, PosixFilePermissions.fromString("rw-------"));
    } catch (UnsupportedOperationException notPosix) {
      // best effort
    }
    try {
      Files.move(tmp, file, java.nio.file.StandardCopyOption.ATOMIC_MOVE);
    } catch (IOException raced) {
      Files.deleteIfExists(tmp);
    }
    return Files.readString(file).trim();
  }
}
