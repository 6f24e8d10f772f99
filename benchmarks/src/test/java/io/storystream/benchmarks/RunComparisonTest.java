package io.storystream.benchmarks;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

class RunComparisonTest {
  @TempDir Path logs;

  @ParameterizedTest(name = "{1} → {2}")
  @CsvSource(delimiter = '#', value = {
      "2 admission # requests/s through admission (median of 3 rounds; per-round ratio 0.05–0.14) # "
          + "2 admission | requests/s through admission",
      "3 billing # usage events/s through billing (median of 5 rounds; per-round ratio 0.08–0.24) # "
          + "3 billing | usage events/s through billing",
      "3 billing # replay of 30,000 events (s) # 3 billing | replay of 30,000 events (s)",
      "4 latency # submit → worker start p99 (ms) # 4 latency | submit → worker start p99 (ms)"})
  void aFigureIsTheSameAcrossRunsWhateverItsCountsAndRanges(String stage, String figure, String key) {
    assertThat(RunComparison.key(stage, figure)).isEqualTo(key);
  }

  @Test
  void theSecondRunIsComparedByRatioAndFlaggedBeyondFifteenPerCent() throws Exception {
    RunComparison first = new RunComparison(logs, "quick");
    assertThat(first.cell("1 ingress", "submit req/s (32 connections)", 200, "0.200")).isEmpty();
    assertThat(first.cell("4 latency", "submit → worker start p99 (ms)", 100, "")).isEmpty();
    assertThat(first.summary(List.of("", ""))).startsWith("no previous run");
    first.save();

    RunComparison second = new RunComparison(logs, "quick");
    // the value doubled but so did its baseline: the ratio, which is what is compared, moved 10 %
    String ingress = second.cell("1 ingress", "submit req/s (32 connections)", 400, "0.220");
    // no baseline: the value is compared; 100 → 130 ms is +30 %
    String latency = second.cell("4 latency", "submit → worker start p99 (ms)", 130, "");
    String fresh = second.cell("3 billing", "a figure the first run did not have", 1, "0.5");

    assertThat(ingress).isEqualTo("0.200 (+10 %)");
    assertThat(latency).isEqualTo("100 (+30 %) **differs**");
    assertThat(fresh).isEmpty();
    assertThat(second.summary(List.of(ingress, latency, fresh)))
        .isEqualTo("1 of 2 figures agree with the previous run within 15 %; 1 differ (marked)");
  }

  @Test
  void aRunOfSomeStagesKeepsTheOthersForTheNextComparison() throws Exception {
    RunComparison full = new RunComparison(logs, "quick");
    full.cell("2 admission", "requests/s", 100, "0.100");
    full.cell("4 latency", "p99 (ms)", 50, "");
    full.save();
    RunComparison onlyLatency = new RunComparison(logs, "quick");
    onlyLatency.cell("4 latency", "p99 (ms)", 60, "");
    onlyLatency.save();

    assertThat(Files.readAllLines(logs.resolve("figures-quick.tsv")))
        .containsExactly("2 admission | requests/s\t0.1", "4 latency | p99 (ms)\t60.0");
    assertThat(new RunComparison(logs, "full").cell("2 admission", "requests/s", 100, "0.100"))
        .as("quick and full runs are not compared with each other").isEmpty();
  }
}
