package io.storystream.launcher;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Which task folders a crash's leftovers are: only a task's own folder, only without its checkpoint. */
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
}
