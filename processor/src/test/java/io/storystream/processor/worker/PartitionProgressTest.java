package io.storystream.processor.worker;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.TreeSet;
import java.util.stream.LongStream;
import org.apache.kafka.clients.consumer.OffsetAndMetadata;
import org.junit.jupiter.api.Test;

class PartitionProgressTest {

  @Test
  void commitsOnlyTheFinishedPrefixAndCarriesFinishedJobsAheadOfItInTheMetadata() {
    PartitionProgress progress = PartitionProgress.resume(null, 0, PartitionProgress.DEFAULT_METADATA_LIMIT);
    for (long offset : new long[] {0, 1, 2, 4, 5, 7}) { // 3 and 6 are transaction markers
      assertThat(progress.received(offset)).isTrue();
    }
    progress.finished(1);
    progress.finished(4);
    progress.finished(5);
    OffsetAndMetadata commit = progress.committable();
    assertThat(commit.offset()).isZero();
    assertThat(PartitionProgress.decode(commit.offset(), commit.metadata())).containsExactly(1L, 4L, 5L);

    progress.finished(0);
    assertThat(progress.committable().offset()).isEqualTo(2);
    progress.finished(2);
    assertThat(progress.committable().offset()).as("first unfinished").isEqualTo(7);
    assertThat(progress.committable().metadata()).isEqualTo("v1:");
    progress.finished(7);
    assertThat(progress.committable().offset()).as("everything read is done").isEqualTo(8);
  }

  @Test
  void aNewOwnerSkipsWhatThePreviousOwnerFinished() {
    PartitionProgress first = PartitionProgress.resume(null, 10, PartitionProgress.DEFAULT_METADATA_LIMIT);
    LongStream.range(10, 20).forEach(first::received);
    first.finished(12);
    first.finished(13);
    first.finished(19);
    OffsetAndMetadata committed = first.committable();

    PartitionProgress second = PartitionProgress.resume(committed, 0, PartitionProgress.DEFAULT_METADATA_LIMIT);
    assertThat(second.committable()).as("nothing lost before it reads anything").isEqualTo(committed);
    TreeSet<Long> toRun = new TreeSet<>();
    LongStream.range(10, 20).filter(second::received).forEach(toRun::add);
    assertThat(toRun).containsExactly(10L, 11L, 14L, 15L, 16L, 17L, 18L);
    toRun.forEach(second::finished);
    assertThat(second.committable().offset()).isEqualTo(20);
  }

  @Test
  void rangesKeepTheMetadataSmall() {
    TreeSet<Long> finished = new TreeSet<>();
    LongStream.range(101, 600).forEach(finished::add);
    finished.add(700L);
    String encoded = PartitionProgress.encode(100, finished);
    assertThat(encoded).isEqualTo("v1:1-dv,1x0".replace("dv", Long.toString(499, 36)).replace("1x0", Long.toString(600, 36)));
    assertThat(PartitionProgress.decode(100, encoded)).isEqualTo(finished);
  }

  @Test
  void aCompletionThatWouldOverflowTheMetadataWaitsForTheGapToClose() {
    PartitionProgress progress = PartitionProgress.resume(null, 0, 11);
    LongStream.range(0, 10).forEach(progress::received);
    for (long offset : new long[] {2, 4, 6, 8}) {
      assertThat(progress.canFinish(offset)).isTrue(); // ends at v1:2,4,6,8 (10 chars)
      progress.finished(offset);
    }
    assertThat(progress.canFinish(9)).as("v1:2,4,6,8-9 is 12 chars").isFalse();
    assertThat(progress.canFinish(0)).as("the oldest can always finish").isTrue();
    progress.finished(0);
    progress.finished(1);
    assertThat(progress.committable().offset()).isEqualTo(3);
    assertThat(progress.canFinish(9)).as("v1:1,3,5-6 once the gap closed").isTrue();
  }
}
