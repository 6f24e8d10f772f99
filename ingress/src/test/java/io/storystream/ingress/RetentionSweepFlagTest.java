package io.storystream.ingress;

import static org.assertj.core.api.Assertions.assertThat;

import java.time.Duration;
import org.junit.jupiter.api.Test;
import picocli.CommandLine;

class RetentionSweepFlagTest {
  @Test
  void theIngressCommandTakesTheSweepIntervalFlag() {
    IngressCommand command = new IngressCommand();
    new CommandLine(command).parseArgs("--retention-sweep-interval", "15m");
    assertThat(command.retentionSweepInterval).isEqualTo(Duration.ofMinutes(15));
  }

  @Test
  void theSweepRunsHourlyByDefault() {
    IngressCommand command = new IngressCommand();
    new CommandLine(command).parseArgs();
    // unless STORYSTREAM_RETENTION_SWEEP_INTERVAL says otherwise in this environment
    Duration expected = System.getenv("STORYSTREAM_RETENTION_SWEEP_INTERVAL") == null ? Duration.ofHours(1)
        : io.storystream.common.config.Durations.parse(System.getenv("STORYSTREAM_RETENTION_SWEEP_INTERVAL"));
    assertThat(command.retentionSweepInterval).isEqualTo(expected);
  }
}
