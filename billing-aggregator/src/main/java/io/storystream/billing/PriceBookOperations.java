package io.storystream.billing;

import io.storystream.common.http.ProblemException;
import io.storystream.schemas.PlanPrice;
import io.storystream.schemas.PriceBook;
import io.storystream.schemas.Statement;
import java.time.Clock;
import java.time.YearMonth;
import java.time.ZoneOffset;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.function.Supplier;

/**
 * The operator's price-book routes, behind {@code /admin/price-books}: list the versions, show the one in force
 * (as the document {@code PUT} takes), publish a version with its re-rating report, and simulate a document against
 * the current statements without publishing anything. Every figure comes from the same pure {@link Rating} the
 * aggregator uses, on the quantities of the latest statements.
 */
public final class PriceBookOperations {
  private final PriceBookPublisher publisher;
  private final Supplier<Map<String, Statement>> latestStatements;
  private final Clock clock;

  /**
   * @param latestStatements the latest statement of every tenant-month, by key (the aggregator's store)
   */
  public PriceBookOperations(PriceBookPublisher publisher, Supplier<Map<String, Statement>> latestStatements,
                             Clock clock) {
    this.publisher = publisher;
    this.latestStatements = latestStatements;
    this.clock = clock;
  }

  /** {@code GET /admin/price-books}: every version, newest first, with the months it covers and when published. */
  public Map<String, Object> list() {
    List<PriceBook> books = new ArrayList<>(publisher.published());
    books.sort(Comparator.comparingInt(PriceBook::getVersion).reversed());
    YearMonth now = YearMonth.now(clock.withZone(ZoneOffset.UTC));
    Integer inForce = PriceBooks.inForce(books, now).map(PriceBook::getVersion).orElse(null);
    List<Map<String, Object>> versions = new ArrayList<>();
    for (PriceBook b : books) {
      Map<String, Object> v = new LinkedHashMap<>();
      v.put("version", b.getVersion());
      v.put("currency", b.getCurrency());
      v.put("effectiveFrom", b.getEffectiveFrom());
      v.put("effectiveTo", b.getEffectiveTo());
      v.put("publishedAt", b.getPublishedAt().toString());
      v.put("note", b.getNote());
      v.put("inForceNow", Integer.valueOf(b.getVersion()).equals(inForce));
      versions.add(v);
    }
    Map<String, Object> body = new LinkedHashMap<>();
    body.put("month", now.toString());
    body.put("inForce", inForce);
    body.put("priceBooks", versions);
    return body;
  }

  /** {@code GET /admin/price-books/current}: the document in force this month, in the format {@code PUT} takes. */
  public PriceBookDocument current() {
    YearMonth now = YearMonth.now(clock.withZone(ZoneOffset.UTC));
    return PriceBooks.inForce(publisher.published(), now).map(PriceBookOperations::document)
        .orElseThrow(() -> new ProblemException(404, "price-book-not-found", "No price book in force",
            "no published price book covers " + now));
  }

  /** {@code PUT /admin/price-books/{version}}: validates and publishes, answering with what it re-rates. */
  public Map<String, Object> publish(int version, String body) {
    PriceBookDocument document = PriceBookDocument.parse(body);
    List<PriceBook> before = publisher.published();
    Map<String, Statement> latest = latestStatements.get();
    PriceBookPublisher.Published published = publisher.publish(version, document);
    ReRatingReport report = ReRatingReport.of(latest, before, published.book());
    Map<String, Object> answer = new LinkedHashMap<>();
    answer.put("version", version);
    answer.put("alreadyPublished", published.alreadyPublished());
    answer.put("reRated", published.alreadyPublished() ? List.of() : rows(report, published.book(), latest, false));
    return answer;
  }

  /**
   * {@code POST /admin/price-books/simulate}: every tenant-month the document would re-rate, with its current and
   * simulated totals and the simulated lines. Nothing is published. A document without a version is simulated as
   * the next version.
   */
  public Map<String, Object> simulate(String body) {
    PriceBookDocument document = PriceBookDocument.parse(body);
    List<PriceBook> published = publisher.published();
    if (document.version() == null) {
      document = document.withVersion(published.stream().mapToInt(PriceBook::getVersion).max().orElse(0) + 1);
    }
    List<String> errors = PriceBookValidator.standard().errors(document);
    if (!errors.isEmpty()) {
      throw InvalidPriceBookException.of(errors);
    }
    PriceBook book = document.toPriceBook(clock.instant());
    Map<String, Statement> latest = latestStatements.get();
    List<Map<String, Object>> tenants = rows(ReRatingReport.of(latest, published, book), book, latest, true);
    Map<String, Object> answer = new LinkedHashMap<>();
    answer.put("version", document.version());
    answer.put("currency", book.getCurrency());
    answer.put("currentTotalMicros", tenants.stream().mapToLong(t -> (Long) t.get("currentTotalMicros")).sum());
    answer.put("simulatedTotalMicros", tenants.stream().mapToLong(t -> (Long) t.get("simulatedTotalMicros")).sum());
    answer.put("tenants", tenants);
    return answer;
  }

  private static List<Map<String, Object>> rows(ReRatingReport report, PriceBook book, Map<String, Statement> latest,
                                                boolean simulated) {
    List<Map<String, Object>> rows = new ArrayList<>();
    for (ReRatingReport.Row r : report.rows()) {
      Statement s = latest.get(r.tenantId() + ":" + r.month());
      Map<String, Object> row = new LinkedHashMap<>();
      row.put("tenantId", r.tenantId());
      row.put("month", r.month());
      row.put("plan", r.plan());
      row.put("currentPriceBookVersion", r.oldVersion());
      row.put("currentTotalMicros", r.oldTotalMicros());
      row.put(simulated ? "simulatedTotalMicros" : "newTotalMicros", r.newTotalMicros());
      row.put("differenceMicros", r.differenceMicros());
      row.put("lines", Rating.rate(s.getQuantities(), r.plan(), book).lines().stream().map(StatementJson::line)
          .toList());
      rows.add(row);
    }
    rows.sort(Comparator.comparing((Map<String, Object> m) -> (String) m.get("month"))
        .thenComparing(m -> (String) m.get("tenantId")));
    return rows;
  }

  /** The document a published book was made from (what {@code PUT} takes back). */
  static PriceBookDocument document(PriceBook book) {
    Map<String, PriceBookDocument.Plan> plans = new TreeMap<>();
    for (Map.Entry<String, PlanPrice> e : book.getPlans().entrySet()) {
      PlanPrice p = e.getValue();
      plans.put(e.getKey(), new PriceBookDocument.Plan(p.getBaseFeeMicros(), p.getIncludedAnalyses(),
          p.getPerAnalysisMicros(), p.getPerThousandRowsMicros(), p.getIncludedRows(), p.getCacheHitMicros(),
          p.getPerUploadMicros(), p.getPerDownloadMicros()));
    }
    return new PriceBookDocument(book.getVersion(), book.getCurrency(), book.getEffectiveFrom(),
        book.getEffectiveTo(), book.getNote(), plans);
  }
}
