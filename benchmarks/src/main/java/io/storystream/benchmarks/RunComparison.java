package io.storystream.benchmarks;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;

/**
 * Compares each figure of a run with the same figure of the previous run of the same mode on this machine, so that
 * the table says by itself which figures reproduce: the bar is two runs on an idle machine agreeing within
 * 15 %. A figure is compared by its ratio to its baseline when it has one (the baseline is measured in the same run,
 * so the ratio is what is meant to carry from run to run), otherwise by its value. The previous run's figures are
 * kept in {@code bench-logs/figures-<mode>.tsv}; a fresh checkout has none, and the column stays empty.
 */
final class RunComparison {
  static final double AGREEMENT = 0.15;

  private final Path file;
  private final Map<String, Double> previous = new LinkedHashMap<>();
  private final Map<String, Double> current = new LinkedHashMap<>();

  RunComparison(Path logs, String mode) throws IOException {
    this.file = logs.resolve("figures-" + mode + ".tsv");
    if (Files.exists(file)) {
      for (String line : Files.readAllLines(file)) {
        String[] f = line.split("\t");
        if (f.length == 2) {
          previous.put(f[0], Double.parseDouble(f[1]));
        }
      }
    }
  }

  /**
   * The same figure across runs: its stage and name without the parts in parentheses that hold numbers (a round
   * count, a per-round range, a duration), which change from run to run.
   */
  static String key(String stage, String figure) {
    return (stage + " | " + figure.replaceAll("\\([^()]*\\d[^()]*\\)", "").replaceAll("\\s+", " ")).trim();
  }

  /** The figure compared across runs: the ratio when there is one, else the value. */
  static double comparable(double value, String ratio) {
    return ratio == null || ratio.isBlank() ? value : Double.parseDouble(ratio);
  }

  /** The cell for this figure: the previous run's comparable figure and the change, flagged beyond 15 %. */
  String cell(String stage, String figure, double value, String ratio) {
    double now = comparable(value, ratio);
    String key = key(stage, figure);
    current.put(key, now);
    Double before = previous.get(key);
    if (before == null || Double.isNaN(now) || Double.isNaN(before)) {
      return "";
    }
    double change = before == 0 ? (now == 0 ? 0 : Double.POSITIVE_INFINITY) : (now - before) / Math.abs(before);
    boolean isRatio = ratio != null && !ratio.isBlank();
    String shown = String.format(Locale.ROOT, Math.abs(before) >= 100 ? "%,.0f (%+.0f %%)"
        : isRatio ? "%.3f (%+.0f %%)" : "%.2f (%+.0f %%)", before, 100 * change);
    return Math.abs(change) > AGREEMENT ? shown + " **differs**" : shown;
  }

  /** How many figures had a previous value, and how many of those agree within 15 %. */
  String summary(List<String> cells) {
    long compared = cells.stream().filter(c -> !c.isEmpty()).count();
    long differ = cells.stream().filter(c -> c.endsWith("**differs**")).count();
    return compared == 0 ? "no previous run of this mode in " + file.getParent() + " to compare with"
        : String.format(Locale.ROOT, "%d of %d figures agree with the previous run within %.0f %%; %d differ (marked)",
            compared - differ, compared, 100 * AGREEMENT, differ);
  }

  /** Keeps this run's figures for the next run to compare with (and those of stages this run left out). */
  void save() throws IOException {
    Map<String, Double> kept = new LinkedHashMap<>(previous);
    kept.putAll(current);
    StringBuilder out = new StringBuilder();
    kept.forEach((k, v) -> out.append(k).append('\t').append(v).append('\n'));
    Files.writeString(file, out);
  }
}
