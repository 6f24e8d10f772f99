package io.storystream.ingress.files;

import io.storystream.common.http.ProblemException;
import io.storystream.testsupport.GeneratedInput;
import java.io.IOException;
import java.io.OutputStream;
import java.lang.management.ManagementFactory;
import java.lang.management.MemoryPoolMXBean;
import java.lang.management.MemoryType;
import java.nio.charset.StandardCharsets;
import java.util.List;
import java.util.Locale;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.locks.LockSupport;

/**
 * Peak heap and time of the upload path ({@link MeteredInput} feeding the CSV check) for a file of each hostile
 * shape, next to the same bytes read through the same path without the CSV check. Run as a main in its own JVM
 * (bench.sh's "inspection" stage); prints one {@code RESULT} line per shape.
 *
 * <p>Peak heap is the largest of: the heap in use sampled every millisecond, the heap in use at the end, the sum of the
 * heap pools' peaks (pools peak at different moments, so an upper bound); minus the heap in use after a full GC
 * before the upload. Garbage counts: it is memory the process had to have.
 */
public final class CsvInspectionBenchmark {
  private CsvInspectionBenchmark() {}

  /** A file of one shape, generated as it is read: the benchmark itself holds none of it. */
  record ShapeSpec(String name, String head, String fill, String tail) {}

  static final List<ShapeSpec> SHAPES = List.of(
      new ShapeSpec("one line of commas", "", ",", "\n"),
      new ShapeSpec("millions of columns", "a,b\n", "1,", "1\n"),
      new ShapeSpec("one huge quoted field", "a\n\"", "x", "\"\n"),
      new ShapeSpec("one huge unquoted line", "a\n", "x", "\n"),
      new ShapeSpec("well-formed rows", "day,name,value,note\n", "2026-01-01,alpha,12.5,\"quoted, text\"\n", ""));

  public static void main(String[] args) throws Exception {
    long bytes = (args.length > 0 ? Long.parseLong(args[0]) : 50) * 1024 * 1024;
    List<String> only = args.length > 1 ? List.of(args[1].split(",")) : List.of();
    for (ShapeSpec shape : SHAPES) {
      if (!only.isEmpty() && only.stream().noneMatch(shape.name()::startsWith)) {
        continue;
      }
      Measurement plain = measure(shape, bytes, false);
      Measurement inspected = measure(shape, bytes, true);
      System.out.printf(Locale.ROOT, "RESULT inspection %s: %d MB, peak heap %.1f MB in %.2f s (%s) vs without "
              + "inspection %.1f MB in %.2f s%n", shape.name(), bytes >> 20, inspected.peakMb, inspected.seconds,
          inspected.outcome, plain.peakMb, plain.seconds);
    }
  }

  record Measurement(double peakMb, double seconds, String outcome) {}

  static Measurement measure(ShapeSpec shape, long bytes, boolean inspect) throws IOException {
    List<MemoryPoolMXBean> pools = ManagementFactory.getMemoryPoolMXBeans().stream()
        .filter(p -> p.getType() == MemoryType.HEAP).toList();
    System.gc();
    long idle = pools.stream().mapToLong(p -> p.getUsage().getUsed()).sum();
    pools.forEach(MemoryPoolMXBean::resetPeakUsage);
    // G1 updates a pool's peak at collections only: sample the heap in use as well
    AtomicLong sampled = new AtomicLong();
    AtomicBoolean running = new AtomicBoolean(true);
    Thread sampler = new Thread(() -> {
      while (running.get()) {
        sampled.accumulateAndGet(ManagementFactory.getMemoryMXBean().getHeapMemoryUsage().getUsed(), Math::max);
        LockSupport.parkNanos(1_000_000);
      }
    });
    sampler.setDaemon(true);
    sampler.start();
    long t0 = System.nanoTime();
    String outcome;
    MeteredInput metered = new MeteredInput(new GeneratedInput(shape.head(), shape.fill(), shape.tail(), bytes), Long.MAX_VALUE, OutputStream.nullOutputStream());
    try {
      if (inspect) {
        CsvInspector.Shape s = CsvInspector.inspect(metered);
        outcome = "accepted, " + s.rows() + " rows";
      } else {
        outcome = "not inspected";
      }
      metered.drain();
    } catch (ProblemException e) {
      outcome = "refused: " + e.problem().type().substring(e.problem().type().lastIndexOf('/') + 1);
    }
    double seconds = (System.nanoTime() - t0) / 1e9;
    long now = ManagementFactory.getMemoryMXBean().getHeapMemoryUsage().getUsed();
    running.set(false);
    try {
      sampler.join();
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
    }
    long peak = Math.max(Math.max(now, sampled.get()), pools.stream().mapToLong(p -> p.getPeakUsage().getUsed()).sum());
    return new Measurement(Math.max(0, peak - idle) / 1048576.0, seconds, outcome);
  }
}
