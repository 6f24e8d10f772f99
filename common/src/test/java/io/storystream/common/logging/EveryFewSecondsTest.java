package io.storystream.common.logging;

import static org.assertj.core.api.Assertions.assertThat;

import java.time.Duration;
import java.util.concurrent.atomic.AtomicLong;
import org.junit.jupiter.api.Test;

class EveryFewSecondsTest {
  private final AtomicLong now = new AtomicLong(1_000);
  private final EveryFewSeconds lines = new EveryFewSeconds(Duration.ofSeconds(10), now::get);

  @Test
  void theFirstOccurrenceIsALineAndTheNextLineCountsWhatWasLeftOut() {
    assertThat(lines.occurred("10.0.0.2:8080")).isEqualTo(1);
    for (int i = 0; i < 99; i++) {
      now.addAndGet(Duration.ofMillis(50).toNanos());
      assertThat(lines.occurred("10.0.0.2:8080")).as("within the period").isZero();
    }
    now.addAndGet(Duration.ofSeconds(10).toNanos());
    assertThat(lines.occurred("10.0.0.2:8080")).as("the 99 left out and this one").isEqualTo(100);
    assertThat(lines.occurred("10.0.0.2:8080")).isZero();
  }

  @Test
  void eachKeyHasItsOwnPeriod() {
    assertThat(lines.occurred("a")).isEqualTo(1);
    assertThat(lines.occurred("b")).isEqualTo(1);
    assertThat(lines.occurred("a")).isZero();
  }
}
