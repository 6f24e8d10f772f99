package io.storystream.ingress.files;

import io.storystream.common.http.ProblemException;
import java.io.FilterReader;
import java.io.IOException;
import java.io.InputStream;
import java.io.InputStreamReader;
import java.io.Reader;
import java.io.UncheckedIOException;
import java.nio.charset.CharacterCodingException;
import java.nio.charset.CodingErrorAction;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.Iterator;
import java.util.List;
import java.util.Set;
import org.apache.commons.csv.CSVFormat;
import org.apache.commons.csv.CSVParser;
import org.apache.commons.csv.CSVRecord;

/**
 * Checks that a stream is a CSV file DataStoryBot can analyze: UTF-8 text (a BOM is allowed), no NUL bytes, a header
 * row of distinct non-blank names, the same number of columns on every row, at least one data row. It reads the
 * stream once, record by record, holding one record at a time. Problems name the line, never its content.
 */
final class CsvInspector {
  static final int MAX_COLUMNS = 1000;

  private CsvInspector() {}

  record Shape(long rows, int columns, List<String> columnNames) {}

  static Shape inspect(InputStream in) throws IOException {
    var decoder = StandardCharsets.UTF_8.newDecoder()
        .onMalformedInput(CodingErrorAction.REPORT).onUnmappableCharacter(CodingErrorAction.REPORT);
    CSVFormat format = CSVFormat.RFC4180.builder().setIgnoreEmptyLines(true).get();
    try (Reader reader = new NoNulReader(new InputStreamReader(in, decoder));
         CSVParser parser = CSVParser.parse(reader, format)) {
      Iterator<CSVRecord> records = parser.iterator();
      if (!records.hasNext()) {
        throw invalid("empty-file", "Empty file", "the file has no header row");
      }
      List<String> header = new ArrayList<>(records.next().toList());
      if (!header.isEmpty() && header.get(0).startsWith("\uFEFF")) {
        header.set(0, header.get(0).substring(1));
      }
      checkHeader(header);
      long rows = 0;
      while (records.hasNext()) {
        CSVRecord record = records.next();
        if (record.size() != header.size()) {
          throw invalid("ragged-rows", "Inconsistent column count", "line " + parser.getCurrentLineNumber()
              + " has " + record.size() + " columns, the header has " + header.size());
        }
        rows++;
      }
      if (rows == 0) {
        throw invalid("no-data-rows", "No data rows", "the file has a header row but no data rows");
      }
      return new Shape(rows, header.size(), List.copyOf(header));
    } catch (UncheckedIOException e) {
      throw classify(e.getCause());
    } catch (IllegalStateException e) {
      if (e.getCause() instanceof IOException io) {
        throw classify(io);
      }
      throw invalid("malformed-csv", "Malformed CSV", "the file is not well-formed CSV (" + quoteSafe(e) + ")");
    } catch (IOException e) {
      throw classify(e);
    }
  }

  private static RuntimeException classify(IOException e) throws IOException {
    if (e instanceof MeteredInput.TooLarge tooLarge) {
      throw tooLarge;
    }
    if (e instanceof CharacterCodingException) {
      return notUtf8();
    }
    if (e instanceof BinaryContent) {
      return invalid("not-csv", "Not a CSV file", "the file contains NUL bytes: it is binary, not CSV text");
    }
    if (e instanceof org.apache.commons.csv.CSVException) {
      // structural errors: an unterminated quote, text after a closing quote
      return invalid("malformed-csv", "Malformed CSV", "the file is not well-formed CSV (" + quoteSafe(e) + ")");
    }
    throw e; // reading the request failed (client gone): not the file's fault
  }

  private static String quoteSafe(Exception e) {
    // commons-csv messages hold positions, never cell content, but cut them short anyway
    String m = String.valueOf(e.getMessage());
    m = m.replaceAll("[^\\p{Alnum} .,:;()\\[\\]=-]", "");
    return m.length() > 160 ? m.substring(0, 160) : m;
  }

  private static void checkHeader(List<String> header) {
    if (header.size() > MAX_COLUMNS) {
      throw invalid("invalid-header", "Invalid header row", "more than " + MAX_COLUMNS + " columns");
    }
    Set<String> seen = new HashSet<>();
    for (int i = 0; i < header.size(); i++) {
      String name = header.get(i).strip();
      if (name.isEmpty()) {
        throw invalid("invalid-header", "Invalid header row", "column " + (i + 1) + " has no name");
      }
      if (!seen.add(name)) {
        throw invalid("invalid-header", "Invalid header row", "column " + (i + 1) + " repeats an earlier name");
      }
    }
  }

  private static ProblemException notUtf8() {
    return invalid("not-utf8", "Not UTF-8", "the file is not UTF-8 text");
  }

  static ProblemException invalid(String slug, String title, String detail) {
    return new ProblemException(422, slug, title, detail);
  }

  /** Raised by {@link NoNulReader}: NUL never occurs in text. */
  static final class BinaryContent extends IOException {
    BinaryContent() {
      super("NUL byte", null);
    }
  }

  private static final class NoNulReader extends FilterReader {
    NoNulReader(Reader in) {
      super(in);
    }

    @Override
    public int read() throws IOException {
      int c = super.read();
      if (c == 0) {
        throw new BinaryContent();
      }
      return c;
    }

    @Override
    public int read(char[] buffer, int off, int len) throws IOException {
      int n = super.read(buffer, off, len);
      for (int i = off; i < off + n; i++) {
        if (buffer[i] == 0) {
          throw new BinaryContent();
        }
      }
      return n;
    }
  }
}
