package io.storystream.common.kafka;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.BufferedReader;
import java.io.InputStreamReader;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.concurrent.TimeUnit;
import org.apache.kafka.streams.KafkaStreams;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Which task folders a crash's leftovers are: only a task's own folder, only without its checkpoint, and only when no
 * Kafka Streams instance (of another process or of this one) holds the application's folder.
 */
class CrashedStreamsStateTest {
  @TempDir Path streams;

  @Test
  void removesTaskFoldersWithoutACheckpointAndKeepsEverythingElse() throws Exception {
    Path app = streams.resolve("storystream-admission");
    Path checkpointed = Files.createDirectories(app.resolve("0_0").resolve("rocksdb").resolve("tenants"));
    Files.writeString(app.resolve("0_0").resolve(".checkpoint"), "0\n1\nanalysis-requests 0 17\n");
    Path crashed = Files.createDirectories(app.resolve("0_1").resolve("rocksdb").resolve("tenants"));
    Files.writeString(crashed.resolve("000001.sst"), "data");
    Path crashedToo = Files.createDirectories(streams.resolve("storystream-billing").resolve("1_3"));
    Path global = Files.createDirectories(app.resolve("global").resolve("rocksdb"));
    Path processId = Files.writeString(app.resolve("kafka-streams-process-metadata"), "{}");

    assertThat(CrashedStreamsState.discard(streams)).isEqualTo(2);

    assertThat(app.resolve("0_1")).doesNotExist();
    assertThat(crashedToo).doesNotExist();
    assertThat(checkpointed).as("a cleanly closed task keeps its state").exists();
    assertThat(global).as("not a task folder").exists();
    assertThat(processId).exists();
    assertThat(CrashedStreamsState.discard(streams)).as("nothing left to remove").isZero();
  }

  @Test
  void aMissingStateFolderIsNothingToDo() throws Exception {
    assertThat(CrashedStreamsState.discard(streams.resolve("absent"))).isZero();
  }

  @Test
  void withNoInstanceOnTheFolderACrashedTaskGoesAndACheckpointedOneStays() throws Exception {
    Path app = streams.resolve("storystream-admission");
    Path checkpointed = Files.createDirectories(app.resolve("0_0").resolve("rocksdb"));
    Files.writeString(app.resolve("0_0").resolve(".checkpoint"), "0\n1\nanalysis-requests 0 17\n");
    Path crashed = Files.createDirectories(app.resolve("0_1").resolve("rocksdb"));
    Path otherApplication = Files.createDirectories(streams.resolve("storystream-billing").resolve("1_3"));

    assertThat(CrashedStreamsState.discardUnlessInUse(streams, "storystream-admission")).isEqualTo(1);

    assertThat(crashed).doesNotExist();
    assertThat(checkpointed).exists();
    assertThat(otherApplication).as("only the application named").exists();
  }

  @Test
  void aFolderThatAStreamsInstanceOfAnotherProcessHoldsIsLeftAlone() throws Exception {
    Path app = streams.resolve("storystream-ingress-jobs");
    Path running = Files.createDirectories(app.resolve("0_2").resolve("rocksdb"));
    Process other = new ProcessBuilder(Path.of(System.getProperty("java.home"), "bin", "java").toString(),
        "-cp", System.getProperty("java.class.path"), StreamsInstanceOnFolder.class.getName(), streams.toString(),
        "storystream-ingress-jobs").redirectErrorStream(true).start();
    try {
      BufferedReader out = new BufferedReader(new InputStreamReader(other.getInputStream(), StandardCharsets.UTF_8));
      String line;
      while ((line = out.readLine()) != null && !line.equals("holding")) {
        // its start-up output
      }
      assertThat(line).as("the other process made its Streams instance").isEqualTo("holding");

      assertThat(CrashedStreamsState.discardUnlessInUse(streams, "storystream-ingress-jobs")).isZero();

      assertThat(running).as("a running instance's task without a checkpoint is not a crash's").exists();
    } finally {
      other.getOutputStream().close();
      other.waitFor(60, TimeUnit.SECONDS);
      other.destroyForcibly();
    }
  }

  @Test
  void aFolderThatAStreamsInstanceOfThisProcessHoldsIsLeftAloneAndStaysLocked() throws Exception {
    Path app = Files.createDirectories(streams.resolve("storystream-billing"));
    try (KafkaStreams here = StreamsInstanceOnFolder.make(streams.toString(), "storystream-billing")) {
      Path running = Files.createDirectories(app.resolve("1_0").resolve("rocksdb"));

      assertThat(CrashedStreamsState.discardUnlessInUse(streams, "storystream-billing")).isZero();

      assertThat(running).exists();
      // a second process must still find the folder locked: closing a channel would have released this process's lock
      Process other = new ProcessBuilder(Path.of(System.getProperty("java.home"), "bin", "java").toString(),
          "-cp", System.getProperty("java.class.path"), StreamsInstanceOnFolder.class.getName(), streams.toString(),
          "storystream-billing").redirectErrorStream(true).start();
      other.getOutputStream().close(); // were it to make its instance, it would not wait for a line
      String output = new String(other.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
      other.waitFor(60, TimeUnit.SECONDS);
      assertThat(output).as("the other process cannot make an instance on a held folder")
          .doesNotContain("holding").contains("Unable to initialize state");
    }
  }
}
