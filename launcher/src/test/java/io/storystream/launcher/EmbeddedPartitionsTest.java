package io.storystream.launcher;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.awaitility.Awaitility.await;

import io.storystream.embedded.EmbeddedKafka;
import io.storystream.schemas.topics.TopicCatalogue;
import io.storystream.schemas.topics.Topics;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.OptionalInt;
import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.admin.NewTopic;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

/** The embedded default's partition count: the data folder's wins; a new folder gets 3 unless told otherwise. */
class EmbeddedPartitionsTest {
  @TempDir Path dir;

  @ParameterizedTest(name = "folder has {0}, asked for {1} → {2}")
  @CsvSource(nullValues = "none", value = {
      // folder's count, --partitions, count used
      "none, 0, 3",  // a new folder, nothing asked: the embedded default's count
      "none, 6, 6",  // a new folder, a count asked for
      "none, 1, 1",
      "6,    0, 6",  // a folder made before the default became 3 keeps its 6
      "2,    0, 2",
      "6,    6, 6",  // the same count asked for again
  })
  void theCountInUse(Integer existing, int requested, int used) {
    assertThat(EmbeddedPartitions.choose(existing == null ? OptionalInt.empty() : OptionalInt.of(existing), requested))
        .isEqualTo(used);
  }

  @ParameterizedTest(name = "folder has {0}, asked for {1}: refused")
  @CsvSource(nullValues = "none", value = {"6, 3", "3, 6", "none, -1", "2, -1"})
  void aCountThatWouldMoveTenantsAwayFromTheirStateIsRefused(Integer existing, int requested) {
    assertThatThrownBy(() -> EmbeddedPartitions.choose(
        existing == null ? OptionalInt.empty() : OptionalInt.of(existing), requested))
        .isInstanceOf(UnusableSetting.class)
        .hasMessageContaining("--partitions");
  }

  @Test
  void aTopicSplitDifferentlyFromTheCatalogueStopsTheStartOtherDriftDoesNot() {
    TopicCatalogue.Drift retention = new TopicCatalogue.Drift("audit", "retention.ms", "1", "2");
    TopicCatalogue.Drift split = new TopicCatalogue.Drift("files", "partitions", "3", "6");
    EmbeddedPartitions.requireSamePartitions(new TopicCatalogue.Report(List.of(), List.of("audit"), List.of(retention)));
    assertThatThrownBy(() -> EmbeddedPartitions.requireSamePartitions(
        new TopicCatalogue.Report(List.of(), List.of("audit", "files"), List.of(retention, split))))
        .isInstanceOf(UnusableSetting.class)
        .hasMessageContaining("files: partitions is 6, the catalogue says 3")
        .hasMessageNotContaining("retention");
  }

  @Test
  void theFoldersCountIsReadFromItsBroker() throws Exception {
    try (EmbeddedKafka broker = new EmbeddedKafka(dir.resolve("kafka"), 0, 0, Map.of()).start();
         Admin admin = Admin.create(Map.of("bootstrap.servers", broker.bootstrapServers()))) {
      assertThat(EmbeddedPartitions.existing(admin)).as("a new folder").isEmpty();
      admin.createTopics(List.of(new NewTopic(Topics.ANALYSIS_REQUESTS.name(), 2, (short) 1))).all().get();
      // the controller acknowledges a new topic before the broker's metadata, which answers describeTopics, has it
      await().atMost(java.time.Duration.ofSeconds(60)).pollInterval(java.time.Duration.ofMillis(50))
          .untilAsserted(() -> assertThat(EmbeddedPartitions.existing(admin)).hasValue(2));
    }
  }
}
