package io.storystream.billing;

import io.storystream.schemas.MeterQuantities;
import io.storystream.schemas.Statement;
import io.storystream.schemas.StatementLine;
import java.math.BigDecimal;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/** JSON shapes of the read API: amounts in integer micros, with a decimal string beside them for people. */
final class StatementJson {
  private StatementJson() {}

  static String money(long micros) {
    return BigDecimal.valueOf(micros, 6).toPlainString();
  }

  static Map<String, Object> statement(Statement s) {
    Map<String, Object> m = new LinkedHashMap<>();
    m.put("tenantId", s.getTenantId());
    m.put("month", s.getMonth());
    m.put("status", s.getStatus().name());
    m.put("revision", s.getRevision());
    m.put("plan", s.getPlan());
    m.put("priceBookVersion", s.getPriceBookVersion());
    m.put("currency", s.getCurrency());
    m.put("quantities", quantities(s.getQuantities()));
    List<Map<String, Object>> lines = s.getLines().stream().map(StatementJson::line).toList();
    m.put("lines", lines);
    m.put("totalMicros", s.getTotalMicros());
    m.put("total", money(s.getTotalMicros()));
    m.put("previousTotalMicros", s.getPreviousTotalMicros());
    m.put("generatedAt", s.getGeneratedAt().toString());
    return m;
  }

  /**
   * One revision in a month's history with its difference to the revision before it: the total's, and every line
   * whose quantity or amount changed (a line absent on one side counts as zero there). {@code previous} is null for
   * the first revision, or when the one before is no longer kept (then only the total's difference is known).
   */
  static Map<String, Object> revision(Statement s, Statement previous) {
    Map<String, Object> m = new LinkedHashMap<>();
    m.put("revision", s.getRevision());
    m.put("generatedAt", s.getGeneratedAt().toString());
    m.put("status", s.getStatus().name());
    m.put("plan", s.getPlan());
    m.put("priceBookVersion", s.getPriceBookVersion());
    m.put("currency", s.getCurrency());
    m.put("totalMicros", s.getTotalMicros());
    m.put("total", money(s.getTotalMicros()));
    m.put("previousTotalMicros", s.getPreviousTotalMicros());
    m.put("differenceMicros", s.getPreviousTotalMicros() == null ? null
        : Math.subtractExact(s.getTotalMicros(), s.getPreviousTotalMicros()));
    m.put("previousPriceBookVersion", previous == null ? null : previous.getPriceBookVersion());
    m.put("lines", s.getLines().stream().map(StatementJson::line).toList());
    m.put("lineChanges", previous == null ? null : lineChanges(previous, s));
    return m;
  }

  private static List<Map<String, Object>> lineChanges(Statement before, Statement after) {
    Map<String, StatementLine> old = new LinkedHashMap<>();
    before.getLines().forEach(l -> old.put(l.getCode(), l));
    Map<String, StatementLine> now = new LinkedHashMap<>();
    after.getLines().forEach(l -> now.put(l.getCode(), l));
    java.util.Set<String> codes = new java.util.LinkedHashSet<>(now.keySet());
    codes.addAll(old.keySet());
    List<Map<String, Object>> changes = new java.util.ArrayList<>();
    for (String code : codes) {
      StatementLine a = old.get(code);
      StatementLine b = now.get(code);
      long qa = a == null ? 0 : a.getQuantity(), qb = b == null ? 0 : b.getQuantity();
      long ma = a == null ? 0 : a.getAmountMicros(), mb = b == null ? 0 : b.getAmountMicros();
      long ua = a == null ? 0 : a.getUnitPriceMicros(), ub = b == null ? 0 : b.getUnitPriceMicros();
      if (qa == qb && ma == mb && ua == ub) {
        continue;
      }
      Map<String, Object> c = new LinkedHashMap<>();
      c.put("code", code);
      c.put("description", (b != null ? b : a).getDescription());
      c.put("previousQuantity", qa);
      c.put("quantity", qb);
      c.put("previousUnitPriceMicros", ua);
      c.put("unitPriceMicros", ub);
      c.put("previousAmountMicros", ma);
      c.put("amountMicros", mb);
      c.put("differenceMicros", Math.subtractExact(mb, ma));
      changes.add(c);
    }
    return changes;
  }

  static Map<String, Object> line(StatementLine l) {
    Map<String, Object> m = new LinkedHashMap<>();
    m.put("code", l.getCode());
    m.put("description", l.getDescription());
    m.put("quantity", l.getQuantity());
    m.put("unitPriceMicros", l.getUnitPriceMicros());
    m.put("amountMicros", l.getAmountMicros());
    return m;
  }

  static Map<String, Object> quantities(MeterQuantities q) {
    Map<String, Object> m = new LinkedHashMap<>();
    m.put("analyses", q.getAnalyses());
    m.put("failedAnalyses", q.getFailedAnalyses());
    m.put("cacheHits", q.getCacheHits());
    m.put("rowsAnalyzed", q.getRowsAnalyzed());
    m.put("uploads", q.getUploads());
    m.put("bytesUploaded", q.getBytesUploaded());
    m.put("downloads", q.getDownloads());
    return m;
  }
}
