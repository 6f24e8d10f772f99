package io.storystream.datastorybot.client;

import java.net.URI;
import java.time.Clock;
import java.time.Duration;
import java.util.Objects;
import java.util.concurrent.ThreadLocalRandom;
import java.util.function.DoubleSupplier;

/**
 * How the client talks to DataStoryBot. Start from {@link #defaults(URI, ApiKeySource)} and adjust with the
 * {@code with…} methods. The clock drives the job deadline, Retry-After dates and the breaker's open period; the
 * sleeper does the waiting; the jitter source draws the random part of each backoff. All three are injectable so
 * tests run every path without sleeping.
 *
 * @param callTimeout    upper bound of one HTTP exchange (the contract suggests ~300 s for analyze and refine)
 * @param jobDeadline    upper bound of a whole job, retries and waits included
 * @param jitter         values in [0, 1) used for full-jitter backoff
 */
public record DataStoryBotConfig(URI baseUrl, ApiKeySource apiKey, Duration connectTimeout, Duration callTimeout,
    Duration jobDeadline, RetrySettings retry, BreakerSettings breaker, Clock clock, Sleeper sleeper,
    DoubleSupplier jitter) {

  /**
   * @param maxAttempts         attempts per call for transient failures (429, 502, 503, 504, busy, timeouts)
   * @param baseDelay           first backoff ceiling; doubles per attempt
   * @param maxDelay            cap of one backoff wait; a Retry-After is honoured as sent, as long as the job's
   *                            deadline allows it
   * @param attemptsOn500       attempts per call when DataStoryBot answers 500 (the contract says: retry once)
   * @param maxContainerRestarts how many times a job may start again from upload after its container expired
   */
  public record RetrySettings(int maxAttempts, Duration baseDelay, Duration maxDelay, int attemptsOn500,
      int maxContainerRestarts) {
    public static RetrySettings defaults() {
      return new RetrySettings(5, Duration.ofSeconds(1), Duration.ofSeconds(30), 2, 2);
    }
  }

  /**
   * Breaker over every HTTP attempt to the service (count-based window). Permanent client errors (400, 401, 413,
   * 422) do not count as failures: they say nothing about the service's health.
   */
  public record BreakerSettings(int slidingWindowSize, int minimumCalls, float failureRatePercent,
      Duration openDuration, int halfOpenCalls) {
    public static BreakerSettings defaults() {
      return new BreakerSettings(20, 10, 50f, Duration.ofSeconds(30), 3);
    }
  }

  public DataStoryBotConfig {
    Objects.requireNonNull(baseUrl, "baseUrl");
    apiKey = apiKey == null ? ApiKeySource.none() : apiKey;
    Objects.requireNonNull(connectTimeout, "connectTimeout");
    Objects.requireNonNull(callTimeout, "callTimeout");
    Objects.requireNonNull(jobDeadline, "jobDeadline");
    Objects.requireNonNull(retry, "retry");
    Objects.requireNonNull(breaker, "breaker");
    Objects.requireNonNull(clock, "clock");
    Objects.requireNonNull(sleeper, "sleeper");
    Objects.requireNonNull(jitter, "jitter");
    String text = baseUrl.toString();
    if (text.endsWith("/")) {
      baseUrl = URI.create(text.substring(0, text.length() - 1));
    }
  }

  public static DataStoryBotConfig defaults(URI baseUrl, ApiKeySource apiKey) {
    return new DataStoryBotConfig(baseUrl, apiKey, Duration.ofSeconds(10), Duration.ofSeconds(300),
        Duration.ofMinutes(15), RetrySettings.defaults(), BreakerSettings.defaults(), Clock.systemUTC(),
        Sleeper.system(), () -> ThreadLocalRandom.current().nextDouble());
  }

  public DataStoryBotConfig withCallTimeout(Duration value) {
    return new DataStoryBotConfig(baseUrl, apiKey, connectTimeout, value, jobDeadline, retry, breaker, clock, sleeper, jitter);
  }

  public DataStoryBotConfig withJobDeadline(Duration value) {
    return new DataStoryBotConfig(baseUrl, apiKey, connectTimeout, callTimeout, value, retry, breaker, clock, sleeper, jitter);
  }

  public DataStoryBotConfig withRetry(RetrySettings value) {
    return new DataStoryBotConfig(baseUrl, apiKey, connectTimeout, callTimeout, jobDeadline, value, breaker, clock, sleeper, jitter);
  }

  public DataStoryBotConfig withBreaker(BreakerSettings value) {
    return new DataStoryBotConfig(baseUrl, apiKey, connectTimeout, callTimeout, jobDeadline, retry, value, clock, sleeper, jitter);
  }

  /** Same clock for deadline, Retry-After and breaker, plus the sleeper that waits on it. */
  public DataStoryBotConfig withTime(Clock newClock, Sleeper newSleeper) {
    return new DataStoryBotConfig(baseUrl, apiKey, connectTimeout, callTimeout, jobDeadline, retry, breaker, newClock, newSleeper, jitter);
  }

  public DataStoryBotConfig withJitter(DoubleSupplier value) {
    return new DataStoryBotConfig(baseUrl, apiKey, connectTimeout, callTimeout, jobDeadline, retry, breaker, clock, sleeper, value);
  }

  public DataStoryBotConfig withApiKey(ApiKeySource value) {
    return new DataStoryBotConfig(baseUrl, value, connectTimeout, callTimeout, jobDeadline, retry, breaker, clock, sleeper, jitter);
  }
}
