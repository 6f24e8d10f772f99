package io.storystream.common.config;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.attribute.PosixFilePermissions;
import java.security.SecureRandom;
import java.util.HexFormat;

/**
 * Shared secrets that are not given: read from the data folder, or generated once (256 random bits) and written there
 * readable by the owner only, so a restart and the other services of the embedded default see the same value.
 */
public final class Secrets {
  private Secrets() {}

  /** The given value, or the file's, or a new one written to the file. */
  public static String givenOrStored(String given, Path file, String prefix) throws IOException {
    if (given != null && !given.isBlank()) {
      return given.trim();
    }
    return readOrCreate(file, prefix);
  }

  public static synchronized String readOrCreate(Path file, String prefix) throws IOException {
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
      Files.move(tmp, file, StandardCopyOption.ATOMIC_MOVE);
    } catch (IOException raced) {
      Files.deleteIfExists(tmp);
    }
    return Files.readString(file).trim();
  }
}
