package io.storystream.ingress.billing;

import io.javalin.http.Context;
import io.storystream.common.billing.api.BillingBodies.PriceBookList;
import io.storystream.common.billing.api.BillingBodies.PriceBookSimulation;
import io.storystream.common.billing.api.BillingBodies.PublishedPriceBook;
import io.storystream.common.billing.api.BillingBodies.UsageEventExplanation;
import io.storystream.common.billing.api.PriceBookDocument;
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
  private static final org.slf4j.Logger log = org.slf4j.LoggerFactory.getLogger(BillingOperatorRelay.class);
  /** The largest price-book document relayed (the standard one is about 2 KB). */
  static final int MAX_DOCUMENT_BYTES = 256 * 1024;
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
            .returns(200, "the versions", PriceBookList.class).apply(BillingOperatorRelay::billingFailures)
            .handle(ctx -> relay(ctx, PriceBookList.class)),
        Route.get("/admin/price-books/current").operator()
            .doc("getCurrentPriceBook", "The price book in force this month, as the document PUT takes")
            .returns(200, "the document", PriceBookDocument.class)
            .reply(404, "no price book covers this month").problems(404, "price-book-not-found")
            .apply(BillingOperatorRelay::billingFailures)
            .handle(ctx -> relay(ctx, PriceBookDocument.class)),
        Route.put("/admin/price-books/{version}").operator().audit("price-book.publish", "version")
            .doc("publishPriceBook", "Validate and publish a price-book version (JSON or YAML); answers with the "
                + "statements it re-rates, old and new totals")
            .document(PriceBookDocument.class, "application/json", "application/yaml")
            .returns(200, "published (or already published with these prices), with the re-rating report",
                PublishedPriceBook.class)
            .reply(400, "bad version").problems(400, "invalid-price-book-version")
            .reply(409, "the version exists with other prices").problems(409, "price-book-version-exists")
            .apply(BillingOperatorRelay::documentProblems).apply(BillingOperatorRelay::billingFailures)
            .handle(ctx -> relay(ctx, PublishedPriceBook.class)),
        Route.post("/admin/price-books/simulate").operator()
            .doc("simulatePriceBook", "What a price-book document would do to every tenant-month it re-rates: "
                + "current and simulated totals and lines; publishes nothing")
            .document(PriceBookDocument.class, "application/json", "application/yaml")
            .returns(200, "every tenant-month it would re-rate, current and simulated", PriceBookSimulation.class)
            .apply(BillingOperatorRelay::documentProblems).apply(BillingOperatorRelay::billingFailures)
            .handle(ctx -> relay(ctx, PriceBookSimulation.class)),
        Route.get("/admin/tenants/{tenantId}/usage-events/{eventId}").operator()
            .audit("usage-event.explain", "tenantId")
            .doc("explainUsageEvent", "One usage event, from the billing aggregator's own state: counted in which "
                + "month and statement revision, or why not (duplicate, too late, invalid)")
            .returns(200, "the explanation", UsageEventExplanation.class)
            .reply(404, "the aggregator holds nothing on that tenant's event id")
            .problems(404, "usage-event-not-found").apply(BillingOperatorRelay::billingFailures)
            .handle(ctx -> relay(ctx, UsageEventExplanation.class)),
        Route.get("/admin/statements/{file}").operator().audit("statements.export", "file")
            .doc("exportStatements", "A month's statements as CSV for finance: /admin/statements/{yyyy-MM}.csv, "
                + "one row per tenant, amounts in integer micros and as decimals")
            .reply(200, "the CSV", "text/csv").reply(400, "not yyyy-MM.csv").problems(400, "invalid-month")
            .apply(BillingOperatorRelay::billingFailures)
            .handle(ctx -> relay(ctx, null)));
  }

  /** What a price-book document in a request may be answered with: cut off, too large, or not a valid price book. */
  private static Route.Builder documentProblems(Route.Builder route) {
    return route.problems(400, "upload-interrupted")
        .reply(413, "larger than " + MAX_DOCUMENT_BYTES + " bytes").problems(413, "request-too-large")
        .reply(422, "invalid price book, every error listed in errors").problems(422, "invalid-price-book");
  }

  /** What every relayed call may answer when billing fails: 502 (refused this relay, a misshapen body), 503. */
  private static Route.Builder billingFailures(Route.Builder route) {
    return route.reply(502, "billing refused this relay or answered with a body of another shape")
        .problems(502, "billing-error")
        .reply(503, "billing unavailable; see Retry-After").problems(503, "billing-unavailable");
  }

  /**
   * @param type the shared record a 200 JSON answer is (read into it and written from it, so a body of another
   *     shape is billing's error, 502); null: passed on as it came (the CSV). A problem billing answers is passed on
   *     when the route declares its type (the price-book and usage-event ones), else it is billing's error (502).
   */
  private void relay(Context ctx, Class<?> type) throws InterruptedException {
    String method = ctx.method().name();
    HttpRequest.BodyPublisher body = method.equals("GET") ? HttpRequest.BodyPublishers.noBody()
        : HttpRequest.BodyPublishers.ofByteArray(document(ctx));
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
    if (response.statusCode() >= 400) {
      passOnProblem(ctx, response);
      return;
    }
    response.headers().firstValue("Content-Disposition").ifPresent(v -> ctx.header("Content-Disposition", v));
    ctx.status(response.statusCode())
        .contentType(response.headers().firstValue("Content-Type").orElse("application/json"))
        .result(response.body());
  }

  /** The request's price-book document, at most {@link #MAX_DOCUMENT_BYTES} (nothing is read beyond). */
  private static byte[] document(Context ctx) {
    byte[] bytes;
    try (java.io.InputStream in = ctx.req().getInputStream()) {
      bytes = in.readNBytes(MAX_DOCUMENT_BYTES + 1);
    } catch (IOException e) {
      throw new ProblemException(400, "upload-interrupted", "Upload interrupted", "the body could not be read");
    }
    if (bytes.length > MAX_DOCUMENT_BYTES) {
      throw new ProblemException(413, "request-too-large", "Request too large",
          "a price-book document has at most " + MAX_DOCUMENT_BYTES + " bytes");
    }
    return bytes;
  }

  /**
   * Billing's problem, passed on as it came (its members, such as a price book's errors, included) when the route
   * declares its type; any other (billing refusing this relay's token, a problem it should not answer) is billing's
   * error. Billing's body never reaches the client unchecked.
   */
  private static void passOnProblem(Context ctx, HttpResponse<byte[]> response) {
    Route route = ctx.attribute(Attrs.ROUTE);
    String type;
    try {
      type = Json.mapper().readTree(response.body()).path("type").asText("");
    } catch (IOException e) {
      type = "";
    }
    if (route == null || !route.declares(response.statusCode(), type)) {
      log.error("billing answered {} {} with {} {}, which the route does not pass on (request {})", ctx.method(),
          ctx.path(), response.statusCode(), type, Attrs.requestId(ctx));
      throw new ProblemException(502, "billing-error", "Billing error", "the billing service refused the request");
    }
    ctx.status(response.statusCode()).contentType(io.storystream.common.http.Problem.MEDIA_TYPE)
        .result(response.body());
  }

  private static ProblemException unavailable(Context ctx) {
    ctx.header("Retry-After", "5");
    return new ProblemException(503, "billing-unavailable", "Billing unavailable",
        "billing cannot answer right now; retry later");
  }
}
