package io.storystream.billing;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.storystream.schemas.MeterQuantities;
import io.storystream.schemas.PriceBook;
import io.storystream.schemas.StatementLine;
import java.time.Instant;
import org.junit.jupiter.api.Test;

/** The three billing models of the seeds, the per-1,000-rows ceiling and the money arithmetic. */
class RatingTest {
  private final PriceBook book = PriceBooks.defaultDocument().toPriceBook(Instant.EPOCH);

  private static MeterQuantities quantities(long analyses, long failed, long cacheHits, long rows, long downloads) {
    return MeterQuantities.newBuilder().setAnalyses(analyses).setFailedAnalyses(failed).setCacheHits(cacheHits)
        .setRowsAnalyzed(rows).setUploads(3).setBytesUploaded(1000).setDownloads(downloads).build();
  }

  @Test
  void perAnalysis() {
    Rating.Rated rated = Rating.rate(quantities(7, 2, 4, 123_456, 0), "starter", book);
    assertThat(rated.lines()).extracting(StatementLine::getCode).containsExactly("analyses", "cache_hits");
    assertThat(rated.totalMicros()).isEqualTo(7 * 500_000L + 4 * 50_000L); // failed analyses are not charged
  }

  @Test
  void perRowChargesEveryStarted1000RowsBeyondTheIncludedOnes() {
    // 100,000 rows included; 100,001 billable rows start 101 thousands
    Rating.Rated rated = Rating.rate(quantities(3, 0, 0, 200_001, 5), "pro", book);
    StatementLine rows = rated.lines().stream().filter(l -> l.getCode().equals("rows")).findFirst().orElseThrow();
    assertThat(rows.getQuantity()).isEqualTo(101);
    assertThat(rows.getAmountMicros()).isEqualTo(101 * 20_000L);
    assertThat(rated.totalMicros()).isEqualTo(29_000_000L + 101 * 20_000L + 5 * 1_000L);
    assertThat(Rating.rate(quantities(3, 0, 0, 100_000, 0), "pro", book).totalMicros()).isEqualTo(29_000_000L);
  }

  @Test
  void flatTierWithOverage() {
    assertThat(Rating.rate(quantities(1000, 0, 9, 0, 0), "enterprise", book).totalMicros()).isEqualTo(499_000_000L);
    Rating.Rated over = Rating.rate(quantities(1250, 0, 0, 0, 0), "enterprise", book);
    assertThat(over.totalMicros()).isEqualTo(499_000_000L + 250 * 300_000L);
    assertThat(over.lines().get(1).getQuantity()).isEqualTo(250);
  }

  @Test
  void aPlanTheBookDoesNotPriceCannotBeRated() {
    assertThatThrownBy(() -> Rating.rate(quantities(1, 0, 0, 0, 0), "platinum", book))
        .isInstanceOf(Rating.UnknownPlanException.class).hasMessageContaining("platinum");
  }

  @Test
  void overflowIsAnErrorNotAWrongBill() {
    assertThatThrownBy(() -> Rating.rate(quantities(Long.MAX_VALUE / 2, 0, 0, 0, 0), "starter", book))
        .isInstanceOf(ArithmeticException.class);
  }
}
