package io.storystream.billing;

import static org.assertj.core.api.Assertions.assertThat;

import io.storystream.schemas.MeterQuantities;
import io.storystream.schemas.Statement;
import io.storystream.schemas.StatementStatus;
import java.time.Instant;
import java.util.List;
import org.junit.jupiter.api.Test;

class StatementCsvTest {
  @Test
  void oneRowPerStatementWithMicrosAndDecimals() {
    Statement s = Statement.newBuilder().setTenantId("acme").setMonth("2026-11").setPlan("pro").setCurrency("USD")
        .setPriceBookVersion(2).setRevision(7).setStatus(StatementStatus.FINAL)
        .setQuantities(MeterQuantities.newBuilder().setAnalyses(1).setCacheHits(0).setRowsAnalyzed(0).setUploads(0)
            .setBytesUploaded(0).setDownloads(0).build())
        .setLines(List.of()).setTotalMicros(29_020_000L).setPreviousTotalMicros(29_000_000L)
        .setGeneratedAt(Instant.parse("2026-12-03T00:00:00Z")).build();
    assertThat(StatementCsv.of(List.of(s))).isEqualTo(StatementCsv.HEADER + "\r\n"
        + "acme,2026-11,7,FINAL,pro,USD,2,29020000,29.020000,29000000,2026-12-03T00:00:00Z\r\n");
  }

  @Test
  void fieldsAreQuotedWhenNeededAndNeverStartAFormula() {
    assertThat(StatementCsv.field("plain")).isEqualTo("plain");
    assertThat(StatementCsv.field("a,b")).isEqualTo("\"a,b\"");
    assertThat(StatementCsv.field("say \"hi\"")).isEqualTo("\"say \"\"hi\"\"\"");
    assertThat(StatementCsv.field("=SUM(A1)")).isEqualTo("'=SUM(A1)");
    assertThat(StatementCsv.field("-1,2")).isEqualTo("\"'-1,2\"");
  }
}
