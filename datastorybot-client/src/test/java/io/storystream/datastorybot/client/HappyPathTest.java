package io.storystream.datastorybot.client;

import static org.assertj.core.api.Assertions.assertThat;

import io.storystream.datastorybot.standin.Endpoint;
import io.storystream.datastorybot.standin.StandInConfig;
import io.storystream.datastorybot.standin.StandInServer;
import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class HappyPathTest {
  static StandInServer standIn;

  @BeforeAll
  static void start() {
    standIn = StandInServer.start(StandInConfig.forTests());
  }

  @AfterAll
  static void stop() {
    standIn.close();
  }

  @Test
  void uploadsAnalysesRefinesAndDownloads(@TempDir Path dir) throws Exception {
    Path csv = dir.resolve("sales.csv");
    Files.writeString(csv, "date,region,revenue\n2025-01-05,North,100\n2025-01-20,South,50\n"
        + "2025-02-03,North,120\n2025-02-14,South,60\n2025-03-01,North,150\n2025-03-09,East,40\n");
    try (DataStoryBotClient client = new DataStoryBotClient(DataStoryBotConfig.defaults(standIn.baseUri(),
        ApiKeySource.none()))) {
      AnalysisResult result = client.analyze(new AnalysisJob("job_1", "sales.csv", csv, null, null)).join();
      assertThat(result.stories()).hasSize(3);
      assertThat(result.chosen()).isEqualTo(result.stories().get(0));
      assertThat(result.narrativeMarkdown()).startsWith("## " + result.chosen().title());
      assertThat(result.charts()).isNotEmpty().allSatisfy(c -> assertThat(c.png()).startsWith(0x89, 'P', 'N', 'G'));
      assertThat(result.dataset().rows()).isPositive();
      assertThat(result.timings().attempts()).isEqualTo(3 + result.charts().size() + 1);
      assertThat(standIn.stats().requests(Endpoint.UPLOAD)).isEqualTo(1);
      assertThat(client.breakerState()).isEqualTo(BreakerState.CLOSED);
    }
  }
}
