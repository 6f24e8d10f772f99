package io.storystream.processor.worker;

import io.storystream.schemas.processor.CacheIndexEntry;
import io.storystream.schemas.topics.Topic;

/**
 * The processor's own compacted topic: tenantId:cacheKey → where the result of that analysis lives. The worker
 * writes an entry when a job completes; admission reads the topic into its cache index.
 */
public final class CacheIndexTopic {
  private CacheIndexTopic() {}

  public static final Topic<CacheIndexEntry> TOPIC = new Topic<>("processor-cache-index", CacheIndexEntry.class,
      Topic.TENANT_PARTITIONS, Topic.Cleanup.COMPACT, null, "tenantId:cacheKey → cached result location and expiry");
}
