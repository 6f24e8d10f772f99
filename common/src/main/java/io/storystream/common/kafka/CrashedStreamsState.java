package io.storystream.common.kafka;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.channels.FileChannel;
import java.nio.channels.FileLock;
import java.nio.channels.OverlappingFileLockException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.Comparator;
import java.util.List;
import java.util.Properties;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.regex.Pattern;
import java.util.stream.Stream;
import org.apache.kafka.streams.StreamsConfig;
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
 * <p>A running instance's tasks have no checkpoint either, so a folder may only be cleaned when nothing runs on it.
 * {@link #discard(Path)} is for the embedded default, whose broker locks the whole data folder;
 * {@link #discardUnlessInUse(Path, String)} is for a service on its own: it holds the lock Kafka Streams itself takes
 * on {@code <state dir>/<application id>/.lock} for an instance's lifetime while it cleans, so it cleans nothing that
 * a live instance (of this process or another) uses, and no instance can start on the folder meanwhile.
 */
public final class CrashedStreamsState {
  private static final Logger log = LoggerFactory.getLogger(CrashedStreamsState.class);
  /** A task's folder: {@code <subtopology>_<partition>}. */
  private static final Pattern TASK = Pattern.compile("\\d+_\\d+");
  /** The file Kafka Streams' StateDirectory locks in an application's folder while an instance runs on it. */
  private static final String STREAMS_LOCK = ".lock";
  /**
   * Application folders this JVM has looked at. Locks on files are the process's (POSIX), so closing any channel
   * on a lock file releases the lock this JVM's own running instance holds on it: each folder is looked at once, by
   * the first instance of this JVM on it. A later one in the same JVM cannot follow a crash (that ends the JVM).
   */
  private static final Set<Path> LOOKED_AT = ConcurrentHashMap.newKeySet();
  /** Channels that found the lock held in this JVM, kept from the cleaner that would close them (see above). */
  private static final Set<FileChannel> KEPT_OPEN = ConcurrentHashMap.newKeySet();

  private CrashedStreamsState() {}

  /** Removes every task folder without a {@code .checkpoint} under {@code stateDir/<application id>/}. */
  public static int discard(Path stateDir) throws IOException {
    int discarded = 0;
    for (Path application : list(stateDir)) {
      discarded += discardTasks(application);
    }
    return discarded;
  }

  /**
   * Removes the task folders without a {@code .checkpoint} of one exactly-once application (as every one here is:
   * {@link KafkaSettings#streams}), unless an instance holds its folder (then nothing, and the instance that starts
   * next fails on the lock as it would anyway). Call it just before the application's {@code KafkaStreams} is made.
   */
  public static int discardUnlessInUse(Path stateDir, String applicationId) throws IOException {
    Path application = stateDir.resolve(applicationId).toAbsolutePath().normalize();
    if (!Files.isDirectory(application) || !LOOKED_AT.add(application)) {
      return 0;
    }
    FileChannel channel = FileChannel.open(application.resolve(STREAMS_LOCK), StandardOpenOption.CREATE,
        StandardOpenOption.WRITE);
    FileLock lock;
    try {
      lock = channel.tryLock();
    } catch (OverlappingFileLockException heldInThisJvm) {
      // closing this channel would release the running instance's lock for the whole process: it stays open
      KEPT_OPEN.add(channel);
      log.info("the state of {} is in use by an instance of this process: crashed task state left alone",
          applicationId);
      return 0;
    } catch (IOException | RuntimeException e) {
      channel.close();
      throw e;
    }
    try (channel) {
      if (lock == null) {
        log.info("the state of {} is in use by another process: crashed task state left alone", applicationId);
        return 0;
      }
      try {
        return discardTasks(application);
      } finally {
        lock.release();
      }
    }
  }

  /** As {@link #discardUnlessInUse(Path, String)} for the application these Streams settings describe. */
  public static int discardUnlessInUse(Properties streams) {
    String applicationId = streams.getProperty(StreamsConfig.APPLICATION_ID_CONFIG);
    try {
      return discardUnlessInUse(Path.of(streams.getProperty(StreamsConfig.STATE_DIR_CONFIG)), applicationId);
    } catch (IOException e) {
      throw new UncheckedIOException("cannot clean the crashed task state of " + applicationId, e);
    }
  }

  private static int discardTasks(Path application) throws IOException {
    int discarded = 0;
    for (Path task : list(application)) {
      if (TASK.matcher(task.getFileName().toString()).matches() && Files.isDirectory(task)
          && !Files.exists(task.resolve(".checkpoint"))) {
        delete(task);
        discarded++;
      }
    }
    if (discarded > 0) {
      log.info("discarded the state of {} tasks without a checkpoint under {} (left by a crash; restored from "
          + "their changelogs)", discarded, application.getFileName());
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
