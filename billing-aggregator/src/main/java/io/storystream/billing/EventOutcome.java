package io.storystream.billing;

import java.time.Instant;
import java.time.YearMonth;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * What happened to a copy of a usage event that was not counted, kept per {@code tenantId:eventId} in the
 * {@link BillingTopology#EVENT_OUTCOMES} window store so that the operator can ask about one event: a duplicate of
 * the event with the same id, logged too late for its month, or invalid. Stored as tab-separated lines (kind, the
 * month the copy claims, detail) in one window per event id that starts when its first such copy was logged (so it is
 * kept for the dedup window from then, even for usage of a month long closed); an event id seen thousands of times
 * keeps the first {@value #MAX_KEPT} outcomes and counts the rest.
 */
record EventOutcome(String kind, String month, String detail) {
  static final String DUPLICATE_KIND = "duplicate";
  static final String TOO_LATE_KIND = BillingTopology.TOO_LATE;
  static final String INVALID_KIND = BillingTopology.INVALID_EVENT;
  static EventOutcome duplicate(YearMonth month) {
    return new EventOutcome(DUPLICATE_KIND, month.toString(), "a copy of an event already counted");
  }
  static final int MAX_KEPT = 20;

  static EventOutcome tooLate(YearMonth month, long loggedAt, long closesAt) {
    return new EventOutcome(TOO_LATE_KIND, month.toString(), "logged at " + Instant.ofEpochMilli(loggedAt)
        + ", after its month closed at " + Instant.ofEpochMilli(closesAt));
  }

  static EventOutcome invalid(YearMonth month, String reason) {
    return new EventOutcome(INVALID_KIND, month.toString(), reason);
  }

  /** The stored lines plus this outcome; past {@value #MAX_KEPT} lines only the last line's count grows. */
  static String append(String stored, EventOutcome outcome) {
    List<String> lines = stored == null || stored.isEmpty() ? new ArrayList<>()
        : new ArrayList<>(List.of(stored.split("\n")));
    if (lines.size() < MAX_KEPT) {
      lines.add(outcome.kind() + "\t" + outcome.month() + "\t" + outcome.detail().replace('\t', ' ').replace('\n', ' '));
    } else {
      String last = lines.get(lines.size() - 1);
      long more = last.startsWith("more\t") ? Long.parseLong(last.substring(last.lastIndexOf('\t') + 1)) + 1 : 1;
      if (more > 1) {
        lines.set(lines.size() - 1, "more\t\t" + more);
      } else {
        lines.add("more\t\t1");
      }
    }
    return String.join("\n", lines);
  }

  /** Counts by kind ({@code duplicate}, {@code too_late}, {@code invalid_event}, {@code more}) of stored lines. */
  static Map<String, Long> counts(String stored) {
    Map<String, Long> counts = new LinkedHashMap<>();
    for (EventOutcome o : parse(stored)) {
      counts.merge(o.kind(), o.kind().equals("more") ? Long.parseLong(o.detail()) : 1L, Long::sum);
    }
    return counts;
  }

  static List<EventOutcome> parse(String stored) {
    List<EventOutcome> outcomes = new ArrayList<>();
    if (stored == null || stored.isEmpty()) {
      return outcomes;
    }
    for (String line : stored.split("\n")) {
      String[] f = line.split("\t", 3);
      outcomes.add(new EventOutcome(f[0], f[1], f[2]));
    }
    return outcomes;
  }
}
