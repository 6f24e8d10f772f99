package io.storystream.ingress;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import com.fasterxml.jackson.databind.JsonNode;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Floods cost one audit event per key and minute, and refused keys are rate limited: a flood past the rate limit, a
 * flood with a revoked key and a flood with an unknown key, on the real broker, read back through the operator's
 * audit query (which reads the topic, not a copy on the heap).
 */
class RefusalAuditTest {
  @TempDir static Path dir;
  static IngressStack stack;
  static final io.storystream.testsupport.TestClock clock = io.storystream.testsupport.TestClock.ticking();

  @BeforeAll
  static void start() throws Exception {
    stack = new IngressStack(dir);
    stack.startInstance(clock);
  }

  @AfterAll
  static void stop() throws Exception {
    if (stack != null) {
      stack.close();
    }
  }

  @Test
  void floodsAreAggregatedPerKeyAndMinuteAndRefusedKeysAreLimited() {
    // an aggregated event carries the start of its minute
    Instant from = clock.instant().truncatedTo(java.time.temporal.ChronoUnit.MINUTES);
    IngressStack.Reply created = stack.admin("POST", "/admin/tenants",
        "{\"tenantId\":\"floody\",\"plan\":\"starter\",\"limits\":{\"requestsPerMinute\":5}}");
    assertThat(created.status()).as(created.text()).isEqualTo(201);
    String key = stack.key("floody", "{}");
    String revokedKey = stack.key("floody", "{}");
    String revokedKeyId = revokedKey.substring(4, 34);
    assertThat(stack.admin("DELETE", "/admin/keys/" + revokedKeyId, null).status()).isEqualTo(200);

    Flood flood = count(key, 45);
    assertWithinLimit(flood, 200, 5, 45, "5 requests a minute, then 429");

    Flood revoked = count(revokedKey, 50);
    assertWithinLimit(revoked, 401, 30, 50, "30 refusals a minute per key, then 429 without looking further");

    String unknownKey = "ssk_key_" + "a".repeat(26) + "_" + "b".repeat(43);
    Flood unknown = count(unknownKey, 40);
    assertWithinLimit(unknown, 401, 30, 40, "30 refusals a minute per unknown key, then 429");

    // the minute is over: its refusals are published as one event per key and kind
    clock.advance(Duration.ofMinutes(2));
    await().atMost(Duration.ofSeconds(60)).untilAsserted(() -> {
      List<JsonNode> refused = new ArrayList<>();
      for (JsonNode e : stack.admin("GET", "/admin/tenants/floody/audit?from=" + from, null).json().path("events")) {
        if (!e.path("outcome").asText().equals("success")) {
          refused.add(e);
        }
      }
      assertThat(refused).hasSize(2);
      JsonNode limited = refused.stream().filter(e -> e.path("outcome").asText().equals("rate_limited")).findFirst()
          .orElseThrow();
      assertThat(limited.path("count").asInt()).isEqualTo(flood.statuses().get(429));
      assertThat(limited.path("httpStatus").asInt()).isEqualTo(429);
      assertThat(limited.path("keyId").asText()).isEqualTo(key.substring(4, 34));
      assertThat(Instant.parse(limited.path("occurredAt").asText()).getEpochSecond() % 60).isZero();
      JsonNode denied = refused.stream().filter(e -> e.path("outcome").asText().equals("denied")).findFirst()
          .orElseThrow();
      assertThat(denied.path("count").asInt()).as("only the audited refusals: the 429s that followed are not")
          .isEqualTo(revoked.statuses().get(401));
      assertThat(denied.path("keyId").asText()).isEqualTo(revokedKeyId);
    });
    // a valid key from the same address is not held back by the refused keys' limit
    String other = stack.tenantWithKey("neighbour", "pro");
    assertThat(stack.get(other, "/v1/files").status()).isEqualTo(200);
  }

  /** The answers to a flood of calls, and how long it took (the buckets refill while it runs). */
  private record Flood(Map<Integer, Integer> statuses, Duration took) {}

  private static Flood count(String key, int calls) {
    Map<Integer, Integer> statuses = new HashMap<>();
    long t0 = System.nanoTime();
    for (int i = 0; i < calls; i++) {
      statuses.merge(stack.get(key, "/v1/files").status(), 1, Integer::sum);
    }
    return new Flood(statuses, Duration.ofNanos(System.nanoTime() - t0));
  }

  /**
   * A limit of {@code perMinute} lets exactly that many through at once, plus what its bucket refilled while the flood
   * ran (greedy refill: one token every minute / perMinute); every other call is 429.
   */
  private static void assertWithinLimit(Flood flood, int passed, int perMinute, int calls, String what) {
    long refilled = flood.took().toMillis() * perMinute / 60_000 + 1;
    assertThat(flood.statuses().keySet()).as(what).containsOnly(passed, 429);
    assertThat(flood.statuses().get(passed)).as(what + " (%d ms)", flood.took().toMillis())
        .isBetween(perMinute, (int) Math.min(calls, perMinute + refilled));
    assertThat(flood.statuses().get(passed) + flood.statuses().get(429)).isEqualTo(calls);
  }
}
