package io.storystream.ingress.billing;

import io.javalin.http.Context;
import io.storystream.common.billing.api.BillingBodies.PriceBookList;
import io.storystream.common.billing.api.BillingBodies.PriceBookSimulation;
import io.storystream.common.billing.api.BillingBodies.PublishedPriceBook;
import io.storystream.common.billing.api.BillingBodies.UsageEventExplanation;
import io.storystream.common.http.ProblemException;
import io.storystream.ingress.http.Attrs;
import io.storystream.ingress.http.Json;
import io.storystream.ingress.http.Route;
import java.io.IOException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.time.Duration;
import java.util.List;

/**
 * The operator's billing routes, answered by the billing aggregator: price books ({@code /admin/price-books…}: the
 * aggregator validates, publishes, re-rates and simulates, {@code PriceBookOperations} there) and a month's
 * statements as CSV for finance ({@code /admin/statements/{yyyy-MM}.csv}) and one usage event's explanation
 * ({@code /admin/tenants/{t}/usage-events/{eventId}}). The request is relayed as it came (method,
 * path, body); the aggregator's answer, problem+json included, is passed back as it is, except that an aggregator
 * that does not answer or fails is a 503.
 */
public final class BillingOperatorRelay {
  private final String billingUrl;
  private final String token;
  private final HttpClient http = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(2))
      .version(HttpClient.Version.HTTP_1_1).build();

  /** @param token the billing token the aggregator's API expects from the ingress */
  public BillingOperatorRelay(String billingUrl, String token) {
    this.billingUrl = billingUrl.endsWith("/") ? billingUrl.substring(0, billingUrl.length() - 1) : billingUrl;
    this.token = token;
  }

  public List<Route> routes() {
    return List.of(
        Route.get("/admin/price-books").operator()
            .doc("listPriceBooks", "Every price-book version, the months it covers and which one is in force")
            .returns(200, "the versions", PriceBookList.class).reply(503, "billing unavailable")
            .handle(ctx -> relay(ctx, PriceBookList.class)),
        Route.get("/admin/price-books/current").operator()
            .doc("getCurrentPriceBook", "The price book in force this month, as the document PUT takes")
            .reply(200, "the document").reply(404, "no price book covers this month").reply(503, "billing unavailable")
            .handle(ctx -> relay(ctx, null)),
        Route.put("/admin/price-books/{version}").operator().audit("price-book.publish", "version")
            .doc("publishPriceBook", "Validate and publish a price-book version (JSON or YAML); answers with the "
                + "statements it re-rates, old and new totals")
            .consumes("application/json", "application/yaml")
            .returns(200, "published (or already published with these prices), with the re-rating report",
                PublishedPriceBook.class)
            .reply(400, "bad version").reply(409, "the version exists with other prices")
            .reply(422, "invalid price book, every error listed").reply(503, "billing unavailable")
            .handle(ctx -> relay(ctx, PublishedPriceBook.class)),
        Route.post("/admin/price-books/simulate").operator()
            .doc("simulatePriceBook", "What a price-book document would do to every tenant-month it re-rates: "
                + "current and simulated totals and lines; publishes nothing")
            .consumes("application/json", "application/yaml")
            .returns(200, "every tenant-month it would re-rate, current and simulated", PriceBookSimulation.class)
            .reply(422, "invalid price book, every error listed").reply(503, "billing unavailable")
            .handle(ctx -> relay(ctx, PriceBookSimulation.class)),
        Route.get("/admin/tenants/{tenantId}/usage-events/{eventId}").operator()
            .audit("usage-event.explain", "tenantId")
            .doc("explainUsageEvent", "One usage event, from the billing aggregator's own state: counted in which "
                + "month and statement revision, or why not (duplicate, too late, invalid)")
            .returns(200, "the explanation", UsageEventExplanation.class)
            .reply(404, "the aggregator holds nothing on that tenant's event id").reply(503, "billing unavailable")
            .handle(ctx -> relay(ctx, UsageEventExplanation.class)),
        Route.get("/admin/statements/{file}").operator().audit("statements.export", "file")
            .doc("exportStatements", "A month's statements as CSV for finance: /admin/statements/{yyyy-MM}.csv, "
                + "one row per tenant, amounts in integer micros and as decimals")
            .reply(200, "the CSV", "text/csv").reply(400, "not yyyy-MM.csv").reply(503, "billing unavailable")
            .handle(ctx -> relay(ctx, null)));
  }

  /**
   * @param type the shared record a 200 JSON answer is (read into it and written from it, so a body of another
   *     shape is billing's error, 502); null: passed on as it came (the price-book document, the CSV)
   */
  private void relay(Context ctx, Class<?> type) throws InterruptedException {
    String method = ctx.method().name();
    HttpRequest.BodyPublisher body = method.equals("GET") ? HttpRequest.BodyPublishers.noBody()
        : HttpRequest.BodyPublishers.ofByteArray(ctx.bodyAsBytes());
    HttpRequest.Builder request = HttpRequest.newBuilder(URI.create(billingUrl + ctx.path()))
        .timeout(Duration.ofSeconds(60)) // a PUT reads the published versions and the statements
        .header("Accept", "application/json").header("X-Request-Id", Attrs.requestId(ctx))
        .header("Authorization", "Bearer " + token)
        .method(method, body);
    String contentType = ctx.contentType();
    if (contentType != null) {
      request.header("Content-Type", contentType);
    }
    HttpResponse<byte[]> response;
    try {
      response = http.send(request.build(), HttpResponse.BodyHandlers.ofByteArray());
    } catch (IOException e) {
      throw unavailable(ctx);
    }
    if (response.statusCode() >= 500) {
      throw unavailable(ctx);
    }
    if (type != null && response.statusCode() == 200) {
      Object typed;
      try {
        typed = Json.mapper().readValue(response.body(), type);
      } catch (IOException e) {
        throw new ProblemException(502, "billing-error", "Billing error", "the billing service answered unexpectedly");
      }
      Json.write(ctx, 200, typed);
      return;
    }
    response.headers().firstValue("Content-Disposition").ifPresent(v -> ctx.header("Content-Disposition", v));
    ctx.status(response.statusCode())
        .contentType(response.headers().firstValue("Content-Type").orElse("application/json"))
        .result(response.body());
  }

  private static ProblemException unavailable(Context ctx) {
    ctx.header("Retry-After", "5");
    return new ProblemException(503, "billing-unavailable", "Billing unavailable",
        "billing cannot answer right now; retry later");
  }
}
