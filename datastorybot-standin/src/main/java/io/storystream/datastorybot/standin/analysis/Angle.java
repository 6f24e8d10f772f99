package io.storystream.datastorybot.standin.analysis;

import java.util.List;
import java.util.function.IntPredicate;

/**
 * One story angle: what analyze returns (title, summary) and everything refine needs to write it up — narrative
 * parts with the key figures, the rows behind the story and the charts.
 *
 * @param filterDescription human-readable form of {@code rows}, e.g. {@code region = "North"}
 * @param rows              which table rows belong to the story (they form the result dataset)
 */
public record Angle(Kind kind, String title, String summary, double score, String lead, String detail,
    String finding, List<List<String>> table, String filterDescription, IntPredicate rows, String datasetName,
    List<ChartSpec> charts) {

  public enum Kind { SEGMENT, TREND, TOP_GROUP, OUTLIERS, CORRELATION, OVERVIEW }

  Angle withScore(double newScore) {
    return new Angle(kind, title, summary, newScore, lead, detail, finding, table, filterDescription, rows,
        datasetName, charts);
  }
}
