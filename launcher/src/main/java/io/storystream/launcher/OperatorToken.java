package io.storystream.launcher;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.security.SecureRandom;
import java.util.HexFormat;

/**
 * The operator's bearer token: {@code STORYSTREAM_OPERATOR_TOKEN} when set, otherwise one generated on first start
 * and kept in {@code <data folder>/operator-token} (readable by the owner only), so a restart keeps it.
 */
final class OperatorToken {
  static final String ENV = "STORYSTREAM_OPERATOR_TOKEN";
  static final String FILE = "operator-token";

  private OperatorToken() {}

  record Resolved(String token, Path file) {}

  static Resolved resolve(Path dataDir, String fromEnvironment) throws IOException {
    if (fromEnvironment != null && !fromEnvironment.isBlank()) {
      return new Resolved(fromEnvironment.trim(), null);
    }
    Path file = dataDir.resolve(FILE);
    if (Files.exists(file)) {
      return new Resolved(Files.readString(file).trim(), file);
    }
    byte[] random = new byte[32];
    new SecureRandom().nextBytes(random);
    String token = "sso_" + HexFormat.of().formatHex(random);
    Files.createDirectories(dataDir);
    Files.writeString(file, token + "\n");
    try {
      Files.setPosixFilePermissions(file, PosixFilePermissions.fromString("rw-------"));
    } catch (UnsupportedOperationException notPosix) {
      // best effort on file systems without POSIX permissions
    }
    return new Resolved(token, file);
  }
}
