package io.storystream.benchmarks;

import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStreamReader;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import java.util.function.Consumer;
import java.util.regex.Pattern;

/**
 * A child process (a service JVM, wrk, a stage's benchmark main) whose output is kept and whose CPU seconds and
 * resident memory are read from {@code /proc/<pid>} while it runs: CPU is user+system time of the whole process
 * (every thread, JIT and GC included); memory is the peak resident set (VmHWM).
 */
final class Child implements AutoCloseable {
  private static final long TICKS_PER_SECOND = 100; // USER_HZ on Linux
  private static final int MAX_KEPT_LINES = 100_000;
  private static final Pattern LOG_LINE =
      Pattern.compile("^(\\d\\d:\\d\\d:\\d\\d\\.\\d{3} +(TRACE|DEBUG|INFO|WARN|ERROR) |\\t|\\.\\.\\. \\d+ more"
          + "|(org|java|javax|kafka)\\.[\\w.$]+(Exception|Error)\\b)");

  final String name;
  final Process process;
  final List<String> lines = java.util.Collections.synchronizedList(new ArrayList<>());
  private final CompletableFuture<String> ready = new CompletableFuture<>();
  private final Thread reader;
  private Path log;
  private volatile double cpuSeconds;
  private volatile long peakRssKb;
  private volatile long peakThreads;

  private Child(String name, Process process, String readyLine, Consumer<String> echo) {
    this.name = name;
    this.process = process;
    this.reader = new Thread(() -> {
      try (BufferedReader in = new BufferedReader(new InputStreamReader(process.getInputStream(),
          StandardCharsets.UTF_8))) {
        String line;
        while ((line = in.readLine()) != null) {
          // a 10M-event run logs millions of lines: past a bound only the benchmark's own (unformatted) lines are
          // kept, which is where its figures are; the parent JVM ran out of memory keeping them all
          if (lines.size() < MAX_KEPT_LINES || !LOG_LINE.matcher(line).find()) {
            lines.add(line);
          }
          if (echo != null) {
            echo.accept(line);
          }
          if (readyLine != null && line.startsWith(readyLine)) {
            ready.complete(line);
          }
        }
      } catch (IOException ignored) {
        // the process went away
      }
      ready.completeExceptionally(new IllegalStateException(name + " ended before it was ready"));
    }, "child-" + name);
    reader.setDaemon(true);
    reader.start();
    // Peak threads is a maximum over samples, so it needs samples while the service works, not only at its end.
    Thread sampler = new Thread(() -> {
      while (process.isAlive()) {
        sample();
        try {
          Thread.sleep(500);
        } catch (InterruptedException e) {
          return;
        }
      }
    }, "sample-" + name);
    sampler.setDaemon(true);
    sampler.start();
  }

  static Child start(String name, List<String> command, String readyLine, Path log, Consumer<String> echo)
      throws IOException {
    ProcessBuilder builder = new ProcessBuilder(command).redirectErrorStream(log == null);
    if (log != null) {
      builder.redirectError(log.toFile());
    }
    Child child = new Child(name, builder.start(), readyLine, echo);
    child.log = log;
    return child;
  }

  static List<String> java(String classpath, List<String> jvmArgs, String mainClass, List<String> args) {
    List<String> command = new ArrayList<>();
    command.add(Path.of(System.getProperty("java.home"), "bin", "java").toString());
    command.add("-Dorg.apache.avro.SERIALIZABLE_PACKAGES=io.storystream.schemas");
    command.add("-XX:+UseParallelGC");
    command.addAll(jvmArgs);
    command.add("-cp");
    command.add(classpath);
    command.add(mainClass);
    command.addAll(args);
    return command;
  }

  Child awaitReady(Duration timeout) throws Exception {
    ready.get(timeout.toMillis(), TimeUnit.MILLISECONDS);
    return this;
  }

  /** Reads CPU, peak RSS and threads now; the last sample taken before exit is what {@link #cpuSeconds()} reports. */
  synchronized void sample() {
    long pid = process.pid();
    try {
      String stat = Files.readString(Path.of("/proc", Long.toString(pid), "stat"));
      String[] f = stat.substring(stat.lastIndexOf(')') + 2).split(" ");
      // fields after the command: state(0) ... utime(11) stime(12)
      cpuSeconds = (Long.parseLong(f[11]) + Long.parseLong(f[12])) / (double) TICKS_PER_SECOND;
      for (String line : Files.readAllLines(Path.of("/proc", Long.toString(pid), "status"))) {
        if (line.startsWith("VmHWM:")) {
          peakRssKb = Long.parseLong(line.replaceAll("[^0-9]", ""));
        } else if (line.startsWith("Threads:")) {
          peakThreads = Math.max(peakThreads, Long.parseLong(line.replaceAll("[^0-9]", "")));
        }
      }
    } catch (IOException | RuntimeException gone) {
      // exited: keep the last sample
    }
  }

  double cpuSeconds() {
    return cpuSeconds;
  }

  long peakThreads() {
    return peakThreads;
  }

  long peakRssMb() {
    return peakRssKb / 1024;
  }

  /** Waits for the process to end, sampling its CPU and memory every 200 ms until then. */
  int waitFor() throws InterruptedException {
    do {
      sample();
    } while (!process.waitFor(200, TimeUnit.MILLISECONDS));
    // the process has ended, but its last lines (wrk prints its summary last) may still be in the pipe: read to the
    // end before anyone looks at them (a run failed with "wrk printed no summary: []")
    reader.join();
    return process.exitValue();
  }

  /** Closes standard input (a service's signal to stop), then waits; destroys it if it lingers. */
  @Override
  public void close() {
    sample();
    if (log != null) {
      try {
        Files.write(Path.of(log + ".out"), List.copyOf(lines)); // a service's own log lines, for a post-mortem
      } catch (IOException ignored) {
        // best effort
      }
    }
    try {
      process.getOutputStream().close();
      if (!process.waitFor(30, TimeUnit.SECONDS)) {
        process.destroy();
        if (!process.waitFor(10, TimeUnit.SECONDS)) {
          process.destroyForcibly();
        }
      }
    } catch (IOException | InterruptedException e) {
      process.destroyForcibly();
    }
  }
}
