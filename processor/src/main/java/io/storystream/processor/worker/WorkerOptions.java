package io.storystream.processor.worker;

import io.storystream.common.config.PlatformOptions;
import io.storystream.datastorybot.client.DataStoryBotOptions;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;

/**
 * The worker's own options, mixed into {@code worker} and {@code processor} alike so their names stay one; the
 * DataStoryBot flags are the client's own ({@link DataStoryBotOptions}).
 */
public final class WorkerOptions {

  @Mixin public DataStoryBotOptions datastorybot;

  @Option(names = "--max-in-flight", defaultValue = "${env:STORYSTREAM_MAX_IN_FLIGHT:-500}",
      description = "Jobs running at once across all tenants (env STORYSTREAM_MAX_IN_FLIGHT; default ${DEFAULT-VALUE}).")
  public int maxInFlight;

  @Option(names = "--worker-instance-id", defaultValue = "${env:STORYSTREAM_WORKER_INSTANCE_ID:-worker-1}",
      description = "Stable, unique per worker instance; names its transactional producer (env STORYSTREAM_WORKER_INSTANCE_ID).")
  public String instanceId;

  public WorkerConfig config(PlatformOptions platform) {
    return WorkerConfig.of(platform.kafka(), platform.s3(), datastorybot.config(), platform.dataDir, maxInFlight)
        .withInstanceId(instanceId);
  }
}
