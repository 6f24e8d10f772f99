package io.storystream.datastorybot.standin.analysis;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashMap;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * Infers each column's type and computes its profile. A column is numeric or date when at least 95% of its
 * non-empty values parse as such; otherwise categorical when it has few distinct values (at most 50, and at most
 * half of its values unless it is tiny), else free text.
 */
public final class Profiler {
  static final double TYPE_SHARE = 0.95;
  static final int MAX_CATEGORIES = 50;
  private static final int SAMPLE = 2_000;

  private Profiler() {}

  public static List<Column> profile(CsvTable table) {
    List<Column> columns = new ArrayList<>();
    for (int c = 0; c < table.headers().size(); c++) {
      columns.add(column(table, c));
    }
    return columns;
  }

  private static Column column(CsvTable table, int c) {
    List<String[]> rows = table.rows();
    int n = rows.size();
    List<String> sample = new ArrayList<>();
    long nonEmpty = 0;
    for (String[] row : rows) {
      if (!row[c].isEmpty()) {
        nonEmpty++;
        if (sample.size() < SAMPLE) {
          sample.add(row[c]);
        }
      }
    }
    String name = table.headers().get(c);
    if (nonEmpty == 0) {
      return new Column(c, name, ColumnType.EMPTY, new Profile(n, n, 0, Double.NaN, Double.NaN, Double.NaN,
          Double.NaN, Double.NaN, Double.NaN, Double.NaN, Double.NaN), null, null, null, Map.of());
    }
    // numeric?
    Values.Decimal decimal = Values.decimalOf(sample, table.delimiter());
    if (share(sample, v -> !Double.isNaN(Values.number(v, decimal))) >= TYPE_SHARE) {
      double[] numbers = new double[n];
      for (int r = 0; r < n; r++) {
        numbers[r] = rows.get(r)[c].isEmpty() ? Double.NaN : Values.number(rows.get(r)[c], decimal);
      }
      if (presentShare(numbers, nonEmpty) >= TYPE_SHARE) {
        return new Column(c, name, ColumnType.NUMERIC, numericProfile(numbers, n, distinctOf(rows, c)), numbers,
            decimal, null, Map.of());
      }
    }
    // date?
    Values.DateLayout layout = bestLayout(sample);
    if (layout != null) {
      double[] numbers = new double[n];
      for (int r = 0; r < n; r++) {
        String v = rows.get(r)[c];
        long seconds = v.isEmpty() ? Long.MIN_VALUE : layout.epochSeconds(v);
        numbers[r] = seconds == Long.MIN_VALUE ? Double.NaN : seconds;
      }
      if (presentShare(numbers, nonEmpty) >= TYPE_SHARE) {
        return new Column(c, name, ColumnType.DATE, numericProfile(numbers, n, distinctOf(rows, c)), numbers, null,
            layout, Map.of());
      }
    }
    // categorical or free text
    Map<String, Long> counts = new HashMap<>();
    for (String[] row : rows) {
      if (!row[c].isEmpty()) {
        counts.merge(row[c], 1L, Long::sum);
        if (counts.size() > MAX_CATEGORIES && counts.size() > nonEmpty / 2) {
          break;
        }
      }
    }
    boolean categorical = counts.size() <= MAX_CATEGORIES && (counts.size() <= nonEmpty / 2 || nonEmpty < 20)
        && counts.size() < nonEmpty;
    Profile profile = new Profile(n, n - nonEmpty, categorical ? counts.size() : distinctOf(rows, c), Double.NaN,
        Double.NaN, Double.NaN, Double.NaN, Double.NaN, Double.NaN, Double.NaN, Double.NaN);
    return new Column(c, name, categorical ? ColumnType.CATEGORICAL : ColumnType.TEXT, profile, null, null, null,
        categorical ? sortedByCount(counts) : Map.of());
  }

  /** Value counts, most frequent first, ties by value, so every ranking is deterministic. */
  static Map<String, Long> sortedByCount(Map<String, Long> counts) {
    Map<String, Long> sorted = new LinkedHashMap<>();
    counts.entrySet().stream()
        .sorted(Map.Entry.<String, Long>comparingByValue().reversed().thenComparing(Map.Entry.comparingByKey()))
        .forEach(e -> sorted.put(e.getKey(), e.getValue()));
    return sorted;
  }

  private static long distinctOf(List<String[]> rows, int c) {
    Set<String> values = new HashSet<>();
    for (String[] row : rows) {
      if (!row[c].isEmpty()) {
        values.add(row[c]);
      }
    }
    return values.size();
  }

  private static Values.DateLayout bestLayout(List<String> sample) {
    Values.DateLayout first = Values.layoutOf(sample.get(0));
    if (first == null) {
      return null;
    }
    Values.DateLayout best = null;
    double bestShare = 0;
    for (Values.DateLayout layout : Values.LAYOUTS) {
      double share = share(sample, v -> layout.epochSeconds(v) != Long.MIN_VALUE);
      if (share > bestShare) {
        bestShare = share;
        best = layout;
      }
    }
    return bestShare >= TYPE_SHARE ? best : null;
  }

  private static double share(List<String> sample, java.util.function.Predicate<String> test) {
    long ok = sample.stream().filter(test).count();
    return (double) ok / sample.size();
  }

  private static double presentShare(double[] numbers, long nonEmpty) {
    long present = Arrays.stream(numbers).filter(v -> !Double.isNaN(v)).count();
    return (double) present / nonEmpty;
  }

  private static Profile numericProfile(double[] numbers, int n, long distinct) {
    double[] sorted = Stats.presentSorted(numbers);
    double sum = 0;
    for (double v : sorted) {
      sum += v;
    }
    double mean = sum / sorted.length;
    double squares = 0;
    for (double v : sorted) {
      squares += (v - mean) * (v - mean);
    }
    return new Profile(n, n - sorted.length, distinct, sorted[0], sorted[sorted.length - 1], mean,
        Stats.quantile(sorted, 0.5), Stats.quantile(sorted, 0.25), Stats.quantile(sorted, 0.75), sum,
        sorted.length > 1 ? Math.sqrt(squares / (sorted.length - 1)) : 0);
  }
}
