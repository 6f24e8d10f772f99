package io.storystream.launcher;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.BufferedReader;
import java.io.InputStreamReader;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.TimeUnit;
import java.util.function.Predicate;

/**
 * A storystream command in its own JVM, as an operator runs it: the test's class path, {@link StoryStream} as the
 * main class (or the launcher jar, see {@link #LAUNCHER_JAR}), its output collected line by line. {@link #stop()} sends SIGTERM (Ctrl-C's path through the shutdown
 * hook); {@link #kill()} sends SIGKILL, as {@code kill -9} does.
 */
public final class ChildProcess implements AutoCloseable {
  /**
   * System property: start children from this launcher jar ({@code launcher/target/storystream.jar}) instead of the
   * test's class path, the way {@code ./run.sh} does (measurements of a start use it; tests do not).
   */
  public static final String LAUNCHER_JAR = "storystream.child.jar";
  /** System property, with {@link #LAUNCHER_JAR}: the class-data archive {@code ./run.sh} maps (its path). */
  public static final String CLASS_ARCHIVE = "storystream.child.classArchive";
  private final String name;
  private final Process process;
  private final Thread reader;
  private final List<String> output = new CopyOnWriteArrayList<>();

  private ChildProcess(String name, Process process) {
    this.name = name;
    this.process = process;
    this.reader = new Thread(this::collect, "output-of-" + name);
    reader.setDaemon(true);
    reader.start();
  }

  /** Starts {@code storystream <args>} with {@code env} added to this JVM's environment and a small heap. */
  static ChildProcess start(String name, List<String> args, Map<String, String> env) throws Exception {
    return start(name, args, env, "512m");
  }

  /** As {@link #start(String, List, Map)} with the given maximum heap ({@code -Xmx}), e.g. "256m". */
  public static ChildProcess start(String name, List<String> args, Map<String, String> env, String heap)
      throws Exception {
    List<String> command = new ArrayList<>(List.of(
        Path.of(System.getProperty("java.home"), "bin", "java").toString(),
        "-Xmx" + heap, "-XX:+UseSerialGC", "-XX:TieredStopAtLevel=1",
        "-Dorg.apache.avro.SERIALIZABLE_PACKAGES=io.storystream.schemas"));
    String jar = System.getProperty(LAUNCHER_JAR);
    if (jar == null) {
      command.addAll(List.of("-cp", System.getProperty("java.class.path"), StoryStream.class.getName()));
    } else {
      // as ./run.sh starts a service: the launcher's jar, and the application's class-data archive when there is one
      String archive = System.getProperty(CLASS_ARCHIVE);
      if (archive != null) {
        command.addAll(List.of("-XX:SharedArchiveFile=" + archive, "-Xlog:cds=off", "-Xlog:cds+dynamic=off"));
      }
      command.addAll(List.of("-jar", jar));
    }
    command.addAll(args);
    ProcessBuilder builder = new ProcessBuilder(command).redirectErrorStream(true);
    builder.environment().remove("STORYSTREAM_OPERATOR_TOKEN");
    builder.environment().putAll(env);
    return new ChildProcess(name, builder.start());
  }

  /** Keeps every line, and copies them to {@code target/child-logs/<name>.log} for a post-mortem. */
  private void collect() {
    Path log = Path.of("target", "child-logs", name + ".log");
    try (BufferedReader lines = new BufferedReader(new InputStreamReader(process.getInputStream(), StandardCharsets.UTF_8));
         java.io.Writer copy = java.nio.file.Files.newBufferedWriter(
             java.nio.file.Files.createDirectories(log.getParent()).resolve(log.getFileName()))) {
      String line;
      while ((line = lines.readLine()) != null) {
        output.add(line);
        copy.write(line);
        copy.write('\n');
        copy.flush();
      }
    } catch (Exception ignored) {
      // the process ended
    }
  }

  /** Waits until a line of output matches, failing early if the process exits first. */
  public ChildProcess awaitLine(Predicate<String> ready, Duration timeout) throws InterruptedException {
    long deadline = System.nanoTime() + timeout.toNanos();
    while (output.stream().noneMatch(ready)) {
      assertThat(process.isAlive()).as("%s exited early:%n%s", name, tail()).isTrue();
      assertThat(System.nanoTime()).as("%s ready within %s:%n%s", name, timeout, tail()).isLessThan(deadline);
      Thread.sleep(100); // polling the child's output for readiness
    }
    return this;
  }

  public ChildProcess awaitLine(String fragment, Duration timeout) throws InterruptedException {
    return awaitLine(l -> l.contains(fragment), timeout);
  }

  List<String> output() {
    return output;
  }

  public String tail() {
    List<String> lines = List.copyOf(output);
    return String.join("\n", lines.subList(Math.max(0, lines.size() - 40), lines.size()));
  }

  public boolean isAlive() {
    return process.isAlive();
  }

  int exitCode() {
    return process.exitValue();
  }

  /** SIGTERM and wait; the JVM runs its shutdown hooks as on Ctrl-C. */
  public void stop() throws InterruptedException {
    // through the handle: Process.destroy() also closes our end of the child's output before its last lines arrive
    process.toHandle().destroy();
    assertThat(process.waitFor(60, TimeUnit.SECONDS)).as("%s stopped within 60 s", name).isTrue();
    reader.join(10_000);
  }

  /** SIGKILL: no shutdown hook, no flush, no goodbye. */
  public void kill() throws InterruptedException {
    resume(); // a stopped process cannot die of SIGKILL's follow-up waits otherwise
    process.destroyForcibly();
    process.waitFor(30, TimeUnit.SECONDS);
  }

  /** SIGSTOP: the JVM freezes mid-whatever, heartbeats and all, as a long GC pause or a frozen VM does. */
  public void pause() throws Exception {
    signal("STOP");
  }

  /** SIGCONT after {@link #pause()}: the process carries on as if nothing happened (a zombie, if it was replaced). */
  public void resume() throws InterruptedException {
    try {
      signal("CONT");
    } catch (java.io.IOException e) {
      throw new IllegalStateException(e);
    }
  }

  private void signal(String signal) throws java.io.IOException, InterruptedException {
    if (process.isAlive()) {
      // nothing inherited: under Surefire this JVM's standard streams are its channel to Maven
      new ProcessBuilder("kill", "-" + signal, Long.toString(process.pid()))
          .redirectInput(ProcessBuilder.Redirect.from(new java.io.File("/dev/null")))
          .redirectOutput(ProcessBuilder.Redirect.DISCARD).redirectError(ProcessBuilder.Redirect.DISCARD)
          .start().waitFor();
    }
  }

  @Override
  public void close() throws InterruptedException {
    if (process.isAlive()) {
      kill();
    }
  }
}
