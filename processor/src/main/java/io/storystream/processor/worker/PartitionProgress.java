package io.storystream.processor.worker;

import java.util.ArrayList;
import java.util.List;
import java.util.NavigableSet;
import java.util.Set;
import java.util.TreeSet;
import org.apache.kafka.clients.consumer.OffsetAndMetadata;

/**
 * Offset bookkeeping of one partition of {@code analysis-work} when jobs finish out of order. The committed offset
 * is the first job not yet finished (everything before it is done); jobs finished after that point travel in the
 * commit's metadata, so a worker that takes the partition over skips them instead of running them a second time.
 *
 * <p>Offsets are tracked as received, never assumed contiguous: transaction markers and aborted records leave gaps.
 * Not thread-safe: the worker's loop thread is its only user.
 */
public final class PartitionProgress {
  /** Kafka's default {@code offset.metadata.max.bytes}. */
  public static final int DEFAULT_METADATA_LIMIT = 4096;
  private static final String VERSION = "v1:";

  private final NavigableSet<Long> unfinished = new TreeSet<>();
  private final NavigableSet<Long> finishedAhead = new TreeSet<>();
  /** Offsets finished by an earlier owner, read from the committed metadata; skipped when they come by again. */
  private final Set<Long> finishedBefore;
  private final int metadataLimit;
  private long nextToRead;

  private PartitionProgress(long committedOffset, Set<Long> finishedBefore, int metadataLimit) {
    this.nextToRead = committedOffset;
    this.finishedBefore = new TreeSet<>(finishedBefore);
    this.finishedAhead.addAll(finishedBefore);
    this.metadataLimit = metadataLimit;
  }

  /** Resumes from the group's committed offset and metadata (null when the group never committed). */
  public static PartitionProgress resume(OffsetAndMetadata committed, long startOffset, int metadataLimit) {
    if (committed == null) {
      return new PartitionProgress(startOffset, Set.of(), metadataLimit);
    }
    return new PartitionProgress(committed.offset(), decode(committed.offset(), committed.metadata()), metadataLimit);
  }

  /**
   * Records that the record at {@code offset} was read. Returns false when an earlier owner already finished it:
   * the caller must not run it again.
   */
  public boolean received(long offset) {
    nextToRead = Math.max(nextToRead, offset + 1);
    if (finishedBefore.remove(offset)) {
      return false;
    }
    unfinished.add(offset);
    return true;
  }

  /**
   * Whether finishing {@code offset} now keeps the commit metadata within Kafka's limit. When it would not, the
   * caller holds the completion back until earlier jobs finish and the committed offset moves past the gap.
   */
  public boolean canFinish(long offset) {
    if (!unfinished.contains(offset)) {
      return true;
    }
    if (offset == unfinished.first()) {
      return true; // finishing the oldest job only ever shrinks the metadata
    }
    NavigableSet<Long> ahead = new TreeSet<>(finishedAhead);
    ahead.add(offset);
    return encode(commitOffset(), ahead).length() <= metadataLimit;
  }

  public void finished(long offset) {
    if (unfinished.remove(offset)) {
      finishedAhead.add(offset);
    }
    long commit = commitOffset();
    finishedAhead.headSet(commit, false).clear();
  }

  /** The first offset not finished: where a new owner starts reading. */
  public long commitOffset() {
    if (!unfinished.isEmpty()) {
      return unfinished.first();
    }
    return nextToRead;
  }

  public OffsetAndMetadata committable() {
    long commit = commitOffset();
    return new OffsetAndMetadata(commit, encode(commit, finishedAhead.tailSet(commit, true)));
  }

  public int unfinishedCount() {
    return unfinished.size();
  }

  /** Finished offsets at or after {@code commit} as ranges of deltas: {@code v1:0,3-7,12} (base 36). */
  static String encode(long commit, NavigableSet<Long> finished) {
    StringBuilder out = new StringBuilder(VERSION);
    Long start = null;
    long previous = -2;
    boolean first = true;
    for (long offset : finished) {
      if (offset < commit) {
        continue;
      }
      if (start != null && offset == previous + 1) {
        previous = offset;
        continue;
      }
      if (start != null) {
        first = appendRange(out, commit, start, previous, first);
      }
      start = offset;
      previous = offset;
    }
    if (start != null) {
      appendRange(out, commit, start, previous, first);
    }
    return out.toString();
  }

  private static boolean appendRange(StringBuilder out, long commit, long from, long to, boolean first) {
    if (!first) {
      out.append(',');
    }
    out.append(Long.toString(from - commit, 36));
    if (to > from) {
      out.append('-').append(Long.toString(to - commit, 36));
    }
    return false;
  }

  static Set<Long> decode(long commit, String metadata) {
    if (metadata == null || !metadata.startsWith(VERSION) || metadata.length() == VERSION.length()) {
      return Set.of();
    }
    List<Long> offsets = new ArrayList<>();
    for (String range : metadata.substring(VERSION.length()).split(",")) {
      int dash = range.indexOf('-');
      long from = Long.parseLong(dash < 0 ? range : range.substring(0, dash), 36);
      long to = dash < 0 ? from : Long.parseLong(range.substring(dash + 1), 36);
      for (long delta = from; delta <= to; delta++) {
        offsets.add(commit + delta);
      }
    }
    return new TreeSet<>(offsets);
  }
}
