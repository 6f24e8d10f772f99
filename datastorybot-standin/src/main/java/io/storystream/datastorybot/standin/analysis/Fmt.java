package io.storystream.datastorybot.standin.analysis;

import java.time.Instant;
import java.time.ZoneOffset;
import java.time.format.DateTimeFormatter;
import java.util.Locale;

/**
 * How numbers appear in stories and narratives (locale-independent, so tests can recompute the exact text):
 * magnitudes of 1,000 and more without decimals and with thousands separators, smaller whole numbers as they are,
 * other small numbers with two decimals; percentages with one decimal.
 */
public final class Fmt {
  private Fmt() {}

  public static String num(double v) {
    if (Math.abs(v) >= 1000) {
      return String.format(Locale.ROOT, "%,.0f", v);
    }
    if (v == Math.rint(v)) {
      return String.format(Locale.ROOT, "%.0f", v);
    }
    return String.format(Locale.ROOT, "%.2f", v);
  }

  public static String count(long n) {
    return String.format(Locale.ROOT, "%,d", n);
  }

  public static String pct(double percent) {
    return String.format(Locale.ROOT, "%.1f%%", percent);
  }

  public static String signedPct(double percent) {
    return String.format(Locale.ROOT, "%+.1f%%", percent);
  }

  public static String r(double r) {
    return String.format(Locale.ROOT, "%.2f", r);
  }

  static String instant(double epochSeconds, Period period) {
    return period.formatter.format(Instant.ofEpochSecond((long) epochSeconds));
  }

  /** Granularity of a trend, chosen from the date column's span. */
  enum Period {
    YEAR("yyyy", "Yearly"), MONTH("yyyy-MM", "Monthly"), DAY("yyyy-MM-dd", "Daily"), HOUR("yyyy-MM-dd HH:00", "Hourly");

    final DateTimeFormatter formatter;
    final String adjective;

    Period(String pattern, String adjective) {
      this.formatter = DateTimeFormatter.ofPattern(pattern, Locale.ROOT).withZone(ZoneOffset.UTC);
      this.adjective = adjective;
    }

    static Period forSpan(double seconds) {
      double days = seconds / 86_400;
      if (days > 3 * 365) {
        return YEAR;
      }
      if (days > 60) {
        return MONTH;
      }
      if (days > 2) {
        return DAY;
      }
      return HOUR;
    }

    String key(double epochSeconds) {
      return formatter.format(Instant.ofEpochSecond((long) epochSeconds));
    }
  }
}
