package io.storystream.billing;

import io.storystream.schemas.MeterQuantities;
import io.storystream.schemas.Statement;
import io.storystream.schemas.StatementLine;
import io.storystream.common.billing.api.BillingBodies.BillingStatement;
import io.storystream.common.billing.api.BillingBodies.LineChange;
import io.storystream.common.billing.api.BillingBodies.MeterCounts;
import io.storystream.common.billing.api.BillingBodies.StatementLineItem;
import io.storystream.common.billing.api.BillingBodies.StatementRevision;
import io.storystream.common.billing.api.BillingBodies.StatementSummary;
import java.math.BigDecimal;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/** The read API's bodies ({@link io.storystream.common.billing.api.BillingBodies}) built from the stored records. */
final class StatementJson {
  private StatementJson() {}

  static String money(long micros) {
    return BigDecimal.valueOf(micros, 6).toPlainString();
  }

  static BillingStatement statement(Statement s) {
    return new BillingStatement(s.getTenantId(), s.getMonth(), s.getStatus().name(), s.getRevision(), s.getPlan(),
        s.getPriceBookVersion(), s.getCurrency(), quantities(s.getQuantities()),
        s.getLines().stream().map(StatementJson::line).toList(), s.getTotalMicros(), money(s.getTotalMicros()),
        s.getPreviousTotalMicros(), s.getGeneratedAt().toString());
  }

  static StatementSummary summary(Statement s) {
    return new StatementSummary(s.getStatus().name(), s.getRevision(), s.getPriceBookVersion(), s.getCurrency(),
        s.getTotalMicros(), money(s.getTotalMicros()));
  }

  /**
   * One revision in a month's history with its difference to the revision before it: the total's, and every line
   * whose quantity or amount changed (a line absent on one side counts as zero there). {@code previous} is null for
   * the first revision, or when the one before is no longer kept (then only the total's difference is known).
   */
  static StatementRevision revision(Statement s, Statement previous) {
    return new StatementRevision(s.getRevision(), s.getGeneratedAt().toString(), s.getStatus().name(), s.getPlan(),
        s.getPriceBookVersion(), s.getCurrency(), s.getTotalMicros(), money(s.getTotalMicros()),
        s.getPreviousTotalMicros(), s.getPreviousTotalMicros() == null ? null
            : Math.subtractExact(s.getTotalMicros(), s.getPreviousTotalMicros()),
        previous == null ? null : previous.getPriceBookVersion(),
        s.getLines().stream().map(StatementJson::line).toList(), previous == null ? null : lineChanges(previous, s));
  }

  private static List<LineChange> lineChanges(Statement before, Statement after) {
    Map<String, StatementLine> old = new LinkedHashMap<>();
    before.getLines().forEach(l -> old.put(l.getCode(), l));
    Map<String, StatementLine> now = new LinkedHashMap<>();
    after.getLines().forEach(l -> now.put(l.getCode(), l));
    java.util.Set<String> codes = new java.util.LinkedHashSet<>(now.keySet());
    codes.addAll(old.keySet());
    List<LineChange> changes = new java.util.ArrayList<>();
    for (String code : codes) {
      StatementLine a = old.get(code);
      StatementLine b = now.get(code);
      long qa = a == null ? 0 : a.getQuantity(), qb = b == null ? 0 : b.getQuantity();
      long ma = a == null ? 0 : a.getAmountMicros(), mb = b == null ? 0 : b.getAmountMicros();
      long ua = a == null ? 0 : a.getUnitPriceMicros(), ub = b == null ? 0 : b.getUnitPriceMicros();
      if (qa == qb && ma == mb && ua == ub) {
        continue;
      }
      changes.add(new LineChange(code, (b != null ? b : a).getDescription(), qa, qb, ua, ub, ma, mb,
          Math.subtractExact(mb, ma)));
    }
    return changes;
  }

  static StatementLineItem line(StatementLine l) {
    return new StatementLineItem(l.getCode(), l.getDescription(), l.getQuantity(), l.getUnitPriceMicros(),
        l.getAmountMicros());
  }

  static MeterCounts quantities(MeterQuantities q) {
    return new MeterCounts(q.getAnalyses(), q.getFailedAnalyses(), q.getCacheHits(), q.getRowsAnalyzed(),
        q.getUploads(), q.getBytesUploaded(), q.getDownloads());
  }
}
