package io.storystream.ingress.billing;

import io.javalin.http.Context;
import io.storystream.common.billing.api.BillingBodies.BillingStatement;
import io.storystream.common.billing.api.BillingBodies.MonthExplanation;
import io.storystream.common.billing.api.BillingBodies.MonthStatements;
import io.storystream.common.billing.api.BillingBodies.StatementRevisions;
import io.storystream.common.billing.api.BillingBodies.TenantStatements;
import io.storystream.common.billing.api.BillingBodies.Usage;
import io.storystream.common.http.ProblemException;
import io.storystream.ingress.auth.Principal;
import io.storystream.ingress.auth.Scope;
import io.storystream.ingress.http.Attrs;
import io.storystream.ingress.http.Route;
import java.io.IOException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.time.Duration;
import java.util.List;
import java.util.regex.Pattern;

/**
 * {@code /v1/usage}, {@code /v1/statements/{yyyy-MM}} and {@code /v1/statements/{yyyy-MM}/revisions}: the tenant's
 * meters, statements and a statement's revision history, answered by the billing aggregator's read API
 * ({@code GET {billing}/tenants/{t}/usage}, {@code …/statements/{yyyy-MM}}, {@code …/revisions}) for the
 * tenant of the key — never for a tenant named in the request. 503 when the aggregator does not answer.
 *
 * <p>The read API answers only authenticated callers; this relay presents the billing token. The operator's views
 * over every tenant ({@code GET /admin/months/{yyyy-MM}/statements}, a tenant's statements and a month's explain
 * view) are {@link #operatorRoutes() operator routes} relayed the same way.
 */
public final class BillingRelay {
  private static final org.slf4j.Logger log = org.slf4j.LoggerFactory.getLogger(BillingRelay.class);
  private static final Pattern MONTH = Pattern.compile("\\d{4}-(0[1-9]|1[0-2])");

  private final String billingUrl;
  private final String token;
  // with several aggregators, one redirects a tenant's call to the instance owning the tenant's partition
  private final HttpClient http = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(2))
      .followRedirects(HttpClient.Redirect.NORMAL).version(HttpClient.Version.HTTP_1_1).build();

  private final QuotaBook quotas;

  /**
   * @param token the billing token the read API expects from this relay
   * @param quotas admission's quota figures, which replace billing's {@code quota} object (null: billing's own)
   */
  public BillingRelay(String billingUrl, String token, QuotaBook quotas) {
    this.billingUrl = billingUrl.endsWith("/") ? billingUrl.substring(0, billingUrl.length() - 1) : billingUrl;
    this.token = token;
    this.quotas = quotas;
  }

  /** The operator's billing views (operator token on the operator port). */
  public List<Route> operatorRoutes() {
    return List.of(
        Route.get("/admin/months/{month}/statements").operator()
            .doc("getMonthStatements", "Every tenant's statement of a month (yyyy-MM), with totals per currency")
            .returns(200, "the statements", MonthStatements.class).reply(400, "bad month")
            .problems(400, "invalid-month", "invalid-request").reply(404, "billing answered 404")
            .problems(404, "not-found").apply(BillingRelay::billingFailures)
            .handle(ctx -> relay(ctx, "/months/" + month(ctx) + "/statements", MonthStatements.class, body -> body)),
        Route.get("/admin/tenants/{tenantId}/statements").operator().audit("statement.list", null)
            .doc("getTenantStatements", "All statements of one tenant")
            .returns(200, "the statements", TenantStatements.class).reply(400, "billing refused the parameters")
            .problems(400, "invalid-request").reply(404, "no such tenant").problems(404, "not-found")
            .apply(BillingRelay::billingFailures)
            .handle(ctx -> relay(ctx, "/tenants/" + tenant(ctx) + "/statements", TenantStatements.class,
                body -> body)),
        Route.get("/admin/tenants/{tenantId}/months/{month}/explain").operator().audit("statement.explain", "month")
            .doc("explainMonth", "How a tenant's month was counted: events counted, duplicates dropped, "
                + "dead-lettered, the statement they led to")
            .returns(200, "the explanation", MonthExplanation.class).reply(400, "bad month")
            .problems(400, "invalid-month", "invalid-request").reply(404, "no usage that month")
            .problems(404, "not-found").apply(BillingRelay::billingFailures)
            .handle(ctx -> relay(ctx, "/tenants/" + tenant(ctx) + "/months/" + month(ctx) + "/explain",
                MonthExplanation.class, body -> body)));
  }

  /** What every relayed call may answer when billing fails: 502 (an error or a misshapen body), 503 (unreachable). */
  private static Route.Builder billingFailures(Route.Builder route) {
    return route.reply(502, "billing answered with an error or a body of another shape").problems(502, "billing-error")
        .reply(503, "billing unavailable").problems(503, "billing-unavailable");
  }

  private static String month(Context ctx) {
    String month = ctx.pathParam("month");
    if (!MONTH.matcher(month).matches()) {
      throw badMonth();
    }
    return month;
  }

  private static String tenant(Context ctx) {
    String tenant = ctx.pathParam("tenantId");
    if (!io.storystream.schemas.topics.TenantKeys.isValidTenantId(tenant)) {
      throw new ProblemException(404, "not-found", "Not found", "no such tenant");
    }
    Attrs.auditTenant(ctx, tenant);
    return tenant;
  }

  public List<Route> routes() {
    return List.of(
        Route.get("/v1/usage").tenant(Scope.USAGE_READ).audit("usage.read", null)
            .doc("getUsage", "The tenant's usage meters (from the billing aggregator)")
            .query("month", "string", "yyyy-MM (default: the current month)")
            .returns(200, "the usage", Usage.class).reply(400, "bad month")
            .problems(400, "invalid-month", "invalid-request").reply(404, "billing knows no such tenant")
            .problems(404, "not-found").apply(BillingRelay::billingFailures)
            .handle(ctx -> {
              String month = ctx.queryParam("month");
              if (month != null && !MONTH.matcher(month).matches()) {
                throw badMonth();
              }
              Principal p = Attrs.principal(ctx);
              relay(ctx, "/tenants/" + p.tenantId() + "/usage" + (month == null ? "" : "?month=" + month),
                  Usage.class, body -> withAdmissionQuota(p, month, body));
            }),
        Route.get("/v1/statements/{month}").tenant(Scope.USAGE_READ).audit("statement.read", "month")
            .doc("getStatement", "The tenant's statement of a month (yyyy-MM)")
            .returns(200, "the statement", BillingStatement.class).reply(400, "bad month")
            .problems(400, "invalid-month", "invalid-request").reply(404, "no statement for that month")
            .problems(404, "not-found").apply(BillingRelay::billingFailures)
            .handle(ctx -> {
              String month = ctx.pathParam("month");
              if (!MONTH.matcher(month).matches()) {
                throw badMonth();
              }
              Principal p = Attrs.principal(ctx);
              relay(ctx, "/tenants/" + p.tenantId() + "/statements/" + month, BillingStatement.class, body -> body);
            }),
        Route.get("/v1/statements/{month}/revisions").tenant(Scope.USAGE_READ).audit("statement.revisions", "month")
            .doc("getStatementRevisions", "Every kept revision of the tenant's statement of a month (yyyy-MM), "
                + "newest first: when, price-book version, total, lines, and the difference to the revision before "
                + "(total and changed lines). The aggregator keeps the newest 1,000 revisions of a month")
            .query("limit", "integer", "how many revisions, newest first (1–1000, default 100)")
            .returns(200, "the revisions", StatementRevisions.class).reply(400, "bad month or limit")
            .problems(400, "invalid-month", "invalid-limit", "invalid-request")
            .reply(404, "no statement for that month").problems(404, "not-found")
            .apply(BillingRelay::billingFailures)
            .handle(ctx -> {
              String month = ctx.pathParam("month");
              if (!MONTH.matcher(month).matches()) {
                throw badMonth();
              }
              String limit = ctx.queryParam("limit");
              if (limit != null && !limit.matches("[1-9][0-9]{0,3}")) {
                throw new ProblemException(400, "invalid-limit", "Invalid limit", "limit is a whole number from 1 to 1000");
              }
              Principal p = Attrs.principal(ctx);
              relay(ctx, "/tenants/" + p.tenantId() + "/statements/" + month + "/revisions"
                  + (limit == null ? "" : "?limit=" + limit), StatementRevisions.class, body -> body);
            }));
  }

  /**
   * The usage document with its {@code quota} object taken from admission's figures: the meters are billing's, but
   * what is used, reserved and left of the monthly quota is what admission decides the next submit with.
   */
  private Usage withAdmissionQuota(Principal principal, String month, Usage usage) {
    if (quotas == null) {
      return usage;
    }
    String of = usage.month() != null ? usage.month() : month != null ? month
        : java.time.YearMonth.now(java.time.ZoneOffset.UTC).toString();
    int limit = principal.limits() == null ? 0 : principal.limits().getAnalysesPerMonth();
    return usage.withQuota(quotas.quota(principal.tenantId(), of, limit));
  }

  /**
   * Relays a GET to the aggregator and answers with its body read into {@code type}, the record both sides share:
   * a body that does not fit it (a field missing or unknown) is the aggregator's error (502), never passed on.
   */
  private <T> void relay(Context ctx, String path, Class<T> type, java.util.function.UnaryOperator<T> amend)
      throws InterruptedException {
    HttpRequest request = HttpRequest.newBuilder(URI.create(billingUrl + path)).timeout(Duration.ofSeconds(10))
        .header("Accept", "application/json").header("X-Request-Id", Attrs.requestId(ctx))
        .header("Authorization", "Bearer " + token).GET().build();
    HttpResponse<byte[]> response;
    try {
      response = http.send(request, HttpResponse.BodyHandlers.ofByteArray());
    } catch (IOException e) {
      ctx.header("Retry-After", "5");
      throw new ProblemException(503, "billing-unavailable", "Billing unavailable",
          "usage and statements cannot be read right now; retry later");
    }
    int status = response.statusCode();
    if (status >= 500) {
      ctx.header("Retry-After", "5");
      throw new ProblemException(503, "billing-unavailable", "Billing unavailable",
          "usage and statements cannot be read right now; retry later");
    }
    if (status == 404) {
      throw new ProblemException(404, "not-found", "Not found", "no such statement");
    }
    if (status == 400) {
      throw new ProblemException(400, "invalid-request", "Invalid request", "billing refused the query's parameters");
    }
    if (status == 401 || status == 403) {
      log.error("the billing read API refused this instance's billing token (HTTP {}); "
          + "STORYSTREAM_BILLING_TOKEN must be the same for the ingress and the billing aggregator", status);
      throw new ProblemException(502, "billing-error", "Billing error", "the billing service refused the request");
    }
    if (status != 200) {
      throw new ProblemException(502, "billing-error", "Billing error", "the billing service refused the request");
    }
    T body;
    try {
      body = io.storystream.ingress.http.Json.mapper().readValue(response.body(), type);
    } catch (com.fasterxml.jackson.core.JsonProcessingException e) {
      log.error("the billing read API answered {} with a body that is not a {}: {}", path, type.getSimpleName(),
          e.getOriginalMessage());
      throw new ProblemException(502, "billing-error", "Billing error", "the billing service answered unexpectedly");
    } catch (IOException e) {
      throw new IllegalStateException("reading a byte array", e);
    }
    io.storystream.ingress.http.Json.write(ctx, 200, amend.apply(body));
  }

  private static ProblemException badMonth() {
    return new ProblemException(400, "invalid-month", "Invalid month", "a month is written yyyy-MM, e.g. 2026-11");
  }
}
