package io.storystream.datastorybot.standin.analysis;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.charset.StandardCharsets;
import java.util.List;
import java.util.Locale;
import java.util.Random;
import org.junit.jupiter.api.Test;

class StoryFinderTest {

  /** price and units are built to correlate; region and day give trend and top-group angles. */
  private static final double[] units = new double[120];
  private static final double[] price = new double[120];
  private static final CsvTable table = table();

  private static CsvTable table() {
    Random random = new Random(9);
    StringBuilder csv = new StringBuilder("day,region,units,price\n");
    for (int i = 0; i < units.length; i++) {
      units[i] = 10 + random.nextInt(50);
      price[i] = Math.round((units[i] * 0.8 + random.nextGaussian() * 4) * 100) / 100.0;
      csv.append(java.time.LocalDate.of(2025, 1, 1).plusDays(i)).append(',').append(i % 2 == 0 ? "Ost" : "West")
          .append(',').append((long) units[i]).append(',').append(price[i]).append('\n');
    }
    try {
      return CsvTable.parse(csv.toString().getBytes(StandardCharsets.UTF_8));
    } catch (NotCsvException e) {
      throw new IllegalStateException(e);
    }
  }

  private static double pearson(double[] x, double[] y) {
    double mx = java.util.Arrays.stream(x).average().orElseThrow();
    double my = java.util.Arrays.stream(y).average().orElseThrow();
    double sxy = 0;
    double sxx = 0;
    double syy = 0;
    for (int i = 0; i < x.length; i++) {
      sxy += (x[i] - mx) * (y[i] - my);
      sxx += (x[i] - mx) * (x[i] - mx);
      syy += (y[i] - my) * (y[i] - my);
    }
    return sxy / Math.sqrt(sxx * syy);
  }

  @Test
  void correlationSteeredByTheWordAndRecomputed() {
    StoryFinder finder = new StoryFinder("t.csv", table, Profiler.profile(table));
    List<Angle> stories = finder.stories("is there a relationship / correlation?");
    Angle first = stories.get(0);
    double r = pearson(units, price);
    assertThat(first.kind()).isEqualTo(Angle.Kind.CORRELATION);
    assertThat(first.title()).isEqualTo("units and price rise together (r = " + String.format(Locale.ROOT, "%.2f", r)
        + ")");
    assertThat(first.summary()).contains("Across 120 rows");
  }

  @Test
  void promptsChangeTheAngles() {
    StoryFinder finder = new StoryFinder("t.csv", table, Profiler.profile(table));
    assertThat(finder.stories("trend").get(0).kind()).isEqualTo(Angle.Kind.TREND);
    assertThat(finder.stories("how does Ost do?").get(0).title()).startsWith("Ost");
    assertThat(finder.stories("trend")).isNotEqualTo(finder.stories("how does Ost do?"));
    assertThat(finder.stories("").stream().map(Angle::title).distinct()).hasSize(3);
  }

  @Test
  void narrativeHasHeadingBoldFiguresFindingAndTable() {
    List<Column> columns = Profiler.profile(table);
    StoryFinder finder = new StoryFinder("t.csv", table, columns);
    Angle angle = finder.stories("trend").get(0);
    Refinement full = Refinement.of("t.csv", table, columns, angle, null);
    assertThat(full.narrative()).startsWith("## " + angle.title() + "\n\n").contains("**", "\n> **Key finding:** ",
        "| --- |");
    assertThat(full.charts()).hasSizeBetween(1, 3);
    assertThat(full.datasetRows()).isEqualTo(120);
    Refinement brief = Refinement.of("t.csv", table, columns, angle, "keep it brief");
    assertThat(brief.narrative()).doesNotContain("| --- |").contains("> **Key finding:** ");
  }

  @Test
  void datasetNumbersArePlainDecimals() {
    assertThat(Refinement.plain(1234.5)).isEqualTo("1234.5");
    assertThat(Refinement.plain(1e7)).isEqualTo("10000000");
    assertThat(Refinement.plain(0.1 + 0.2)).isEqualTo("0.30000000000000004");
  }
}
