package io.storystream.common.config;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.time.Duration;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;
import picocli.CommandLine;

/** The platform's one duration rule, as a table: what each spelling means, and which spellings are refused. */
class DurationsTest {

  @ParameterizedTest(name = "{0} = {1}")
  @CsvSource(delimiter = '|', textBlock = """
      0        | PT0S
      500ms    | PT0.5S
      1500MS   | PT1.5S
      30s      | PT30S
      ' 2s '   | PT2S
      15m      | PT15M
      48h      | PT48H
      1d       | PT24H
      7D       | PT168H
      PT1H     | PT1H
      pt90s    | PT1M30S
      PT0.25S  | PT0.25S
      P2D      | PT48H
      0ms      | PT0S
      """)
  void spellingsThatMeanADuration(String text, String iso) {
    assertThat(Durations.parse(text)).isEqualTo(Duration.parse(iso));
    assertThat(new Durations.Converter().convert(text)).isEqualTo(Duration.parse(iso));
  }

  @ParameterizedTest(name = "{0} is refused: {1}")
  @CsvSource(delimiter = '|', textBlock = """
      500      | has no unit
      1.5      | has no unit
      -5       | has no unit
      soon     | is not a duration
      10 minutes | is not a duration
      1.5s     | is not a duration
      5y       | is not a duration
      -PT1S    | is negative
      ''       | is required
      """)
  void spellingsThatAreRefused(String text, String because) {
    assertThatThrownBy(() -> Durations.parse(text)).isInstanceOf(IllegalArgumentException.class)
        .hasMessageContaining(because);
    assertThatThrownBy(() -> new Durations.Converter().convert(text))
        .isInstanceOf(CommandLine.TypeConversionException.class).hasMessageContaining(because);
  }

  @ParameterizedTest(name = "offset {0} = {1}")
  @CsvSource(delimiter = '|', textBlock = """
      -48h          | PT-48H
      -PT1H         | PT-1H
      PT-720H-5M    | PT-720H-5M
      30s           | PT30S
      0             | PT0S
      """)
  void offsetsMayBeNegative(String text, String iso) {
    assertThat(Durations.parseSigned(text)).isEqualTo(Duration.parse(iso));
    assertThatThrownBy(() -> Durations.parseSigned("-500")).hasMessageContaining("has no unit");
  }

  @org.junit.jupiter.api.Test
  void aRegisteredCommandLineReadsEveryDurationOptionByTheRule() {
    @CommandLine.Command(name = "probe")
    class Probe {
      @CommandLine.Option(names = "--every") Duration every;
    }
    Probe probe = new Probe();
    Durations.register(new CommandLine(probe)).parseArgs("--every", "250ms");
    assertThat(probe.every).isEqualTo(Duration.ofMillis(250));
    assertThatThrownBy(() -> Durations.register(new CommandLine(new Probe())).parseArgs("--every", "250"))
        .isInstanceOf(CommandLine.ParameterException.class).hasMessageContaining("has no unit");
  }
}
