package io.storystream.common.config;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.BufferedReader;
import java.io.InputStreamReader;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Set;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Several processes that start on one folder at the same moment (the services of a deployment, a benchmark's JVMs)
 * must all end up with the same generated secret: a service holding a master key of its own cannot unwrap the data
 * keys the others wrap. The synchronized method only orders threads of one JVM, so this runs real processes.
 */
class SecretsAcrossProcessesTest {
  private static final int PROCESSES = 6;

  @Test
  void processesRacingToCreateASecretAllReadTheSameOne(@TempDir Path dir) throws Exception {
    Path file = dir.resolve("master-keys");
    List<Process> children = new ArrayList<>();
    List<BufferedReader> outputs = new ArrayList<>();
    for (int i = 0; i < PROCESSES; i++) {
      Process child = new ProcessBuilder(Path.of(System.getProperty("java.home"), "bin", "java").toString(),
          "-Xshare:auto", "-XX:TieredStopAtLevel=1", "-cp", System.getProperty("java.class.path"),
          RaceChild.class.getName(), file.toString()).redirectError(ProcessBuilder.Redirect.INHERIT).start();
      children.add(child);
      outputs.add(new BufferedReader(new InputStreamReader(child.getInputStream(), StandardCharsets.UTF_8)));
    }
    for (BufferedReader out : outputs) {
      assertThat(out.readLine()).isEqualTo("READY"); // every JVM is up before any of them looks at the file
    }
    for (Process child : children) {
      child.getOutputStream().write('\n'); // the starting shot, to all of them within a millisecond or two
      child.getOutputStream().flush();
    }
    Set<String> seen = new HashSet<>();
    for (int i = 0; i < PROCESSES; i++) {
      seen.add(outputs.get(i).readLine());
      assertThat(children.get(i).waitFor()).isZero();
    }
    assertThat(seen).hasSize(1).containsExactly(Files.readString(file).trim());
    try (var left = Files.list(dir)) {
      assertThat(left).containsExactly(file); // no temporary file left behind
    }
  }

  /** One racing process: waits for the shot on standard input, then reads or creates the secret and prints it. */
  public static final class RaceChild {
    public static void main(String[] args) throws Exception {
      System.out.println("READY");
      System.out.flush();
      System.in.read();
      System.out.println(Secrets.readOrCreate(Path.of(args[0]), ""));
    }
  }
}
