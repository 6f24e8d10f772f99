package io.storystream.common.billing.api;

import com.fasterxml.jackson.annotation.JsonClassDescription;
import com.fasterxml.jackson.annotation.JsonInclude;
import com.fasterxml.jackson.annotation.JsonPropertyDescription;
import io.storystream.common.http.OptionalField;
import java.util.List;
import java.util.Map;

/**
 * The JSON bodies of the billing read API, in one place: the billing aggregator writes them from these records and
 * the ingress, which relays them to tenants ({@code /v1/usage}, {@code /v1/statements/…}) and to the operator
 * ({@code /admin/months/…}, {@code /admin/tenants/…}), reads them into the same records and declares them in its
 * OpenAPI document. Amounts are integer micro-units, with a decimal string beside them for people.
 */
public final class BillingBodies {
  private BillingBodies() {}

  @JsonClassDescription("A month's meters of one tenant")
  public record MeterCounts(long analyses, long failedAnalyses, long cacheHits, long rowsAnalyzed, long uploads,
                            long bytesUploaded, long downloads) {}

  @JsonClassDescription("One priced line of a statement")
  public record StatementLineItem(String code, String description, long quantity, long unitPriceMicros,
                                  long amountMicros) {}

  @JsonClassDescription("The latest revision of a tenant's statement of a month")
  public record BillingStatement(String tenantId, String month,
                                 @JsonPropertyDescription("OPEN until the month closes, then FINAL") String status,
                                 int revision, String plan, int priceBookVersion, String currency,
                                 MeterCounts quantities, List<StatementLineItem> lines, long totalMicros,
                                 @JsonPropertyDescription("totalMicros as a decimal") String total,
                                 @JsonPropertyDescription("the revision before's total (null for the first)")
                                 @OptionalField Long previousTotalMicros,
                                 String generatedAt) {}

  @JsonClassDescription("A statement's status, revision and total")
  public record StatementSummary(String status, int revision, int priceBookVersion, String currency,
                                 long totalMicros, String total) {}

  @JsonClassDescription("The monthly analysis quota as admission decides with it")
  public record UsageQuota(long analysesPerMonth, long analysesUsed,
                           @JsonPropertyDescription("units held by queued and running jobs (set by the ingress)")
                           @OptionalField @JsonInclude(JsonInclude.Include.NON_NULL) Long analysesReserved,
                           @JsonPropertyDescription("what new submits may still use (null: unlimited)")
                           @OptionalField Long analysesRemaining,
                           @OptionalField @JsonInclude(JsonInclude.Include.NON_NULL) Long queuedJobs,
                           @OptionalField @JsonInclude(JsonInclude.Include.NON_NULL) Long runningJobs,
                           @JsonPropertyDescription("admission, when the ingress answers")
                           @OptionalField @JsonInclude(JsonInclude.Include.NON_NULL) String source) {

    /** The billing aggregator's own figures: its plan limit and the analyses it counted. */
    public static UsageQuota counted(long limit, long used) {
      return new UsageQuota(limit, used, null, Math.max(0, limit - used), null, null, null);
    }
  }

  @JsonClassDescription("A tenant's usage of a month, with the analysis quota and the statement so far")
  public record Usage(String tenantId, String month, @OptionalField String plan, MeterCounts usage,
                      @JsonPropertyDescription("null only from the aggregator for a tenant it has no record of")
                      @OptionalField UsageQuota quota,
                      @JsonPropertyDescription("when the month's statement becomes final") String closesAt,
                      @OptionalField StatementSummary statement) {

    public Usage withQuota(UsageQuota replaced) {
      return new Usage(tenantId, month, plan, usage, replaced, closesAt, statement);
    }
  }

  @JsonClassDescription("A line whose quantity, unit price or amount changed between two revisions")
  public record LineChange(String code, String description, long previousQuantity, long quantity,
                           long previousUnitPriceMicros, long unitPriceMicros, long previousAmountMicros,
                           long amountMicros, long differenceMicros) {}

  @JsonClassDescription("One revision of a month's statement with its difference to the revision before")
  public record StatementRevision(int revision, String generatedAt, String status, String plan, int priceBookVersion,
                                  String currency, long totalMicros, String total,
                                  @OptionalField Long previousTotalMicros, @OptionalField Long differenceMicros,
                                  @OptionalField Integer previousPriceBookVersion, List<StatementLineItem> lines,
                                  @JsonPropertyDescription("null when the revision before is not kept")
                                  @OptionalField List<LineChange> lineChanges) {}

  @JsonClassDescription("A month's kept statement revisions, newest first")
  public record StatementRevisions(String tenantId, String month, String currency, int latestRevision,
                                   int revisionsKept, boolean truncated, List<StatementRevision> revisions) {}

  @JsonClassDescription("All statements of one tenant")
  public record TenantStatements(String tenantId, List<BillingStatement> statements) {}

  @JsonClassDescription("Every tenant's statement of a month, with totals per currency")
  public record MonthStatements(String month, int tenants, Map<String, Long> totalMicrosByCurrency,
                                List<BillingStatement> statements) {}

  @JsonClassDescription("How a tenant's month was counted")
  public record MonthExplanation(String tenantId, String month, long eventsCounted, long duplicatesDropped,
                                 long deadLettered, @OptionalField String lastCountedEventAt,
                                 @OptionalField String plan, MeterCounts quantities, String closesAt,
                                 boolean awaitingStatement, @OptionalField StatementSummary statement,
                                 @OptionalField Integer priceBookInForce) {}

  @JsonClassDescription("One published price-book version")
  public record PriceBookVersion(int version, String currency,
                                 @JsonPropertyDescription("first month covered, yyyy-MM") String effectiveFrom,
                                 @JsonPropertyDescription("last month covered (null: open-ended)")
                                 @OptionalField String effectiveTo,
                                 String publishedAt, @OptionalField String note, boolean inForceNow) {}

  @JsonClassDescription("Every price-book version, newest first, and which one is in force this month")
  public record PriceBookList(String month, @OptionalField Integer inForce, List<PriceBookVersion> priceBooks) {}

  @JsonClassDescription("A statement a published price book re-rated: old and new totals and the new lines")
  public record ReRatedStatement(String tenantId, String month, String plan, int currentPriceBookVersion,
                                 long currentTotalMicros, long newTotalMicros, long differenceMicros,
                                 List<StatementLineItem> lines) {}

  @JsonClassDescription("A published price-book version and the statements it re-rates")
  public record PublishedPriceBook(int version,
                                   @JsonPropertyDescription("true: this version was already published with these "
                                       + "prices; nothing was re-rated") boolean alreadyPublished,
                                   List<ReRatedStatement> reRated) {}

  @JsonClassDescription("What a price-book document would do to one tenant-month")
  public record SimulatedStatement(String tenantId, String month, String plan, int currentPriceBookVersion,
                                   long currentTotalMicros, long simulatedTotalMicros, long differenceMicros,
                                   List<StatementLineItem> lines) {}

  @JsonClassDescription("A price-book document simulated against every tenant-month it would re-rate")
  public record PriceBookSimulation(int version, String currency, long currentTotalMicros, long simulatedTotalMicros,
                                    List<SimulatedStatement> tenants) {}

  @JsonClassDescription("Where a usage event was counted")
  public record CountedIn(String month, String occurredAt, @OptionalField Integer statementRevision,
                          boolean includedInStatementRevision, boolean awaitingStatement) {}

  @JsonClassDescription("A copy of a usage event that was not counted, and why")
  public record NotCounted(@OptionalField String month,
                           @JsonPropertyDescription("duplicate, too late, invalid") String reason,
                           @OptionalField String detail) {}

  @JsonClassDescription("One usage event as the billing aggregator's own state knows it")
  public record UsageEventExplanation(String tenantId, String eventId, boolean counted,
                                      @JsonPropertyDescription("absent when the event was not counted")
                                      @OptionalField @JsonInclude(JsonInclude.Include.NON_NULL) CountedIn countedIn,
                                      Map<String, Long> copiesNotCounted, List<NotCounted> notCounted) {}
}
