package io.storystream.testsupport;

import java.io.File;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import org.junit.jupiter.api.Assertions;
import org.junit.jupiter.api.Assumptions;

/**
 * Outside tools some tests drive (Node.js and npm, docker-compose). The README's test command installs them and
 * sets {@value #REQUIRED_PROPERTY}: there a missing tool fails the test, so a run cannot pass by skipping what it was
 * meant to check. A developer running one module's tests with plain Maven, without the tools, gets a skip instead.
 */
public final class TestTools {
  public static final String REQUIRED_PROPERTY = "storystream.test-tools.required";

  private TestTools() {}

  /** Fails (under the test command) or skips (elsewhere) the calling test unless every tool is on the PATH. */
  public static void require(String... tools) {
    String[] missing = Arrays.stream(tools).filter(t -> !onPath(t)).toArray(String[]::new);
    if (missing.length == 0) {
      return;
    }
    String message = String.join(", ", missing) + " not on the PATH; ./test.sh installs it "
        + "(scripts/install-test-tools.sh)";
    if (Boolean.getBoolean(REQUIRED_PROPERTY)) {
      Assertions.fail(message);
    }
    Assumptions.abort(message);
  }

  public static boolean onPath(String tool) {
    return Arrays.stream(System.getenv().getOrDefault("PATH", "").split(File.pathSeparator))
        .anyMatch(dir -> !dir.isEmpty() && Files.isExecutable(Path.of(dir, tool)));
  }
}
