package io.storystream.billing;

import com.fasterxml.jackson.core.JsonProcessingException;
import io.javalin.Javalin;
import io.javalin.http.Context;
import io.javalin.http.HttpStatus;
import io.storystream.common.billing.api.BillingBodies.CountedIn;
import io.storystream.common.billing.api.BillingBodies.MonthExplanation;
import io.storystream.common.billing.api.BillingBodies.NotCounted;
import io.storystream.common.billing.api.BillingBodies.MonthStatements;
import io.storystream.common.billing.api.BillingBodies.StatementRevision;
import io.storystream.common.billing.api.BillingBodies.StatementRevisions;
import io.storystream.common.billing.api.BillingBodies.TenantStatements;
import io.storystream.common.billing.api.BillingBodies.Usage;
import io.storystream.common.billing.api.BillingBodies.UsageEventExplanation;
import io.storystream.common.billing.api.BillingBodies.UsageQuota;
import io.storystream.common.http.JsonMapper;
import io.storystream.common.http.ProblemException;
import io.storystream.common.http.Problems;
import io.storystream.schemas.PriceBook;
import io.storystream.schemas.Statement;
import io.storystream.schemas.Tenant;
import io.storystream.schemas.topics.TenantKeys;
import java.time.Clock;
import java.time.Instant;
import java.time.YearMonth;
import java.time.ZoneOffset;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import org.apache.kafka.streams.errors.InvalidStateStoreException;

/**
 * The billing read API (default port 8083), served from the aggregator's stores. It is internal and answers only
 * authenticated callers ({@link BillingAccess}; anyone else gets 401): the ingress relays a tenant's
 * {@code GET /v1/usage} and {@code GET /v1/statements/{yyyy-MM}} here with the billing token and the tenant id it
 * authenticated, and the operator API relays the month view and the explain view
 * ({@code GET /admin/months/{yyyy-MM}/statements}, …). An unknown tenant and a tenant without the resource look the
 * same: 404.
 *
 * <ul>
 *   <li>{@code GET /tenants/{tenantId}/usage[?month=yyyy-MM]}: the month's usage (default: the current UTC month)
 *       with the plan's analysis quota remaining</li>
 *   <li>{@code GET /tenants/{tenantId}/statements/{yyyy-MM}}: the latest statement revision of a month</li>
 *   <li>{@code GET /tenants/{tenantId}/statements/{yyyy-MM}/revisions[?limit=N]}: the month's revision history,
 *   newest first, each with its difference to the one before</li>
 *   <li>{@code GET /tenants/{tenantId}/statements}: all of a tenant's statements</li>
 *   <li>{@code GET /months/{yyyy-MM}/statements}: every tenant's statement of a month (operator)</li>
 *   <li>{@code GET /tenants/{tenantId}/months/{yyyy-MM}/explain}: events counted, duplicates dropped, events
 *       dead-lettered, and the statement they led to</li>
 *   <li>{@code GET /admin/price-books}, {@code GET /admin/price-books/current}, {@code PUT /admin/price-books/{v}},
 *       {@code POST /admin/price-books/simulate}: the operator's price books ({@link PriceBookOperations}), relayed
 *       by the ingress's operator API</li>
 *   <li>{@code GET /admin/tenants/{t}/usage-events/{eventId}}: counted in which month and statement revision, or
 *       why not (duplicate, too late, invalid)</li>
 *   <li>{@code GET /admin/statements/{yyyy-MM}.csv}: a month's statements as CSV for finance ({@link StatementCsv})</li>
 *   <li>{@code GET /health}: the Kafka Streams state</li>
 * </ul>
 */
public final class BillingHttpApi implements AutoCloseable {
  private final String host;
  private final int requestedPort;
  private final Clock clock;
  private volatile BillingAccess access = BillingAccess.none();
  private volatile BillingQueries queries;
  private volatile PriceBookOperations priceBooks;
  private Javalin app;
  private io.micrometer.core.instrument.MeterRegistry meters = new io.micrometer.core.instrument.simple.SimpleMeterRegistry();

  public BillingHttpApi(String host, int port) {
    this(host, port, Clock.systemUTC());
  }

  public BillingHttpApi(String host, int port, Clock clock) {
    this.host = host;
    this.requestedPort = port;
    this.clock = clock;
  }

  /** Where the request timers go (the process's management registry); call before {@link #start()}. */
  public BillingHttpApi meters(io.micrometer.core.instrument.MeterRegistry registry) {
    this.meters = registry;
    return this;
  }

  public BillingHttpApi start() {
    app = Javalin.create(cfg -> {
      cfg.startup.showJavalinBanner = false;
      Problems.install(cfg);
      io.storystream.common.ops.HttpServerMetrics.install(cfg, meters, "billing");
      // the tenant a request is about, in every line logged while it is handled
      cfg.routes.before("/tenants/{tenantId}/*", ctx -> org.slf4j.MDC.put(
          io.storystream.common.logging.LogContext.TENANT_ID, ctx.pathParam("tenantId")));
      cfg.routes.after(ctx -> org.slf4j.MDC.clear());
      cfg.routes.before(this::authenticate);
      cfg.routes.before("/tenants/{tenantId}/*", this::redirectToOwner);
      cfg.routes.exception(InvalidStateStoreException.class,
          (e, ctx) -> Problems.write(ctx, BillingQueries.notReady().problem()));
      cfg.routes.get("/health", ctx -> json(ctx, Map.of("state", queries == null ? "STARTING" : queries.state())));
      cfg.routes.get("/tenants/{tenantId}/usage", this::usage);
      cfg.routes.get("/tenants/{tenantId}/statements", this::statements);
      cfg.routes.get("/tenants/{tenantId}/statements/{month}", this::statement);
      cfg.routes.get("/tenants/{tenantId}/statements/{month}/revisions", this::revisions);
      cfg.routes.get("/tenants/{tenantId}/months/{month}/explain", this::explain);
      cfg.routes.get("/months/{month}/statements", this::monthStatements);
      cfg.routes.get("/admin/statements/{file}", this::monthCsv);
      cfg.routes.get("/admin/tenants/{tenantId}/usage-events/{eventId}", this::explainEvent);
      cfg.routes.get("/admin/price-books", ctx -> json(ctx, priceBooks().list()));
      cfg.routes.get("/admin/price-books/current",
          ctx -> ctx.contentType("application/json").result(priceBooks().current().toJson()));
      cfg.routes.post("/admin/price-books/simulate", ctx -> json(ctx, priceBooks().simulate(ctx.body())));
      cfg.routes.put("/admin/price-books/{version}",
          ctx -> json(ctx, priceBooks().publish(version(ctx.pathParam("version")), ctx.body())));
    }).start(host, requestedPort);
    return this;
  }

  /** Who may call (call before {@link #start()} or at any time; the default refuses everyone). */
  public BillingHttpApi access(BillingAccess callers) {
    this.access = callers;
    return this;
  }

  /** Every route but {@code /health} needs the billing or the operator token. */
  private void authenticate(Context ctx) {
    if (ctx.path().equals("/health")) {
      return;
    }
    if (!access.accepts(ctx.header("Authorization"))) {
      ctx.header("WWW-Authenticate", "Bearer");
      throw new ProblemException(401, "unauthenticated", "Authentication required",
          "the billing read API answers the ingress relay and the operator only: send "
              + "'Authorization: Bearer <billing or operator token>'");
    }
  }

  /** Starts answering from these stores (until then every call is a 503). */
  void serve(BillingQueries ready) {
    this.queries = ready;
  }

  /** Starts answering the price-book routes. */
  void servePriceBooks(PriceBookOperations operations) {
    this.priceBooks = operations;
  }

  private PriceBookOperations priceBooks() {
    PriceBookOperations p = priceBooks;
    if (p == null) {
      throw BillingQueries.notReady();
    }
    return p;
  }

  private static int version(String text) {
    try {
      int v = Integer.parseInt(text);
      if (v > 0) {
        return v;
      }
    } catch (NumberFormatException e) {
      // answered below
    }
    throw new ProblemException(400, "invalid-price-book-version", "Invalid price-book version",
        "a price-book version is a positive integer");
  }

  public int port() {
    return app.port();
  }

  private void usage(Context ctx) {
    BillingQueries q = queries();
    String tenantId = ctx.pathParam("tenantId");
    String monthParam = ctx.queryParam("month");
    YearMonth month = monthParam == null ? YearMonth.now(clock.withZone(ZoneOffset.UTC)) : month(monthParam);
    Optional<Tenant> tenant = q.tenant(tenantId);
    Optional<MonthAccount> account = q.account(tenantId, month);
    if (tenant.isEmpty() && account.isEmpty()) {
      throw tenantNotFound(tenantId);
    }
    MonthAccount a = account.orElse(MonthAccount.empty(new BillingMonth(tenantId, month)));
    Optional<Statement> statement = q.statement(tenantId, month);
    // without the tenant's record there is no plan limit to tell: quota is null (the ingress sets admission's)
    UsageQuota quota = tenant.map(t -> UsageQuota.counted(t.getLimits().getAnalysesPerMonth(), a.analyses()))
        .orElse(null);
    json(ctx, new Usage(tenantId, month.toString(),
        a.plan() != null ? a.plan() : tenant.map(Tenant::getPlan).orElse(null),
        StatementJson.quantities(a.quantities()), quota,
        Instant.ofEpochMilli(BillingMonth.closesAt(month, q.grace())).toString(),
        statement.map(StatementJson::summary).orElse(null)));
  }

  private void statement(Context ctx) {
    String tenantId = ctx.pathParam("tenantId");
    YearMonth month = month(ctx.pathParam("month"));
    Statement s = queries().statement(tenantId, month).orElseThrow(() -> new ProblemException(404,
        "statement-not-found", "Statement not found", "no statement for " + month));
    json(ctx, StatementJson.statement(s));
  }

  /** Newest first; {@code limit} (default {@value #DEFAULT_REVISIONS}, at most {@value BillingTopology#KEPT_REVISIONS}). */
  private void revisions(Context ctx) {
    String tenantId = ctx.pathParam("tenantId");
    YearMonth month = month(ctx.pathParam("month"));
    int limit = limit(ctx.queryParam("limit"));
    List<Statement> kept = queries().revisions(tenantId, month);
    if (kept.isEmpty()) {
      throw new ProblemException(404, "statement-not-found", "Statement not found", "no statement for " + month);
    }
    List<StatementRevision> newestFirst = new java.util.ArrayList<>();
    for (int i = kept.size() - 1; i >= 0 && newestFirst.size() < limit; i--) {
      Statement previous = i > 0 && kept.get(i - 1).getRevision() == kept.get(i).getRevision() - 1 ? kept.get(i - 1) : null;
      newestFirst.add(StatementJson.revision(kept.get(i), previous));
    }
    Statement latest = kept.get(kept.size() - 1);
    json(ctx, new StatementRevisions(tenantId, month.toString(), latest.getCurrency(), latest.getRevision(),
        kept.size(), newestFirst.size() < latest.getRevision(), newestFirst));
  }

  static final int DEFAULT_REVISIONS = 100;

  private static int limit(String text) {
    if (text == null) {
      return DEFAULT_REVISIONS;
    }
    try {
      int n = Integer.parseInt(text);
      if (n >= 1 && n <= BillingTopology.KEPT_REVISIONS) {
        return n;
      }
    } catch (NumberFormatException e) {
      // answered below
    }
    throw new ProblemException(400, "invalid-limit", "Invalid limit",
        "limit is a whole number from 1 to " + BillingTopology.KEPT_REVISIONS);
  }

  private void statements(Context ctx) {
    String tenantId = ctx.pathParam("tenantId");
    BillingQueries q = queries();
    List<Statement> list = q.statements(tenantId);
    if (list.isEmpty() && q.tenant(tenantId).isEmpty()) {
      throw tenantNotFound(tenantId);
    }
    json(ctx, new TenantStatements(tenantId, list.stream().map(StatementJson::statement).toList()));
  }

  private void monthStatements(Context ctx) {
    YearMonth month = month(ctx.pathParam("month"));
    List<Statement> list = queries().statementsOfMonth(month);
    Map<String, Long> totals = new java.util.TreeMap<>();
    list.forEach(s -> totals.merge(s.getCurrency(), s.getTotalMicros(), Math::addExact));
    json(ctx, new MonthStatements(month.toString(), list.size(), totals,
        list.stream().map(StatementJson::statement).toList()));
  }

  /**
   * {@code /admin/tenants/{t}/usage-events/{eventId}}: what the aggregator's own state says about one event: counted
   * in which month (and whether the month's current statement revision includes it), and every copy that was not
   * counted (duplicates of it, too late, invalid). 404 when the aggregator holds nothing on that tenant's event id
   * (kept for the dedup window, 35 days after its month by default).
   */
  private void explainEvent(Context ctx) {
    String tenantId = ctx.pathParam("tenantId");
    String eventId = ctx.pathParam("eventId");
    BillingQueries q = queries();
    String key = TenantKeys.of(tenantId, eventId);
    Map<Long, Long> counted = q.windows(BillingTopology.SEEN_EVENT_IDS, key);
    Map<Long, String> outcomes = q.windows(BillingTopology.EVENT_OUTCOMES, key);
    if (counted.isEmpty() && outcomes.isEmpty()) {
      throw new ProblemException(404, "usage-event-not-found", "Usage event not found",
          "the billing aggregator holds nothing on this event id for this tenant");
    }
    CountedIn countedIn = null;
    if (!counted.isEmpty()) {
      Map.Entry<Long, Long> first = counted.entrySet().iterator().next();
      YearMonth month = BillingMonth.monthOf(first.getKey());
      Optional<Statement> statement = q.statement(tenantId, month);
      // the statement includes every event counted so far when it carries the account's quantities
      boolean awaiting = statement.isEmpty() || q.account(tenantId, month)
          .map(a -> !a.quantities().equals(statement.get().getQuantities())).orElse(true);
      countedIn = new CountedIn(month.toString(), Instant.ofEpochMilli(first.getValue()).toString(),
          statement.map(Statement::getRevision).orElse(null), !awaiting, awaiting);
    }
    List<NotCounted> notCounted = new java.util.ArrayList<>();
    Map<String, Long> totals = new java.util.TreeMap<>();
    outcomes.forEach((window, stored) -> {
      EventOutcome.counts(stored).forEach((kind, n) -> totals.merge(kind, n, Long::sum));
      for (EventOutcome o : EventOutcome.parse(stored)) {
        if (!o.kind().equals("more")) {
          notCounted.add(new NotCounted(o.month(), o.kind(), o.kind().equals(EventOutcome.DUPLICATE_KIND)
              ? (counted.isEmpty() ? "a copy of an event already counted" : "a copy of this event, counted once")
              : o.detail()));
        }
      }
    });
    json(ctx, new UsageEventExplanation(tenantId, eventId, !counted.isEmpty(), countedIn, totals, notCounted));
  }

  /** {@code /admin/statements/{yyyy-MM}.csv}: every tenant's latest statement of the month, for finance. */
  private void monthCsv(Context ctx) {
    String file = ctx.pathParam("file");
    YearMonth month = file.endsWith(".csv") ? BillingMonth.parseMonth(file.substring(0, file.length() - 4)) : null;
    if (month == null) {
      throw new ProblemException(400, "invalid-month", "Invalid month",
          "the export is named after its month: /admin/statements/yyyy-MM.csv, e.g. 2026-11.csv");
    }
    ctx.header("Content-Disposition", "attachment; filename=\"statements-" + month + ".csv\"");
    ctx.contentType("text/csv; charset=utf-8").result(StatementCsv.of(queries().statementsOfMonth(month)));
  }

  private void explain(Context ctx) {
    String tenantId = ctx.pathParam("tenantId");
    YearMonth month = month(ctx.pathParam("month"));
    BillingQueries q = queries();
    MonthAccount a = q.account(tenantId, month).orElseThrow(() -> new ProblemException(404, "month-not-found",
        "No usage for this month", "no usage of " + month + " was received for this tenant"));
    Optional<Statement> statement = q.statement(tenantId, month);
    Optional<PriceBook> book = PriceBooks.inForce(q.priceBooks(), month);
    json(ctx, new MonthExplanation(tenantId, month.toString(), a.counted(), a.duplicates(), a.deadLettered(),
        a.counted() == 0 ? null : Instant.ofEpochMilli(a.lastCountedAt()).toString(), a.plan(),
        StatementJson.quantities(a.quantities()),
        Instant.ofEpochMilli(BillingMonth.closesAt(month, q.grace())).toString(), q.unsettled(tenantId, month),
        statement.map(StatementJson::summary).orElse(null), book.map(PriceBook::getVersion).orElse(null)));
  }

  /** Another instance owns the tenant's partition: 307 to the same path there. */
  private void redirectToOwner(Context ctx) {
    BillingQueries q = queries;
    if (q == null) {
      return;
    }
    q.ownerElsewhere(ctx.pathParam("tenantId")).ifPresent(owner -> {
      String query = ctx.queryString() == null ? "" : "?" + ctx.queryString();
      ctx.redirect("http://" + owner.host() + ":" + owner.port() + ctx.path() + query, HttpStatus.TEMPORARY_REDIRECT);
      ctx.skipRemainingHandlers();
    });
  }

  private BillingQueries queries() {
    BillingQueries q = queries;
    if (q == null) {
      throw BillingQueries.notReady();
    }
    return q;
  }

  private static YearMonth month(String text) {
    YearMonth month = BillingMonth.parseMonth(text);
    if (month == null) {
      throw new ProblemException(400, "invalid-month", "Invalid month", "a month is written yyyy-MM, e.g. 2026-11");
    }
    return month;
  }

  private static ProblemException tenantNotFound(String tenantId) {
    return new ProblemException(404, "tenant-not-found", "Tenant not found",
        TenantKeys.isValidTenantId(tenantId) ? "no such tenant" : "not a tenant id");
  }

  private static void json(Context ctx, Object body) {
    try {
      ctx.contentType("application/json").result(JsonMapper.shared().writeValueAsBytes(body));
    } catch (JsonProcessingException e) {
      throw new IllegalStateException(e);
    }
  }

  @Override
  public void close() {
    if (app != null) {
      app.stop();
      app = null;
    }
  }
}
