package io.storystream.datastorybot.client;

import static org.assertj.core.api.Assertions.assertThat;

import java.net.URI;
import java.net.http.HttpHeaders;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.time.ZoneOffset;
import java.time.format.DateTimeFormatter;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import picocli.CommandLine;

class ConfigurationTest {

  @Test
  void theErrorTableOfTheContract() {
    assertThat(RetryDecision.of(200, true)).isEqualTo(RetryDecision.SUCCESS);
    for (int permanent : new int[] {400, 403, 413, 422}) {
      assertThat(RetryDecision.of(permanent, true)).as("%d", permanent).isEqualTo(RetryDecision.PERMANENT);
    }
    assertThat(RetryDecision.of(401, true)).isEqualTo(RetryDecision.UNAUTHORIZED);
    assertThat(RetryDecision.of(404, true)).isEqualTo(RetryDecision.CONTAINER_GONE);
    assertThat(RetryDecision.of(410, true)).isEqualTo(RetryDecision.CONTAINER_GONE);
    assertThat(RetryDecision.of(404, false)).as("upload has no container").isEqualTo(RetryDecision.PERMANENT);
    assertThat(RetryDecision.of(500, true)).isEqualTo(RetryDecision.RETRY_ONCE);
    for (int transientStatus : new int[] {409, 429, 502, 503, 504}) {
      assertThat(RetryDecision.of(transientStatus, true)).isEqualTo(RetryDecision.BACK_OFF);
    }
    assertThat(RetryDecision.PERMANENT.isServiceFailure()).isFalse();
    assertThat(RetryDecision.BACK_OFF.isServiceFailure()).isTrue();
  }

  @Test
  void retryAfterAsSecondsOrHttpDate() {
    RecordingSleeper time = new RecordingSleeper();
    assertThat(RetryDecision.retryAfter(headers("12"), time.clock)).contains(Duration.ofSeconds(12));
    String date = DateTimeFormatter.RFC_1123_DATE_TIME.format(time.clock.instant().plusSeconds(90).atOffset(ZoneOffset.UTC));
    assertThat(RetryDecision.retryAfter(headers(date), time.clock)).contains(Duration.ofSeconds(90));
    assertThat(RetryDecision.retryAfter(headers("soon"), time.clock)).isEmpty();
    assertThat(RetryDecision.retryAfter(HttpHeaders.of(Map.of(), (a, b) -> true), time.clock)).isEmpty();
  }

  private static HttpHeaders headers(String retryAfter) {
    return HttpHeaders.of(Map.of("Retry-After", List.of(retryAfter)), (a, b) -> true);
  }

  @Test
  void keyFromEnvironmentFilePrecedesTheKey(@TempDir Path dir) throws Exception {
    RecordingSleeper time = new RecordingSleeper();
    Path file = dir.resolve("key");
    Files.writeString(file, "dsb_from_file\n");
    assertThat(ApiKeySource.fromEnv(Map.of("DATASTORYBOT_API_KEY", "dsb_from_env"), time.clock).current())
        .contains("dsb_from_env");
    ApiKeySource both = ApiKeySource.fromEnv(Map.of("DATASTORYBOT_API_KEY", "dsb_from_env",
        "DATASTORYBOT_API_KEY_FILE", file.toString()), time.clock);
    assertThat(both.current()).contains("dsb_from_file");
    assertThat(both.toString()).doesNotContain("dsb_from");
    assertThat(ApiKeySource.fromEnv(Map.of(), time.clock).current()).isEmpty();
    assertThat(ApiKeySource.of("dsb_x").toString()).doesNotContain("dsb_x");
  }

  @Test
  void missingKeyFileMeansNoKeyUntilItAppears(@TempDir Path dir) throws Exception {
    RecordingSleeper time = new RecordingSleeper();
    Path file = dir.resolve("later");
    ApiKeySource keys = ApiKeySource.fromFile(file, Duration.ofSeconds(30), time.clock);
    assertThat(keys.current()).isEmpty();
    Files.writeString(file, "dsb_now");
    keys.refresh();
    assertThat(keys.current()).contains("dsb_now");
  }

  @Test
  void optionsMixinBuildsTheConfig(@TempDir Path dir) throws Exception {
    DataStoryBotOptions options = new DataStoryBotOptions();
    new CommandLine(new Holder(options)).parseArgs("--datastorybot-url", "https://datastory.bot/",
        "--datastorybot-api-key", "dsb_secret");
    DataStoryBotConfig config = options.config();
    assertThat(config.baseUrl()).isEqualTo(URI.create("https://datastory.bot"));
    assertThat(config.apiKey().current()).contains("dsb_secret");
    assertThat(options.usesStandIn()).isFalse();
    assertThat(options.toString()).doesNotContain("dsb_secret");
    assertThat(config.toString()).doesNotContain("dsb_secret");
  }

  @CommandLine.Command(name = "holder")
  static final class Holder {
    @CommandLine.Mixin
    DataStoryBotOptions options;

    Holder(DataStoryBotOptions options) {
      this.options = options;
    }
  }
}
