package io.storystream.datastorybot.client;

import static org.assertj.core.api.Assertions.assertThat;

import io.storystream.datastorybot.standin.Endpoint;
import io.storystream.datastorybot.standin.Fault;
import io.storystream.datastorybot.standin.StandInConfig;
import io.storystream.datastorybot.standin.StandInServer;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Set;
import java.util.concurrent.CompletionException;
import java.util.concurrent.CopyOnWriteArrayList;
import org.apache.logging.log4j.Level;
import org.apache.logging.log4j.LogManager;
import org.apache.logging.log4j.core.LogEvent;
import org.apache.logging.log4j.core.LoggerContext;
import org.apache.logging.log4j.core.appender.AbstractAppender;
import org.apache.logging.log4j.core.config.Configuration;
import org.apache.logging.log4j.core.config.LoggerConfig;
import org.apache.logging.log4j.core.config.Property;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Runs jobs through success and every kind of failure with a key, a prompt and CSV cells that are easy to spot, and
 * checks that no log line contains any of them: storystream's own loggers at every level, libraries at the
 * configured level.
 */
class NothingSensitiveInLogsTest {

  static final class Capture extends AbstractAppender {
    final List<String> lines = new CopyOnWriteArrayList<>();

    Capture() {
      super("capture", null, null, true, Property.EMPTY_ARRAY);
    }

    @Override
    public void append(LogEvent event) {
      StringBuilder line = new StringBuilder(event.getMessage().getFormattedMessage());
      for (Throwable t = event.getThrown(); t != null; t = t.getCause()) {
        line.append(" | ").append(t);
      }
      lines.add(line.toString());
    }
  }

  @Test
  void keysPromptsCsvContentAndNarrativesNeverReachTheLogs(@TempDir Path dir) throws Exception {
    LoggerContext context = (LoggerContext) LogManager.getContext(false);
    Configuration configuration = context.getConfiguration();
    Capture capture = new Capture();
    capture.start();
    LoggerConfig root = configuration.getRootLogger();
    LoggerConfig ours = configuration.getLoggerConfig("io.storystream");
    Level oursLevel = ours.getLevel();
    // our code at every level; libraries (Jetty dumps raw buffers at DEBUG) at the configured level
    root.addAppender(capture, Level.ALL, null);
    ours.setLevel(Level.ALL);
    context.updateLoggers();
    Path csv = dir.resolve("secret.csv");
    Files.writeString(csv, "date,region,amount\n2025-01-01,ZanzibarCell,10\n2025-02-01,Other,20\n"
        + "2025-03-01,ZanzibarCell,30\n2025-04-01,Other,5\n");
    RecordingSleeper time = new RecordingSleeper();
    try (StandInServer standIn = StandInServer.start(StandInConfig.forTests().withApiKeys(Set.of("dsb_TOPSECRETKEY")));
         DataStoryBotClient client = new DataStoryBotClient(DataStoryBotConfig.defaults(standIn.baseUri(),
             ApiKeySource.of("dsb_TOPSECRETKEY")).withTime(time.clock, time))) {
      AnalysisJob job = new AnalysisJob("job_logs", "secret.csv", csv, "PROMPT_ABOUT_ZanzibarCell", "REFINE_PROMPT_X");
      AnalysisResult result = client.analyze(job).join();
      for (Fault fault : List.of(Fault.RATE_LIMITED, Fault.INTERNAL_ERROR, Fault.MALFORMED_JSON, Fault.BAD_REQUEST,
          Fault.CONTAINER_EXPIRED)) {
        standIn.faults().clear().inject(Endpoint.REFINE, fault, fault == Fault.BAD_REQUEST ? 1 : 2);
        try {
          client.analyze(job).join();
        } catch (CompletionException expected) {
          // failures are part of the run
        }
      }
      standIn.faults().clear();
      try (DataStoryBotClient wrongKey = new DataStoryBotClient(DataStoryBotConfig.defaults(standIn.baseUri(),
          ApiKeySource.of("dsb_WRONGSECRET")).withTime(time.clock, time).withCallTimeout(Duration.ofSeconds(30)))) {
        wrongKey.analyze(job).exceptionally(e -> null).join();
      }
      String narrativeSentence = result.narrativeMarkdown().split("\n")[2];
      assertThat(capture.lines).isNotEmpty();
      assertThat(capture.lines).allSatisfy(line -> assertThat(line).doesNotContain("dsb_TOPSECRETKEY",
          "dsb_WRONGSECRET", "PROMPT_ABOUT", "REFINE_PROMPT_X", "ZanzibarCell", narrativeSentence));
    } finally {
      root.removeAppender("capture");
      ours.setLevel(oursLevel);
      context.updateLoggers();
    }
  }
}
