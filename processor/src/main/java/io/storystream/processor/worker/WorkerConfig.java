package io.storystream.processor.worker;

import io.storystream.common.blob.S3Settings;
import io.storystream.common.kafka.KafkaSettings;
import io.storystream.datastorybot.client.DataStoryBotConfig;
import java.nio.file.Path;
import java.time.Duration;

/**
 * What the worker needs.
 *
 * @param maxInFlight jobs running at once across all tenants (DataStoryBot calls are async, so hundreds are cheap)
 * @param maxWaiting jobs read from Kafka but not started before the worker stops reading; it must exceed one
 *     tenant's burst on a partition for other tenants' jobs behind that burst to be seen and scheduled
 * @param groupId consumer group of every worker instance
 * @param instanceId stable per instance: names the transactional producer, so a restarted instance fences its
 *     predecessor's unfinished transaction at once instead of waiting for it to time out
 * @param cacheTtl how long a result serves repeats of the same analysis
 */
public record WorkerConfig(
    KafkaSettings kafka,
    S3Settings s3,
    DataStoryBotConfig datastorybot,
    Path dataDir,
    int maxInFlight,
    int maxWaiting,
    String groupId,
    String instanceId,
    Duration cacheTtl) {

  public static final String DEFAULT_GROUP = "storystream-worker";
  public static final int DEFAULT_MAX_IN_FLIGHT = 500;
  public static final Duration DEFAULT_CACHE_TTL = Duration.ofDays(7);

  public WorkerConfig {
    if (maxInFlight < 1 || maxWaiting < 1) {
      throw new IllegalArgumentException("maxInFlight and maxWaiting must be positive");
    }
  }

  public static WorkerConfig of(KafkaSettings kafka, S3Settings s3, DataStoryBotConfig datastorybot, Path dataDir,
      int maxInFlight) {
    return new WorkerConfig(kafka, s3, datastorybot, dataDir, maxInFlight, Math.max(10_000, 4 * maxInFlight),
        DEFAULT_GROUP, "worker-1", DEFAULT_CACHE_TTL);
  }

  public WorkerConfig withInstanceId(String id) {
    return new WorkerConfig(kafka, s3, datastorybot, dataDir, maxInFlight, maxWaiting, groupId, id, cacheTtl);
  }

  public WorkerConfig withGroupId(String id) {
    return new WorkerConfig(kafka, s3, datastorybot, dataDir, maxInFlight, maxWaiting, id, instanceId, cacheTtl);
  }
}
