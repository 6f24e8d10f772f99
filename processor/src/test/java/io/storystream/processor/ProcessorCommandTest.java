package io.storystream.processor;

import static org.assertj.core.api.Assertions.assertThat;

import org.junit.jupiter.api.Test;
import picocli.CommandLine;

class ProcessorCommandTest {

  private static ProcessorCommand parse(String... args) {
    ProcessorCommand command = new ProcessorCommand();
    new CommandLine(command).parseArgs(args);
    return command;
  }

  @Test
  void admissionRunsByDefaultAndCanBeSwitchedOffOrOn() {
    assertThat(System.getenv("STORYSTREAM_RUN_ADMISSION")).as("this test reads the built-in default").isNull();
    assertThat(parse().runAdmission).isTrue();
    assertThat(parse("--no-run-admission").runAdmission).isFalse();
    assertThat(parse("--run-admission").runAdmission).isTrue();
    assertThat(parse("--run-admission=false").runAdmission).isFalse();
  }

  @Test
  void sharesThePlatformOptions() {
    ProcessorCommand command = parse("--bootstrap-servers", "broker:9092", "--registry-url", "http://registry:8081",
        "--partitions", "12", "--data-dir", "/var/lib/storystream");
    assertThat(command.platform.kafka().bootstrapServers()).isEqualTo("broker:9092");
    assertThat(command.platform.kafka().registryUrl()).isEqualTo("http://registry:8081");
    assertThat(command.platform.kafka().tenantPartitions()).isEqualTo(12);
    assertThat(command.platform.dataDir).hasToString("/var/lib/storystream");
  }

  @Test
  void refusesToRunWithEverythingSwitchedOff() {
    int exit = new CommandLine(new ProcessorCommand()).execute("--no-run-admission", "--no-run-worker",
        "--no-run-webhooks");
    assertThat(exit).isEqualTo(2);
  }
}
