package io.storystream.ingress.api;

import io.storystream.common.http.Problem;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.function.Function;
import java.util.stream.Collectors;

/**
 * Every RFC 9457 problem type the tenant and operator APIs answer with: its {@code type} URI is
 * {@link Problem#TYPE_BASE} + slug, its title is constant. The OpenAPI document gives each one a schema, and
 * {@code ProblemTypesTest} fails when a handler answers a type that is not listed here (or this lists one that no
 * handler answers), so the two stay one list. The price-book types are the billing aggregator's, which the operator's
 * price-book routes pass on as they come ({@code BillingOperatorRelay}).
 *
 * <p>Each route declares which of these it answers, per status ({@code Route.Builder#problems}); the document lists
 * exactly those, and {@code http.DeclaredProblems} refuses to answer a type the route does not declare.
 */
public final class ProblemTypes {
  /** The start of every type URI; the slug follows. */
  public static final String BASE = Problem.TYPE_BASE;

  private ProblemTypes() {}

  /** The catalogued type of a slug. */
  public static java.util.Optional<Type> of(String slug) {
    return Optional.ofNullable(BY_SLUG.get(slug));
  }

  /** One problem type. */
  public record Type(String slug, int status, String title, String when) {
    public String uri() {
      return Problem.TYPE_BASE + slug;
    }
  }

  public static final List<Type> ALL = List.of(
      new Type("malformed-json", 400, "Malformed JSON", "the body is not valid JSON"),
      new Type("malformed-multipart", 400, "Malformed multipart body", "the multipart body cannot be read"),
      new Type("invalid-query", 400, "Invalid query parameter", "a query parameter is out of range or unknown"),
      new Type("invalid-wait", 400, "Invalid wait", "?wait= is not a duration such as 30s or 1500ms"),
      new Type("invalid-month", 400, "Invalid month", "a month is not yyyy-MM"),
      new Type("invalid-limit", 400, "Invalid limit", "?limit= is not a whole number from 1 to 1000"),
      new Type("invalid-request", 400, "Invalid request", "billing refused the query's parameters"),
      new Type("invalid-price-book-version", 400, "Invalid price-book version", "a version is a positive integer"),
      new Type("invalid-idempotency-key", 400, "Invalid Idempotency-Key", "1–128 of A–Z a–z 0–9 . _ : -"),
      new Type("upload-interrupted", 400, "Upload interrupted", "the upload's connection ended early"),
      new Type("missing-api-key", 401, "Missing API key", "no Authorization: Bearer or X-Api-Key"),
      new Type("invalid-api-key", 401, "Invalid API key", "the key is not known"),
      new Type("api-key-revoked", 401, "API key revoked", "the key was revoked"),
      new Type("api-key-expired", 401, "API key expired", "the key expired"),
      new Type("tenant-inactive", 401, "Tenant not active", "the key's tenant is suspended or deleted"),
      new Type("invalid-embed-token", 401, "Invalid embed token", "altered, or signed with an unknown key id"),
      new Type("embed-token-expired", 401, "Embed token expired", "the embed token's exp has passed"),
      new Type("embed-token-revoked", 401, "Embed token revoked", "the key that minted it is revoked or expired"),
      new Type("invalid-operator-token", 401, "Invalid operator token", "the operator token is missing or wrong"),
      new Type("invalid-metrics-token", 401, "Metrics token required", "the management port's /metrics token"),
      new Type("insufficient-scope", 403, "Insufficient scope", "the key lacks the route's scope"),
      new Type("embed-token-scope", 403, "Outside the embed token's scopes", "an embed token on another route"),
      new Type("embed-token-narrowed", 403, "Embed token narrowed to jobs", "a job-narrowed token on the job list"),
      new Type("not-found", 404, "Not found", "no such resource (of this tenant)"),
      new Type("export-not-found", 404, "Export not found", "no such export (of this tenant)"),
      new Type("file-not-found", 404, "File not found", "a submit names a file the tenant does not have"),
      new Type("price-book-not-found", 404, "No price book in force", "no published price book covers this month"),
      new Type("usage-event-not-found", 404, "Usage event not found", "billing holds nothing on that event id"),
      new Type("method-not-allowed", 405, "Method not allowed", "the path exists, not with this method"),
      new Type("request-too-slow", 408, "Request too slow", "the body arrived below the minimum data rate"),
      new Type("job-ended", 409, "Job already ended", "cancel of a job that has ended"),
      new Type("job-not-completed", 409, "Job not completed", "a result of a job that has not completed"),
      new Type("tenant-deleted", 409, "Tenant deleted", "the tenant id belonged to an erased tenant"),
      new Type("tenant-erased", 409, "Tenant erased", "an erased tenant has nothing to export"),
      new Type("export-running", 409, "Export running", "an export of the tenant is still running (exportId)"),
      new Type("export-not-completed", 409, "Export not completed", "the archive of a running or failed export"),
      new Type("price-book-version-exists", 409, "Price-book version exists",
          "the version is published with other prices (errors lists why)"),
      new Type("request-too-large", 413, "Request too large", "a JSON body over the route's limit"),
      new Type("file-too-large", 413, "File too large", "an upload over the plan's maxFileBytes"),
      new Type("part-too-large", 413, "Part too large", "a multipart part other than the file is too large"),
      new Type("too-many-parts", 413, "Too many parts", "a multipart body with too many parts"),
      new Type("unsupported-media-type", 415, "Unsupported media type", "a body that is not the route's media type"),
      new Type("unsupported-file-type", 415, "Unsupported file type", "an upload that is not CSV"),
      new Type("invalid-body", 422, "Invalid body", "the body is JSON but not an object"),
      new Type("unknown-field", 422, "Unknown field", "a field the body does not have (names in fields)"),
      new Type("missing-field", 422, "Missing field", "a required field is absent (name in field)"),
      new Type("invalid-field", 422, "Invalid field", "a field's value is refused (name in field)"),
      new Type("empty-prompt", 422, "Empty prompt", "a prompt with nothing left after cleaning"),
      new Type("prompt-too-long", 422, "Prompt too long", "a prompt over its limit"),
      new Type("idempotency-key-reused", 422, "Idempotency-Key reused", "the same key with another body"),
      new Type("missing-file", 422, "Missing file", "a multipart upload without a part named file"),
      new Type("invalid-file-name", 422, "Invalid file name", "a file name with control or path characters"),
      new Type("not-utf8", 422, "Not UTF-8", "the file is not UTF-8 text"),
      new Type("not-csv", 422, "Not a CSV file", "the file is binary"),
      new Type("malformed-csv", 422, "Malformed CSV", "an unterminated quote or similar"),
      new Type("field-too-long", 422, "Field too long", "a field over the limit"),
      new Type("line-too-long", 422, "Line too long", "a line over the limit"),
      new Type("invalid-header", 422, "Invalid header row", "an empty, repeated or too long column name"),
      new Type("too-many-columns", 422, "Too many columns", "more columns than the limit"),
      new Type("ragged-rows", 422, "Inconsistent column count", "a row with another number of fields"),
      new Type("empty-file", 422, "Empty file", "no header row"),
      new Type("no-data-rows", 422, "No data rows", "a header row only"),
      new Type("invalid-webhook-target", 422, "Webhook target refused", "not https, or a private address"),
      new Type("too-many-webhooks", 422, "Too many webhooks", "the tenant's webhook limit"),
      new Type("invalid-price-book", 422, "Invalid price book",
          "the document is not a valid price book; every error is listed in errors"),
      new Type("rate-limited", 429, "Too many requests", "the plan's requests per minute; see Retry-After"),
      new Type("too-many-failed-logins", 429, "Too many failed attempts", "failed operator tokens from one address"),
      new Type("too-many-transfers", 429, "Too many concurrent transfers", "the tenant's concurrent uploads or downloads"),
      new Type("internal", 500, "Internal error", "a fault of the service; the request id identifies it"),
      new Type("billing-error", 502, "Billing error", "the billing API answered with an error"),
      new Type("billing-unavailable", 503, "Billing unavailable", "the billing API cannot be reached"),
      new Type("directory-unavailable", 503, "Authentication unavailable", "the key directory is not loaded yet"),
      new Type("erasure-incomplete", 503, "Erasure incomplete", "a tenant's erasure must be repeated"),
      new Type("files-catching-up", 503, "File catalogue catching up",
          "retry in a second (never a 404 for a file answered 201 elsewhere)"),
      new Type("jobs-catching-up", 503, "Job store catching up", "retry in a second (never a 404 for a job answered 202)"),
      new Type("jobs-rebalancing", 503, "Job store moving", "the job store is moving between instances; retry"),
      new Type("unavailable", 503, "Service unavailable", "Kafka or S3 could not take the request; retry"));

  private static final Map<String, Type> BY_SLUG = ALL.stream()
      .collect(Collectors.toUnmodifiableMap(Type::slug, Function.identity()));
}
