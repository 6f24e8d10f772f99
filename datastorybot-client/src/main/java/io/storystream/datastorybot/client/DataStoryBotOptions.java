package io.storystream.datastorybot.client;

import java.net.URI;
import java.nio.file.Path;
import java.time.Clock;
import picocli.CommandLine.Option;

/**
 * The DataStoryBot flags every service that calls it shares ({@code @Mixin DataStoryBotOptions dataStoryBot}):
 * {@code --datastorybot-url} ↔ {@code DATASTORYBOT_URL}, {@code --datastorybot-api-key} ↔ {@code DATASTORYBOT_API_KEY},
 * {@code --datastorybot-api-key-file} ↔ {@code DATASTORYBOT_API_KEY_FILE} (re-read on a short TTL, wins over the
 * key). The default URL is the embedded stand-in's.
 */
public final class DataStoryBotOptions {
  public static final String STAND_IN_URL = "http://127.0.0.1:8090";

  @Option(names = "--datastorybot-url", defaultValue = "${env:DATASTORYBOT_URL:-" + STAND_IN_URL + "}",
      description = "DataStoryBot base URL (env DATASTORYBOT_URL; default the local stand-in ${DEFAULT-VALUE}).")
  public URI url;

  @Option(names = "--datastorybot-api-key", defaultValue = "${env:DATASTORYBOT_API_KEY}",
      description = "Bearer key for DataStoryBot (env DATASTORYBOT_API_KEY); prefer the key file.")
  String apiKey;

  @Option(names = "--datastorybot-api-key-file", defaultValue = "${env:DATASTORYBOT_API_KEY_FILE}",
      description = "File holding the Bearer key, re-read every 30 s so it can rotate (env DATASTORYBOT_API_KEY_FILE).")
  Path apiKeyFile;

  public ApiKeySource apiKeySource() {
    if (apiKeyFile != null) {
      return ApiKeySource.fromFile(apiKeyFile, ApiKeySource.DEFAULT_FILE_TTL, Clock.systemUTC());
    }
    return ApiKeySource.of(apiKey);
  }

  public DataStoryBotConfig config() {
    return DataStoryBotConfig.defaults(url, apiKeySource());
  }

  /** True when no real DataStoryBot was configured, so the embedded default should start the stand-in. */
  public boolean usesStandIn() {
    return URI.create(STAND_IN_URL).equals(url);
  }

  @Override
  public String toString() {
    return "DataStoryBotOptions[url=" + url + ", key=" + apiKeySource() + "]";
  }
}
