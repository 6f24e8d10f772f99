package io.storystream.billing;

import static org.assertj.core.api.Assertions.assertThat;

import io.storystream.common.http.JsonMapper;
import io.storystream.schemas.MeterQuantities;
import io.storystream.schemas.Statement;
import io.storystream.schemas.StatementLine;
import io.storystream.schemas.StatementStatus;
import java.time.Instant;
import java.util.List;
import org.junit.jupiter.api.Test;

/**
 * The read API's statement bodies, now written from common's shared records, are byte for byte the JSON the
 * aggregator wrote before the records existed (field names, order, nulls written as null).
 */
class StatementJsonTest {
  private static Statement statement(int revision, long analyses, Long previousTotal, int priceBook) {
    long amount = analyses * 10_000;
    return Statement.newBuilder().setTenantId("acme").setMonth("2026-11").setPlan("pro").setCurrency("USD")
        .setPriceBookVersion(priceBook).setRevision(revision).setStatus(StatementStatus.OPEN)
        .setQuantities(MeterQuantities.newBuilder().setAnalyses(analyses).setCacheHits(0).setRowsAnalyzed(0)
            .setUploads(0).setBytesUploaded(0).setDownloads(0).build())
        .setLines(List.of(StatementLine.newBuilder().setCode("analyses").setDescription("Analyses")
            .setQuantity(analyses).setUnitPriceMicros(10_000).setAmountMicros(amount).build()))
        .setTotalMicros(amount).setPreviousTotalMicros(previousTotal)
        .setGeneratedAt(Instant.parse("2026-11-03T00:00:00Z")).build();
  }

  private static String json(Object body) throws Exception {
    return JsonMapper.shared().writeValueAsString(body);
  }

  @Test
  void aStatementIsWrittenAsBefore() throws Exception {
    assertThat(json(StatementJson.statement(statement(1, 2, null, 1)))).isEqualTo("{\"tenantId\":\"acme\","
        + "\"month\":\"2026-11\",\"status\":\"OPEN\",\"revision\":1,\"plan\":\"pro\",\"priceBookVersion\":1,"
        + "\"currency\":\"USD\",\"quantities\":{\"analyses\":2,\"failedAnalyses\":0,\"cacheHits\":0,"
        + "\"rowsAnalyzed\":0,\"uploads\":0,\"bytesUploaded\":0,\"downloads\":0},\"lines\":[{\"code\":\"analyses\","
        + "\"description\":\"Analyses\",\"quantity\":2,\"unitPriceMicros\":10000,\"amountMicros\":20000}],"
        + "\"totalMicros\":20000,\"total\":\"0.020000\",\"previousTotalMicros\":null,"
        + "\"generatedAt\":\"2026-11-03T00:00:00Z\"}");
  }

  @Test
  void aRevisionCarriesItsDifferenceToTheOneBefore() throws Exception {
    Statement first = statement(1, 2, null, 1);
    Statement second = statement(2, 3, 20_000L, 2);
    assertThat(json(StatementJson.revision(first, null))).contains("\"differenceMicros\":null",
        "\"previousPriceBookVersion\":null", "\"lineChanges\":null");
    assertThat(json(StatementJson.revision(second, first))).isEqualTo("{\"revision\":2,"
        + "\"generatedAt\":\"2026-11-03T00:00:00Z\",\"status\":\"OPEN\",\"plan\":\"pro\",\"priceBookVersion\":2,"
        + "\"currency\":\"USD\",\"totalMicros\":30000,\"total\":\"0.030000\",\"previousTotalMicros\":20000,"
        + "\"differenceMicros\":10000,\"previousPriceBookVersion\":1,\"lines\":[{\"code\":\"analyses\","
        + "\"description\":\"Analyses\",\"quantity\":3,\"unitPriceMicros\":10000,\"amountMicros\":30000}],"
        + "\"lineChanges\":[{\"code\":\"analyses\",\"description\":\"Analyses\",\"previousQuantity\":2,"
        + "\"quantity\":3,\"previousUnitPriceMicros\":10000,\"unitPriceMicros\":10000,"
        + "\"previousAmountMicros\":20000,\"amountMicros\":30000,\"differenceMicros\":10000}]}");
  }

  @Test
  void theAggregatorsOwnQuotaLeavesOutWhatOnlyAdmissionKnows() throws Exception {
    assertThat(json(io.storystream.common.billing.api.BillingBodies.UsageQuota.counted(100, 30)))
        .isEqualTo("{\"analysesPerMonth\":100,\"analysesUsed\":30,\"analysesRemaining\":70}");
  }
}
