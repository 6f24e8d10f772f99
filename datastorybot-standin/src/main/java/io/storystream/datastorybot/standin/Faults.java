package io.storystream.datastorybot.standin;

import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.Random;

/**
 * The stand-in's fault switches, changeable while it runs (from tests, from flags at start-up, or through
 * {@code /_standin/faults}). A rule injects one fault on one endpoint (or all), a number of times, for ever, or with
 * a probability drawn from a seeded generator so runs are reproducible. Added latency applies to every API call.
 */
public final class Faults {
  /** Injects on any endpoint. */
  public static final Endpoint ANY = null;

  private record Rule(Endpoint endpoint, Fault fault, int remaining, double probability) {}

  private final List<Rule> rules = new ArrayList<>();
  private final Random random = new Random(42);
  private volatile Duration latency = Duration.ZERO;
  private volatile Duration retryAfter = Duration.ofSeconds(2);
  private volatile String failingFileMarker;

  /** Inject {@code fault} on the next {@code times} matching requests ({@code endpoint} null = any endpoint). */
  public synchronized Faults inject(Endpoint endpoint, Fault fault, int times) {
    rules.add(new Rule(endpoint, fault, times, 1));
    return this;
  }

  /** Inject {@code fault} on every matching request until {@link #clear()}. */
  public synchronized Faults always(Endpoint endpoint, Fault fault) {
    rules.add(new Rule(endpoint, fault, -1, 1));
    return this;
  }

  /** Inject {@code fault} on a matching request with the given probability until {@link #clear()}. */
  public synchronized Faults sometimes(Endpoint endpoint, Fault fault, double probability) {
    rules.add(new Rule(endpoint, fault, -1, probability));
    return this;
  }

  /**
   * Answer 500 to every upload whose file name contains {@code marker} (null: none), whatever other rules say: a
   * file that makes DataStoryBot fail, as opposed to DataStoryBot failing for everyone.
   */
  public Faults failFilesNamed(String marker) {
    failingFileMarker = marker;
    return this;
  }

  /** Whether an upload of this file name is to fail ({@link #failFilesNamed}). */
  public boolean failsFile(String fileName) {
    String marker = failingFileMarker;
    return marker != null && fileName != null && fileName.contains(marker);
  }

  /** Remove every rule (latency and Retry-After stay). */
  public synchronized Faults clear() {
    failingFileMarker = null;
    rules.clear();
    return this;
  }

  public Faults latency(Duration value) {
    latency = value;
    return this;
  }

  public Duration latency() {
    return latency;
  }

  /** The value sent in Retry-After with 429 and 503. */
  public Faults retryAfter(Duration value) {
    retryAfter = value;
    return this;
  }

  public Duration retryAfter() {
    return retryAfter;
  }

  /** The fault for this request, if any; consumes one use of a counted rule. */
  synchronized Optional<Fault> next(Endpoint endpoint) {
    for (int i = 0; i < rules.size(); i++) {
      Rule rule = rules.get(i);
      if ((rule.endpoint() != null && rule.endpoint() != endpoint) || !rule.fault().appliesTo(endpoint)) {
        continue;
      }
      if (rule.probability() < 1 && random.nextDouble() >= rule.probability()) {
        continue;
      }
      if (rule.remaining() > 0) {
        if (rule.remaining() == 1) {
          rules.remove(i);
        } else {
          rules.set(i, new Rule(rule.endpoint(), rule.fault(), rule.remaining() - 1, rule.probability()));
        }
      }
      return Optional.of(rule.fault());
    }
    return Optional.empty();
  }

  @Override
  public synchronized String toString() {
    return "Faults" + rules + " latency=" + latency + " retryAfter=" + retryAfter;
  }
}
