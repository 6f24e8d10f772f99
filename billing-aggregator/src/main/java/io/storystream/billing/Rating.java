package io.storystream.billing;

import io.storystream.schemas.MeterQuantities;
import io.storystream.schemas.PlanPrice;
import io.storystream.schemas.PriceBook;
import io.storystream.schemas.StatementLine;
import java.util.ArrayList;
import java.util.List;

/**
 * Turns a month's meter quantities into statement lines: a pure function of (quantities, plan, price book), all in
 * integer micro-units with overflow checks, so a replay or a re-rating computes exactly the same money.
 *
 * <p>The seeds' three billing models are all expressible: per analysis (no base fee, a price per analysis), per row
 * (a price per started 1,000 rows beyond the included rows) and a flat tier with overage (a base fee that includes
 * some analyses, a price per analysis beyond them). Failed analyses are shown as quantities but never charged. A
 * line appears only when its meter has a price or, for analyses, when some were used.
 */
public final class Rating {
  private Rating() {}

  /** The priced lines of a statement and their sum. */
  public record Rated(List<StatementLine> lines, long totalMicros) {}

  /** Thrown when the price book has no prices for the plan. */
  public static final class UnknownPlanException extends RuntimeException {
    public UnknownPlanException(String plan, int version) {
      super("price book v" + version + " has no plan '" + plan + "'");
    }
  }

  public static Rated rate(MeterQuantities q, String plan, PriceBook book) {
    PlanPrice p = book.getPlans().get(plan);
    if (p == null) {
      throw new UnknownPlanException(plan, book.getVersion());
    }
    List<StatementLine> lines = new ArrayList<>();
    if (p.getBaseFeeMicros() > 0) {
      String includes = p.getIncludedAnalyses() > 0 ? ", includes " + p.getIncludedAnalyses() + " analyses" : "";
      lines.add(line("base_fee", "Monthly base fee (" + plan + includes + ")", 1, p.getBaseFeeMicros()));
    }
    long billableAnalyses = Math.max(0, q.getAnalyses() - p.getIncludedAnalyses());
    if (p.getPerAnalysisMicros() > 0) {
      String what = p.getIncludedAnalyses() > 0
          ? "Analyses beyond the " + p.getIncludedAnalyses() + " included (" + q.getAnalyses() + " completed)"
          : "Analyses completed";
      lines.add(line("analyses", what, billableAnalyses, p.getPerAnalysisMicros()));
    }
    if (p.getPerThousandRowsMicros() > 0) {
      long billableRows = Math.max(0, q.getRowsAnalyzed() - p.getIncludedRows());
      long thousands = ceilDiv(billableRows, 1000);
      lines.add(line("rows", "Rows analyzed, per started 1,000 (" + billableRows + " billable rows)", thousands,
          p.getPerThousandRowsMicros()));
    }
    if (p.getCacheHitMicros() > 0) {
      lines.add(line("cache_hits", "Cached results served", q.getCacheHits(), p.getCacheHitMicros()));
    }
    if (p.getPerUploadMicros() > 0) {
      lines.add(line("uploads", "Files uploaded", q.getUploads(), p.getPerUploadMicros()));
    }
    if (p.getPerDownloadMicros() > 0) {
      lines.add(line("downloads", "Result downloads", q.getDownloads(), p.getPerDownloadMicros()));
    }
    long total = 0;
    for (StatementLine line : lines) {
      total = Math.addExact(total, line.getAmountMicros());
    }
    return new Rated(List.copyOf(lines), total);
  }

  private static StatementLine line(String code, String description, long quantity, long unitPriceMicros) {
    return StatementLine.newBuilder().setCode(code).setDescription(description).setQuantity(quantity)
        .setUnitPriceMicros(unitPriceMicros).setAmountMicros(Math.multiplyExact(quantity, unitPriceMicros)).build();
  }

  private static long ceilDiv(long x, long y) {
    return Math.floorDiv(Math.addExact(x, y - 1), y);
  }
}
