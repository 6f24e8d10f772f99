package io.storystream.datastorybot.standin.analysis;

import java.awt.Color;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Locale;
import org.knowm.xchart.BitmapEncoder;
import org.knowm.xchart.CategoryChart;
import org.knowm.xchart.CategoryChartBuilder;
import org.knowm.xchart.CategorySeries;
import org.knowm.xchart.Histogram;
import org.knowm.xchart.XYChart;
import org.knowm.xchart.XYChartBuilder;
import org.knowm.xchart.XYSeries;
import org.knowm.xchart.internal.chartpart.Chart;
import org.knowm.xchart.style.AxesChartStyler;
import org.knowm.xchart.style.markers.SeriesMarkers;

/** Renders chart specs to dark-themed PNGs (DataStoryBot's default look) with XChart. */
public final class ChartRenderer {
  public static final int WIDTH = 800;
  public static final int HEIGHT = 500;
  private static final Color BACKGROUND = new Color(0x1e, 0x1e, 0x24);
  private static final Color PLOT = new Color(0x26, 0x27, 0x30);
  private static final Color TEXT = new Color(0xe0, 0xe0, 0xe6);
  private static final Color GRID = new Color(0x3a, 0x3b, 0x46);
  private static final Color[] SERIES = {new Color(0x4e, 0xa8, 0xde), new Color(0xf2, 0x6b, 0x5b)};

  static {
    System.setProperty("java.awt.headless", "true");
  }

  private ChartRenderer() {}

  public static byte[] png(ChartSpec spec) {
    Chart<?, ?> chart = switch (spec.type()) {
      case BAR, LINE -> category(spec);
      case SCATTER -> scatter(spec);
      case HISTOGRAM -> histogram(spec);
    };
    try {
      return BitmapEncoder.getBitmapBytes(chart, BitmapEncoder.BitmapFormat.PNG);
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }

  private static CategoryChart category(ChartSpec spec) {
    CategoryChart chart = new CategoryChartBuilder().width(WIDTH).height(HEIGHT).title(spec.title())
        .xAxisTitle(spec.xTitle()).yAxisTitle(spec.yTitle()).build();
    style(chart.getStyler());
    chart.getStyler().setDefaultSeriesRenderStyle(spec.type() == ChartSpec.Type.LINE
        ? CategorySeries.CategorySeriesRenderStyle.Line : CategorySeries.CategorySeriesRenderStyle.Bar);
    chart.getStyler().setXAxisLabelRotation(spec.categories().size() > 6 ? 45 : 0);
    chart.getStyler().setXAxisMaxLabelCount(24);
    List<String> labels = new ArrayList<>();
    for (String label : spec.categories()) {
      labels.add(label.length() > 24 ? label.substring(0, 23) + "…" : label);
    }
    chart.addSeries(spec.yTitle(), labels, Arrays.stream(spec.values()).boxed().toList());
    return chart;
  }

  private static XYChart scatter(ChartSpec spec) {
    XYChart chart = new XYChartBuilder().width(WIDTH).height(HEIGHT).title(spec.title()).xAxisTitle(spec.xTitle())
        .yAxisTitle(spec.yTitle()).build();
    style(chart.getStyler());
    chart.getStyler().setDefaultSeriesRenderStyle(XYSeries.XYSeriesRenderStyle.Scatter);
    chart.getStyler().setMarkerSize(4);
    XYSeries all = chart.addSeries(spec.yTitle(), spec.xs().length == 0 ? new double[] {0} : spec.xs(),
        spec.ys().length == 0 ? new double[] {0} : spec.ys());
    all.setMarker(SeriesMarkers.CIRCLE);
    if (spec.highlightXs() != null && spec.highlightXs().length > 0) {
      chart.getStyler().setLegendVisible(true);
      XYSeries outliers = chart.addSeries("outliers", spec.highlightXs(), spec.highlightYs());
      outliers.setMarker(SeriesMarkers.DIAMOND);
    }
    return chart;
  }

  private static CategoryChart histogram(ChartSpec spec) {
    double[] values = spec.values();
    int bins = Math.max(5, Math.min(30, (int) Math.ceil(Math.sqrt(values.length))));
    Histogram histogram = new Histogram(Arrays.stream(values).boxed().toList(), bins);
    CategoryChart chart = new CategoryChartBuilder().width(WIDTH).height(HEIGHT).title(spec.title())
        .xAxisTitle(spec.xTitle()).yAxisTitle(spec.yTitle()).build();
    style(chart.getStyler());
    chart.getStyler().setXAxisLabelRotation(45);
    chart.getStyler().setAvailableSpaceFill(0.96);
    List<String> labels = histogram.getxAxisData().stream().map(x -> Fmt.num(x)).toList();
    chart.addSeries(spec.xTitle(), labels, histogram.getyAxisData());
    return chart;
  }

  private static void style(AxesChartStyler styler) {
    styler.setChartBackgroundColor(BACKGROUND);
    styler.setPlotBackgroundColor(PLOT);
    styler.setPlotBorderColor(GRID);
    styler.setPlotGridLinesColor(GRID);
    styler.setChartFontColor(TEXT);
    styler.setAxisTickLabelsColor(TEXT);
    styler.setAxisTickMarksColor(GRID);
    styler.setXAxisTitleColor(TEXT);
    styler.setYAxisTitleColor(TEXT);
    styler.setLegendBackgroundColor(PLOT);
    styler.setLegendBorderColor(GRID);
    styler.setLegendVisible(false);
    styler.setChartTitleBoxVisible(false);
    styler.setSeriesColors(SERIES);
    styler.setLocale(Locale.ROOT);
    styler.setDecimalPattern("#,##0.##");
  }
}
