package io.storystream.datastorybot.standin;

import java.time.Clock;
import java.time.Duration;
import java.util.Set;

/**
 * How the stand-in runs.
 *
 * @param apiKeys        accepted Bearer keys; empty = no authentication (DataStoryBot's open beta)
 * @param maxUploadBytes the contract's 50 MB; larger uploads get 413
 * @param containerTtl   the contract's 20 minutes after upload, measured on {@code clock}
 */
public record StandInConfig(String host, int port, Set<String> apiKeys, Duration latency, long maxUploadBytes,
    Duration containerTtl, Clock clock) {
  public static final int DEFAULT_PORT = 8090;
  public static final long MAX_UPLOAD_BYTES = 50L * 1024 * 1024;
  public static final Duration CONTAINER_TTL = Duration.ofMinutes(20);

  public StandInConfig {
    apiKeys = Set.copyOf(apiKeys);
  }

  /** The embedded default: 127.0.0.1:8090, no key required. */
  public static StandInConfig defaults() {
    return new StandInConfig("127.0.0.1", DEFAULT_PORT, Set.of(), Duration.ZERO, MAX_UPLOAD_BYTES, CONTAINER_TTL,
        Clock.systemUTC());
  }

  /** A free port, otherwise the defaults. */
  public static StandInConfig forTests() {
    return defaults().withPort(0);
  }

  public StandInConfig withPort(int value) {
    return new StandInConfig(host, value, apiKeys, latency, maxUploadBytes, containerTtl, clock);
  }

  public StandInConfig withApiKeys(Set<String> value) {
    return new StandInConfig(host, port, value, latency, maxUploadBytes, containerTtl, clock);
  }

  public StandInConfig withLatency(Duration value) {
    return new StandInConfig(host, port, apiKeys, value, maxUploadBytes, containerTtl, clock);
  }

  public StandInConfig withMaxUploadBytes(long value) {
    return new StandInConfig(host, port, apiKeys, latency, value, containerTtl, clock);
  }

  public StandInConfig withClock(Clock value) {
    return new StandInConfig(host, port, apiKeys, latency, maxUploadBytes, containerTtl, value);
  }

  @Override
  public String toString() {
    return "StandInConfig[host=" + host + ", port=" + port + ", apiKeys=" + apiKeys.size() + " configured, latency="
        + latency + ", maxUploadBytes=" + maxUploadBytes + ", containerTtl=" + containerTtl + "]";
  }
}
