package io.storystream.billing;

import io.storystream.common.billing.api.PriceBookDocument;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.storystream.schemas.PriceBook;
import java.time.Instant;
import java.util.List;
import org.junit.jupiter.api.Test;

class PriceBookValidatorTest {
  private final PriceBookValidator validator = PriceBookValidator.standard();

  @Test
  void theDefaultBookIsValidAndReadsTheSameFromJsonAndYaml() {
    PriceBookDocument yaml = PriceBooks.defaultDocument();
    assertThat(validator.errors(yaml)).isEmpty();
    assertThat(PriceBookFormat.parse(yaml.toJson())).isEqualTo(yaml);
    assertThat(yaml.plans()).containsOnlyKeys("starter", "pro", "enterprise");
  }

  @Test
  void listsEveryErrorClearly() {
    String yaml = """
        version: 4
        currency: usd
        effectiveFrom: 2026-13
        plans:
          starter: {baseFeeMicros: 0, includedAnalyses: 0, perAnalysisMicros: -1, perThousandRowsMicros: 0,
                    cacheHitMicros: 0, perUploadMicros: 0, perDownloadMicros: 0}
          pro: {baseFeeMicros: 0, includedAnalyses: 0, perAnalysisMicros: 1, perThousandRowsMicros: 0,
                cacheHitMicros: 0, perUploadMicros: 0}
        """;
    assertThat(validator.errors(PriceBookFormat.parse(yaml))).containsExactlyInAnyOrder(
        "currency must be an ISO 4217 code such as USD, not 'usd'",
        "effectiveFrom must be a month yyyy-MM, not '2026-13'",
        "missing plan 'enterprise'",
        "plans.starter.perAnalysisMicros is negative (-1)",
        "plans.pro.perDownloadMicros is missing");
  }

  @Test
  void anEmptyMonthRangeIsRejected() {
    PriceBookDocument doc = PriceBooks.defaultDocument().withMonths("2026-05", "2026-04");
    assertThat(validator.errors(doc)).containsExactly("effectiveTo 2026-04 is before effectiveFrom 2026-05");
  }

  @Test
  void monthsOverlappingANewerVersionAreRejectedButAHigherVersionMayTakeOver() {
    List<PriceBook> published = List.of(
        PriceBooks.defaultDocument().toPriceBook(Instant.EPOCH),
        PriceBooks.defaultDocument().withVersion(3).withMonths("2026-06", "2026-08").toPriceBook(Instant.EPOCH));
    assertThatThrownBy(() -> validator.check(PriceBooks.defaultDocument().withVersion(2).withMonths("2026-08", null),
        published))
        .isInstanceOfSatisfying(InvalidPriceBookException.class, e -> {
          assertThat(e.errors()).singleElement().asString().contains("overlap version 3");
          assertThat(e.problem().status()).isEqualTo(422);
        });
    assertThat(validator.check(PriceBooks.defaultDocument().withVersion(2).withMonths("2026-01", "2026-05"),
        published)).isFalse();
    assertThat(validator.check(PriceBooks.defaultDocument().withVersion(4).withMonths("2026-07", null), published))
        .isFalse();
  }

  @Test
  void aPublishedVersionIsImmutableButRepublishingTheSameIsANoOp() {
    List<PriceBook> published = List.of(PriceBooks.defaultDocument().toPriceBook(Instant.EPOCH));
    assertThat(validator.check(PriceBooks.defaultDocument(), published)).isTrue();
    PriceBookDocument changed = PriceBooks.defaultDocument()
        .withPlan("starter", BillingTopologyTest.plan(0, 0, 1, 0, 0));
    assertThatThrownBy(() -> validator.check(changed, published))
        .isInstanceOfSatisfying(InvalidPriceBookException.class,
            e -> assertThat(e.problem().status()).isEqualTo(409));
  }

  @Test
  void unknownFieldsAndBrokenSyntaxAreReportedAsInvalid() {
    assertThatThrownBy(() -> PriceBookFormat.parse("{\"version\": 1, \"colour\": \"red\"}"))
        .isInstanceOf(InvalidPriceBookException.class).hasMessageContaining("colour");
    assertThatThrownBy(() -> PriceBookFormat.parse("version: [1"))
        .isInstanceOf(InvalidPriceBookException.class).hasMessageContaining("not a price-book document");
  }
}
