package io.storystream.datastorybot.standin;

import static org.assertj.core.api.Assertions.assertThat;

import java.time.Duration;
import org.junit.jupiter.api.Test;
import picocli.CommandLine;

class StandInCommandTest {

  private static StandInCommand parse(String... args) {
    StandInCommand command = new StandInCommand();
    new CommandLine(command).parseArgs(args);
    return command;
  }

  @Test
  void defaultsAreTheEmbeddedDefaults() {
    StandInConfig config = parse().config();
    if (System.getenv("STORYSTREAM_STANDIN_PORT") == null) {
      assertThat(config.port()).isEqualTo(8090);
    }
    assertThat(config.host()).isEqualTo("127.0.0.1");
    assertThat(config.maxUploadBytes()).isEqualTo(50L * 1024 * 1024);
    assertThat(config.containerTtl()).isEqualTo(Duration.ofMinutes(20));
  }

  @Test
  void flagsBecomeConfigAndFaults() {
    StandInCommand command = parse("--port", "0", "--latency", "250ms", "--api-key", "dsb_a,dsb_b",
        "--fault", "analyze:rate-limited:2", "--fault", "files:unavailable", "--retry-after", "9");
    StandInConfig config = command.config();
    assertThat(config.port()).isZero();
    assertThat(config.latency()).isEqualTo(Duration.ofMillis(250));
    assertThat(config.apiKeys()).containsExactlyInAnyOrder("dsb_a", "dsb_b");
    assertThat(config.toString()).doesNotContain("dsb_a");

    Faults faults = new Faults();
    command.applyFaults(faults);
    assertThat(faults.retryAfter()).isEqualTo(Duration.ofSeconds(9));
    assertThat(faults.next(Endpoint.ANALYZE)).contains(Fault.RATE_LIMITED);
    assertThat(faults.next(Endpoint.ANALYZE)).contains(Fault.RATE_LIMITED);
    assertThat(faults.next(Endpoint.ANALYZE)).isEmpty();
    assertThat(faults.next(Endpoint.FILES)).contains(Fault.UNAVAILABLE);
    assertThat(faults.next(Endpoint.FILES)).contains(Fault.UNAVAILABLE);
    assertThat(faults.next(Endpoint.UPLOAD)).isEmpty();
  }

  @Test
  void faultSpellings() {
    assertThat(Fault.parse("503")).isEqualTo(Fault.UNAVAILABLE);
    assertThat(Fault.parse("429")).isEqualTo(Fault.RATE_LIMITED);
    assertThat(Fault.parse("container-expired")).isEqualTo(Fault.CONTAINER_EXPIRED);
    assertThat(Fault.parse("hang")).isEqualTo(Fault.HANG);
    assertThat(StandInCommand.duration("2s")).isEqualTo(Duration.ofSeconds(2));
    assertThat(StandInCommand.duration("PT1M")).isEqualTo(Duration.ofMinutes(1));
  }

  @Test
  void probabilisticFaultsAreReproducible() {
    Faults a = new Faults();
    Faults b = new Faults();
    StandInCommand.applyFault(a, "refine:internal-error@0.3");
    StandInCommand.applyFault(b, "refine:internal-error@0.3");
    int hits = 0;
    for (int i = 0; i < 200; i++) {
      boolean hit = a.next(Endpoint.REFINE).isPresent();
      assertThat(b.next(Endpoint.REFINE).isPresent()).isEqualTo(hit);
      hits += hit ? 1 : 0;
    }
    assertThat(hits).isBetween(30, 90);
  }
}
