package io.storystream.launcher.chaos;

import static org.assertj.core.api.Assertions.assertThat;

import io.storystream.launcher.chaos.FaultSchedule.FaultKind;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The fault campaign at the suite's size: the distributed deployment (3 brokers with replication factor 3, 2 ingress,
 * 2 processors, 2 billing aggregators, the billing sink into PostgreSQL, the stand-in, S3, the registry) under load
 * from four tenants while every kind of fault hits once on a fixed seed; the reconciliation
 * from the outside must find nothing lost, nothing counted twice and every bill equal to the independent calculation.
 * The 30-minute run is {@code scripts/chaos.sh} ({@code ./bench.sh chaos}).
 *
 * <p>About 8 minutes on two quiet cores: 140 s to start the deployment (three brokers, nine service JVMs), the
 * schedule's faults with load throughout (about 300 s: a broker kill waits for the broker to be back before the next
 * one), then the reconciliation (about 1 minute).
 */
class ChaosCampaignTest {
  @TempDir Path data;

  @Test
  void theWholeSystemUnderRollingFaultsLosesNothingAndBillsEachJobOnce() throws Exception {
    ChaosCampaign.Outcome outcome = ChaosCampaign.run(ChaosCampaign.Settings.reduced(19), data, System.out);

    // every message carries the reconciliation's findings: a CI machine keeps the failure's text, not the child logs
    String findings = String.join("\n", outcome.problems());
    assertThat(outcome.faultsByKind()).as("each kind of fault at least once").containsOnlyKeys(FaultKind.values());
    assertThat(outcome.lost()).as("jobs answered 202 that never ended:\n%s", findings).isZero();
    assertThat(outcome.duplicated()).as("jobs billed twice:\n%s", findings).isZero();
    assertThat(outcome.problems()).as(outcome.report()).isEmpty();
  }
}
