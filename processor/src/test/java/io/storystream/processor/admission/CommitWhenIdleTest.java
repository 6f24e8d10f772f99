package io.storystream.processor.admission;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.File;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Properties;
import org.apache.kafka.streams.processor.TaskId;
import org.apache.kafka.streams.processor.api.MockProcessorContext;
import org.apache.kafka.streams.processor.api.Processor;
import org.apache.kafka.streams.processor.api.ProcessorContext;
import org.apache.kafka.streams.processor.api.Record;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

class CommitWhenIdleTest {
  private static final Duration GAP = Duration.ofMillis(20);

  /** Each row: milliseconds since the task's previous record (blank: its first), and whether the record commits. */
  @ParameterizedTest(name = "{index}: {0} ms after the previous record -> commit {1}")
  @CsvSource(nullValues = "first", value = {
      "first, true",
      "0,     false",
      "5,     false",
      "19,    false",
      "20,    true",
      "21,    true",
      "1000,  true",
  })
  void aRecordCommitsAtOnceOnlyWhenItWakesAnIdleTask(Long sincePrevious, boolean commits) {
    CommitWhenIdle commitWhenIdle = new CommitWhenIdle(GAP);
    Wrapped requests = new Wrapped(commitWhenIdle, new TaskId(0, 1));
    if (sincePrevious != null) {
      requests.processAt(1_000);
    }
    boolean committed = requests.processAt(1_000 + (sincePrevious == null ? 0 : sincePrevious));
    assertThat(committed).isEqualTo(commits);
  }

  @Test
  void aSteadyStreamOfRecordsAsksForNoCommitAfterTheFirst() {
    Wrapped requests = new Wrapped(new CommitWhenIdle(GAP), new TaskId(0, 1));
    List<Boolean> commits = new ArrayList<>();
    for (long at = 0; at < 1_000; at += 3) { // a record every 3 ms for a second: a busy task
      commits.add(requests.processAt(at));
    }
    assertThat(commits.get(0)).isTrue();
    assertThat(commits.subList(1, commits.size())).containsOnly(false);
  }

  @Test
  void theProcessorsOfOneTaskShareItsIdlenessAndTasksDoNot() {
    CommitWhenIdle commitWhenIdle = new CommitWhenIdle(GAP);
    Wrapped requestsOfTask1 = new Wrapped(commitWhenIdle, new TaskId(0, 1));
    Wrapped endingsOfTask1 = new Wrapped(commitWhenIdle, new TaskId(0, 1));
    Wrapped requestsOfTask2 = new Wrapped(commitWhenIdle, new TaskId(0, 2));

    assertThat(requestsOfTask1.processAt(100)).isTrue();
    assertThat(endingsOfTask1.processAt(105)).as("an ending 5 ms after a request of the same task").isFalse();
    assertThat(requestsOfTask2.processAt(106)).as("the first record of another task").isTrue();
    assertThat(endingsOfTask1.processAt(130)).as("25 ms after the task's last record").isTrue();
  }

  @Test
  void everyRecordReachesTheWrappedProcessor() {
    Wrapped requests = new Wrapped(new CommitWhenIdle(GAP), new TaskId(0, 1));
    requests.processAt(0);
    requests.processAt(1);
    requests.processAt(50);
    assertThat(requests.seen).containsExactly("record at 0", "record at 1", "record at 50");
  }

  /** One wrapped processor in its own mock context of the given task. */
  private static final class Wrapped {
    final List<String> seen = new ArrayList<>();
    final MockProcessorContext<String, String> context;
    final Processor<String, String, String, String> processor;

    Wrapped(CommitWhenIdle commitWhenIdle, TaskId task) {
      context = new MockProcessorContext<>(new Properties(), task, new File("unused-state-dir"));
      processor = commitWhenIdle.<String, String, String, String>around(() -> new Processor<>() {
        @Override
        public void init(ProcessorContext<String, String> context) {}

        @Override
        public void process(Record<String, String> record) {
          seen.add(record.value());
        }
      }).get();
      processor.init(context);
    }

    /** Processes one record at the given wall-clock time; whether it asked for a commit. */
    boolean processAt(long wallClockMs) {
      context.resetCommit();
      context.setCurrentSystemTimeMs(wallClockMs);
      processor.process(new Record<>("tenant-a", "record at " + wallClockMs, wallClockMs));
      return context.committed();
    }
  }
}
