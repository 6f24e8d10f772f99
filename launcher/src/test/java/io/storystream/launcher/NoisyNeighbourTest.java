package io.storystream.launcher;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import com.fasterxml.jackson.databind.JsonNode;
import io.storystream.common.http.JsonMapper;
import io.storystream.datastorybot.client.DataStoryBotException;
import io.storystream.testsupport.GeneratedInput;
import java.io.IOException;
import java.io.OutputStream;
import java.lang.management.ManagementFactory;
import java.net.Socket;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The noisy neighbour, on the whole system in one JVM (real broker, S3, registry, ingress, processor, billing,
 * DataStoryBot stand-in): while an attacker tenant sends CSV bombs of each shape, trickling uploads, a flood past its
 * rate limit, a flood with a revoked key and jobs whose files make the stand-in fail, a second tenant's jobs all
 * complete, never with {@code circuit_open}, its submit p99 stays within 3× of its own quiet run in this same test,
 * and the heap after a full GC returns to within 64 MB of where it started (the heap of the whole system here, so
 * an upper bound of the ingress's).
 */
class NoisyNeighbourTest {
  private static final int SUBMITS_PER_PHASE = 60;
  private static final long BOMB_BYTES = 24L * 1024 * 1024;
  private static final String CSV = "month,region,revenue\n2026-01,north,120\n2026-01,south,80\n2026-02,north,130\n"
      + "2026-02,south,95\n2026-03,north,150\n2026-03,south,70\n";

  @TempDir Path data;
  private final HttpClient http = HttpClient.newBuilder().version(HttpClient.Version.HTTP_1_1)
      .connectTimeout(Duration.ofSeconds(30)).build();
  private EmbeddedDefault system;

  @Test
  void aNoisyTenantCannotTakeWhatAQuietOneNeeds() throws Exception {
    system = new EmbeddedDefault(new EmbeddedDefault.Settings(data, "127.0.0.1", 0, 0, 0, "storystream", 0, 3, 0, 0,
        0, 0, null, null, null, 0, io.storystream.embedded.FreePorts.pick(), null)).start(); // operator token: generated, strong
    try {
      run();
    } finally {
      system.close();
    }
  }

  private void run() throws Exception {
    // both may run all their jobs at once (admission would otherwise reject past 5): the bounds under test are the
    // per-tenant ones of this issue, not the plan's concurrency
    String victim = tenant("quiet", "{\"requestsPerMinute\":100000,\"concurrentJobs\":100}");
    String attacker = tenant("noisy", "{\"requestsPerMinute\":60,\"concurrentJobs\":100}");
    // one key per attack, so each meets its own bound rather than the flood's rate limit
    String uploader = key("noisy");
    String submitter = key("noisy");
    String revoked = key("noisy");
    JsonNode revokedView = admin("GET", "/admin/tenants/noisy/keys", null);
    String revokedKeyId = revoked.substring(4, 34);
    assertThat(revokedView.toString()).contains(revokedKeyId);
    assertThat(status(adminRequest("DELETE", "/admin/keys/" + revokedKeyId, null))).isEqualTo(200);
    String victimFile = upload(victim, "sales.csv", CSV);
    String poisonFile = upload(submitter, "poison.csv", CSV);
    system.standIn().faults().failFilesNamed("poison");

    // a warm-up job, so the quiet run does not measure the first schema lookups and connections
    List<String> warm = submitAll(victim, victimFile, 3, "warm-up", new ArrayList<>());
    awaitEnded(victim, warm);

    long heapAtStart = heapAfterFullGc();
    List<Long> quietLatencies = new ArrayList<>();
    List<String> quietJobs = submitAll(victim, victimFile, SUBMITS_PER_PHASE, "quiet", quietLatencies);
    Map<String, JsonNode> quietEnds = awaitEnded(victim, quietJobs);

    AtomicBoolean attacking = new AtomicBoolean(true);
    Map<String, AtomicInteger> attackStatuses = new ConcurrentHashMap<>();
    ExecutorService attackers = Executors.newFixedThreadPool(6);
    List<Future<?>> attacks = new ArrayList<>();
    attacks.add(attackers.submit(() -> {
      bombs(uploader, attackStatuses);
      trickle(uploader, attacking, attackStatuses);
    }));
    attacks.add(attackers.submit(() -> flood(attacker, "rate", attacking, attackStatuses)));
    attacks.add(attackers.submit(() -> flood(revoked, "revoked", attacking, attackStatuses)));
    List<String> failingJobs = Collections.synchronizedList(new ArrayList<>());
    attacks.add(attackers.submit(() -> failingJobs.addAll(submitAll(submitter, poisonFile, 12, "poison", new ArrayList<>()))));

    List<Long> noisyLatencies = new ArrayList<>();
    List<String> noisyJobs;
    Map<String, JsonNode> noisyEnds;
    try {
      noisyJobs = submitAll(victim, victimFile, SUBMITS_PER_PHASE, "noisy", noisyLatencies);
      noisyEnds = awaitEnded(victim, noisyJobs);
    } finally {
      attacking.set(false);
      for (Future<?> attack : attacks) {
        attack.get(300, TimeUnit.SECONDS);
      }
      attackers.shutdown();
    }
    Map<String, JsonNode> attackerEnds = awaitEnded(submitter, failingJobs);
    long heapAtEnd = heapAfterFullGc();

    long quietP99 = p99(quietLatencies);
    long noisyP99 = p99(noisyLatencies);
    System.out.printf("NOISY-NEIGHBOUR victim submit p99: quiet %d ms, under attack %d ms (ratio %.2f); "
            + "p50 quiet %d ms, under attack %d ms; heap after full GC: start %d MB, end %d MB (%+d MB); "
            + "attack answers %s; attacker job ends %s%n", quietP99, noisyP99, (double) noisyP99 / Math.max(1, quietP99),
        p50(quietLatencies), p50(noisyLatencies), heapAtStart >> 20, heapAtEnd >> 20,
        (heapAtEnd - heapAtStart) >> 20, attackStatuses, reasons(attackerEnds));

    assertThat(states(quietEnds)).containsOnly("completed");
    assertThat(states(noisyEnds)).as("the quiet tenant's jobs under attack").containsOnly("completed");
    assertThat(reasons(noisyEnds)).doesNotContainKey(DataStoryBotException.CIRCUIT_OPEN);
    assertThat(noisyP99).as("submit p99 under attack vs quiet (%d ms)", quietP99).isLessThanOrEqualTo(3 * quietP99);
    assertThat(heapAtEnd - heapAtStart).as("heap growth after a full GC").isLessThan(64L * 1024 * 1024);
    // the attack met its bounds rather than succeeding
    assertThat(attackStatuses.keySet()).contains("rate:429", "revoked:401", "revoked:429")
        .doesNotContain("bomb:201").doesNotContain("trickle:201");
    assertThat(attackStatuses.keySet()).as("the bombs were refused (or the connection closed under them)")
        .containsAnyOf("bomb:422", "bomb:-1");
    assertThat(states(attackerEnds)).containsOnly("failed");
    assertThat(reasons(attackerEnds)).containsKey(DataStoryBotException.TENANT_CIRCUIT_OPEN)
        .doesNotContainKey(DataStoryBotException.CIRCUIT_OPEN);
  }

  // ---- the attacks ------------------------------------------------------------------------------------------------

  /** One upload of each hostile shape, generated as it is sent. */
  private void bombs(String key, Map<String, AtomicInteger> statuses) {
    String[][] shapes = {{"", ",", "\n"}, {"a,b\n", "1,", "1\n"}, {"a\n\"", "x", "\"\n"}, {"a\n", "x", "\n"}};
    for (String[] shape : shapes) {
      int status;
      try {
        HttpResponse<byte[]> r = http.send(tenantRequest(key, "POST", "/v1/files?name=bomb.csv",
            HttpRequest.BodyPublishers.ofInputStream(() -> new GeneratedInput(shape[0], shape[1], shape[2], BOMB_BYTES)))
            .header("Content-Type", "text/csv").build(), HttpResponse.BodyHandlers.ofByteArray());
        status = r.statusCode();
      } catch (IOException e) {
        status = -1; // the server answered early and closed: the client may see the reset instead
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
        return;
      }
      statuses.computeIfAbsent("bomb:" + status, k -> new AtomicInteger()).incrementAndGet();
    }
  }

  /** Two uploads trickling at 1 KB a second for as long as the attack lasts (or until the server cuts them off). */
  private void trickle(String key, AtomicBoolean attacking, Map<String, AtomicInteger> statuses) {
    List<Socket> sockets = new ArrayList<>();
    try {
      URI api = URI.create(system.tenantApi());
      for (int i = 0; i < 2; i++) {
        Socket socket = new Socket(api.getHost(), api.getPort());
        socket.setSoTimeout(1000);
        socket.getOutputStream().write(("POST /v1/files?name=slow.csv HTTP/1.1\r\nHost: x\r\nAuthorization: Bearer "
            + key + "\r\nContent-Type: text/csv\r\nContent-Length: 10000000\r\n\r\na,b\n")
            .getBytes(StandardCharsets.US_ASCII));
        sockets.add(socket);
      }
      byte[] row = ("1," + "x".repeat(1021) + "\n").getBytes(StandardCharsets.US_ASCII);
      while (attacking.get() && !sockets.isEmpty()) {
        for (Socket socket : List.copyOf(sockets)) {
          try {
            OutputStream out = socket.getOutputStream();
            out.write(row);
            out.flush();
          } catch (IOException cutOff) {
            statuses.computeIfAbsent("trickle:cut", k -> new AtomicInteger()).incrementAndGet();
            sockets.remove(socket);
          }
        }
        TimeUnit.SECONDS.sleep(1); // the pace of the slow client
      }
    } catch (IOException e) {
      statuses.computeIfAbsent("trickle:" + e.getClass().getSimpleName(), k -> new AtomicInteger()).incrementAndGet();
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
    } finally {
      for (Socket socket : sockets) {
        try {
          socket.close();
        } catch (IOException ignored) {
          // closing anyway
        }
      }
    }
  }

  private void flood(String key, String name, AtomicBoolean attacking, Map<String, AtomicInteger> statuses) {
    for (int i = 0; i < 2000 && attacking.get(); i++) {
      int status = status(tenantRequest(key, "GET", "/v1/files", null));
      statuses.computeIfAbsent(name + ":" + status, k -> new AtomicInteger()).incrementAndGet();
    }
  }

  // ---- the victim -------------------------------------------------------------------------------------------------

  private List<String> submitAll(String key, String fileId, int count, String label, List<Long> latencies) {
    List<String> jobs = new ArrayList<>();
    for (int i = 0; i < count; i++) {
      String body = "{\"fileId\":\"" + fileId + "\",\"steeringPrompt\":\"" + label + " angle " + i + "\"}";
      long t0 = System.nanoTime();
      HttpResponse<byte[]> r = send(tenantRequest(key, "POST", "/v1/analyses", HttpRequest.BodyPublishers.ofString(body))
          .header("Content-Type", "application/json"));
      latencies.add(TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - t0));
      assertThat(r.statusCode()).as(new String(r.body(), StandardCharsets.UTF_8)).isEqualTo(202);
      jobs.add(json(r).path("jobId").asText());
    }
    return jobs;
  }

  private Map<String, JsonNode> awaitEnded(String key, List<String> jobs) {
    Map<String, JsonNode> ended = new ConcurrentHashMap<>();
    await().atMost(Duration.ofSeconds(600)).pollInterval(Duration.ofMillis(500)).until(() -> {
      for (String job : jobs) {
        if (!ended.containsKey(job)) {
          JsonNode view = json(send(tenantRequest(key, "GET", "/v1/analyses/" + job, null)));
          String state = view.path("state").asText();
          if (state.equals("completed") || state.equals("failed") || state.equals("rejected")) {
            ended.put(job, view);
          }
        }
      }
      return ended.size() == jobs.size();
    });
    return ended;
  }

  private static List<String> states(Map<String, JsonNode> ends) {
    return ends.values().stream().map(v -> v.path("state").asText()).distinct().toList();
  }

  private static Map<String, Long> reasons(Map<String, JsonNode> ends) {
    Map<String, Long> reasons = new java.util.TreeMap<>();
    ends.values().forEach(v -> reasons.merge(v.path("reason").asText("none"), 1L, Long::sum));
    return reasons;
  }

  private static long p99(List<Long> latencies) {
    List<Long> sorted = latencies.stream().sorted().toList();
    return sorted.get((int) Math.ceil(sorted.size() * 0.99) - 1);
  }

  private static long p50(List<Long> latencies) {
    List<Long> sorted = latencies.stream().sorted().toList();
    return sorted.get(sorted.size() / 2);
  }

  private static long heapAfterFullGc() {
    System.gc();
    System.gc();
    return ManagementFactory.getMemoryMXBean().getHeapMemoryUsage().getUsed();
  }

  // ---- HTTP -------------------------------------------------------------------------------------------------------

  private String tenant(String tenantId, String limits) {
    JsonNode created = admin("POST", "/admin/tenants", "{\"tenantId\":\"" + tenantId + "\",\"name\":\"" + tenantId
        + "\",\"plan\":\"pro\",\"limits\":" + limits + "}");
    assertThat(created.path("tenantId").asText()).isEqualTo(tenantId);
    return key(tenantId);
  }

  private String key(String tenantId) {
    return admin("POST", "/admin/tenants/" + tenantId + "/keys", "{}").path("apiKey").asText();
  }

  private String upload(String key, String name, String csv) {
    HttpResponse<byte[]> r = send(tenantRequest(key, "POST", "/v1/files?name=" + name,
        HttpRequest.BodyPublishers.ofString(csv)).header("Content-Type", "text/csv"));
    assertThat(r.statusCode()).isEqualTo(201);
    return json(r).path("id").asText();
  }

  private HttpRequest.Builder tenantRequest(String key, String method, String path, HttpRequest.BodyPublisher body) {
    return HttpRequest.newBuilder(URI.create(system.tenantApi() + path)).timeout(Duration.ofSeconds(120))
        .header("Authorization", "Bearer " + key)
        .method(method, body == null ? HttpRequest.BodyPublishers.noBody() : body);
  }

  private HttpRequest.Builder adminRequest(String method, String path, String body) {
    return HttpRequest.newBuilder(URI.create(system.operatorApi() + path)).timeout(Duration.ofSeconds(60))
        .header("Authorization", "Bearer " + system.operatorToken()).header("Content-Type", "application/json")
        .method(method, body == null ? HttpRequest.BodyPublishers.noBody() : HttpRequest.BodyPublishers.ofString(body));
  }

  private JsonNode admin(String method, String path, String body) {
    HttpResponse<byte[]> r = send(adminRequest(method, path, body));
    assertThat(r.statusCode()).as(new String(r.body(), StandardCharsets.UTF_8)).isBetween(200, 299);
    return json(r);
  }

  private int status(HttpRequest.Builder request) {
    return send(request).statusCode();
  }

  private HttpResponse<byte[]> send(HttpRequest.Builder request) {
    try {
      return http.send(request.build(), HttpResponse.BodyHandlers.ofByteArray());
    } catch (IOException e) {
      throw new AssertionError("request failed: " + e, e);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new AssertionError("interrupted", e);
    }
  }

  private static JsonNode json(HttpResponse<byte[]> r) {
    try {
      return JsonMapper.shared().readTree(r.body());
    } catch (IOException e) {
      throw new AssertionError("not JSON: " + r.statusCode(), e);
    }
  }
}
