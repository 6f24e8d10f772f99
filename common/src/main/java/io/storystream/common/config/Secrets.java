package io.storystream.common.config;

import java.io.IOException;
import java.nio.file.FileAlreadyExistsException;
import java.nio.file.Files;
import java.nio.file.Path;
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
      // A hard link never replaces an existing file, unlike a rename: when several processes start on the same folder
      // at once (the services of a deployment, a benchmark's JVMs), the first one's value wins and every other
      // process reads it, instead of each keeping the value it wrote and the last rename overwriting the rest.
      Files.createLink(file, tmp);
    } catch (FileAlreadyExistsException raced) {
      // another process was first: its value is the one
    } catch (UnsupportedOperationException | java.nio.file.FileSystemException noHardLinks) {
      // a file system without hard links (it may say so with an I/O error rather than an unsupported operation)
      try {
        Files.move(tmp, file); // without REPLACE_EXISTING: refuses to overwrite, though not atomically
      } catch (FileAlreadyExistsException raced) {
        // another process was first
      }
    } finally {
      Files.deleteIfExists(tmp);
    }
    return Files.readString(file).trim();
  }
}
