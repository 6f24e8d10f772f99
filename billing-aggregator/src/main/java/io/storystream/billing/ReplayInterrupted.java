package io.storystream.billing;

import org.apache.kafka.streams.processor.TaskId;

/**
 * A run without changelogs (a replay) had a task start again without the stores it had written: Kafka Streams wipes a
 * task's stores after an aborted transaction or a failed thread (exactly-once) and would restore them from changelogs
 * the run does not have. The run stops; it is started again from the beginning of the log under a fresh application
 * id.
 */
public final class ReplayInterrupted extends RuntimeException {
  public ReplayInterrupted(TaskId task) {
    super("task " + task + " started again without the stores it had written; a run without changelogs cannot go on");
  }

  public ReplayInterrupted(String message) {
    super(message);
  }

  /** Whether {@code e} or one of its causes is this. */
  public static boolean isCause(Throwable e) {
    for (Throwable t = e; t != null; t = t.getCause()) {
      if (t instanceof ReplayInterrupted) {
        return true;
      }
    }
    return false;
  }
}
