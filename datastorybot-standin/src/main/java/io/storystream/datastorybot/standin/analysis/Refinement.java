package io.storystream.datastorybot.standin.analysis;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.math.BigDecimal;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import org.apache.commons.csv.CSVFormat;
import org.apache.commons.csv.CSVPrinter;

/**
 * Refine's output for one angle: the markdown narrative (heading, prose with bold key figures, a blockquote
 * finding, a table), one to three PNG charts and the filtered CSV behind the story. Numeric cells of the dataset
 * are written as plain decimals ("1,234.50" becomes "1234.5") so every consumer reads them the same way.
 */
public record Refinement(String narrative, List<RenderedChart> charts, byte[] datasetCsv, String datasetName,
    long datasetRows, int datasetColumns) {

  public record RenderedChart(String fileName, String caption, byte[] png) {}

  public static Refinement of(String fileName, CsvTable table, List<Column> columns, Angle angle,
      String refinementPrompt) {
    boolean brief = refinementPrompt != null
        && refinementPrompt.toLowerCase(Locale.ROOT).matches(".*\\b(brief|short|concise|summary only)\\b.*");
    StringBuilder md = new StringBuilder();
    md.append("## ").append(angle.title()).append("\n\n");
    md.append(angle.lead()).append("\n\n");
    if (!brief) {
      md.append(angle.detail()).append("\n\n");
    }
    md.append("> **Key finding:** ").append(angle.finding()).append("\n\n");
    if (!brief && angle.table().size() > 1) {
      List<String> header = angle.table().get(0);
      md.append("| ").append(String.join(" | ", header.stream().map(Refinement::cell).toList())).append(" |\n");
      md.append("|").append(" --- |".repeat(header.size())).append("\n");
      for (List<String> row : angle.table().subList(1, angle.table().size())) {
        md.append("| ").append(String.join(" | ", row.stream().map(Refinement::cell).toList())).append(" |\n");
      }
      md.append("\n");
    }
    StringBuilder dataset = new StringBuilder();
    long rows = writeDataset(table, columns, angle, dataset);
    md.append("*Based on ").append(Fmt.count(table.rowCount())).append(" rows of ").append(cell(fileName))
        .append("; the dataset holds the ").append(Fmt.count(rows)).append(" rows where ")
        .append(cell(angle.filterDescription())).append(".*\n");
    List<RenderedChart> charts = new ArrayList<>();
    for (ChartSpec spec : angle.charts().subList(0, Math.min(3, angle.charts().size()))) {
      charts.add(new RenderedChart(spec.fileName(), spec.caption(), ChartRenderer.png(spec)));
    }
    return new Refinement(md.toString(), charts, dataset.toString().getBytes(StandardCharsets.UTF_8),
        angle.datasetName(), rows, columns.size());
  }

  private static String cell(String text) {
    return text.replace("|", "\\|").replace("\n", " ");
  }

  private static long writeDataset(CsvTable table, List<Column> columns, Angle angle, StringBuilder out) {
    long rows = 0;
    try (CSVPrinter printer = new CSVPrinter(new StringBuilderWriter(out), CSVFormat.DEFAULT.builder()
        .setRecordSeparator("\n").get())) {
      printer.printRecord(columns.stream().map(Column::name).toList());
      String[] record = new String[columns.size()];
      for (int r = 0; r < table.rowCount(); r++) {
        if (!angle.rows().test(r)) {
          continue;
        }
        String[] row = table.rows().get(r);
        for (int c = 0; c < record.length; c++) {
          Column column = columns.get(c);
          record[c] = column.type() == ColumnType.NUMERIC && column.has(r) ? plain(column.numbers()[r]) : row[c];
        }
        printer.printRecord((Object[]) record);
        rows++;
      }
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
    return rows;
  }

  static String plain(double value) {
    if (value == Math.rint(value) && Math.abs(value) < 1e15) {
      return Long.toString((long) value);
    }
    return BigDecimal.valueOf(value).stripTrailingZeros().toPlainString();
  }

  /** A Writer over a StringBuilder (StringWriter would add a synchronized StringBuffer). */
  private static final class StringBuilderWriter extends java.io.Writer {
    private final StringBuilder sb;

    StringBuilderWriter(StringBuilder sb) {
      this.sb = sb;
    }

    @Override
    public void write(char[] cbuf, int off, int len) {
      sb.append(cbuf, off, len);
    }

    @Override
    public java.io.Writer append(CharSequence csq) {
      sb.append(csq);
      return this;
    }

    @Override
    public void write(String str, int off, int len) {
      sb.append(str, off, off + len);
    }

    @Override
    public void flush() {}

    @Override
    public void close() {}
  }

}
