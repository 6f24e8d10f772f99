package io.storystream.billing;

import static org.assertj.core.api.Assertions.assertThat;

import io.storystream.schemas.StatementStatus;
import java.time.Duration;
import java.time.Instant;
import java.time.YearMonth;
import java.util.Map;
import java.util.Set;
import java.util.stream.Collectors;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/**
 * The billing tests assert on duplicates, late usage and statements of two months for three tenants; the generator
 * must produce every one of those cases on any day the suite runs. A table of the awkward moments of a calendar.
 */
class SyntheticUsageTest {
  private static final Duration GRACE = Duration.ofHours(48);

  @ParameterizedTest(name = "now = {0}")
  @ValueSource(strings = {
      "2026-12-01T00:00:00.001Z", // a month's first millisecond
      "2026-12-01T00:30:00Z",     // a month's first hour
      "2026-12-02T23:59:59.999Z", // the last moment of the previous month's grace
      "2026-12-03T00:00:00Z",     // the previous month closes
      "2026-12-03T01:59:59Z",     // closed, but for less than two hours
      "2026-12-15T12:00:00Z",     // an ordinary day
      "2026-11-30T23:59:59.999Z", // a 30-day month's last moment
      "2024-02-29T12:00:00Z",     // a leap day
      "2024-03-01T00:10:00Z",     // just after a leap February
      "2026-12-31T23:59:59.999Z", // a year's last moment
      "2027-01-01T00:00:00.001Z"  // a year's first millisecond
  })
  void everyAssertedCaseIsGeneratedWhateverTheDate(String instant) {
    Instant now = Instant.parse(instant);
    SyntheticUsage usage = SyntheticUsage.generate(42, 20_000, now);

    assertThat(usage.duplicates()).isBetween(20_000L * 4 / 100, 20_000L * 6 / 100);
    assertThat(usage.tooLate()).as("usage logged after its month closed").isPositive();
    assertThat(usage.log).allSatisfy(l -> {
      assertThat(l.loggedAt()).isLessThanOrEqualTo(now.toEpochMilli());
      assertThat(l.event().getOccurredAt().toEpochMilli())
          .isLessThanOrEqualTo(l.loggedAt() + BillingTopology.MAX_FUTURE_SKEW.toMillis());
    });
    assertThat(usage.log).isSortedAccordingTo((a, b) -> Long.compare(a.loggedAt(), b.loggedAt()));

    Map<String, SyntheticUsage.Expected> expected = usage.expected(500_000L, 1, now);
    Set<String> keys = Set.of("acme", "globex", "initech").stream()
        .flatMap(t -> Set.of(t + ":" + usage.previous, t + ":" + usage.current).stream()).collect(Collectors.toSet());
    assertThat(expected.keySet()).as("a statement per tenant for the previous and the current month").isEqualTo(keys);
    assertThat(expected.values()).allSatisfy(e -> assertThat(e.quantities().getAnalyses()).isPositive());

    YearMonth previous = YearMonth.from(now.atZone(java.time.ZoneOffset.UTC)).minusMonths(1);
    StatementStatus previousStatus = now.toEpochMilli() >= BillingMonth.closesAt(previous, GRACE)
        ? StatementStatus.FINAL : StatementStatus.OPEN;
    assertThat(usage.previous).isEqualTo(previous);
    assertThat(expected.get("acme:" + previous).status()).isEqualTo(previousStatus);
    assertThat(expected.get("acme:" + usage.current).status()).isEqualTo(StatementStatus.OPEN);
  }
}
