package io.storystream.datastorybot.client;

/**
 * Told about every HTTP attempt the client makes to DataStoryBot, for metrics: which step ({@code upload},
 * {@code analyze}, {@code refine}, {@code download}), how it ended (a small fixed set, see {@link #outcomeOf}), and
 * how long it took. Called on the client's threads; must be quick and must not throw.
 */
@FunctionalInterface
public interface CallObserver {
  CallObserver NONE = (step, outcome, nanos) -> { };

  void attempt(String step, String outcome, long nanos);

  /**
   * The outcome label of an attempt: {@code ok}, {@code rate_limited} (429), {@code client_error} (other 4xx),
   * {@code server_error} (5xx), {@code timeout}, {@code network_error} (no response).
   */
  static String outcomeOf(int status, boolean timedOut) {
    if (timedOut) {
      return "timeout";
    }
    if (status == 0) {
      return "network_error";
    }
    if (status < 400) {
      return "ok";
    }
    return status == 429 ? "rate_limited" : status < 500 ? "client_error" : "server_error";
  }
}
