package io.storystream.launcher;

import io.storystream.embedded.FreePorts;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.List;

/**
 * Every port of one embedded default, each a free one, so tests never collide with each other or with a running
 * system on the fixed defaults; as the launcher's flags of a child process.
 */
record FreePortSystem(int kafka, int kafkaController, int s3, int registry, int tenant, int operator, int billing,
                      int standIn, int management, int postgres) {

  static FreePortSystem pick() {
    return new FreePortSystem(FreePorts.pick(), FreePorts.pick(), FreePorts.pick(), FreePorts.pick(),
        FreePorts.pick(), FreePorts.pick(), FreePorts.pick(), FreePorts.pick(), FreePorts.pick(), FreePorts.pick());
  }

  /** The flags of a child `storystream` with its data under {@code home}/data and two partitions a topic. */
  List<String> args(Path home) throws IOException {
    traversable(home);
    return List.of("--data-dir", home.resolve("data").toString(),
        "--kafka-port", Integer.toString(kafka), "--kafka-controller-port", Integer.toString(kafkaController),
        "--s3-port", Integer.toString(s3), "--registry-port", Integer.toString(registry),
        "--ingress-port", Integer.toString(tenant), "--admin-port", Integer.toString(operator),
        "--billing-port", Integer.toString(billing), "--standin-port", Integer.toString(standIn),
        "--management-port", Integer.toString(management), "--postgres-port", Integer.toString(postgres),
        "--partitions", "2");
  }

  /** The embedded PostgreSQL runs as the postgres user when the tests run as root: it must pass through here. */
  static void traversable(Path folder) throws IOException {
    Files.setPosixFilePermissions(folder, PosixFilePermissions.fromString("rwx--x--x"));
  }
}
