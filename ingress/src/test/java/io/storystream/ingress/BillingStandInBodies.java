package io.storystream.ingress;

import io.storystream.common.billing.api.BillingBodies.BillingStatement;
import io.storystream.common.billing.api.BillingBodies.MeterCounts;
import io.storystream.common.billing.api.BillingBodies.StatementRevision;
import io.storystream.common.billing.api.BillingBodies.StatementRevisions;
import io.storystream.common.billing.api.BillingBodies.Usage;
import io.storystream.common.billing.api.BillingBodies.UsageQuota;
import java.util.Collections;
import java.util.List;

/**
 * Bodies for the tests' stand-ins of the billing aggregator's read API, built from the records the aggregator writes
 * (common's BillingBodies), so the ingress relays here exactly the shapes it relays in production.
 */
final class BillingStandInBodies {
  private BillingStandInBodies() {}

  static MeterCounts analyses(long n) {
    return new MeterCounts(n, 0, 0, 0, 0, 0, 0);
  }

  static Usage usage(String tenantId, String month, long analyses, long limit) {
    return new Usage(tenantId, month, "starter", analyses(analyses), UsageQuota.counted(limit, analyses),
        month + "-28T00:00:00Z", null);
  }

  static BillingStatement statement(String tenantId, String month, long totalMicros) {
    return new BillingStatement(tenantId, month, "OPEN", 1, "starter", 1, "EUR", analyses(3), List.of(),
        totalMicros, java.math.BigDecimal.valueOf(totalMicros, 6).toPlainString(), null, "2026-11-30T00:00:00Z");
  }

  /** As many revisions as {@code limit} asks for (the aggregator's newest first), so a test sees the limit relayed. */
  static StatementRevisions revisions(String tenantId, String month, String limit) {
    int n = limit == null ? 1 : Integer.parseInt(limit);
    StatementRevision one = new StatementRevision(1, "2026-11-30T00:00:00Z", "OPEN", "starter", 1, "EUR", 0, "0",
        null, null, null, List.of(), null);
    return new StatementRevisions(tenantId, month, "EUR", n, n, false, Collections.nCopies(n, one));
  }
}
