package io.storystream.testsupport;

import static org.assertj.core.api.Assertions.assertThat;

import java.time.Duration;
import java.time.Instant;
import org.junit.jupiter.api.Test;

class TestClockTest {

  @Test
  void aFrozenClockMovesOnlyWhenAdvanced() {
    TestClock clock = TestClock.frozenAt(Instant.parse("2026-11-29T12:00:00Z"));
    assertThat(clock.instant()).isEqualTo(Instant.parse("2026-11-29T12:00:00Z"));
    clock.advance(Duration.ofDays(3));
    assertThat(clock.instant()).isEqualTo(Instant.parse("2026-12-02T12:00:00Z"));
  }

  @Test
  void aTickingClockIsTheTestsNowAndAdvancesByWhatItIsTold() {
    TestClock clock = TestClock.ticking();
    Instant before = Instant.now().plus(TestClock.PINNED_OFFSET);
    Instant seen = clock.instant();
    assertThat(seen).isAfterOrEqualTo(before);
    clock.advance(Duration.ofDays(400));
    assertThat(clock.instant()).isAfterOrEqualTo(seen.plus(Duration.ofDays(400)));
    assertThat(clock.offsetFromSystem()).isGreaterThanOrEqualTo(TestClock.PINNED_OFFSET.plus(Duration.ofDays(399)));
  }
}
