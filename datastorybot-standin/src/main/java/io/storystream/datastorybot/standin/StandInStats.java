package io.storystream.datastorybot.standin;

import java.util.EnumMap;
import java.util.Map;
import java.util.TreeMap;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.LongAdder;

/** Requests received per endpoint and responses per status, so tests can prove what was (not) called. */
public final class StandInStats {
  private final Map<Endpoint, LongAdder> requests = new EnumMap<>(Endpoint.class);
  private final Map<Integer, LongAdder> statuses = new ConcurrentHashMap<>();
  /** Analyses answered, per SHA-256 of the steering prompt (never the prompt itself); bounded, then not counted. */
  private final Map<String, LongAdder> analysesByPrompt = new ConcurrentHashMap<>();
  private static final int MAX_PROMPTS = 200_000;

  StandInStats() {
    for (Endpoint e : Endpoint.values()) {
      requests.put(e, new LongAdder());
    }
  }

  void request(Endpoint endpoint) {
    requests.get(endpoint).increment();
  }

  void response(int status) {
    statuses.computeIfAbsent(status, s -> new LongAdder()).increment();
  }

  /** One analysis answered 200 (the call DataStoryBot charges for) for this steering prompt. */
  void analysisServed(String steeringPrompt) {
    String key = digest(steeringPrompt);
    if (analysesByPrompt.size() < MAX_PROMPTS || analysesByPrompt.containsKey(key)) {
      analysesByPrompt.computeIfAbsent(key, k -> new LongAdder()).increment();
    }
  }

  /**
   * How many analyses were answered for this steering prompt: a fault campaign gives every job its own prompt and
   * so learns how often DataStoryBot was paid for one job.
   */
  public long analysesFor(String steeringPrompt) {
    LongAdder adder = analysesByPrompt.get(digest(steeringPrompt));
    return adder == null ? 0 : adder.sum();
  }

  private static String digest(String text) {
    try {
      return java.util.HexFormat.of().formatHex(java.security.MessageDigest.getInstance("SHA-256")
          .digest(text.getBytes(java.nio.charset.StandardCharsets.UTF_8)));
    } catch (java.security.NoSuchAlgorithmException e) {
      throw new IllegalStateException(e);
    }
  }

  public long requests(Endpoint endpoint) {
    return requests.get(endpoint).sum();
  }

  public long totalRequests() {
    return requests.values().stream().mapToLong(LongAdder::sum).sum();
  }

  public long responses(int status) {
    LongAdder adder = statuses.get(status);
    return adder == null ? 0 : adder.sum();
  }

  public void reset() {
    requests.values().forEach(LongAdder::reset);
    statuses.clear();
    analysesByPrompt.clear();
  }

  public Map<String, Object> snapshot() {
    Map<String, Object> out = new TreeMap<>();
    requests.forEach((e, n) -> out.put(e.name().toLowerCase(), n.sum()));
    out.put("total", totalRequests());
    Map<String, Long> byStatus = new TreeMap<>();
    statuses.forEach((s, n) -> byStatus.put(Integer.toString(s), n.sum()));
    out.put("responses", byStatus);
    return out;
  }
}
