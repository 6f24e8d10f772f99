package io.storystream.datastorybot.standin.analysis;

import java.util.List;

/**
 * What a chart shows, decided during analysis and rendered to PNG only when a story is refined.
 *
 * @param categories bar labels (BAR) or period labels (LINE)
 * @param values     bar heights (BAR, LINE) or all values (HISTOGRAM)
 * @param xs         x of every point (SCATTER); {@code highlightXs}/{@code highlightYs} are drawn on top in a
 *                   second colour (outliers)
 */
public record ChartSpec(Type type, String fileName, String title, String xTitle, String yTitle, String caption,
    List<String> categories, double[] values, double[] xs, double[] ys, double[] highlightXs, double[] highlightYs) {

  public enum Type { BAR, LINE, SCATTER, HISTOGRAM }

  static ChartSpec bar(String fileName, String title, String xTitle, String yTitle, String caption,
      List<String> categories, double[] values) {
    return new ChartSpec(Type.BAR, fileName, title, xTitle, yTitle, caption, categories, values, null, null, null, null);
  }

  static ChartSpec line(String fileName, String title, String xTitle, String yTitle, String caption,
      List<String> periods, double[] values) {
    return new ChartSpec(Type.LINE, fileName, title, xTitle, yTitle, caption, periods, values, null, null, null, null);
  }

  static ChartSpec scatter(String fileName, String title, String xTitle, String yTitle, String caption, double[] xs,
      double[] ys, double[] highlightXs, double[] highlightYs) {
    return new ChartSpec(Type.SCATTER, fileName, title, xTitle, yTitle, caption, null, null, xs, ys, highlightXs,
        highlightYs);
  }

  static ChartSpec histogram(String fileName, String title, String xTitle, String caption, double[] values) {
    return new ChartSpec(Type.HISTOGRAM, fileName, title, xTitle, "rows", caption, null, values, null, null, null, null);
  }
}
