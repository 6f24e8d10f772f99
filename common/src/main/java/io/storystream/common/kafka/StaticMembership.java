package io.storystream.common.kafka;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.FileAlreadyExistsException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.SecureRandom;
import java.time.Duration;
import java.util.HexFormat;
import java.util.regex.Pattern;

/**
 * Static group membership for the consumer groups of a service: each instance joins with a {@code group.instance.id}
 * that stays the same across restarts of the same data folder. Without it, a process killed with {@code kill -9}
 * leaves its member in the group, and the restarted process (a new member) waits until the coordinator gives up on
 * the dead one (its session timeout, and for Kafka Streams a further rebalance) before it gets its partitions back;
 * with it, the restarted process takes over its predecessor's membership the moment it joins.
 *
 * <p>The id is random, made on the first start and kept in {@code <data folder>/streams/instance-id}: two instances
 * never share a data folder (Streams locks its state there), so they never share an id. A copied data folder must
 * not be started next to its original: the two would fence each other.
 */
public final class StaticMembership {
  /**
   * How long the coordinator keeps a silent static member (and its partitions) before it hands them to the others:
   * a restart within it costs no rebalance at all, a member that never comes back costs this long. 30 s, below the
   * classic default of 45 s (the failover of a lost instance is faster than before), and far above the pauses of a
   * loaded 2-core machine (a stop-the-world pause or a scheduling stall must not evict a healthy member).
   */
  public static final Duration SESSION_TIMEOUT = Duration.ofSeconds(30);

  private static final Pattern ID = Pattern.compile("[0-9a-f]{16}");

  private StaticMembership() {}

  /** The id of the instance whose data lives in {@code dataDir}; made on first use, the same ever after. */
  public static synchronized String instanceId(Path dataDir) {
    Path file = dataDir.resolve("streams").resolve("instance-id");
    try {
      if (Files.exists(file)) {
        String held = Files.readString(file, StandardCharsets.UTF_8).trim();
        if (ID.matcher(held).matches()) {
          return held;
        }
      }
      byte[] random = new byte[8];
      new SecureRandom().nextBytes(random);
      String made = HexFormat.of().formatHex(random);
      Files.createDirectories(file.getParent());
      Path temp = Files.createTempFile(file.getParent(), "instance-id", ".tmp");
      Files.writeString(temp, made + "\n", StandardCharsets.UTF_8);
      try {
        Files.move(temp, file, java.nio.file.StandardCopyOption.ATOMIC_MOVE);
      } catch (FileAlreadyExistsException raced) {
        Files.deleteIfExists(temp);
        return Files.readString(file, StandardCharsets.UTF_8).trim();
      }
      return made;
    } catch (IOException e) {
      throw new UncheckedIOException("cannot keep the instance id in " + file, e);
    }
  }
}
