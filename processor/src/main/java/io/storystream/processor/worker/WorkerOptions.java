package io.storystream.processor.worker;

import io.storystream.common.config.PlatformOptions;
import io.storystream.datastorybot.client.ApiKeySource;
import io.storystream.datastorybot.client.DataStoryBotConfig;
import java.net.URI;
import java.nio.file.Path;
import java.time.Clock;
import java.time.Duration;
import picocli.CommandLine.Option;

/** The worker's own options, mixed into {@code worker} and {@code processor} alike so their names stay one. */
public final class WorkerOptions {

  @Option(names = "--datastorybot-url", defaultValue = "${env:DATASTORYBOT_URL:-http://127.0.0.1:8090}",
      description = "DataStoryBot base URL (env DATASTORYBOT_URL; default ${DEFAULT-VALUE}, the stand-in).")
  public String datastorybotUrl;

  @Option(names = "--datastorybot-api-key", defaultValue = "${env:DATASTORYBOT_API_KEY}",
      description = "DataStoryBot API key (env DATASTORYBOT_API_KEY).")
  public String datastorybotApiKey;

  @Option(names = "--datastorybot-api-key-file", defaultValue = "${env:DATASTORYBOT_API_KEY_FILE}",
      description = "File holding the API key, re-read so a rotated key is used without a restart (env DATASTORYBOT_API_KEY_FILE).")
  public Path datastorybotApiKeyFile;

  @Option(names = "--max-in-flight", defaultValue = "${env:STORYSTREAM_MAX_IN_FLIGHT:-500}",
      description = "Jobs running at once across all tenants (env STORYSTREAM_MAX_IN_FLIGHT; default ${DEFAULT-VALUE}).")
  public int maxInFlight;

  @Option(names = "--worker-instance-id", defaultValue = "${env:STORYSTREAM_WORKER_INSTANCE_ID}",
      description = "Stable, unique per worker instance; names its transactional producer (env "
          + "STORYSTREAM_WORKER_INSTANCE_ID; unset: worker-<host name>, so replicas of one container definition, "
          + "each with its own host name, never fence each other).")
  public String instanceId;

  /** The given id, or one derived from this host's name (unique per container). */
  public String instanceId() {
    if (instanceId != null && !instanceId.isBlank()) {
      return instanceId.trim();
    }
    String host = System.getenv("HOSTNAME");
    if (host == null || host.isBlank()) {
      try {
        host = java.net.InetAddress.getLocalHost().getHostName();
      } catch (java.net.UnknownHostException e) {
        throw new IllegalStateException("no --worker-instance-id given and this host has no name to derive one", e);
      }
    }
    return "worker-" + host.replaceAll("[^A-Za-z0-9._-]", "-");
  }

  public WorkerConfig config(PlatformOptions platform) {
    ApiKeySource key = datastorybotApiKeyFile != null
        ? ApiKeySource.fromFile(datastorybotApiKeyFile, Duration.ofSeconds(30), Clock.systemUTC())
        : datastorybotApiKey != null && !datastorybotApiKey.isBlank() ? ApiKeySource.of(datastorybotApiKey)
        : ApiKeySource.none();
    DataStoryBotConfig datastorybot = DataStoryBotConfig.defaults(URI.create(datastorybotUrl), key);
    return WorkerConfig.of(platform.kafka(), platform.s3(), datastorybot, platform.dataDir, maxInFlight)
        .withInstanceId(instanceId());
  }
}
