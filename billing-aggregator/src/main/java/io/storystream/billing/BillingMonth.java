package io.storystream.billing;

import io.storystream.schemas.topics.TenantKeys;
import java.time.Duration;
import java.time.Instant;
import java.time.YearMonth;
import java.time.ZoneOffset;
import java.time.format.DateTimeParseException;

/**
 * A tenant's billing month: calendar month in UTC, by the time the usage happened. The key {@code tenantId:yyyy-MM}
 * is the key of the month's statement on {@code billing-statements}.
 */
public record BillingMonth(String tenantId, YearMonth month) {

  public static BillingMonth of(String tenantId, long occurredAtMillis) {
    return new BillingMonth(tenantId, monthOf(occurredAtMillis));
  }

  public static YearMonth monthOf(long epochMillis) {
    return YearMonth.from(Instant.ofEpochMilli(epochMillis).atOffset(ZoneOffset.UTC));
  }

  /** Parses {@code yyyy-MM}; null when it is not a month. */
  public static YearMonth parseMonth(String text) {
    if (text == null || !text.matches("\\d{4}-\\d{2}")) {
      return null;
    }
    try {
      return YearMonth.parse(text);
    } catch (DateTimeParseException e) {
      return null;
    }
  }

  /** Parses a statement key {@code tenantId:yyyy-MM}. */
  public static BillingMonth fromKey(String key) {
    return new BillingMonth(TenantKeys.tenantOf(key), YearMonth.parse(TenantKeys.resourceOf(key)));
  }

  public String key() {
    return TenantKeys.of(tenantId, month.toString());
  }

  public static long startOf(YearMonth month) {
    return month.atDay(1).atStartOfDay().toInstant(ZoneOffset.UTC).toEpochMilli();
  }

  /** The first instant after the month (exclusive end). */
  public static long endOf(YearMonth month) {
    return month.plusMonths(1).atDay(1).atStartOfDay().toInstant(ZoneOffset.UTC).toEpochMilli();
  }

  /** The billing clock reading from which the month takes no more usage and its statement is final. */
  public static long closesAt(YearMonth month, Duration grace) {
    return endOf(month) + grace.toMillis();
  }
}
