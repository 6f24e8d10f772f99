package io.storystream.datastorybot.client;

import java.net.http.HttpHeaders;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.time.ZonedDateTime;
import java.time.format.DateTimeFormatter;
import java.time.format.DateTimeParseException;
import java.util.Optional;

/** How one upstream answer is treated, per the error table of the contract. */
enum RetryDecision {
  /** 2xx. */
  SUCCESS,
  /** 400, 401, 403, 413, 422 and other 4xx: the same request fails again. */
  PERMANENT,
  /** 401: permanent, unless the key source has a newer key. */
  UNAUTHORIZED,
  /** 404/410 on a container: the 20 minutes are over, start again from upload. */
  CONTAINER_GONE,
  /** 500 (and a 2xx body the contract does not describe): retry once, then fail. */
  RETRY_ONCE,
  /** 429, 409 busy, 502, 503, 504, other 5xx, timeouts, connection errors: exponential backoff with jitter. */
  BACK_OFF;

  static RetryDecision of(int status, boolean containerCall) {
    if (status >= 200 && status < 300) {
      return SUCCESS;
    }
    if (status == 401) {
      return UNAUTHORIZED;
    }
    if ((status == 404 || status == 410) && containerCall) {
      return CONTAINER_GONE;
    }
    if (status == 409 || status == 423 || status == 429) {
      return BACK_OFF;
    }
    if (status == 500) {
      return RETRY_ONCE;
    }
    if (status == 501 || status == 505) {
      return PERMANENT;
    }
    if (status >= 500) {
      return BACK_OFF;
    }
    return PERMANENT;
  }

  /** Whether this answer says something about the service's health (feeds the breaker). */
  boolean isServiceFailure() {
    return this == RETRY_ONCE || this == BACK_OFF;
  }

  /** Retry-After as delta-seconds or an HTTP date, relative to the injected clock. */
  static Optional<Duration> retryAfter(HttpHeaders headers, Clock clock) {
    Optional<String> value = headers.firstValue("Retry-After").map(String::strip);
    if (value.isEmpty() || value.get().isEmpty()) {
      return Optional.empty();
    }
    String text = value.get();
    try {
      long seconds = Long.parseLong(text);
      return Optional.of(Duration.ofSeconds(Math.max(0, seconds)));
    } catch (NumberFormatException notSeconds) {
      try {
        Instant at = ZonedDateTime.parse(text, DateTimeFormatter.RFC_1123_DATE_TIME).toInstant();
        Duration wait = Duration.between(clock.instant(), at);
        return Optional.of(wait.isNegative() ? Duration.ZERO : wait);
      } catch (DateTimeParseException notDate) {
        return Optional.empty();
      }
    }
  }
}
