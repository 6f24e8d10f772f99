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
