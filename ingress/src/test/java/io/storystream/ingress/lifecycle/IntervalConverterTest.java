package io.storystream.ingress.lifecycle;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.time.Duration;
import org.junit.jupiter.api.Test;
import picocli.CommandLine;

class IntervalConverterTest {
  @Test
  void readsIsoAndShortForms() {
    assertThat(IntervalConverter.parse("PT1H")).isEqualTo(Duration.ofHours(1));
    assertThat(IntervalConverter.parse("pt90s")).isEqualTo(Duration.ofSeconds(90));
    assertThat(IntervalConverter.parse("500ms")).isEqualTo(Duration.ofMillis(500));
    assertThat(IntervalConverter.parse("15m")).isEqualTo(Duration.ofMinutes(15));
    assertThat(IntervalConverter.parse(" 2h ")).isEqualTo(Duration.ofHours(2));
    assertThat(IntervalConverter.parse("1d")).isEqualTo(Duration.ofDays(1));
    assertThat(IntervalConverter.parse("0")).isEqualTo(Duration.ZERO);
  }

  @Test
  void refusesAnythingElse() {
    assertThatThrownBy(() -> IntervalConverter.parse("soon")).isInstanceOf(CommandLine.TypeConversionException.class);
    assertThatThrownBy(() -> IntervalConverter.parse("10 minutes"))
        .isInstanceOf(CommandLine.TypeConversionException.class);
  }
}
