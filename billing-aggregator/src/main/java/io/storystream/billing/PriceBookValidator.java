package io.storystream.billing;

import io.storystream.common.billing.api.PriceBookDocument;
import io.storystream.schemas.PriceBook;
import java.time.YearMonth;
import java.util.ArrayList;
import java.util.Collection;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeSet;

/**
 * Checks a price-book document before it is published, and lists every problem at once: missing or malformed
 * fields, a missing plan, a negative price, an empty month range, and months that overlap a newer published version
 * (a version takes over months only from older versions; publishing an older one over a newer one would be a
 * no-op that looks like a price change).
 */
public final class PriceBookValidator {
  private final Set<String> requiredPlans;

  public PriceBookValidator(Set<String> requiredPlans) {
    this.requiredPlans = new TreeSet<>(requiredPlans);
  }

  public static PriceBookValidator standard() {
    return new PriceBookValidator(PriceBooks.REQUIRED_PLANS);
  }

  /** Errors of the document on its own; empty when valid. */
  public List<String> errors(PriceBookDocument doc) {
    List<String> errors = new ArrayList<>();
    if (doc.version() == null) {
      errors.add("version is missing");
    } else if (doc.version() < 1) {
      errors.add("version must be 1 or more, not " + doc.version());
    }
    if (doc.currency() == null) {
      errors.add("currency is missing");
    } else if (!doc.currency().matches("[A-Z]{3}")) {
      errors.add("currency must be an ISO 4217 code such as USD, not '" + doc.currency() + "'");
    }
    YearMonth from = month(doc.effectiveFrom(), "effectiveFrom", true, errors);
    YearMonth to = month(doc.effectiveTo(), "effectiveTo", false, errors);
    if (from != null && to != null && to.isBefore(from)) {
      errors.add("effectiveTo " + to + " is before effectiveFrom " + from);
    }
    Map<String, PriceBookDocument.Plan> plans = doc.plans() == null ? Map.of() : doc.plans();
    for (String required : requiredPlans) {
      if (!plans.containsKey(required)) {
        errors.add("missing plan '" + required + "'");
      }
    }
    plans.forEach((name, plan) -> {
      if (plan == null) {
        errors.add("plans." + name + " has no prices");
        return;
      }
      plan.fields().forEach((field, value) -> {
        if (value == null) {
          errors.add("plans." + name + "." + field + " is missing");
        } else if (value < 0) {
          errors.add("plans." + name + "." + field + " is negative (" + value + ")");
        }
      });
    });
    return errors;
  }

  /**
   * Validates the document against itself and the published books; throws {@link InvalidPriceBookException} with
   * every error. Returns true when the same version is already published with the same prices (nothing to do).
   */
  public boolean check(PriceBookDocument doc, Collection<PriceBook> published) {
    List<String> errors = errors(doc);
    if (!errors.isEmpty()) {
      throw InvalidPriceBookException.of(errors);
    }
    YearMonth from = YearMonth.parse(doc.effectiveFrom());
    YearMonth to = doc.effectiveTo() == null ? null : YearMonth.parse(doc.effectiveTo());
    PriceBook candidate = doc.toPriceBook(java.time.Instant.EPOCH);
    for (PriceBook book : published) {
      if (book.getVersion() == doc.version()) {
        if (sameContent(book, candidate)) {
          return true;
        }
        throw InvalidPriceBookException.conflict(doc.version());
      }
      if (book.getVersion() > doc.version() && overlaps(from, to, PriceBooks.from(book), PriceBooks.to(book))) {
        errors.add("months " + range(from, to) + " overlap version " + book.getVersion() + " ("
            + range(PriceBooks.from(book), PriceBooks.to(book)) + "), which is newer; use a version above "
            + book.getVersion());
      }
    }
    if (!errors.isEmpty()) {
      throw InvalidPriceBookException.of(errors);
    }
    return false;
  }

  static boolean sameContent(PriceBook a, PriceBook b) {
    return a.getCurrency().equals(b.getCurrency()) && a.getEffectiveFrom().equals(b.getEffectiveFrom())
        && java.util.Objects.equals(a.getEffectiveTo(), b.getEffectiveTo()) && a.getPlans().equals(b.getPlans());
  }

  private static boolean overlaps(YearMonth aFrom, YearMonth aTo, YearMonth bFrom, YearMonth bTo) {
    boolean aEndsBeforeB = aTo != null && aTo.isBefore(bFrom);
    boolean bEndsBeforeA = bTo != null && bTo.isBefore(aFrom);
    return !aEndsBeforeB && !bEndsBeforeA;
  }

  private static String range(YearMonth from, YearMonth to) {
    return from + ".." + (to == null ? "" : to.toString());
  }

  private static YearMonth month(String text, String field, boolean required, List<String> errors) {
    if (text == null) {
      if (required) {
        errors.add(field + " is missing");
      }
      return null;
    }
    YearMonth month = BillingMonth.parseMonth(text);
    if (month == null) {
      errors.add(field + " must be a month yyyy-MM, not '" + text + "'");
    }
    return month;
  }
}
