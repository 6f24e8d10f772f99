package io.storystream.ingress.files;

import io.storystream.common.http.ProblemException;
import java.io.IOException;
import java.io.InputStream;
import java.io.InputStreamReader;
import java.io.Reader;
import java.nio.charset.CharacterCodingException;
import java.nio.charset.CodingErrorAction;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Set;

/**
 * Checks that a stream is a CSV file DataStoryBot can analyze: UTF-8 text (a BOM is allowed), no NUL bytes, a header
 * row of distinct non-blank names, the same number of columns on every row, at least one data row.
 *
 * <p>It reads the stream once, character by character, in bounded memory whatever the file's shape: a data row is
 * never built, only its fields and characters are counted, and every {@link Limits limit} (columns, field length,
 * record length) is checked at the character that crosses it. So one 48 MB line of commas, a 48 MB quoted field or
 * millions of columns cost an 8 KB read buffer and are refused as soon as the limit is passed, not after the whole
 * line was held as a record. Only the header's names are kept (at most {@code maxColumns} × {@code maxNameChars}).
 *
 * <p>The grammar is RFC 4180 as commons-csv reads it: {@code ,} between fields, {@code "} around a field that holds
 * delimiters, quotes ({@code ""}) or line breaks, CR, LF or CRLF between records, empty lines skipped, a quote inside
 * an unquoted field taken literally, blanks allowed between a closing quote and the next delimiter. Problems name the
 * line, never its content.
 */
final class CsvInspector {
  /** The bounds of one file's shape; {@link #DEFAULT} is what the upload route applies. */
  record Limits(int maxColumns, int maxNameChars, int maxFieldChars, int maxRecordChars) {
    /** 1,000 columns; names of 256 characters; fields of 64 Ki characters; records of 1 Mi characters. */
    static final Limits DEFAULT = new Limits(1000, 256, 64 * 1024, 1024 * 1024);
  }

  static final int MAX_COLUMNS = Limits.DEFAULT.maxColumns();

  private CsvInspector() {}

  record Shape(long rows, int columns, List<String> columnNames) {}

  static Shape inspect(InputStream in) throws IOException {
    return inspect(in, Limits.DEFAULT);
  }

  static Shape inspect(InputStream in, Limits limits) throws IOException {
    var decoder = StandardCharsets.UTF_8.newDecoder()
        .onMalformedInput(CodingErrorAction.REPORT).onUnmappableCharacter(CodingErrorAction.REPORT);
    try (Reader reader = new InputStreamReader(in, decoder)) {
      return new Scan(limits).run(reader);
    } catch (CharacterCodingException e) {
      throw invalid("not-utf8", "Not UTF-8", "the file is not UTF-8 text");
    }
  }

  /** One pass over one file: a state machine over characters, counting what a parser would build. */
  private static final class Scan {
    private enum State { FIELD_START, UNQUOTED, QUOTED, QUOTE_IN_QUOTED, AFTER_QUOTED }

    private final Limits limits;
    private State state = State.FIELD_START;
    private boolean inHeader = true;
    private final List<String> header = new ArrayList<>();
    private final StringBuilder name = new StringBuilder();
    private int fields;          // fields finished in the current record
    private int fieldChars;     // characters of the current field's value
    private long recordChars;   // characters of the current record, delimiters and quotes included
    private long line = 1;      // the line being read, 1-based (a quoted line break starts a new one)
    private boolean lastWasCr;  // the previous character was a CR outside quotes: an LF right after it is part of it
    private long rows;

    Scan(Limits limits) {
      this.limits = limits;
    }

    Shape run(Reader reader) throws IOException {
      char[] buffer = new char[8192];
      boolean first = true;
      int n;
      while ((n = reader.read(buffer, 0, buffer.length)) >= 0) {
        int i = 0;
        if (first && n > 0) {
          first = false;
          if (buffer[0] == '\uFEFF') {
            i = 1;
          }
        }
        for (; i < n; i++) {
          accept(buffer[i]);
        }
      }
      finish();
      return new Shape(rows, header.size(), List.copyOf(header));
    }

    private void accept(char c) {
      if (c == 0) {
        throw invalid("not-csv", "Not a CSV file", "the file contains NUL bytes: it is binary, not CSV text");
      }
      boolean crlf = lastWasCr && c == '\n';
      lastWasCr = false;
      switch (state) {
        case QUOTED -> {
          if (c == '"') {
            state = State.QUOTE_IN_QUOTED;
            countRecordChar();
          } else {
            if (c == '\n' || c == '\r') {
              line += crlf ? 0 : 1;
              lastWasCr = c == '\r';
            }
            countFieldChar();
            keep(c);
          }
        }
        case QUOTE_IN_QUOTED -> {
          if (c == '"') { // an escaped quote: one character of the value
            state = State.QUOTED;
            countFieldChar();
            keep(c);
          } else {
            state = State.AFTER_QUOTED;
            afterQuoted(c);
          }
        }
        case AFTER_QUOTED -> afterQuoted(c);
        case FIELD_START -> {
          if (c == '"') {
            state = State.QUOTED;
            countRecordChar();
          } else if (c == ',') {
            endField();
            countRecordChar();
          } else if (c == '\n' || c == '\r') {
            endOfLine(c, crlf);
          } else {
            state = State.UNQUOTED;
            countFieldChar();
            keep(c);
          }
        }
        case UNQUOTED -> {
          if (c == ',') {
            endField();
            countRecordChar();
            state = State.FIELD_START;
          } else if (c == '\n' || c == '\r') {
            endOfLine(c, crlf);
          } else {
            countFieldChar();
            keep(c);
          }
        }
      }
    }

    private void afterQuoted(char c) {
      if (c == ',') {
        endField();
        countRecordChar();
        state = State.FIELD_START;
      } else if (c == '\n' || c == '\r') {
        endOfLine(c, false);
      } else if (c == ' ' || c == '\t') {
        countRecordChar();
      } else {
        throw invalid("malformed-csv", "Malformed CSV",
            "the file is not well-formed CSV (line " + line + ": text after a closing quote)");
      }
    }

    /** A line break outside quotes: the end of a record, or nothing (the LF of a CRLF, an empty line). */
    private void endOfLine(char c, boolean crlf) {
      lastWasCr = c == '\r';
      if (crlf) {
        return; // the LF of a CRLF whose CR ended the record (or was an empty line)
      }
      boolean emptyLine = state == State.FIELD_START && fields == 0 && recordChars == 0;
      if (!emptyLine) {
        endRecord();
      }
      line++;
    }

    private void countFieldChar() {
      if (++fieldChars > limits.maxFieldChars()) {
        throw invalid("field-too-long", "Field too long", "line " + line + " has a field longer than "
            + limits.maxFieldChars() + " characters");
      }
      if (inHeader && fieldChars > limits.maxNameChars()) {
        throw invalid("invalid-header", "Invalid header row", "column " + (fields + 1) + " has a name longer than "
            + limits.maxNameChars() + " characters");
      }
      countRecordChar();
    }

    private void countRecordChar() {
      if (++recordChars > limits.maxRecordChars()) {
        throw invalid("line-too-long", "Line too long", "line " + line + " is longer than "
            + limits.maxRecordChars() + " characters");
      }
    }

    /** Only the header's values are kept (bounded by the name and column limits already checked). */
    private void keep(char c) {
      if (inHeader) {
        name.append(c);
      }
    }

    private void endField() {
      fields++;
      if (inHeader) {
        if (fields > limits.maxColumns()) {
          throw invalid("too-many-columns", "Too many columns", "the header has more than " + limits.maxColumns()
              + " columns");
        }
        header.add(name.toString());
        name.setLength(0);
      } else if (fields > header.size()) {
        throw invalid("ragged-rows", "Inconsistent column count", "line " + line + " has more than "
            + header.size() + " columns, the header has " + header.size());
      }
      fieldChars = 0;
    }

    private void endRecord() {
      endField();
      if (inHeader) {
        checkHeader(header);
        inHeader = false;
      } else {
        if (fields != header.size()) {
          throw invalid("ragged-rows", "Inconsistent column count", "line " + line + " has " + fields
              + " columns, the header has " + header.size());
        }
        rows++;
      }
      fields = 0;
      recordChars = 0;
      state = State.FIELD_START;
    }

    private void finish() {
      if (state == State.QUOTED) {
        throw invalid("malformed-csv", "Malformed CSV",
            "the file is not well-formed CSV (line " + line + ": a quoted field is never closed)");
      }
      if (!(state == State.FIELD_START && fields == 0 && recordChars == 0)) {
        endRecord(); // the last record had no line break after it
      }
      if (inHeader) {
        throw invalid("empty-file", "Empty file", "the file has no header row");
      }
      if (rows == 0) {
        throw invalid("no-data-rows", "No data rows", "the file has a header row but no data rows");
      }
    }
  }

  private static void checkHeader(List<String> header) {
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

  /** Every 422 problem type {@link #invalid} is called with here (the upload route declares them). */
  static final java.util.List<String> PROBLEMS = java.util.List.of("not-utf8", "not-csv", "malformed-csv",
      "field-too-long", "line-too-long", "invalid-header", "too-many-columns", "ragged-rows", "empty-file",
      "no-data-rows");

  static ProblemException invalid(String slug, String title, String detail) {
    assert PROBLEMS.contains(slug) : slug + " is not in CsvInspector.PROBLEMS";
    return new ProblemException(422, slug, title, detail);
  }
}
