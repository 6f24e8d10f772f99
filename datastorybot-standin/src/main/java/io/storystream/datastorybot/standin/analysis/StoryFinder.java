package io.storystream.datastorybot.standin.analysis;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.Comparator;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;
import java.util.function.IntPredicate;
import java.util.regex.Pattern;

/**
 * Turns profiled columns into story angles with concrete numbers, then ranks them, steered by the prompt.
 *
 * <ul>
 *   <li>trend: the measure per period (month, day, … chosen from the date span), first vs last period and peak;</li>
 *   <li>top group: the leading value of a categorical column, its share of the measure (or of the answers) and the
 *       concentration of the top three;</li>
 *   <li>outliers: values beyond 3×IQR from the quartiles (Tukey's "far out" fences);</li>
 *   <li>correlation: the strongest Pearson pair among the measures (|r| ≥ 0.3);</li>
 *   <li>segment: when the prompt names a value of a categorical column ("North"), that value's share and trend;</li>
 *   <li>overview: always available as the last resort.</li>
 * </ul>
 * Measures are summed when additive (sales, units) and averaged when their name says they are levels (temperature,
 * rate, score, price, …) or when they take negative values.
 */
public final class StoryFinder {
  static final double OUTLIER_IQR = 3.0;
  static final double MIN_CORRELATION = 0.3;
  private static final Pattern LEVEL_NAME = Pattern.compile(
      ".*(temp|rate|ratio|pct|percent|score|price|avg|mean|humidity|pressure|level|reading|age|rating|speed|voltage).*");
  private static final Pattern ID_NAME = Pattern.compile("(?i)(.*[_ -])?(id|uuid|key|code|number|no)");
  private static final int SCATTER_POINTS = 2_000;

  private final String fileName;
  private final CsvTable table;
  private final List<Column> columns;
  private final Column date;
  private final List<Column> measures = new ArrayList<>();
  private final List<Column> categories = new ArrayList<>();
  private String[] periodKeys;

  /** A candidate with what ranking needs: the column it is mainly about and every column it involves. */
  private record Candidate(Angle angle, String primary, Set<String> involves) {}

  public StoryFinder(String fileName, CsvTable table, List<Column> columns) {
    this.fileName = fileName;
    this.table = table;
    this.columns = columns;
    this.date = columns.stream().filter(c -> c.type() == ColumnType.DATE && c.profile().distinct() > 1)
        .findFirst().orElse(null);
    for (Column c : columns) {
      if (c.type() == ColumnType.NUMERIC && !idLike(c) && c.profile().distinct() > 1) {
        measures.add(c);
      } else if (c.type() == ColumnType.CATEGORICAL && c.counts().size() > 1) {
        categories.add(c);
      }
    }
  }

  public List<Column> columns() {
    return columns;
  }

  public CsvTable table() {
    return table;
  }

  /**
   * The three best angles for this prompt, best first; fewer when the data offers fewer, none when it has no
   * date, measure or categorical column at all.
   */
  public List<Angle> stories(String steeringPrompt) {
    if (date == null && measures.isEmpty() && categories.isEmpty()) {
      // only free text, identifiers or empty columns: there is no story to tell (DataStoryBot's "no stories")
      return List.of();
    }
    Steering steering = new Steering(steeringPrompt == null ? "" : steeringPrompt);
    List<Candidate> candidates = new ArrayList<>();
    for (Column m : measures) {
      add(candidates, date == null ? null : trend(m, null, null), m.name(), date, m);
      add(candidates, outliers(m), m.name(), m);
    }
    if (date != null && measures.isEmpty()) {
      add(candidates, trend(null, null, null), date.name(), date);
    }
    for (Column c : categories) {
      for (Column m : measures) {
        Angle angle = topGroup(c, m);
        if (angle != null) {
          // the main measure is the default reading of "who leads"; others win only when the prompt names them
          double bonus = m == primaryMeasure() ? 0.3 : 0;
          candidates.add(candidate(angle.withScore(angle.score() + bonus), c.name(), c, m));
        }
      }
      add(candidates, topAnswer(c), c.name() + "#answers", c);
    }
    addCorrelation(candidates);
    add(candidates, overview(), "", new Column[0]);
    for (Map.Entry<Column, String> mention : steering.values.entrySet()) {
      Column c = mention.getKey();
      String value = mention.getValue();
      Column m = measures.stream().filter(steering::mentions).findFirst().orElse(primaryMeasure());
      Angle segment = segment(c, value, m);
      if (segment != null) {
        candidates.add(candidate(segment.withScore(segment.score() + 20), c.name() + "=" + value, c));
      }
      if (date != null) {
        Angle trend = trend(m, c, value);
        if (trend != null) {
          candidates.add(candidate(trend.withScore(trend.score() + 15), c.name() + "=" + value + "#trend", c, date));
        }
      }
    }
    List<Candidate> ranked = new ArrayList<>();
    for (Candidate candidate : candidates) {
      double score = candidate.angle().score();
      if (steering.kinds.contains(candidate.angle().kind())) {
        score += 10;
      }
      for (Column c : columns) {
        if (candidate.involves().contains(c.name()) && steering.mentions(c)) {
          score += 6;
        }
      }
      ranked.add(new Candidate(candidate.angle().withScore(score), candidate.primary(), candidate.involves()));
    }
    ranked.sort(Comparator.comparingDouble((Candidate c) -> -c.angle().score())
        .thenComparing(c -> c.angle().title()));
    return pick(ranked);
  }

  /** Greedy: first one per kind on distinct columns, then distinct columns, then anything; titles unique. */
  private static List<Angle> pick(List<Candidate> ranked) {
    List<Candidate> chosen = new ArrayList<>();
    for (int pass = 0; pass < 3 && chosen.size() < 3; pass++) {
      for (Candidate c : ranked) {
        if (chosen.size() == 3) {
          break;
        }
        boolean sameTitle = chosen.stream().anyMatch(x -> x.angle().title().equals(c.angle().title()));
        boolean sameKind = chosen.stream().anyMatch(x -> x.angle().kind() == c.angle().kind());
        boolean samePrimary = chosen.stream().anyMatch(x -> x.primary().equals(c.primary()));
        if (sameTitle || chosen.contains(c) || (pass == 0 && (sameKind || samePrimary)) || (pass == 1 && samePrimary)) {
          continue;
        }
        chosen.add(c);
      }
    }
    return chosen.stream().map(Candidate::angle).toList();
  }

  private void add(List<Candidate> candidates, Angle angle, String primary, Column... involved) {
    if (angle != null) {
      candidates.add(candidate(angle, primary, involved));
    }
  }

  private static Candidate candidate(Angle angle, String primary, Column... involved) {
    Set<String> names = new HashSet<>();
    for (Column c : involved) {
      if (c != null) {
        names.add(c.name());
      }
    }
    return new Candidate(angle, primary, names);
  }

  // --- angles ---------------------------------------------------------------------------------------------------

  /** A measure (or the row count when {@code m} is null) per period, optionally for one segment. */
  private Angle trend(Column m, Column segmentColumn, String segmentValue) {
    IntPredicate rows = r -> date.has(r) && (m == null || m.has(r))
        && (segmentColumn == null || table.rows().get(r)[segmentColumn.index()].equals(segmentValue));
    Fmt.Period period = period();
    String[] periodKeys = periodKeys();
    boolean additive = m == null || additive(m);
    TreeMap<String, double[]> perPeriod = new TreeMap<>();
    for (int r = 0; r < table.rowCount(); r++) {
      if (rows.test(r)) {
        double[] acc = perPeriod.computeIfAbsent(periodKeys[r], k -> new double[2]);
        acc[0] += m == null ? 1 : m.numbers()[r];
        acc[1]++;
      }
    }
    if (perPeriod.size() < 2) {
      return null;
    }
    List<String> keys = new ArrayList<>(perPeriod.keySet());
    double[] values = perPeriod.values().stream().mapToDouble(a -> additive ? a[0] : a[0] / a[1]).toArray();
    double first = values[0];
    double last = values[values.length - 1];
    int peak = 0;
    int low = 0;
    for (int i = 1; i < values.length; i++) {
      peak = values[i] > values[peak] ? i : peak;
      low = values[i] < values[low] ? i : low;
    }
    double change = first == 0 ? Double.NaN : (last - first) / Math.abs(first) * 100;
    String measure = m == null ? "row count" : (additive ? "total " : "average ") + m.name();
    String prefix = segmentColumn == null ? "" : segmentValue + ": ";
    String direction = Double.isNaN(change) ? (last > first ? "rose" : "changed")
        : Math.abs(change) < 1 ? "held steady" : change > 0 ? "rose" : "fell";
    String by = Double.isNaN(change) || Math.abs(change) < 1 ? "" : " " + Fmt.pct(Math.abs(change));
    String firstKey = keys.get(0);
    String lastKey = keys.get(keys.size() - 1);
    String title = prefix + capitalize(measure) + " " + direction + by + " from " + firstKey + " to " + lastKey;
    String scope = segmentColumn == null ? "" : " for " + segmentColumn.name() + " " + segmentValue;
    String changeText = Double.isNaN(change) ? "" : " (" + Fmt.signedPct(change) + ")";
    String summary = period.adjective + " " + measure + scope + " went from " + Fmt.num(first) + " in " + firstKey
        + " to " + Fmt.num(last) + " in " + lastKey + changeText + ", peaking at " + Fmt.num(values[peak]) + " in "
        + keys.get(peak) + ".";
    String lead = period.adjective + " " + measure + scope + " went from **" + Fmt.num(first) + "** in " + firstKey
        + " to **" + Fmt.num(last) + "** in " + lastKey + (Double.isNaN(change) ? "" : " (**" + Fmt.signedPct(change)
        + "**)") + ", peaking at **" + Fmt.num(values[peak]) + "** in " + keys.get(peak) + ".";
    double mean = Arrays.stream(values).average().orElse(0);
    String detail = "Over " + keys.size() + " periods the " + measure + " averaged " + Fmt.num(mean)
        + " per period; the lowest was " + Fmt.num(values[low]) + " in " + keys.get(low) + ".";
    String finding = Double.isNaN(change) ? "The " + measure + " peaked in " + keys.get(peak) + "."
        : "From the first to the last period the " + measure + " " + (direction.equals("held steady")
        ? "held steady" : direction + " by **" + Fmt.pct(Math.abs(change)) + "**") + ".";
    List<List<String>> tableRows = new ArrayList<>();
    tableRows.add(List.of(period.name().toLowerCase(Locale.ROOT), measure));
    int from = Math.max(0, keys.size() - 24);
    for (int i = from; i < keys.size(); i++) {
      tableRows.add(List.of(keys.get(i), Fmt.num(values[i])));
    }
    String yTitle = m == null ? "rows" : m.name();
    List<ChartSpec> charts = new ArrayList<>();
    charts.add(ChartSpec.line("trend.png", capitalize(prefix + period.adjective + " " + measure), period.name()
        .toLowerCase(Locale.ROOT), yTitle, period.adjective + " " + measure + scope + ", " + firstKey + " to "
        + lastKey, keys, values));
    if (segmentColumn == null && m != null && !categories.isEmpty()) {
      charts.add(groupBar(categories.get(0), m, "by-" + slug(categories.get(0).name()) + ".png"));
    }
    String filter = date.name() + " and " + (m == null ? "" : m.name() + " present")
        + (segmentColumn == null ? "" : " and " + segmentColumn.name() + " = \"" + segmentValue + "\"");
    double score = 3 + (Double.isNaN(change) ? 0 : Math.min(3, Math.abs(change) / 20));
    return new Angle(Angle.Kind.TREND, title, summary, score, lead, detail, finding, tableRows, filter, rows,
        "trend-" + slug(prefix + (m == null ? "rows" : m.name())) + ".csv", charts);
  }

  /** The leading value of {@code c} by the measure: its share when additive, its average otherwise. */
  private Angle topGroup(Column c, Column m) {
    Map<String, double[]> groups = groups(c, m, r -> true);
    if (groups.size() < 2) {
      return null;
    }
    boolean additive = additive(m);
    List<Map.Entry<String, Double>> ranked = rank(groups, additive);
    String top = ranked.get(0).getKey();
    double topValue = ranked.get(0).getValue();
    IntPredicate rows = r -> table.rows().get(r)[c.index()].equals(top);
    List<ChartSpec> charts = new ArrayList<>();
    charts.add(groupBar(c, m, "by-" + slug(c.name()) + ".png"));
    if (additive) {
      double total = ranked.stream().mapToDouble(Map.Entry::getValue).sum();
      int k = Math.min(3, ranked.size());
      double topK = ranked.subList(0, k).stream().mapToDouble(Map.Entry::getValue).sum();
      double share = topValue / total * 100;
      double topKShare = topK / total * 100;
      String title = top + " leads " + m.name() + " with " + Fmt.pct(share);
      String summary = top + " accounts for " + Fmt.pct(share) + " of total " + m.name() + " (" + Fmt.num(topValue)
          + " of " + Fmt.num(total) + "); the top " + k + " of " + ranked.size() + " " + c.name() + " values hold "
          + Fmt.pct(topKShare) + ".";
      String lead = "**" + top + "** accounts for **" + Fmt.pct(share) + "** of total " + m.name() + ": **"
          + Fmt.num(topValue) + "** of " + Fmt.num(total) + ".";
      String detail = "The top " + k + " of " + ranked.size() + " " + c.name() + " values hold " + Fmt.pct(topKShare)
          + " of the total; the smallest, " + ranked.get(ranked.size() - 1).getKey() + ", contributes "
          + Fmt.pct(ranked.get(ranked.size() - 1).getValue() / total * 100) + ".";
      String finding = top + " alone contributes **" + Fmt.pct(share) + "** of all " + m.name() + ".";
      if (date != null) {
        Angle trend = trend(m, c, top);
        if (trend != null) {
          charts.add(trend.charts().get(0));
        }
      }
      return new Angle(Angle.Kind.TOP_GROUP, title, summary, 2.5 + share / 50, lead, detail, finding,
          shareTable(c, m, ranked, total), c.name() + " = \"" + top + "\"", rows,
          "top-" + slug(c.name()) + "-" + slug(top) + ".csv", charts);
    }
    double overall = m.profile().mean();
    Map.Entry<String, Double> bottom = ranked.get(ranked.size() - 1);
    String title = top + " has the highest average " + m.name() + " (" + Fmt.num(topValue) + ")";
    String summary = "Average " + m.name() + " is highest for " + c.name() + " " + top + " at " + Fmt.num(topValue)
        + ", against " + Fmt.num(overall) + " overall; the lowest is " + bottom.getKey() + " at "
        + Fmt.num(bottom.getValue()) + ".";
    String lead = "Average " + m.name() + " is highest for " + c.name() + " **" + top + "** at **"
        + Fmt.num(topValue) + "**, against **" + Fmt.num(overall) + "** overall.";
    String detail = "The lowest average is " + bottom.getKey() + " at " + Fmt.num(bottom.getValue()) + " across "
        + ranked.size() + " " + c.name() + " values.";
    String finding = top + " runs **" + Fmt.num(topValue - overall) + "** above the overall average.";
    List<List<String>> tableRows = new ArrayList<>();
    tableRows.add(List.of(c.name(), "average " + m.name()));
    ranked.stream().limit(10).forEach(e -> tableRows.add(List.of(e.getKey(), Fmt.num(e.getValue()))));
    double spread = overall == 0 ? 0 : Math.min(1.5, Math.abs(topValue - overall) / Math.abs(overall));
    return new Angle(Angle.Kind.TOP_GROUP, title, summary, 2 + spread, lead, detail, finding, tableRows,
        c.name() + " = \"" + top + "\"", rows, "top-" + slug(c.name()) + "-" + slug(top) + ".csv", charts);
  }

  /** The most common answer of a categorical column. */
  private Angle topAnswer(Column c) {
    List<Map.Entry<String, Long>> counts = new ArrayList<>(c.counts().entrySet());
    long total = counts.stream().mapToLong(Map.Entry::getValue).sum();
    String top = counts.get(0).getKey();
    double share = counts.get(0).getValue() * 100.0 / total;
    double secondShare = counts.get(1).getValue() * 100.0 / total;
    String title = "\"" + top + "\" is the most common " + c.name() + " (" + Fmt.pct(share) + ")";
    String summary = top + " accounts for " + Fmt.count(counts.get(0).getValue()) + " of " + Fmt.count(total) + " "
        + c.name() + " answers (" + Fmt.pct(share) + "); " + counts.get(1).getKey() + " follows with "
        + Fmt.pct(secondShare) + ".";
    String lead = "**" + top + "** is the most common " + c.name() + ": **" + Fmt.count(counts.get(0).getValue())
        + "** of " + Fmt.count(total) + " answers (**" + Fmt.pct(share) + "**).";
    String detail = counts.get(1).getKey() + " follows with " + Fmt.count(counts.get(1).getValue()) + " ("
        + Fmt.pct(secondShare) + "); " + c.name() + " has " + counts.size() + " distinct answers"
        + (c.profile().nulls() > 0 ? " and " + Fmt.count(c.profile().nulls()) + " blanks" : "") + ".";
    String finding = "More than " + (share >= 50 ? "half" : "one in " + (int) Math.floor(100 / share))
        + " of the answers are **" + top + "**.";
    List<List<String>> tableRows = new ArrayList<>();
    tableRows.add(List.of(c.name(), "answers", "share"));
    counts.stream().limit(10).forEach(e -> tableRows.add(List.of(e.getKey(), Fmt.count(e.getValue()),
        Fmt.pct(e.getValue() * 100.0 / total))));
    List<String> labels = counts.stream().limit(12).map(Map.Entry::getKey).toList();
    double[] values = counts.stream().limit(12).mapToDouble(Map.Entry::getValue).toArray();
    List<ChartSpec> charts = List.of(ChartSpec.bar("answers-" + slug(c.name()) + ".png", "Answers: " + c.name(),
        c.name(), "answers", "Number of answers per " + c.name() + " value", labels, values));
    double score = 2 + share / 50 + (measures.isEmpty() ? 0.5 : 0);
    return new Angle(Angle.Kind.TOP_GROUP, title, summary, score, lead, detail, finding, tableRows,
        c.name() + " = \"" + top + "\"", r -> table.rows().get(r)[c.index()].equals(top),
        "answers-" + slug(c.name()) + "-" + slug(top) + ".csv", charts);
  }

  /** Values beyond 3×IQR from the quartiles. */
  private Angle outliers(Column m) {
    Profile p = m.profile();
    double iqr = p.q3() - p.q1();
    if (!(iqr > 0)) {
      return null;
    }
    double lo = p.q1() - OUTLIER_IQR * iqr;
    double hi = p.q3() + OUTLIER_IQR * iqr;
    IntPredicate rows = r -> m.has(r) && (m.numbers()[r] < lo || m.numbers()[r] > hi);
    int count = 0;
    int extreme = -1;
    for (int r = 0; r < table.rowCount(); r++) {
      if (rows.test(r)) {
        count++;
        if (extreme < 0 || Math.abs(m.numbers()[r] - p.median()) > Math.abs(m.numbers()[extreme] - p.median())) {
          extreme = r;
        }
      }
    }
    if (count == 0) {
      return null;
    }
    long present = p.count() - p.nulls();
    double share = count * 100.0 / present;
    String where = date != null && date.has(extreme) ? " at " + table.rows().get(extreme)[date.index()] : "";
    String title = count + " outlier " + (count == 1 ? "value" : "values") + " in " + m.name();
    String summary = Fmt.count(count) + " of " + Fmt.count(present) + " " + m.name() + " values (" + Fmt.pct(share)
        + ") lie outside [" + Fmt.num(lo) + ", " + Fmt.num(hi) + "], 3×IQR beyond the quartiles; the most extreme is "
        + Fmt.num(m.numbers()[extreme]) + where + ", against a median of " + Fmt.num(p.median()) + ".";
    String lead = "**" + Fmt.count(count) + "** of " + Fmt.count(present) + " " + m.name() + " values (**"
        + Fmt.pct(share) + "**) lie outside **[" + Fmt.num(lo) + ", " + Fmt.num(hi) + "]**.";
    String detail = "Half of the values lie between " + Fmt.num(p.q1()) + " and " + Fmt.num(p.q3())
        + " (median " + Fmt.num(p.median()) + "); the fences sit three interquartile ranges beyond them.";
    String finding = "The most extreme " + m.name() + " is **" + Fmt.num(m.numbers()[extreme]) + "**" + where + ".";
    List<List<String>> tableRows = new ArrayList<>();
    List<String> header = new ArrayList<>();
    if (date != null) {
      header.add(date.name());
    }
    header.add(m.name());
    tableRows.add(header);
    double[] hx = new double[count];
    double[] hy = new double[count];
    int h = 0;
    for (int r = 0; r < table.rowCount(); r++) {
      if (rows.test(r)) {
        hx[h] = x(r);
        hy[h++] = m.numbers()[r];
        if (tableRows.size() <= 10) {
          List<String> row = new ArrayList<>();
          if (date != null) {
            row.add(table.rows().get(r)[date.index()]);
          }
          row.add(Fmt.num(m.numbers()[r]));
          tableRows.add(row);
        }
      }
    }
    double[][] sample = sample(m, null);
    List<ChartSpec> charts = List.of(
        ChartSpec.scatter("outliers-" + slug(m.name()) + ".png", "Outliers in " + m.name(),
            date != null ? date.name() + " (days)" : "row", m.name(), m.name() + " per " + (date != null
            ? date.name() : "row") + ", outliers highlighted", sample[0], sample[1], hx, hy),
        ChartSpec.histogram("distribution-" + slug(m.name()) + ".png", "Distribution of " + m.name(), m.name(),
            "Distribution of " + m.name(), Stats.presentSorted(m.numbers())));
    return new Angle(Angle.Kind.OUTLIERS, title, summary, 2.5 + Math.min(1.5, share * 0.5), lead, detail, finding,
        tableRows, m.name() + " < " + Fmt.num(lo) + " or > " + Fmt.num(hi), rows,
        "outliers-" + slug(m.name()) + ".csv", charts);
  }

  private void addCorrelation(List<Candidate> candidates) {
    Column bestA = null;
    Column bestB = null;
    double best = 0;
    for (int i = 0; i < measures.size(); i++) {
      for (int j = i + 1; j < measures.size(); j++) {
        double r = Stats.pearson(measures.get(i).numbers(), measures.get(j).numbers());
        if (!Double.isNaN(r) && Math.abs(r) > Math.abs(best)) {
          best = r;
          bestA = measures.get(i);
          bestB = measures.get(j);
        }
      }
    }
    if (bestA == null || Math.abs(best) < MIN_CORRELATION) {
      return;
    }
    Column a = bestA;
    Column b = bestB;
    double r = best;
    IntPredicate rows = i -> a.has(i) && b.has(i);
    long n = java.util.stream.IntStream.range(0, table.rowCount()).filter(rows).count();
    String strength = Math.abs(r) >= 0.7 ? "strong" : Math.abs(r) >= 0.5 ? "moderate" : "weak";
    String title = a.name() + " and " + b.name() + (r > 0 ? " rise together" : " move in opposite directions")
        + " (r = " + Fmt.r(r) + ")";
    String summary = "Across " + Fmt.count(n) + " rows with both values, " + a.name() + " and " + b.name()
        + " have a Pearson correlation of " + Fmt.r(r) + " (" + strength + (r > 0 ? ", positive" : ", negative") + ").";
    String lead = "Across **" + Fmt.count(n) + "** rows, " + a.name() + " and " + b.name()
        + " have a Pearson correlation of **" + Fmt.r(r) + "**.";
    String detail = a.name() + " averages " + Fmt.num(a.profile().mean()) + " and " + b.name() + " averages "
        + Fmt.num(b.profile().mean()) + ".";
    String finding = "The relationship is " + strength + " and " + (r > 0 ? "positive" : "negative")
        + ": r = **" + Fmt.r(r) + "**.";
    double[][] sample = sample(b, a);
    List<ChartSpec> charts = List.of(ChartSpec.scatter("correlation-" + slug(a.name()) + "-" + slug(b.name())
        + ".png", a.name() + " vs " + b.name(), a.name(), b.name(), b.name() + " against " + a.name() + " (r = "
        + Fmt.r(r) + ")", sample[0], sample[1], null, null));
    List<List<String>> tableRows = List.of(List.of("pair", "r", "rows"),
        List.of(a.name() + " / " + b.name(), Fmt.r(r), Fmt.count(n)));
    candidates.add(candidate(new Angle(Angle.Kind.CORRELATION, title, summary, 1.5 + Math.abs(r), lead, detail,
        finding, tableRows, a.name() + " and " + b.name() + " present", rows,
        "correlation-" + slug(a.name()) + "-" + slug(b.name()) + ".csv", charts), a.name() + "~" + b.name(), a, b));
  }

  /** A value named in the prompt: its share of the measure (or of the answers) and its rank. */
  private Angle segment(Column c, String value, Column m) {
    IntPredicate rows = r -> table.rows().get(r)[c.index()].equals(value);
    List<ChartSpec> charts = new ArrayList<>();
    if (m != null && additive(m)) {
      List<Map.Entry<String, Double>> ranked = rank(groups(c, m, r -> true), true);
      double total = ranked.stream().mapToDouble(Map.Entry::getValue).sum();
      int rank = indexOf(ranked, value) + 1;
      double own = rank == 0 ? 0 : ranked.get(rank - 1).getValue();
      double share = total == 0 ? 0 : own / total * 100;
      charts.add(groupBar(c, m, "by-" + slug(c.name()) + ".png"));
      if (date != null) {
        Angle trend = trend(m, c, value);
        if (trend != null) {
          charts.add(trend.charts().get(0));
        }
      }
      String title = value + " accounts for " + Fmt.pct(share) + " of " + m.name();
      String summary = value + " (" + c.name() + ") accounts for " + Fmt.num(own) + " of " + Fmt.num(total)
          + " total " + m.name() + " (" + Fmt.pct(share) + "), rank " + rank + " of " + ranked.size() + ".";
      String lead = "**" + value + "** accounts for **" + Fmt.num(own) + "** of " + Fmt.num(total) + " total "
          + m.name() + " (**" + Fmt.pct(share) + "**).";
      String detail = "It ranks " + rank + " of " + ranked.size() + " " + c.name() + " values; the leader is "
          + ranked.get(0).getKey() + " with " + Fmt.num(ranked.get(0).getValue()) + ".";
      String finding = value + " holds **" + Fmt.pct(share) + "** of all " + m.name() + ".";
      return new Angle(Angle.Kind.SEGMENT, title, summary, 3, lead, detail, finding, shareTable(c, m, ranked, total),
          c.name() + " = \"" + value + "\"", rows, "segment-" + slug(c.name()) + "-" + slug(value) + ".csv", charts);
    }
    long own = c.counts().getOrDefault(value, 0L);
    long total = c.counts().values().stream().mapToLong(Long::longValue).sum();
    double share = own * 100.0 / total;
    List<String> labels = c.counts().keySet().stream().limit(12).toList();
    double[] values = c.counts().values().stream().limit(12).mapToDouble(Long::doubleValue).toArray();
    charts.add(ChartSpec.bar("answers-" + slug(c.name()) + ".png", "Answers: " + c.name(), c.name(), "answers",
        "Number of answers per " + c.name() + " value", labels, values));
    String title = value + " is " + Fmt.pct(share) + " of " + c.name() + " answers";
    String summary = value + " accounts for " + Fmt.count(own) + " of " + Fmt.count(total) + " " + c.name()
        + " answers (" + Fmt.pct(share) + ").";
    String lead = "**" + value + "** accounts for **" + Fmt.count(own) + "** of " + Fmt.count(total) + " " + c.name()
        + " answers (**" + Fmt.pct(share) + "**).";
    return new Angle(Angle.Kind.SEGMENT, title, summary, 3, lead, c.name() + " has " + c.counts().size()
        + " distinct answers.", value + " is chosen by **" + Fmt.pct(share) + "** of respondents.",
        List.of(List.of(c.name(), "answers"), List.of(value, Fmt.count(own))), c.name() + " = \"" + value + "\"", rows,
        "segment-" + slug(c.name()) + "-" + slug(value) + ".csv", charts);
  }

  private Angle overview() {
    Map<ColumnType, Long> byType = new TreeMap<>();
    for (Column c : columns) {
      byType.merge(c.type(), 1L, Long::sum);
    }
    StringBuilder types = new StringBuilder();
    byType.forEach((type, n) -> types.append(types.length() == 0 ? "" : ", ").append(n).append(' ')
        .append(type.label()));
    String title = fileName + ": " + Fmt.count(table.rowCount()) + " rows and " + columns.size() + " columns";
    String summary = Fmt.count(table.rowCount()) + " rows and " + columns.size() + " columns (" + types + ").";
    List<List<String>> tableRows = new ArrayList<>();
    tableRows.add(List.of("column", "type", "non-empty", "distinct", "min", "max", "mean", "median"));
    for (Column c : columns) {
      Profile p = c.profile();
      boolean numeric = c.type() == ColumnType.NUMERIC;
      tableRows.add(List.of(c.name(), c.type().label(), Fmt.count(p.count() - p.nulls()), Fmt.count(p.distinct()),
          numeric ? Fmt.num(p.min()) : "", numeric ? Fmt.num(p.max()) : "", numeric ? Fmt.num(p.mean()) : "",
          numeric ? Fmt.num(p.median()) : ""));
    }
    List<String> names = columns.stream().map(Column::name).toList();
    double[] filled = columns.stream().mapToDouble(c -> c.profile().count() - c.profile().nulls()).toArray();
    return new Angle(Angle.Kind.OVERVIEW, title, summary, 0.5, "The file has **" + Fmt.count(table.rowCount())
        + "** rows and **" + columns.size() + "** columns (" + types + ").", "Each column's profile follows.",
        "Every column is profiled below.", tableRows, "all rows", r -> true, "overview.csv",
        List.of(ChartSpec.bar("completeness.png", "Non-empty values per column", "column", "values",
            "Non-empty values per column", names, filled)));
  }

  // --- helpers --------------------------------------------------------------------------------------------------

  private Fmt.Period period() {
    return Fmt.Period.forSpan(date.profile().max() - date.profile().min());
  }

  /**
   * Each row's period label, computed once per finder: every trend (per measure, per segment, per chart) groups by
   * it, and formatting a date per row per trend dominated the analysis of large files.
   */
  private String[] periodKeys() {
    if (periodKeys == null) {
      Fmt.Period period = period();
      Map<Long, String> byBucket = new java.util.HashMap<>();
      long bucket = period == Fmt.Period.HOUR ? 3_600 : 86_400;
      String[] keys = new String[table.rowCount()];
      for (int r = 0; r < keys.length; r++) {
        if (date.has(r)) {
          long start = Math.floorDiv((long) date.numbers()[r], bucket) * bucket;
          keys[r] = byBucket.computeIfAbsent(start, s -> period.key(s));
        }
      }
      periodKeys = keys;
    }
    return periodKeys;
  }

  /** The measure a story talks about when the prompt names none: the additive one with the largest total. */
  private Column primaryMeasure() {
    Column best = null;
    for (Column m : measures) {
      if (best == null || (additive(m) && (!additive(best) || Math.abs(m.profile().sum()) > Math.abs(best.profile().sum())))) {
        best = m;
      }
    }
    return best;
  }

  private ChartSpec groupBar(Column c, Column m, String fileName) {
    boolean additive = additive(m);
    List<Map.Entry<String, Double>> ranked = rank(groups(c, m, r -> true), additive);
    List<Map.Entry<String, Double>> shown = ranked.subList(0, Math.min(12, ranked.size()));
    String measure = (additive ? "Total " : "Average ") + m.name();
    return ChartSpec.bar(fileName, measure + " by " + c.name(), c.name(), m.name(), measure + " by " + c.name(),
        shown.stream().map(Map.Entry::getKey).toList(), shown.stream().mapToDouble(Map.Entry::getValue).toArray());
  }

  private List<List<String>> shareTable(Column c, Column m, List<Map.Entry<String, Double>> ranked, double total) {
    List<List<String>> rows = new ArrayList<>();
    rows.add(List.of(c.name(), m.name(), "share"));
    ranked.stream().limit(10).forEach(e -> rows.add(List.of(e.getKey(), Fmt.num(e.getValue()),
        Fmt.pct(e.getValue() / total * 100))));
    return rows;
  }

  /** Sum and count of the measure per value of {@code c}. */
  private Map<String, double[]> groups(Column c, Column m, IntPredicate filter) {
    Map<String, double[]> groups = new LinkedHashMap<>();
    for (int r = 0; r < table.rowCount(); r++) {
      String key = table.rows().get(r)[c.index()];
      if (!key.isEmpty() && m.has(r) && filter.test(r)) {
        double[] acc = groups.computeIfAbsent(key, k -> new double[2]);
        acc[0] += m.numbers()[r];
        acc[1]++;
      }
    }
    return groups;
  }

  private static List<Map.Entry<String, Double>> rank(Map<String, double[]> groups, boolean additive) {
    List<Map.Entry<String, Double>> ranked = new ArrayList<>();
    groups.forEach((k, v) -> ranked.add(Map.entry(k, additive ? v[0] : v[0] / v[1])));
    ranked.sort(Map.Entry.<String, Double>comparingByValue().reversed().thenComparing(Map.Entry.comparingByKey()));
    return ranked;
  }

  private static int indexOf(List<Map.Entry<String, Double>> ranked, String key) {
    for (int i = 0; i < ranked.size(); i++) {
      if (ranked.get(i).getKey().equals(key)) {
        return i;
      }
    }
    return -1;
  }

  /** x of a row for scatter charts: days since epoch of its date, else its row number. */
  private double x(int r) {
    return date != null && date.has(r) ? date.numbers()[r] / 86_400 : r + 1;
  }

  /** Up to {@link #SCATTER_POINTS} evenly spaced points: y from {@code y}, x from {@code xColumn} or {@link #x}. */
  private double[][] sample(Column y, Column xColumn) {
    int n = table.rowCount();
    int step = Math.max(1, n / SCATTER_POINTS);
    List<double[]> points = new ArrayList<>();
    for (int r = 0; r < n; r += step) {
      if (y.has(r) && (xColumn == null || xColumn.has(r))) {
        points.add(new double[] {xColumn == null ? x(r) : xColumn.numbers()[r], y.numbers()[r]});
      }
    }
    return new double[][] {points.stream().mapToDouble(p -> p[0]).toArray(),
        points.stream().mapToDouble(p -> p[1]).toArray()};
  }

  /** Summing makes sense for amounts and counts, not for levels such as temperatures, prices or scores. */
  static boolean additive(Column m) {
    return !LEVEL_NAME.matcher(m.name().toLowerCase(Locale.ROOT)).matches() && m.profile().min() >= 0;
  }

  private static boolean idLike(Column c) {
    return ID_NAME.matcher(c.name().strip()).matches();
  }

  static String slug(String text) {
    String slug = text.toLowerCase(Locale.ROOT).replaceAll("[^a-z0-9]+", "-").replaceAll("(^-|-$)", "");
    return slug.isEmpty() ? "x" : slug.length() > 40 ? slug.substring(0, 40) : slug;
  }

  private static String capitalize(String text) {
    return text.isEmpty() ? text : Character.toUpperCase(text.charAt(0)) + text.substring(1);
  }

  /** What a steering prompt asks for: kinds of stories, columns, values of categorical columns. */
  private final class Steering {
    final String prompt;
    final Set<String> words = new HashSet<>();
    final Set<Angle.Kind> kinds = new HashSet<>();
    final Map<Column, String> values = new LinkedHashMap<>();

    Steering(String text) {
      this.prompt = text.toLowerCase(Locale.ROOT);
      words.addAll(Arrays.asList(prompt.split("[^\\p{L}\\p{N}]+")));
      if (has("trend", "over time", "growth", "grow", "monthly", "seasonal", "timeline", "evolution")) {
        kinds.add(Angle.Kind.TREND);
      }
      if (has("outlier", "anomal", "spike", "unusual", "extreme")) {
        kinds.add(Angle.Kind.OUTLIERS);
      }
      if (has("correlat", "relationship", "related", "together")) {
        kinds.add(Angle.Kind.CORRELATION);
      }
      if (has("top", "lead", "largest", "biggest", "share", "concentrat", "most common", "popular")) {
        kinds.add(Angle.Kind.TOP_GROUP);
      }
      if (!prompt.isBlank()) {
        for (Column c : categories) {
          for (String value : c.counts().keySet()) {
            String v = value.toLowerCase(Locale.ROOT);
            if (v.length() >= 2 && Pattern.compile("(^|[^\\p{L}\\p{N}])" + Pattern.quote(v) + "($|[^\\p{L}\\p{N}])")
                .matcher(prompt).find() && !values.containsKey(c)) {
              values.put(c, value);
            }
          }
        }
      }
    }

    private boolean has(String... needles) {
      for (String needle : needles) {
        if (prompt.contains(needle)) {
          return true;
        }
      }
      return false;
    }

    boolean mentions(Column c) {
      String name = c.name().toLowerCase(Locale.ROOT);
      if (prompt.isBlank()) {
        return false;
      }
      if (prompt.contains(name) || prompt.contains(name.replace('_', ' '))) {
        return true;
      }
      for (String token : name.split("[^\\p{L}\\p{N}]+")) {
        if (token.length() >= 4 && words.contains(token)) {
          return true;
        }
      }
      return false;
    }
  }
}
