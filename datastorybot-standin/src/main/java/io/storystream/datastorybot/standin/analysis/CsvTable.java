package io.storystream.datastorybot.standin.analysis;

import java.io.IOException;
import java.io.StringReader;
import java.io.UncheckedIOException;
import java.nio.ByteBuffer;
import java.nio.charset.CharacterCodingException;
import java.nio.charset.Charset;
import java.nio.charset.CodingErrorAction;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashSet;
import java.util.List;
import java.util.Set;
import org.apache.commons.csv.CSVFormat;
import org.apache.commons.csv.CSVParser;
import org.apache.commons.csv.CSVRecord;

/**
 * A CSV file as read from a real-world upload: BOM stripped, encoding detected (UTF-8, UTF-16 with BOM, else
 * Windows-1252), delimiter sniffed among comma, semicolon, tab and pipe, quoted fields with embedded newlines,
 * blank or duplicate headers named, trailing empty columns dropped, short rows padded. Values are kept as trimmed
 * strings in column order; typing happens in {@link Profiler}.
 */
public final class CsvTable {
  private static final char[] DELIMITERS = {',', ';', '\t', '|'};

  private final List<String> headers;
  private final List<String[]> rows;
  private final char delimiter;

  private CsvTable(List<String> headers, List<String[]> rows, char delimiter) {
    this.headers = headers;
    this.rows = rows;
    this.delimiter = delimiter;
  }

  public List<String> headers() {
    return headers;
  }

  public List<String[]> rows() {
    return rows;
  }

  public char delimiter() {
    return delimiter;
  }

  public int rowCount() {
    return rows.size();
  }

  public static CsvTable parse(byte[] bytes) throws NotCsvException {
    String text = decode(bytes);
    String trimmed = text.stripLeading();
    if (trimmed.isEmpty()) {
      throw new NotCsvException("the file is empty");
    }
    char first = trimmed.charAt(0);
    if (first == '{' || first == '[' || first == '<') {
      throw new NotCsvException("the file looks like JSON, XML or HTML, not CSV");
    }
    char delimiter = sniffDelimiter(text);
    List<String[]> records = new ArrayList<>();
    CSVFormat format = CSVFormat.RFC4180.builder().setDelimiter(delimiter).setIgnoreEmptyLines(true)
        .setIgnoreSurroundingSpaces(true).setTrim(true).get();
    try (CSVParser parser = CSVParser.parse(new StringReader(text), format)) {
      for (CSVRecord record : parser) {
        records.add(record.values());
      }
    } catch (IOException | UncheckedIOException | IllegalStateException | IllegalArgumentException e) {
      throw new NotCsvException("the file cannot be parsed as CSV (unbalanced quotes or broken records)");
    }
    if (records.size() < 2) {
      throw new NotCsvException("the file has a header but no data rows");
    }
    String[] header = records.get(0);
    int width = header.length;
    // trailing delimiters leave unnamed, empty columns at the end: drop them
    while (width > 1 && header[width - 1].isEmpty() && columnEmpty(records, width - 1)) {
      width--;
    }
    List<String> names = names(Arrays.asList(header).subList(0, width));
    List<String[]> rows = new ArrayList<>(records.size() - 1);
    int ragged = 0;
    for (int r = 1; r < records.size(); r++) {
      String[] values = records.get(r);
      String[] row = values.length == width ? values : Arrays.copyOf(values, width);
      for (int c = values.length; c < width; c++) {
        row[c] = "";
      }
      if (values.length < width || hasExtraValues(values, width)) {
        ragged++;
      }
      rows.add(row);
    }
    if (ragged > Math.max(1, rows.size() / 10)) {
      throw new NotCsvException("rows do not have a consistent number of fields (" + ragged + " of " + rows.size()
          + " differ from the header's " + width + ")");
    }
    return new CsvTable(names, rows, delimiter);
  }

  private static boolean hasExtraValues(String[] values, int width) {
    for (int c = width; c < values.length; c++) {
      if (!values[c].isEmpty()) {
        return true;
      }
    }
    return false;
  }

  private static boolean columnEmpty(List<String[]> records, int column) {
    for (String[] record : records) {
      if (column < record.length && !record[column].isEmpty()) {
        return false;
      }
    }
    return true;
  }

  private static List<String> names(List<String> header) {
    List<String> names = new ArrayList<>(header.size());
    Set<String> seen = new HashSet<>();
    for (int i = 0; i < header.size(); i++) {
      String base = header.get(i).isBlank() ? "column_" + (i + 1) : header.get(i).strip();
      String name = base;
      for (int n = 2; !seen.add(name.toLowerCase()); n++) {
        name = base + "_" + n;
      }
      names.add(name);
    }
    return names;
  }

  /** Text of the upload; rejects binary content. */
  static String decode(byte[] bytes) throws NotCsvException {
    if (bytes.length >= 2 && ((bytes[0] == (byte) 0xFE && bytes[1] == (byte) 0xFF)
        || (bytes[0] == (byte) 0xFF && bytes[1] == (byte) 0xFE))) {
      String text = new String(bytes, StandardCharsets.UTF_16);
      return text.startsWith("\uFEFF") ? text.substring(1) : text;
    }
    int offset = bytes.length >= 3 && bytes[0] == (byte) 0xEF && bytes[1] == (byte) 0xBB && bytes[2] == (byte) 0xBF ? 3 : 0;
    int scan = Math.min(bytes.length, offset + 65_536);
    int control = 0;
    for (int i = offset; i < scan; i++) {
      int b = bytes[i] & 0xFF;
      if (b == 0) {
        throw new NotCsvException("the file is binary, not CSV text");
      }
      if (b < 0x20 && b != '\n' && b != '\r' && b != '\t') {
        control++;
      }
    }
    if (control > 8) {
      throw new NotCsvException("the file is binary, not CSV text");
    }
    ByteBuffer buffer = ByteBuffer.wrap(bytes, offset, bytes.length - offset);
    try {
      return StandardCharsets.UTF_8.newDecoder().onMalformedInput(CodingErrorAction.REPORT)
          .onUnmappableCharacter(CodingErrorAction.REPORT).decode(buffer).toString();
    } catch (CharacterCodingException e) {
      return new String(bytes, offset, bytes.length - offset, Charset.forName("windows-1252"));
    }
  }

  /**
   * The delimiter whose count per record (outside quotes) is the same on most of the first records, preferring the
   * one that splits into more fields. No delimiter at all means a one-column file, read with commas.
   */
  static char sniffDelimiter(String text) {
    List<String> lines = firstRecords(text, 50);
    char best = ',';
    double bestScore = 0;
    for (char d : DELIMITERS) {
      int[] counts = new int[lines.size()];
      for (int i = 0; i < lines.size(); i++) {
        counts[i] = countOutsideQuotes(lines.get(i), d);
      }
      if (counts.length == 0 || counts[0] == 0) {
        continue;
      }
      int same = 0;
      for (int count : counts) {
        if (count == counts[0]) {
          same++;
        }
      }
      double score = (double) same / counts.length * 1000 + counts[0];
      if (score > bestScore) {
        bestScore = score;
        best = d;
      }
    }
    return best;
  }

  /** Up to {@code max} logical records (a quoted newline does not end one). */
  private static List<String> firstRecords(String text, int max) {
    List<String> records = new ArrayList<>();
    boolean quoted = false;
    int start = 0;
    int limit = Math.min(text.length(), 1 << 20);
    for (int i = 0; i < limit && records.size() < max; i++) {
      char c = text.charAt(i);
      if (c == '"') {
        quoted = !quoted;
      } else if ((c == '\n' || c == '\r') && !quoted) {
        if (i > start) {
          records.add(text.substring(start, i));
        }
        start = i + 1;
      }
    }
    if (records.size() < max && start < limit && !quoted) {
      records.add(text.substring(start, limit));
    }
    return records;
  }

  private static int countOutsideQuotes(String line, char delimiter) {
    int count = 0;
    boolean quoted = false;
    for (int i = 0; i < line.length(); i++) {
      char c = line.charAt(i);
      if (c == '"') {
        quoted = !quoted;
      } else if (c == delimiter && !quoted) {
        count++;
      }
    }
    return count;
  }
}
