package io.storystream.datastorybot.standin.analysis;

import java.time.LocalDate;
import java.time.LocalDateTime;
import java.time.ZoneOffset;
import java.time.format.DateTimeFormatter;
import java.time.format.DateTimeParseException;
import java.util.List;

/**
 * Parsing of real-world cell values: numbers with thousands separators, currency signs, percent signs and either
 * decimal convention; dates and timestamps in the common layouts. Everything is locale-independent.
 */
public final class Values {
  private Values() {}

  /** Which character separates decimals in a column ("1,234.5" vs "1.234,5"). */
  public enum Decimal { DOT, COMMA }

  /**
   * Decides a numeric column's decimal convention from its values: a value holding both separators settles it (the
   * last one is the decimal one); "12,5" (not three digits after the comma) means comma; several dots in one value
   * mean dots group thousands. Undecided columns follow the file: semicolon-delimited files are European.
   */
  public static Decimal decimalOf(List<String> sample, char delimiter) {
    int dot = 0;
    int comma = 0;
    for (String raw : sample) {
      String v = raw.strip();
      int lastDot = v.lastIndexOf('.');
      int lastComma = v.lastIndexOf(',');
      if (lastDot >= 0 && lastComma >= 0) {
        if (lastDot > lastComma) {
          dot++;
        } else {
          comma++;
        }
      } else if (lastComma >= 0) {
        if (v.indexOf(',') != lastComma) {
          dot++; // 1,234,567: commas group thousands
        } else if (countDigits(v, lastComma + 1) != 3) {
          comma++; // 12,5
        }
      } else if (lastDot >= 0) {
        if (v.indexOf('.') != lastDot) {
          comma++;
        } else if (countDigits(v, lastDot + 1) != 3) {
          dot++;
        }
      }
    }
    if (dot == comma) {
      return delimiter == ';' ? Decimal.COMMA : Decimal.DOT;
    }
    return dot > comma ? Decimal.DOT : Decimal.COMMA;
  }

  private static int countDigits(String v, int from) {
    int n = 0;
    for (int i = from; i < v.length() && Character.isDigit(v.charAt(i)); i++) {
      n++;
    }
    return n;
  }

  /** The number in {@code raw}, or NaN when it is not one. */
  public static double number(String raw, Decimal decimal) {
    int length = raw.length();
    if (length == 0 || length > 40) {
      return Double.NaN;
    }
    char[] out = new char[length];
    int n = 0;
    boolean digits = false;
    boolean negative = false;
    boolean exponent = false;
    char decimalChar = decimal == Decimal.DOT ? '.' : ',';
    char groupChar = decimal == Decimal.DOT ? ',' : '.';
    for (int i = 0; i < length; i++) {
      char c = raw.charAt(i);
      if (c >= '0' && c <= '9') {
        out[n++] = c;
        digits = true;
      } else if (c == decimalChar) {
        out[n++] = '.';
      } else if (c == groupChar || c == ' ' || c == '\u00a0' || c == '\u202f' || c == '\'' || c == '_') {
        // a group separator is followed by exactly three digits ("1,234" yes, "01.03.2025" no)
        if (!digits || !groupOfThree(raw, i + 1)) {
          return Double.NaN;
        }
      } else if (c == '-' || c == '\u2212') {
        if (n == 0 && !negative) {
          negative = true;
        } else if (exponent && out[n - 1] == 'E') {
          out[n++] = '-';
        } else {
          return Double.NaN;
        }
      } else if (c == '+' && n == 0) {
        continue;
      } else if ((c == 'e' || c == 'E') && digits && !exponent && i + 1 < length) {
        out[n++] = 'E';
        exponent = true;
      } else if ((c == '$' || c == '\u20ac' || c == '\u00a3' || c == '\u00a5') && !digits) {
        continue;
      } else if (c == '%' && i == length - 1 && digits) {
        continue;
      } else {
        return Double.NaN;
      }
    }
    if (!digits) {
      return Double.NaN;
    }
    try {
      double value = Double.parseDouble(new String(out, 0, n));
      return negative ? -value : value;
    } catch (NumberFormatException e) {
      return Double.NaN;
    }
  }

  private static boolean groupOfThree(String raw, int from) {
    if (from + 3 > raw.length()) {
      return false;
    }
    for (int i = from; i < from + 3; i++) {
      if (!Character.isDigit(raw.charAt(i))) {
        return false;
      }
    }
    return from + 3 == raw.length() || !Character.isDigit(raw.charAt(from + 3));
  }

  /** A date layout: its formatter and whether it carries a time of day. */
  public record DateLayout(String pattern, DateTimeFormatter formatter, boolean hasTime) {
    /** Epoch seconds (UTC) of {@code raw}, or {@link Long#MIN_VALUE} when it does not match. */
    public long epochSeconds(String raw) {
      if (!hasTime && pattern.equals("yyyy-MM-dd")) {
        return isoDate(raw);
      }
      try {
        if (hasTime) {
          return LocalDateTime.parse(raw, formatter).toEpochSecond(ZoneOffset.UTC);
        }
        if (pattern.equals("yyyy-MM")) {
          return LocalDate.parse(raw + "-01").toEpochDay() * 86_400L;
        }
        return LocalDate.parse(raw, formatter).toEpochDay() * 86_400L;
      } catch (DateTimeParseException e) {
        return Long.MIN_VALUE;
      }
    }
  }

  private static final DateTimeFormatter ISO_DATE_TIME = new java.time.format.DateTimeFormatterBuilder()
      .parseCaseInsensitive().append(DateTimeFormatter.ISO_LOCAL_DATE).optionalStart().appendLiteral('T').optionalEnd()
      .optionalStart().appendLiteral(' ').optionalEnd().append(DateTimeFormatter.ISO_LOCAL_TIME)
      .optionalStart().appendOffsetId().optionalEnd().optionalStart().appendLiteral('Z').optionalEnd().toFormatter();

  public static final List<DateLayout> LAYOUTS = List.of(
      new DateLayout("yyyy-MM-dd", DateTimeFormatter.ISO_LOCAL_DATE, false),
      new DateLayout("yyyy-MM-dd HH:mm:ss", ISO_DATE_TIME, true),
      new DateLayout("yyyy/MM/dd", DateTimeFormatter.ofPattern("uuuu/MM/dd"), false),
      new DateLayout("dd.MM.yyyy", DateTimeFormatter.ofPattern("dd.MM.uuuu"), false),
      new DateLayout("MM/dd/yyyy", DateTimeFormatter.ofPattern("M/d/uuuu"), false),
      new DateLayout("dd/MM/yyyy", DateTimeFormatter.ofPattern("d/M/uuuu"), false),
      new DateLayout("dd.MM.yyyy HH:mm", DateTimeFormatter.ofPattern("dd.MM.uuuu H:mm"), true),
      new DateLayout("MM/dd/yyyy HH:mm", DateTimeFormatter.ofPattern("M/d/uuuu H:mm"), true),
      new DateLayout("yyyy-MM", DateTimeFormatter.ofPattern("uuuu-MM"), false));

  /** The first layout that reads {@code raw}, or null. */
  public static DateLayout layoutOf(String raw) {
    if (raw.length() < 7 || raw.length() > 35 || !Character.isDigit(raw.charAt(0))) {
      return null;
    }
    for (DateLayout layout : LAYOUTS) {
      if (layout.epochSeconds(raw) != Long.MIN_VALUE) {
        return layout;
      }
    }
    return null;
  }

  /** Fast path for the most common layout, yyyy-MM-dd. */
  private static long isoDate(String raw) {
    if (raw.length() != 10 || raw.charAt(4) != '-' || raw.charAt(7) != '-') {
      return Long.MIN_VALUE;
    }
    int year = digits(raw, 0, 4);
    int month = digits(raw, 5, 7);
    int day = digits(raw, 8, 10);
    if (year < 0 || month < 1 || month > 12 || day < 1 || day > 31) {
      return Long.MIN_VALUE;
    }
    try {
      return LocalDate.of(year, month, day).toEpochDay() * 86_400L;
    } catch (java.time.DateTimeException e) {
      return Long.MIN_VALUE;
    }
  }

  private static int digits(String s, int from, int to) {
    int v = 0;
    for (int i = from; i < to; i++) {
      char c = s.charAt(i);
      if (c < '0' || c > '9') {
        return -1;
      }
      v = v * 10 + (c - '0');
    }
    return v;
  }
}
