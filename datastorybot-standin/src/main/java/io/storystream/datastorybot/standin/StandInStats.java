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
