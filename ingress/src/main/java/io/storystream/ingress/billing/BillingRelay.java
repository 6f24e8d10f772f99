package io.storystream.ingress.billing;

import io.javalin.http.Context;
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
 * {@code /v1/usage} and {@code /v1/statements/{yyyy-MM}}: the tenant's meters and statements, answered by the
 * billing aggregator's read API ({@code GET {billing}/tenants/{t}/usage}, {@code …/statements/{yyyy-MM}}) for the
 * tenant of the key — never for a tenant named in the request. 503 when the aggregator does not answer.
 */
public final class BillingRelay {
  private static final Pattern MONTH = Pattern.compile("\\d{4}-(0[1-9]|1[0-2])");

  private final String billingUrl;
  // with several aggregators, one redirects a tenant's call to the instance owning the tenant's partition
  private final HttpClient http = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(2))
      .followRedirects(HttpClient.Redirect.NORMAL).version(HttpClient.Version.HTTP_1_1).build();

  private final QuotaBook quotas;

  public BillingRelay(String billingUrl) {
    this(billingUrl, null);
  }

  /** @param quotas admission's quota figures, which replace billing's {@code quota} object (null: billing's own) */
  public BillingRelay(String billingUrl, QuotaBook quotas) {
    this.billingUrl = billingUrl.endsWith("/") ? billingUrl.substring(0, billingUrl.length() - 1) : billingUrl;
    this.quotas = quotas;
  }

  public List<Route> routes() {
    return List.of(
        Route.get("/v1/usage").tenant(Scope.USAGE_READ).audit("usage.read", null)
            .doc("getUsage", "The tenant's usage meters (from the billing aggregator)")
            .query("month", "string", "yyyy-MM (default: the current month)")
            .reply(200, "the usage").reply(400, "bad month").reply(503, "billing unavailable")
            .handle(ctx -> {
              String month = ctx.queryParam("month");
              if (month != null && !MONTH.matcher(month).matches()) {
                throw badMonth();
              }
              Principal p = Attrs.principal(ctx);
              relay(ctx, "/tenants/" + p.tenantId() + "/usage" + (month == null ? "" : "?month=" + month),
                  body -> withAdmissionQuota(p, month, body));
            }),
        Route.get("/v1/statements/{month}").tenant(Scope.USAGE_READ).audit("statement.read", "month")
            .doc("getStatement", "The tenant's statement of a month (yyyy-MM)")
            .reply(200, "the statement").reply(400, "bad month").reply(404, "no statement for that month")
            .reply(503, "billing unavailable")
            .handle(ctx -> {
              String month = ctx.pathParam("month");
              if (!MONTH.matcher(month).matches()) {
                throw badMonth();
              }
              Principal p = Attrs.principal(ctx);
              relay(ctx, "/tenants/" + p.tenantId() + "/statements/" + month, body -> body);
            }));
  }

  /**
   * The usage document with its {@code quota} object taken from admission's figures: the meters are billing's, but
   * what is used, reserved and left of the monthly quota is what admission decides the next submit with.
   */
  private byte[] withAdmissionQuota(Principal principal, String month, byte[] body) {
    if (quotas == null) {
      return body;
    }
    try {
      var json = (com.fasterxml.jackson.databind.node.ObjectNode) io.storystream.ingress.http.Json.mapper().readTree(body);
      String answered = json.path("month").asText(null);
      String of = answered != null ? answered : month != null ? month
          : java.time.YearMonth.now(java.time.ZoneOffset.UTC).toString();
      int limit = principal.limits() == null ? 0 : principal.limits().getAnalysesPerMonth();
      json.set("quota", io.storystream.ingress.http.Json.mapper().valueToTree(quotas.quota(principal.tenantId(), of, limit)));
      return io.storystream.ingress.http.Json.mapper().writeValueAsBytes(json);
    } catch (IOException | ClassCastException e) {
      return body; // not the document we expected: relay it as it came
    }
  }

  private void relay(Context ctx, String path, java.util.function.UnaryOperator<byte[]> amend)
      throws InterruptedException {
    HttpRequest request = HttpRequest.newBuilder(URI.create(billingUrl + path)).timeout(Duration.ofSeconds(10))
        .header("Accept", "application/json").header("X-Request-Id", Attrs.requestId(ctx)).GET().build();
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
    if (status != 200) {
      throw new ProblemException(502, "billing-error", "Billing error", "the billing service refused the request");
    }
    ctx.status(200).contentType("application/json").result(amend.apply(response.body()));
  }

  private static ProblemException badMonth() {
    return new ProblemException(400, "invalid-month", "Invalid month", "a month is written yyyy-MM, e.g. 2026-11");
  }
}
