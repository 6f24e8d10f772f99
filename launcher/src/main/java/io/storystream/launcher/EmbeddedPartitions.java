package io.storystream.launcher;

import io.storystream.schemas.topics.TopicCatalogue;
import io.storystream.schemas.topics.Topics;
import java.util.List;
import java.util.OptionalInt;
import java.util.concurrent.ExecutionException;
import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.common.errors.UnknownTopicOrPartitionException;

/**
 * How many partitions the embedded default's tenant-keyed topics have.
 *
 * <p>A tenant's partition is its id's hash modulo this count, and every store of every Streams application is split
 * the same way, so once a data folder has topics their count is fixed for that folder: another count would send
 * tenants to partitions that do not hold their state. The folder's own count therefore wins, and a different one
 * asked for explicitly is refused instead of being applied with a warning.
 *
 * <p>A new folder gets {@link #NEW_FOLDER} (3) unless told otherwise. The embedded default runs one instance of each
 * service, each Streams application with one stream thread, so partitions add no parallelism here; each one costs at
 * start-up (the broker creates and leads it, admission opens fourteen stores per partition) and while idle (a fetch
 * per partition). Measured on two cores (BENCHMARKS.md): clean start to banner 10.7 s with 6 partitions, 8.7 s with 3;
 * resident memory 466 and 405 MB. Three rather than one keeps the local system shaped like a deployment: tenants
 * spread over partitions, so routing by partition, per-partition stores and the job view's owner lookups are
 * exercised on a laptop as they are in a cluster. The services started on their own keep their default of 6.
 */
final class EmbeddedPartitions {
  /** The flag's value that means "the folder's count, or {@link #NEW_FOLDER} for a new folder". */
  static final int FROM_DATA_FOLDER = 0;
  static final int NEW_FOLDER = 3;

  private EmbeddedPartitions() {}

  /** The count to use, given the folder's ({@code existing}, empty for a new folder) and the one asked for. */
  static int choose(OptionalInt existing, int requested) {
    if (requested < 0) {
      throw new UnusableSetting("--partitions must be positive (or 0 for the data folder's count), not "
          + requested);
    }
    if (existing.isPresent()) {
      int count = existing.getAsInt();
      if (requested != FROM_DATA_FOLDER && requested != count) {
        throw new UnusableSetting("the topics in this data folder have " + count + " partitions, and --partitions "
            + requested + " cannot change that: tenants would move to partitions that do not hold their state. Start"
            + " without --partitions (or STORYSTREAM_PARTITIONS), or with a new data folder");
      }
      return count;
    }
    return requested == FROM_DATA_FOLDER ? NEW_FOLDER : requested;
  }

  /**
   * Refuses to go on when a topic of the folder has another partition count than the catalogue at the count in use
   * (topics made by hand, or by an older start with another count): the services would route tenants by one count
   * while the data is split by the other. Other drift (a retention, a cleanup policy) stays a warning.
   */
  static void requireSamePartitions(TopicCatalogue.Report report) {
    List<TopicCatalogue.Drift> partitions = report.drifts().stream()
        .filter(d -> d.setting().equals("partitions")).toList();
    if (!partitions.isEmpty()) {
      throw new UnusableSetting("the topics in this data folder are split differently from what the system would use: "
          + partitions.stream().map(TopicCatalogue.Drift::toString).toList()
          + ". Start with a new data folder, or re-create these topics");
    }
  }

  /** The partition count of the folder's tenant-keyed topics ({@code analysis-requests}), empty if it has none. */
  static OptionalInt existing(Admin admin) throws InterruptedException, ExecutionException {
    String topic = Topics.ANALYSIS_REQUESTS.name();
    try {
      return OptionalInt.of(admin.describeTopics(List.of(topic)).allTopicNames().get().get(topic).partitions().size());
    } catch (ExecutionException e) {
      if (e.getCause() instanceof UnknownTopicOrPartitionException) {
        return OptionalInt.empty();
      }
      throw e;
    }
  }
}
