package io.storystream.processor;

import static io.storystream.schemas.topics.Topic.Cleanup.COMPACT;
import static io.storystream.schemas.topics.Topic.Cleanup.DELETE;
import static io.storystream.schemas.topics.Topic.TENANT_PARTITIONS;

import io.storystream.schemas.AnalysisStatus;
import io.storystream.schemas.processor.CacheIndexEntry;
import io.storystream.schemas.topics.Topic;
import io.storystream.schemas.topics.TopicCatalogue;
import io.storystream.schemas.topics.Topics;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;

/**
 * Topics only the processor reads and writes, next to the shared catalogue. The cache index is keyed
 * {@code tenantId:cacheKey} and partitioned by tenant, so admission finds a tenant's entries on the partition that
 * holds its requests.
 */
public final class ProcessorTopics {
  private ProcessorTopics() {}

  public static final Topic<CacheIndexEntry> CACHE_INDEX = new Topic<>("processor-cache-index", CacheIndexEntry.class,
      TENANT_PARTITIONS, COMPACT, null, "tenantId:cacheKey → stored result of a completed analysis, with its expiry");

  /**
   * The worker's terminal statuses (COMPLETED/FAILED) again, on a topic of their own, so admission learns which slots
   * are free without reading {@code analysis-status}: that topic carries admission's own decisions too, and reading
   * its own output made every admission commit wait for the fetch of what it had just written (see ADMISSION.md).
   */
  public static final Topic<AnalysisStatus> JOB_ENDINGS = new Topic<>("processor-job-endings", AnalysisStatus.class,
      TENANT_PARTITIONS, DELETE, Duration.ofDays(7), "tenantId:jobId → how an admitted job ended (frees its slot)");

  /** The shared catalogue plus the processor's own topics. */
  public static List<Topic<?>> all() {
    List<Topic<?>> all = new ArrayList<>(Topics.all());
    all.add(CACHE_INDEX);
    all.add(JOB_ENDINGS);
    return List.copyOf(all);
  }

  public static TopicCatalogue catalogue(int tenantPartitions, short replicationFactor) {
    return new TopicCatalogue(all(), tenantPartitions, replicationFactor);
  }
}
