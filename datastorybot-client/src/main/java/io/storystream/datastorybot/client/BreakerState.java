package io.storystream.datastorybot.client;

/** The circuit breaker around the whole DataStoryBot service, as the worker sees it. */
public enum BreakerState {
  /** Calls flow. */
  CLOSED,
  /** DataStoryBot looks down: jobs fail fast with {@code circuit_open} so the worker pauses instead of retrying. */
  OPEN,
  /** A few trial calls decide whether to close again. */
  HALF_OPEN
}
