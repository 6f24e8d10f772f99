package io.storystream.billing;

import io.storystream.common.billing.api.PriceBookDocument;
import io.storystream.schemas.PriceBook;
import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.time.YearMonth;
import java.util.Collection;
import java.util.Comparator;
import java.util.Optional;
import java.util.Set;

/** Which price book is in force for a month, and the default book the launcher publishes on first start. */
public final class PriceBooks {
  /** The plans every price book must price: the plans tenants are provisioned with. */
  public static final Set<String> REQUIRED_PLANS = Set.of("starter", "pro", "enterprise");

  private PriceBooks() {}

  /**
   * The book in force for a month: among the books whose months include it, the highest version. Publishing a
   * higher version over past months is how prices are corrected (re-rating).
   */
  public static Optional<PriceBook> inForce(Collection<PriceBook> books, YearMonth month) {
    return books.stream().filter(b -> covers(b, month)).max(Comparator.comparingInt(PriceBook::getVersion));
  }

  public static boolean covers(PriceBook book, YearMonth month) {
    YearMonth to = to(book);
    return !month.isBefore(from(book)) && (to == null || !month.isAfter(to));
  }

  static YearMonth from(PriceBook book) {
    return YearMonth.parse(book.getEffectiveFrom());
  }

  static YearMonth to(PriceBook book) {
    return book.getEffectiveTo() == null ? null : YearMonth.parse(book.getEffectiveTo());
  }

  /**
   * Version 1, open-ended from 2026-01, with the seeds' three models: starter pays per analysis, pro pays a base fee
   * and per 1,000 rows, enterprise a flat tier with included analyses and overage.
   */
  public static PriceBookDocument defaultDocument() {
    try (InputStream in = PriceBooks.class.getResourceAsStream("/price-books/default.yaml")) {
      if (in == null) {
        throw new IllegalStateException("price-books/default.yaml is missing from the classpath");
      }
      return PriceBookFormat.parse(new String(in.readAllBytes(), StandardCharsets.UTF_8));
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }
}
