package io.storystream.launcher;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Comparator;
import java.util.List;
import java.util.regex.Pattern;
import java.util.stream.Stream;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Discards the local state of Kafka Streams tasks that a crash left without a checkpoint, before the applications
 * start. Every application here runs exactly-once, and under exactly-once a task writes its checkpoint only when it
 * closes cleanly: after a {@code kill -9} no task has one, and Kafka Streams then treats every non-empty store as
 * corrupted, wipes it and restores it from its changelog. It only finds that out after opening each store, though,
 * several times over (once to report the stores' offsets at start-up, again when the task is assigned). Measured
 * after kill -9 on a loaded machine: 4-6 s per admission task spent opening RocksDB stores that were then wiped. The
 * outcome of removing such a task's folder first is the same (a restore from the changelog), without the opening.
 *
 * <p>Only for the embedded default: its broker started on the same data folder, which Kafka locks, so no other
 * process can be using these stores at the same time.
 */
final class CrashedStreamsState {
  private static final Logger log = LoggerFactory.getLogger(CrashedStreamsState.class);
  /** A task's folder: {@code <subtopology>_<partition>}. */
  private static final Pattern TASK = Pattern.compile("\\d+_\\d+");

  private CrashedStreamsState() {}

  /** Removes every task folder without a {@code .checkpoint} under {@code stateDir/<application id>/}. */
  static int discard(Path stateDir) throws IOException {
    if (!Files.isDirectory(stateDir)) {
      return 0;
    }
    int discarded = 0;
    for (Path application : list(stateDir)) {
      int before = discarded;
      for (Path task : list(application)) {
        if (TASK.matcher(task.getFileName().toString()).matches() && Files.isDirectory(task)
            && !Files.exists(task.resolve(".checkpoint"))) {
          delete(task);
          discarded++;
        }
      }
      if (discarded > before) {
        log.info("discarded the state of {} tasks without a checkpoint under {} (left by a crash; restored from "
            + "their changelogs)", discarded - before, application.getFileName());
      }
    }
    return discarded;
  }

  private static List<Path> list(Path dir) throws IOException {
    if (!Files.isDirectory(dir)) {
      return List.of();
    }
    try (Stream<Path> children = Files.list(dir)) {
      return children.toList();
    }
  }

  private static void delete(Path tree) throws IOException {
    try (Stream<Path> paths = Files.walk(tree)) {
      for (Path p : paths.sorted(Comparator.reverseOrder()).toList()) {
        Files.deleteIfExists(p);
      }
    }
  }
}
