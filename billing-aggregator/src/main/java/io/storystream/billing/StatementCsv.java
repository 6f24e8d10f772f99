package io.storystream.billing;

import io.storystream.schemas.Statement;
import java.util.List;

/**
 * A month's statements as CSV for finance ({@code GET /admin/statements/{yyyy-MM}.csv}): RFC 4180 (CRLF, fields
 * quoted when they hold a comma, quote or line break), one row per tenant with the latest revision, amounts in
 * integer micros and as decimals. The same columns as the {@code billing_statements} table, plus the decimal total.
 */
final class StatementCsv {
  static final String HEADER = "tenant_id,month,revision,status,plan,currency,price_book_version,total_micros,total,"
      + "previous_total_micros,updated_at";

  private StatementCsv() {}

  static String of(List<Statement> statements) {
    StringBuilder csv = new StringBuilder(HEADER).append("\r\n");
    for (Statement s : statements) {
      csv.append(field(s.getTenantId())).append(',')
          .append(s.getMonth()).append(',')
          .append(s.getRevision()).append(',')
          .append(s.getStatus().name()).append(',')
          .append(field(s.getPlan())).append(',')
          .append(field(s.getCurrency())).append(',')
          .append(s.getPriceBookVersion()).append(',')
          .append(s.getTotalMicros()).append(',')
          .append(StatementJson.money(s.getTotalMicros())).append(',')
          .append(s.getPreviousTotalMicros() == null ? "" : s.getPreviousTotalMicros().toString()).append(',')
          .append(s.getGeneratedAt().toString()).append("\r\n");
    }
    return csv.toString();
  }

  /** Quoted when needed; a leading =, +, - or @ is prefixed with ' so a spreadsheet never runs it as a formula. */
  static String field(String value) {
    String v = value;
    if (!v.isEmpty() && "=+-@".indexOf(v.charAt(0)) >= 0) {
      v = "'" + v;
    }
    if (v.contains(",") || v.contains("\"") || v.contains("\n") || v.contains("\r")) {
      return '"' + v.replace("\"", "\"\"") + '"';
    }
    return v;
  }
}
