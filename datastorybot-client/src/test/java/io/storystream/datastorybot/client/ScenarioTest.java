package io.storystream.datastorybot.client;

import static org.assertj.core.api.Assertions.assertThat;

import io.storystream.datastorybot.standin.StandInConfig;
import io.storystream.datastorybot.standin.StandInServer;
import java.awt.image.BufferedImage;
import java.io.ByteArrayInputStream;
import java.io.IOException;
import java.io.StringReader;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Random;
import java.util.TreeMap;
import java.util.function.Predicate;
import javax.imageio.ImageIO;
import org.apache.commons.csv.CSVFormat;
import org.apache.commons.csv.CSVRecord;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Three realistic CSVs through the client and the stand-in over HTTP. Each file is generated here from values the
 * test keeps, so every number in the stories and narrative is recomputed independently of the stand-in's parser;
 * charts must decode as PNGs and the dataset's rows must satisfy the story's filter.
 */
class ScenarioTest {
  static StandInServer standIn;
  static DataStoryBotClient client;
  @TempDir static Path dir;

  @BeforeAll
  static void start() {
    standIn = StandInServer.start(StandInConfig.forTests());
    client = new DataStoryBotClient(DataStoryBotConfig.defaults(standIn.baseUri(), ApiKeySource.none()));
  }

  @AfterAll
  static void stop() {
    client.close();
    standIn.close();
  }

  // --- sales by date and region: BOM, quoted thousands separators, embedded newlines, an empty column ------------

  record Sale(String date, String month, String region, int units, double revenue) {}

  static List<Sale> sales = new ArrayList<>();
  static Path salesCsv;

  @BeforeAll
  static void salesFile() throws IOException {
    Random random = new Random(7);
    String[] regions = {"North", "South", "East", "West"};
    double[] price = {24.99, 19.99, 14.5, 31.25};
    StringBuilder csv = new StringBuilder("\uFEFFdate,region,units,revenue,notes,unused\r\n");
    java.time.LocalDate day = java.time.LocalDate.of(2025, 1, 1);
    for (int d = 0; d < 365; d++, day = day.plusDays(1)) {
      for (int r = 0; r < regions.length; r++) {
        int units = 5 + random.nextInt(20) + d / 12 + (r == 0 ? 10 : 0);
        double revenue = Math.round(units * price[r] * 100) / 100.0;
        sales.add(new Sale(day.toString(), day.toString().substring(0, 7), regions[r], units, revenue));
        String notes = d % 97 == 0 ? "\"Promo \"\"spring\"\"\nend-cap, aisle 4\"" : d % 13 == 0 ? "restock" : "";
        csv.append(day).append(',').append(regions[r]).append(',').append(units).append(",\"")
            .append(String.format(Locale.ROOT, "%,.2f", revenue)).append("\",").append(notes).append(",\r\n");
      }
    }
    salesCsv = dir.resolve("sales.csv");
    Files.writeString(salesCsv, csv, StandardCharsets.UTF_8);
  }

  @Test
  void salesTopRegionAndItsShare() throws IOException {
    AnalysisResult result = analyze(salesCsv, "Which region leads revenue?");
    Map<String, Double> byRegion = sumBy(sales, Sale::region, Sale::revenue);
    Map.Entry<String, Double> top = max(byRegion);
    double total = byRegion.values().stream().mapToDouble(Double::doubleValue).sum();
    String share = pct(top.getValue() / total * 100);

    assertThat(result.chosen().title()).isEqualTo(top.getKey() + " leads revenue with " + share);
    assertThat(result.chosen().summary()).contains(num(top.getValue()) + " of " + num(total));
    assertThat(result.narrativeMarkdown()).startsWith("## " + result.chosen().title() + "\n")
        .contains("**" + share + "**", "**" + num(top.getValue()) + "**", "> **Key finding:**");
    for (Map.Entry<String, Double> region : byRegion.entrySet()) {
      assertThat(result.narrativeMarkdown()).contains("| " + region.getKey() + " | " + num(region.getValue()) + " |");
    }
    List<CSVRecord> rows = datasetRows(result);
    assertThat(rows).hasSize((int) sales.stream().filter(s -> s.region().equals(top.getKey())).count())
        .allSatisfy(row -> assertThat(row.get("region")).isEqualTo(top.getKey()));
    assertThat(rows.stream().mapToDouble(row -> Double.parseDouble(row.get("revenue"))).sum())
        .isCloseTo(top.getValue(), org.assertj.core.data.Offset.offset(0.01));
    assertCharts(result);
  }

  @Test
  void salesTrendSteeredByTheWordTrend() throws IOException {
    AnalysisResult result = analyze(salesCsv, "show me the revenue trend");
    Map<String, Double> byMonth = new TreeMap<>(sumBy(sales, Sale::month, Sale::revenue));
    List<String> months = new ArrayList<>(byMonth.keySet());
    double first = byMonth.get(months.get(0));
    double last = byMonth.get(months.get(months.size() - 1));
    double change = (last - first) / first * 100;
    Map.Entry<String, Double> peak = max(byMonth);

    assertThat(months).hasSize(12);
    assertThat(result.chosen().title()).isEqualTo("Total revenue " + (change > 0 ? "rose " : "fell ")
        + pct(Math.abs(change)) + " from 2025-01 to 2025-12");
    assertThat(result.chosen().summary()).isEqualTo("Monthly total revenue went from " + num(first) + " in 2025-01 to "
        + num(last) + " in 2025-12 (" + String.format(Locale.ROOT, "%+.1f%%", change) + "), peaking at "
        + num(peak.getValue()) + " in " + peak.getKey() + ".");
    assertThat(result.narrativeMarkdown()).contains("**" + num(first) + "**", "**" + num(last) + "**");
    List<CSVRecord> rows = datasetRows(result);
    assertThat(rows).hasSize(sales.size());
    assertCharts(result);
  }

  @Test
  void salesSteeredToARegionChangesTheAngles() throws IOException {
    AnalysisResult plain = analyze(salesCsv, "");
    AnalysisResult west = analyze(salesCsv, "focus on the West region");
    assertThat(west.stories()).isNotEqualTo(plain.stories());
    Map<String, Double> byRegion = sumBy(sales, Sale::region, Sale::revenue);
    double total = byRegion.values().stream().mapToDouble(Double::doubleValue).sum();
    double own = byRegion.get("West");
    assertThat(west.chosen().title()).isEqualTo("West accounts for " + pct(own / total * 100) + " of revenue");
    assertThat(west.stories().get(1).title()).startsWith("West: Total revenue");
    assertThat(datasetRows(west)).isNotEmpty().allSatisfy(row -> assertThat(row.get("region")).isEqualTo("West"));
    assertCharts(west);
  }

  // --- survey: semicolons, European dates, quoted answers with delimiters and newlines ------------------------------

  static List<String[]> answers = new ArrayList<>();
  static Path surveyCsv;

  @BeforeAll
  static void surveyFile() throws IOException {
    Random random = new Random(11);
    String[] satisfaction = {"Very satisfied", "Satisfied", "Neutral", "Dissatisfied", "Very dissatisfied"};
    int[] weights = {25, 38, 17, 12, 8};
    String[] ages = {"18-24", "25-34", "35-44", "45-54", "55+"};
    StringBuilder csv = new StringBuilder("respondent;submitted;age_group;satisfaction;recommend;comment\n");
    for (int i = 0; i < 600; i++) {
      String sat = pick(random, satisfaction, weights);
      String age = ages[random.nextInt(ages.length)];
      String recommend = random.nextInt(100) < 70 ? "Yes" : "No";
      String submitted = String.format(Locale.ROOT, "%02d.%02d.2025", 1 + random.nextInt(28), 1 + random.nextInt(6));
      String comment = i % 5 == 0 ? "\"Fast; friendly\nwould \"\"recommend\"\"\"" : i % 7 == 0 ? "slow delivery #" + i : "";
      answers.add(new String[] {sat, recommend});
      csv.append("R").append(1000 + i).append(';').append(submitted).append(';').append(age).append(';')
          .append(sat).append(';').append(recommend).append(';').append(comment).append('\n');
    }
    surveyCsv = dir.resolve("survey.csv");
    Files.writeString(surveyCsv, csv, StandardCharsets.UTF_8);
  }

  @Test
  void surveyMostCommonAnswer() throws IOException {
    AnalysisResult result = analyze(surveyCsv, "what is the most common satisfaction answer?");
    Map<String, Long> counts = new LinkedHashMap<>();
    answers.forEach(a -> counts.merge(a[0], 1L, Long::sum));
    Map.Entry<String, Long> top = counts.entrySet().stream().max(Map.Entry.<String, Long>comparingByValue()
        .thenComparing(Map.Entry.comparingByKey(java.util.Comparator.reverseOrder()))).orElseThrow();
    String share = pct(top.getValue() * 100.0 / answers.size());

    assertThat(result.chosen().title()).isEqualTo("\"" + top.getKey() + "\" is the most common satisfaction ("
        + share + ")");
    assertThat(result.chosen().summary()).startsWith(top.getKey() + " accounts for " + top.getValue() + " of "
        + answers.size() + " satisfaction answers (" + share + ")");
    assertThat(result.narrativeMarkdown()).contains("**" + share + "**");
    for (Map.Entry<String, Long> answer : counts.entrySet()) {
      assertThat(result.narrativeMarkdown()).contains("| " + answer.getKey() + " | " + answer.getValue() + " | "
          + pct(answer.getValue() * 100.0 / answers.size()) + " |");
    }
    List<CSVRecord> rows = datasetRows(result);
    assertThat(rows).hasSize(top.getValue().intValue())
        .allSatisfy(row -> assertThat(row.get("satisfaction")).isEqualTo(top.getKey()));
    assertThat(rows.get(0).size()).isEqualTo(6);
    assertCharts(result);
  }

  @Test
  void surveySteeredToAnotherQuestion() throws IOException {
    AnalysisResult result = analyze(surveyCsv, "would they recommend us");
    long yes = answers.stream().filter(a -> a[1].equals("Yes")).count();
    assertThat(result.chosen().title()).isEqualTo("\"Yes\" is the most common recommend ("
        + pct(yes * 100.0 / answers.size()) + ")");
    assertThat(datasetRows(result)).hasSize((int) yes).allSatisfy(row -> assertThat(row.get("recommend")).isEqualTo("Yes"));
  }

  // --- sensor readings: tab-delimited, decimal commas, timestamps, injected outliers -------------------------------

  static double[] temperatures;
  static Path sensorCsv;

  @BeforeAll
  static void sensorFile() throws IOException {
    Random random = new Random(3);
    int n = 1440;
    temperatures = new double[n];
    StringBuilder csv = new StringBuilder("timestamp\tsensor\ttemperature\thumidity\n");
    java.time.LocalDateTime t = java.time.LocalDateTime.of(2025, 3, 1, 0, 0);
    for (int i = 0; i < n; i++, t = t.plusMinutes(1)) {
      double temp = Math.round((21 + Math.sin(i / 229.0) + random.nextGaussian() * 0.3) * 100) / 100.0;
      if (i == 200 || i == 777 || i == 1300) {
        temp = 85.5 + i % 7;
      } else if (i == 950 || i == 1001) {
        temp = -40.25;
      }
      temperatures[i] = temp;
      double humidity = Math.round((45 + random.nextGaussian() * 2) * 10) / 10.0;
      csv.append(t.toString().replace('T', ' ')).append(":00\tS").append(1 + i % 3).append('\t')
          .append(Double.toString(temp).replace('.', ',')).append('\t')
          .append(Double.toString(humidity).replace('.', ',')).append('\n');
    }
    sensorCsv = dir.resolve("sensors.tsv");
    Files.writeString(sensorCsv, csv, StandardCharsets.UTF_8);
  }

  @Test
  void sensorOutliers() throws IOException {
    AnalysisResult result = analyze(sensorCsv, "any outliers or anomalies in temperature?");
    double[] sorted = temperatures.clone();
    Arrays.sort(sorted);
    double q1 = quantile(sorted, 0.25);
    double q3 = quantile(sorted, 0.75);
    double lo = q1 - 3 * (q3 - q1);
    double hi = q3 + 3 * (q3 - q1);
    Predicate<Double> outside = v -> v < lo || v > hi;
    long outliers = Arrays.stream(temperatures).filter(outside::test).count();
    double median = quantile(sorted, 0.5);
    double extreme = Arrays.stream(temperatures).boxed()
        .max(java.util.Comparator.comparingDouble(v -> Math.abs(v - median))).orElseThrow();

    assertThat(outliers).isEqualTo(5);
    assertThat(result.chosen().title()).isEqualTo(outliers + " outlier values in temperature");
    assertThat(result.chosen().summary()).startsWith(outliers + " of 1,440 temperature values ("
        + pct(outliers * 100.0 / 1440) + ") lie outside [" + num(lo) + ", " + num(hi) + "]")
        .contains("most extreme is " + num(extreme), "median of " + num(median));
    assertThat(result.narrativeMarkdown()).contains("**[" + num(lo) + ", " + num(hi) + "]**");
    List<CSVRecord> rows = datasetRows(result);
    assertThat(rows).hasSize((int) outliers)
        .allSatisfy(row -> assertThat(outside.test(Double.parseDouble(row.get("temperature")))).isTrue());
    assertThat(result.charts()).hasSize(2);
    assertCharts(result);
  }

  // --- helpers -------------------------------------------------------------------------------------------------

  private static AnalysisResult analyze(Path csv, String prompt) {
    AnalysisResult result = client.analyze(new AnalysisJob("job_scenario", csv.getFileName().toString(), csv, prompt,
        null)).join();
    assertThat(result.stories()).hasSize(3);
    assertThat(result.stories().stream().map(Story::title).distinct()).hasSize(3);
    assertThat(result.chosen()).isEqualTo(result.stories().get(0));
    return result;
  }

  private static List<CSVRecord> datasetRows(AnalysisResult result) throws IOException {
    Dataset dataset = result.dataset();
    assertThat(dataset.fileName()).endsWith(".csv");
    List<CSVRecord> rows = CSVFormat.DEFAULT.builder().setHeader().setSkipHeaderRecord(true).get()
        .parse(new StringReader(new String(dataset.csv(), StandardCharsets.UTF_8))).getRecords();
    assertThat(rows).hasSize((int) dataset.rows());
    if (!rows.isEmpty()) {
      assertThat(rows.get(0).size()).isEqualTo(dataset.columns());
    }
    return rows;
  }

  private static void assertCharts(AnalysisResult result) throws IOException {
    assertThat(result.charts()).hasSizeBetween(1, 3);
    for (Chart chart : result.charts()) {
      BufferedImage image = ImageIO.read(new ByteArrayInputStream(chart.png()));
      assertThat(image).as(chart.fileName()).isNotNull();
      assertThat(image.getWidth()).isEqualTo(800);
      assertThat(image.getHeight()).isEqualTo(500);
      assertThat(chart.caption()).isNotBlank();
      assertThat(chart.fileName()).endsWith(".png");
    }
  }

  private static <T> Map<String, Double> sumBy(List<T> items, java.util.function.Function<T, String> key,
      java.util.function.ToDoubleFunction<T> value) {
    Map<String, Double> sums = new LinkedHashMap<>();
    for (T item : items) {
      sums.merge(key.apply(item), value.applyAsDouble(item), Double::sum);
    }
    return sums;
  }

  private static Map.Entry<String, Double> max(Map<String, Double> map) {
    return map.entrySet().stream().max(Map.Entry.comparingByValue()).orElseThrow();
  }

  private static String pick(Random random, String[] values, int[] weights) {
    int roll = random.nextInt(Arrays.stream(weights).sum());
    for (int i = 0; i < values.length; i++) {
      roll -= weights[i];
      if (roll < 0) {
        return values[i];
      }
    }
    return values[values.length - 1];
  }

  /** Type-7 quantile (linear interpolation between closest ranks). */
  private static double quantile(double[] sorted, double q) {
    double pos = q * (sorted.length - 1);
    int lower = (int) Math.floor(pos);
    int upper = Math.min(sorted.length - 1, lower + 1);
    return sorted[lower] + (pos - lower) * (sorted[upper] - sorted[lower]);
  }

  /** The documented number format of stories: ≥1,000 grouped without decimals, whole numbers bare, else 2 decimals. */
  private static String num(double v) {
    if (Math.abs(v) >= 1000) {
      return String.format(Locale.ROOT, "%,.0f", v);
    }
    return v == Math.rint(v) ? String.format(Locale.ROOT, "%.0f", v) : String.format(Locale.ROOT, "%.2f", v);
  }

  private static String pct(double p) {
    return String.format(Locale.ROOT, "%.1f%%", p);
  }
}
