package io.storystream.billing;

import io.storystream.common.billing.api.PriceBookDocument;
import io.storystream.common.billing.api.BillingBodies.PriceBookList;
import io.storystream.common.billing.api.BillingBodies.PriceBookSimulation;
import io.storystream.common.billing.api.BillingBodies.PriceBookVersion;
import io.storystream.common.billing.api.BillingBodies.PublishedPriceBook;
import io.storystream.common.billing.api.BillingBodies.ReRatedStatement;
import io.storystream.common.billing.api.BillingBodies.SimulatedStatement;
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
  public PriceBookList list() {
    List<PriceBook> books = new ArrayList<>(publisher.published());
    books.sort(Comparator.comparingInt(PriceBook::getVersion).reversed());
    YearMonth now = YearMonth.now(clock.withZone(ZoneOffset.UTC));
    Integer inForce = PriceBooks.inForce(books, now).map(PriceBook::getVersion).orElse(null);
    List<PriceBookVersion> versions = new ArrayList<>();
    for (PriceBook b : books) {
      versions.add(new PriceBookVersion(b.getVersion(), b.getCurrency(), b.getEffectiveFrom(), b.getEffectiveTo(),
          b.getPublishedAt().toString(), b.getNote(), Integer.valueOf(b.getVersion()).equals(inForce)));
    }
    return new PriceBookList(now.toString(), inForce, versions);
  }

  /** {@code GET /admin/price-books/current}: the document in force this month, in the format {@code PUT} takes. */
  public PriceBookDocument current() {
    YearMonth now = YearMonth.now(clock.withZone(ZoneOffset.UTC));
    return PriceBooks.inForce(publisher.published(), now).map(PriceBookOperations::document)
        .orElseThrow(() -> new ProblemException(404, "price-book-not-found", "No price book in force",
            "no published price book covers " + now));
  }

  /** {@code PUT /admin/price-books/{version}}: validates and publishes, answering with what it re-rates. */
  public PublishedPriceBook publish(int version, String body) {
    PriceBookDocument document = PriceBookFormat.parse(body);
    List<PriceBook> before = publisher.published();
    Map<String, Statement> latest = latestStatements.get();
    PriceBookPublisher.Published published = publisher.publish(version, document);
    ReRatingReport report = ReRatingReport.of(latest, before, published.book());
    return new PublishedPriceBook(version, published.alreadyPublished(), published.alreadyPublished() ? List.of()
        : rows(report, published.book(), latest).stream().map(r -> new ReRatedStatement(r.tenantId(), r.month(),
            r.plan(), r.currentPriceBookVersion(), r.currentTotalMicros(), r.simulatedTotalMicros(),
            r.differenceMicros(), r.lines())).toList());
  }

  /**
   * {@code POST /admin/price-books/simulate}: every tenant-month the document would re-rate, with its current and
   * simulated totals and the simulated lines. Nothing is published. A document without a version is simulated as
   * the next version.
   */
  public PriceBookSimulation simulate(String body) {
    PriceBookDocument document = PriceBookFormat.parse(body);
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
    List<SimulatedStatement> tenants = rows(ReRatingReport.of(latest, published, book), book, latest);
    return new PriceBookSimulation(document.version(), book.getCurrency(),
        tenants.stream().mapToLong(SimulatedStatement::currentTotalMicros).sum(),
        tenants.stream().mapToLong(SimulatedStatement::simulatedTotalMicros).sum(), tenants);
  }

  /** Every re-rated tenant-month, by month then tenant (publish reports the new total as newTotalMicros). */
  private static List<SimulatedStatement> rows(ReRatingReport report, PriceBook book, Map<String, Statement> latest) {
    List<SimulatedStatement> rows = new ArrayList<>();
    for (ReRatingReport.Row r : report.rows()) {
      Statement s = latest.get(r.tenantId() + ":" + r.month());
      rows.add(new SimulatedStatement(r.tenantId(), r.month(), r.plan(), r.oldVersion(), r.oldTotalMicros(),
          r.newTotalMicros(), r.differenceMicros(),
          Rating.rate(s.getQuantities(), r.plan(), book).lines().stream().map(StatementJson::line).toList()));
    }
    rows.sort(Comparator.comparing(SimulatedStatement::month).thenComparing(SimulatedStatement::tenantId));
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
