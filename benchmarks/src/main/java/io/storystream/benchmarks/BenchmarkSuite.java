package io.storystream.benchmarks;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.function.Consumer;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * {@code ./bench.sh [--quick|--full]}: runs each stage's benchmark main in its own JVM (the per-stage benchmarks in
 * the modules' test sources, then {@link SystemBenchmark}), reads their figures from what they print, and prints one
 * table: figure, the baseline measured in the same run, and the ratio. Logs go to {@code benchmarks/target/bench-logs}.
 *
 * <p>System properties (set by bench.sh): {@code bench.processor.cp}, {@code bench.billing.cp} and
 * {@code bench.ingress.cp}, the test class paths of the processor, the billing aggregator and the ingress.
 */
public final class BenchmarkSuite {
  private record Row(String stage, String figure, double value, String baseline, double baselineValue, String ratio) {}

  private final List<Row> rows = new ArrayList<>();
  private final Path logs;
  private final boolean full;

  private BenchmarkSuite(boolean full, Path logs) {
    this.full = full;
    this.logs = logs;
  }

  public static void main(String[] args) throws Exception {
    boolean full = args.length > 0 && args[0].equals("--full");
    // Quick mode leaves out the worker-alone stage: the system stage measures the same latencies and the in-flight
    // behaviour through the front door, and quick mode has to fit in 3 minutes on 2 cores.
    List<String> only = args.length > 1 ? List.of(args[1].split(","))
        : full ? List.of("admission", "billing", "inspection", "worker", "system")
        : List.of("admission", "billing", "inspection", "system");
    Path logs = Path.of("benchmarks", "target", "bench-logs");
    Files.createDirectories(logs);
    BenchmarkSuite suite = new BenchmarkSuite(full, logs);
    long t0 = System.nanoTime();
    String started = Instant.now().toString();
    String loadBefore = Files.readString(Path.of("/proc/loadavg")).trim();
    if (only.contains("admission")) {
      suite.admission();
    }
    if (only.contains("billing")) {
      suite.billing();
    }
    if (only.contains("inspection")) {
      suite.inspection();
    }
    if (only.contains("worker")) {
      suite.worker();
    }
    if (only.contains("system")) {
      suite.system();
    }
    String loadAfter = Files.readString(Path.of("/proc/loadavg")).trim();
    suite.print(String.format("storystream benchmarks, %s mode, started %s, %.0f s; load average before: %s; after: %s",
        full ? "full" : "quick", started, (System.nanoTime() - t0) / 1e9, loadBefore, loadAfter));
    System.exit(0);
  }

  private void admission() throws Exception {
    List<String> out = run("admission", System.getProperty("bench.processor.cp"),
        "io.storystream.processor.admission.AdmissionBenchmark", full ? List.of("100000", "100", "6")
            : List.of("6000", "50", "6"));
    // medians of alternating rounds; the benchmark's log has each round with the load average
    Matcher m = find(out, "RESULT admission ([\\d,]+) req/s vs plain EOS count ([\\d,]+) rec/s \\(ratio [\\d.]+, "
        + "range ([\\d.]+)–([\\d.]+)\\), medians of (\\d+) rounds");
    if (m != null) {
      add("2 admission", "requests/s through admission (median of " + m.group(5) + " rounds; per-round ratio "
          + m.group(3) + "–" + m.group(4) + ")", num(m.group(1)), "plain EOS count, same settings, records/s",
          num(m.group(2)));
    }
  }

  private void billing() throws Exception {
    List<String> out = run("billing", System.getProperty("bench.billing.cp"), "io.storystream.billing.BillingBenchmark",
        // quick: 200,000 events; at 30,000 a round lasted a tenth of a second and two runs' ratios were 0.212 and 0.497
        full ? List.of("--full") : List.of("200000", "200000", "40"));
    // medians of alternating rounds; the benchmark's log has each round with the load average
    Matcher t = find(out, "RESULT billing ([\\d,]+) rec/s vs plain EOS count ([\\d,]+) rec/s \\(ratio [\\d.]+, "
        + "range ([\\d.]+)–([\\d.]+)\\), medians of (\\d+) rounds");
    if (t != null) {
      add("3 billing", "usage events/s through billing (median of " + t.group(5) + " rounds; per-round ratio "
          + t.group(3) + "–" + t.group(4) + ")", num(t.group(1)), "plain EOS count, same settings, records/s",
          num(t.group(2)));
      Matcher r = find(out, "replay of (\\d+) usage events: ([\\d.]+) s");
      if (r != null) {
        double events = num(r.group(1));
        add("3 billing", String.format("replay of %,.0f events (s)", events), num(r.group(2)),
            "same events at the plain count's rate (s)", events / num(t.group(2)));
      }
    }
    Matcher l = find(out, "statement update latency over (\\d+) events \\(statement interval (\\d+) ms\\): "
        + "p50 (\\d+) ms, p99 (\\d+) ms");
    if (l != null) {
      double interval = num(l.group(2));
      add("4 latency", "usage event → statement update p50 (ms)", num(l.group(3)), "statement interval (ms)", interval);
      add("4 latency", "usage event → statement update p99 (ms)", num(l.group(4)), "statement interval (ms)", interval);
    }
  }

  /** Upload path with and without the CSV check, 50 MB of each hostile shape (ingress's CsvInspectionBenchmark). */
  private void inspection() throws Exception {
    List<String> out = run("inspection", System.getProperty("bench.ingress.cp"),
        "io.storystream.ingress.files.CsvInspectionBenchmark", List.of("50"));
    Pattern p = Pattern.compile("RESULT inspection (.+): (\\d+) MB, peak heap ([\\d.]+) MB in ([\\d.]+) s \\((.+)\\) vs "
        + "without inspection ([\\d.]+) MB in ([\\d.]+) s");
    for (String line : out) {
      Matcher m = p.matcher(line);
      if (m.find()) {
        add("1 ingress inspection", "peak heap above idle (MB), " + m.group(2) + " MB " + m.group(1) + ", " + m.group(5),
            num(m.group(3)), "same upload without inspection (MB)", num(m.group(6)));
        add("1 ingress inspection", "time to " + (m.group(5).startsWith("refused") ? "refuse" : "accept") + " (s), "
            + m.group(2) + " MB " + m.group(1), num(m.group(4)), "same upload without inspection (s)", num(m.group(7)));
      }
    }
  }

  private void worker() throws Exception {
    List<String> out = run("worker", System.getProperty("bench.processor.cp"),
        "io.storystream.processor.worker.WorkerBenchmark", full ? List.of("1000", "3000") : List.of("200", "1000"));
    Matcher start = find(out, "submit → worker start\\s+p50\\s+(-?\\d+) ms\\s+p99\\s+(-?\\d+) ms");
    Matcher base = find(out, "baseline produce → consume\\s+p50\\s+(-?\\d+) ms\\s+p99\\s+(-?\\d+) ms");
    Matcher visible = find(out, "completion → status visible\\s+p50\\s+(-?\\d+) ms\\s+p99\\s+(-?\\d+) ms");
    if (start != null && base != null) {
      add("4 latency", "work record → worker start p50 (ms, worker alone)", num(start.group(1)),
          "plain consumer, same records p50", num(base.group(1)));
      add("4 latency", "work record → worker start p99 (ms, worker alone)", num(start.group(2)),
          "plain consumer, same records p99", num(base.group(2)));
    }
    if (visible != null && base != null) {
      add("4 latency", "completion → status on the topic p50 (ms, worker alone)", num(visible.group(1)),
          "plain produce → consume p50", num(base.group(1)));
      add("4 latency", "completion → status on the topic p99 (ms, worker alone)", num(visible.group(2)),
          "plain produce → consume p99", num(base.group(2)));
    }
    Matcher tput = find(out, "= (\\d+) jobs/s with (\\d+) in flight");
    Matcher ideal = find(out, "stand-in (\\d+) ms per call .*ideal \\d+ / ([\\d.]+) s = (\\d+) jobs/s");
    if (tput != null && ideal != null) {
      add("5 end to end", "jobs/s, worker alone, " + ideal.group(1) + " ms per stand-in call, " + tput.group(2)
          + " in flight", num(tput.group(1)), "ideal in-flight / " + ideal.group(2) + " s per job", num(ideal.group(3)));
    }
  }

  private void system() throws Exception {
    List<String> out = run("system", System.getProperty("java.class.path"), SystemBenchmark.class.getName(),
        List.of(full ? "--full" : "--quick"));
    for (String line : out) {
      if (line.startsWith("ROW|")) {
        String[] f = line.split("\\|", -1);
        rows.add(new Row(f[1], f[2], Double.parseDouble(f[3]), f[4], f[5].isEmpty() ? Double.NaN : Double.parseDouble(f[5]), f[6]));
      }
    }
  }

  /** Runs one benchmark main in its own JVM, keeps its log, and adds its CPU seconds and peak memory to the table. */
  private List<String> run(String name, String classpath, String mainClass, List<String> args) throws Exception {
    List<String> out = List.of();
    Child child = null;
    for (int attempt = 1; attempt <= 2; attempt++) {
      child = runOnce(name, classpath, mainClass, args);
      out = new ArrayList<>(child.lines);
      if (out.stream().noneMatch(line -> line.startsWith("Exception in thread \"main\""))) {
        break;
      }
      // on a loaded machine the first schema registration or topic creation can time out: one more try
      System.err.printf("  %s failed (attempt %d); see its log%n", name, attempt);
    }
    add("6 resources", name + " benchmark JVM CPU s", child.cpuSeconds(), "", Double.NaN);
    add("6 resources", name + " benchmark JVM peak RSS (MB)", child.peakRssMb(), "", Double.NaN);
    return out;
  }

  private Child runOnce(String name, String classpath, String mainClass, List<String> args) throws Exception {
    if (classpath == null || classpath.isBlank()) {
      throw new IllegalStateException("no class path for " + name + " (run ./bench.sh)");
    }
    Path log = logs.resolve(name + ".log");
    System.err.printf("[%s] %s %s (log: %s)%n", Instant.now(), name, String.join(" ", args), log);
    Consumer<String> progress = line -> {
      // log lines (plain or JSON) stay in the stage's log; the benchmark's own lines are echoed as progress
      if (!line.contains(" INFO ") && !line.contains(" WARN ") && !line.contains(" ERROR ") && !line.startsWith("\t")
          && !line.startsWith("{\"@timestamp\"")
          && !line.startsWith(" ") && line.length() < 300) {
        System.err.println("  " + name + ": " + line);
      }
    };
    List<String> jvm = new ArrayList<>(List.of("-Xmx2g"));
    String jfr = System.getenv("BENCH_JFR");
    if (jfr != null && !jfr.isBlank()) { // a folder: one profile per stage JVM, for scripts/jfr-threads.sh
      Files.createDirectories(Path.of(jfr));
      jvm.add("-XX:StartFlightRecording=filename=" + Path.of(jfr, name + ".jfr").toAbsolutePath() + ",settings=profile");
    }
    Child child = Child.start(name, Child.java(classpath, jvm, mainClass, args), null, null, progress);
    int code = child.waitFor();
    Files.write(log, child.lines);
    if (code != 0) {
      System.err.printf("  %s exited with %d; see %s%n", name, code, log);
    }
    return child;
  }

  private static Matcher find(List<String> lines, String regex) {
    Pattern p = Pattern.compile(regex);
    for (String line : lines) {
      Matcher m = p.matcher(line);
      if (m.find()) {
        return m;
      }
    }
    return null;
  }

  private static double num(String s) {
    return Double.parseDouble(s.replace(",", ""));
  }

  private void add(String stage, String figure, double value, String baseline, double baselineValue) {
    rows.add(new Row(stage, figure, value, baseline, baselineValue,
        Double.isNaN(baselineValue) || baselineValue == 0 ? "" : String.format(Locale.ROOT, "%.3f", value / baselineValue)));
  }

  private void print(String header) throws IOException {
    List<Row> sorted = rows.stream().sorted(java.util.Comparator.comparing(Row::stage)).toList();
    RunComparison comparison = new RunComparison(logs, full ? "full" : "quick");
    List<String> cells = sorted.stream().map(r -> comparison.cell(r.stage(), r.figure(), r.value(), r.ratio()))
        .toList();
    StringBuilder table = new StringBuilder(header).append("\n");
    table.append("Reproducibility: ").append(comparison.summary(cells)).append(" (the last column: the previous run's"
        + " ratio, or value where there is no baseline, and this run's change against it).\n\n");
    table.append("| stage | figure | value | baseline (same run) | baseline value | ratio | previous run (change) |\n");
    table.append("|---|---|---:|---|---:|---:|---:|\n");
    for (int i = 0; i < sorted.size(); i++) {
      Row r = sorted.get(i);
      table.append(String.format("| %s | %s | %s | %s | %s | %s | %s |%n", r.stage(), r.figure(), fmt(r.value()),
          r.baseline(), Double.isNaN(r.baselineValue()) ? "" : fmt(r.baselineValue()), r.ratio(), cells.get(i)));
    }
    System.out.println();
    System.out.print(table);
    Files.writeString(logs.resolve("table.md"), table);
    comparison.save();
  }

  private static String fmt(double v) {
    return Math.abs(v) >= 100 ? String.format(Locale.ROOT, "%,.0f", v) : String.format(Locale.ROOT, "%.2f", v);
  }
}
