package io.storystream.billing;

import io.storystream.schemas.PriceBook;
import io.storystream.schemas.Statement;
import java.io.PrintStream;
import java.time.YearMonth;
import java.util.ArrayList;
import java.util.Collection;
import java.util.List;
import java.util.Map;
import java.util.Optional;

/**
 * What publishing a price book will do to the current statements: for every statement whose month the new book
 * takes over, the old and new totals, computed with the same pure {@link Rating} the aggregator uses on the
 * statement's stored quantities. The aggregator then issues exactly these as new revisions.
 */
public final class ReRatingReport {
  public record Row(String tenantId, String month, String plan, int oldVersion, long oldTotalMicros, int newVersion,
                    long newTotalMicros) {
    public long differenceMicros() {
      return newTotalMicros - oldTotalMicros;
    }
  }

  private final List<Row> rows;

  private ReRatingReport(List<Row> rows) {
    this.rows = rows;
  }

  public static ReRatingReport of(Map<String, Statement> latest, Collection<PriceBook> published, PriceBook next) {
    List<PriceBook> books = new ArrayList<>(published);
    books.removeIf(b -> b.getVersion() == next.getVersion());
    books.add(next);
    List<Row> rows = new ArrayList<>();
    for (Statement s : latest.values()) {
      YearMonth month = YearMonth.parse(s.getMonth());
      Optional<PriceBook> inForce = PriceBooks.inForce(books, month);
      if (inForce.isEmpty() || inForce.get().getVersion() != next.getVersion()
          || !next.getPlans().containsKey(s.getPlan())) {
        continue;
      }
      long newTotal = Rating.rate(s.getQuantities(), s.getPlan(), next).totalMicros();
      rows.add(new Row(s.getTenantId(), s.getMonth(), s.getPlan(), s.getPriceBookVersion(), s.getTotalMicros(),
          next.getVersion(), newTotal));
    }
    return new ReRatingReport(List.copyOf(rows));
  }

  public List<Row> rows() {
    return rows;
  }

  public void print(PrintStream out, String currency) {
    if (rows.isEmpty()) {
      out.println("no existing statement is re-rated by this price book");
      return;
    }
    out.printf("%-20s %-8s %-11s %5s %16s   %5s %16s %16s%n", "tenant", "month", "plan", "old", "old total",
        "new", "new total", "difference");
    for (Row r : rows) {
      out.printf("%-20s %-8s %-11s %5s %16s → %5s %16s %16s%n", r.tenantId(), r.month(), r.plan(),
          "v" + r.oldVersion(), StatementJson.money(r.oldTotalMicros()), "v" + r.newVersion(),
          StatementJson.money(r.newTotalMicros()),
          (r.differenceMicros() >= 0 ? "+" : "") + StatementJson.money(r.differenceMicros()));
    }
    long old = rows.stream().mapToLong(Row::oldTotalMicros).sum();
    long now = rows.stream().mapToLong(Row::newTotalMicros).sum();
    out.printf("%d statement(s) re-rated; total %s → %s %s (%s%s)%n", rows.size(), StatementJson.money(old),
        StatementJson.money(now), currency, now - old >= 0 ? "+" : "", StatementJson.money(now - old));
  }
}
