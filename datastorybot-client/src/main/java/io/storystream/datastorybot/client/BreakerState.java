package io.storystream.datastorybot.client;

/** A circuit breaker around DataStoryBot (the service-wide one, or one tenant's), as the worker sees it. */
public enum BreakerState {
  /** Calls flow. */
  CLOSED,
  /** DataStoryBot looks down: jobs fail fast with {@code circuit_open} so the worker pauses instead of retrying. */
  OPEN,
  /** A few trial calls decide whether to close again. */
  HALF_OPEN;

  static BreakerState of(io.github.resilience4j.circuitbreaker.CircuitBreaker.State state) {
    return switch (state) {
      case OPEN, FORCED_OPEN -> OPEN;
      case HALF_OPEN -> HALF_OPEN;
      default -> CLOSED;
    };
  }
}
