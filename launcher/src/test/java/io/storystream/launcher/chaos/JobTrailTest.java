package io.storystream.launcher.chaos;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class JobTrailTest {
  @TempDir Path logs;

  @Test
  void linesNamingTheJobFromEveryCampaignChildOldestFirst() throws Exception {
    Files.writeString(logs.resolve("chaos-ingress-1.log"), """
        {"@timestamp":"2026-12-03T08:32:49.701Z","log.level":"DEBUG","message":"job job_a queued (partition 2, offset 0)"}
        {"@timestamp":"2026-12-03T08:32:50.000Z","log.level":"DEBUG","message":"job job_b queued (partition 1, offset 0)"}
        """);
    Files.writeString(logs.resolve("chaos-processor-2.2.log"), """
        {"@timestamp":"2026-12-03T08:32:49.900Z","log.level":"DEBUG","message":"job job_a of tenant t: ADMITTED"}
        not json, job_a named by a library
        """);
    Files.writeString(logs.resolve("processor-1.log"), """
        {"@timestamp":"2026-12-03T08:32:49.800Z","log.level":"DEBUG","message":"job job_a of another test"}
        """);

    assertThat(new JobTrail(logs).of("job_a", 10)).containsExactly(
        "chaos-processor-2.2: not json, job_a named by a library",
        "2026-12-03T08:32:49.701Z chaos-ingress-1 DEBUG: job job_a queued (partition 2, offset 0)",
        "2026-12-03T08:32:49.900Z chaos-processor-2.2 DEBUG: job job_a of tenant t: ADMITTED");
  }

  @Test
  void aLongTrailIsCutAndSaysHowMuchIsLeftOut() throws Exception {
    StringBuilder lines = new StringBuilder();
    for (int i = 0; i < 5; i++) {
      lines.append("{\"@timestamp\":\"2026-12-03T08:00:0").append(i).append("Z\",\"message\":\"job_a ").append(i)
          .append("\"}\n");
    }
    Files.writeString(logs.resolve("chaos-broker-1.log"), lines);

    assertThat(new JobTrail(logs).of("job_a", 2)).containsExactly(
        "2026-12-03T08:00:00Z chaos-broker-1: job_a 0", "2026-12-03T08:00:01Z chaos-broker-1: job_a 1", "… 3 more");
  }

  @Test
  void aMessageRepeatedByOneProcessIsOneLineWithItsCount() throws Exception {
    Files.writeString(logs.resolve("chaos-ingress-1.log"), """
        {"@timestamp":"2026-12-03T08:00:01Z","log.level":"WARN","message":"instance down for job_a"}
        {"@timestamp":"2026-12-03T08:00:02Z","log.level":"DEBUG","message":"job_a ended"}
        {"@timestamp":"2026-12-03T08:00:03Z","log.level":"WARN","message":"instance down for job_a"}
        """);
    Files.writeString(logs.resolve("chaos-ingress-2.log"), """
        {"@timestamp":"2026-12-03T08:00:04Z","log.level":"WARN","message":"instance down for job_a"}
        """);

    assertThat(new JobTrail(logs).of("job_a", 10)).containsExactly(
        "2026-12-03T08:00:01Z chaos-ingress-1 WARN: instance down for job_a (2 times, last 2026-12-03T08:00:03Z)",
        "2026-12-03T08:00:02Z chaos-ingress-1 DEBUG: job_a ended",
        "2026-12-03T08:00:04Z chaos-ingress-2 WARN: instance down for job_a");
  }

  @Test
  void noLogFolderNoTrail() throws Exception {
    assertThat(new JobTrail(logs.resolve("missing")).of("job_a", 10)).isEmpty();
  }
}
