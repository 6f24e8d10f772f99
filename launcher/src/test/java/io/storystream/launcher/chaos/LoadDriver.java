package io.storystream.launcher.chaos;

import com.fasterxml.jackson.databind.JsonNode;
import io.storystream.common.http.JsonMapper;
import java.io.IOException;
import java.io.InputStream;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Random;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicLong;

/**
 * Steady load from several tenants on different plans, as clients behave: uploads, submits with and without an
 * Idempotency-Key (retried with the same key when the answer is unclear, and now and then resent on purpose), long
 * polls on either ingress, downloads of results, charts and datasets, and cancels. Every answer goes to the
 * {@link Ledger}. Each thread's choices come from its own seeded generator.
 */
public final class LoadDriver implements AutoCloseable {
  /** A tenant of the campaign; {@code analysesPerMonth} null = the plan's own quota. */
  public record Tenant(String id, String plan, Integer analysesPerMonth) {}

  private static final Duration REQUEST_TIMEOUT = Duration.ofSeconds(40);

  private final List<Tenant> tenants;
  private final List<String> ingress;
  private final Ledger ledger;
  private final long seed;
  private final int threadsPerTenant;
  private final HttpClient http = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(5)).build();
  private final AtomicBoolean stopping = new AtomicBoolean();
  private final AtomicLong sequence = new AtomicLong();
  private final List<Thread> threads = new ArrayList<>();
  private final java.util.Map<String, String> keys = new java.util.concurrent.ConcurrentHashMap<>();
  private final byte[] csv;

  public LoadDriver(List<Tenant> tenants, List<String> ingress, Ledger ledger, long seed, int threadsPerTenant)
      throws IOException {
    this.tenants = tenants;
    this.ingress = ingress;
    this.ledger = ledger;
    this.seed = seed;
    this.threadsPerTenant = threadsPerTenant;
    try (InputStream in = LoadDriver.class.getResourceAsStream("/samples/saas_mrr.csv")) {
      csv = in.readAllBytes();
    }
  }

  /** Creates the tenants and a key each through the operator API. */
  public void provision(String operatorApi, String operatorToken) throws Exception {
    for (Tenant t : tenants) {
      String limits = "\"concurrentJobs\":50,\"requestsPerMinute\":100000"
          + (t.analysesPerMonth() == null ? "" : ",\"analysesPerMonth\":" + t.analysesPerMonth());
      HttpResponse<String> created = send(post(operatorApi + "/admin/tenants", operatorToken,
          "{\"tenantId\":\"" + t.id() + "\",\"name\":\"Chaos " + t.id() + "\",\"plan\":\"" + t.plan()
              + "\",\"limits\":{" + limits + "}}"));
      if (created.statusCode() != 201) {
        throw new IllegalStateException("tenant " + t.id() + ": " + created.statusCode() + " " + created.body());
      }
      HttpResponse<String> key = send(post(operatorApi + "/admin/tenants/" + t.id() + "/keys", operatorToken, "{}"));
      keys.put(t.id(), json(key.body()).path("apiKey").asText());
    }
    // the keys reach every ingress through the tenants topic: wait until each answers them
    for (Tenant t : tenants) {
      for (String base : ingress) {
        long deadline = System.nanoTime() + Duration.ofMinutes(2).toNanos();
        while (send(get(base + "/v1/files", keys.get(t.id()))).statusCode() != 200) {
          if (System.nanoTime() > deadline) {
            throw new IllegalStateException("key of " + t.id() + " unknown to " + base);
          }
          Thread.sleep(200); // waiting for the key to propagate
        }
      }
    }
  }

  public String keyOf(String tenant) {
    return keys.get(tenant);
  }

  public void start() {
    int n = 0;
    for (Tenant t : tenants) {
      for (int i = 0; i < threadsPerTenant; i++) {
        Random random = new Random(seed * 7919 + n++);
        Thread thread = new Thread(() -> loop(t, random), "load-" + t.id() + "-" + i);
        thread.setDaemon(true);
        threads.add(thread);
        thread.start();
      }
    }
  }

  /** Stops submitting; threads end their current step and exit. */
  @Override
  public void close() throws InterruptedException {
    stopping.set(true);
    for (Thread t : threads) {
      t.join(Duration.ofSeconds(90).toMillis());
    }
  }

  private void loop(Tenant tenant, Random random) {
    String key = keys.get(tenant.id());
    String fileId = null;
    while (!stopping.get()) {
      try {
        if (fileId == null || random.nextInt(10) == 0) {
          String uploaded = upload(tenant.id(), key, random);
          fileId = uploaded != null ? uploaded : fileId;
          if (fileId == null) {
            pause(1000);
            continue;
          }
        }
        String jobId = submit(tenant.id(), key, fileId, random);
        if (jobId == null) {
          pause(1000);
          continue;
        }
        if (random.nextInt(10) == 0) {
          pause(random.nextInt(1500));
          cancel(key, jobId, random);
        }
        String state = pollUntilEnd(key, jobId, random);
        if ("completed".equals(state)) {
          download(tenant.id(), key, jobId, random);
        } else if ("rejected".equals(state)) {
          pause(3000); // over quota: a client backs off instead of hammering
        }
      } catch (InterruptedException e) {
        return;
      } catch (Exception unexpected) {
        ledger.violation("load driver " + Thread.currentThread().getName() + ": " + unexpected);
        pause(1000);
      }
    }
  }

  private String base(Random random) {
    return ingress.get(random.nextInt(ingress.size()));
  }

  private String upload(String tenant, String key, Random random) throws InterruptedException {
    HttpResponse<String> answer = trySend("upload", HttpRequest.newBuilder(
            URI.create(base(random) + "/v1/files?name=chaos.csv")).timeout(REQUEST_TIMEOUT)
        .header("Authorization", "Bearer " + key).header("Content-Type", "text/csv")
        .POST(HttpRequest.BodyPublishers.ofByteArray(csv)).build());
    if (answer != null && answer.statusCode() == 201) {
      JsonNode body = json(answer.body());
      ledger.upload(tenant, body.path("id").asText(), body.path("rows").asLong());
      return body.path("id").asText();
    }
    if (answer == null) {
      ledger.unansweredUpload(tenant); // it may have been registered before the connection broke
    }
    // an upload answered anything but 201 wrote nothing (the ingress's contract)
    return null;
  }

  private String submit(String tenant, String key, String fileId, Random random) throws InterruptedException {
    String prompt = "chaos " + tenant + " angle " + sequence.incrementAndGet() + " of seed " + seed;
    String body = "{\"fileId\":\"" + fileId + "\",\"steeringPrompt\":\"" + prompt + "\"}";
    boolean keyed = random.nextBoolean();
    String idempotencyKey = keyed ? "chaos-" + seed + "-" + sequence.incrementAndGet() : null;
    for (int attempt = 0; attempt < (keyed ? 8 : 1); attempt++) {
      HttpRequest.Builder request = post(base(random) + "/v1/analyses", key, body);
      if (keyed) {
        request.header("Idempotency-Key", idempotencyKey);
      }
      HttpResponse<String> answer = trySend("submit", request.build());
      int status = answer == null ? 0 : answer.statusCode();
      if (status == 202 || (keyed && status == 200)) {
        String jobId = json(answer.body()).path("jobId").asText();
        ledger.accepted(jobId, tenant, prompt, fileId);
        if (keyed && random.nextInt(4) == 0) {
          resend(key, body, idempotencyKey, jobId, random); // a client that never saw its answer, asking again
        }
        return jobId;
      }
      if (status == 0 || status >= 500 || status == 429) {
        if (!keyed) {
          ledger.ambiguousSubmit(tenant); // no key, no safe retry: a job may exist that this client never heard of
          return null;
        }
        pause(1000 + random.nextInt(1000));
        continue;
      }
      if (status != 402 && status != 409) {
        ledger.violation("submit of " + tenant + " answered " + status + ": " + abbreviated(answer.body()));
      }
      return null;
    }
    ledger.ambiguousSubmit(tenant); // a keyed submit given up: the key may still name a job
    return null;
  }

  private void resend(String key, String body, String idempotencyKey, String jobId, Random random)
      throws InterruptedException {
    HttpResponse<String> again = trySend("submit-again", post(base(random) + "/v1/analyses", key, body)
        .header("Idempotency-Key", idempotencyKey).build());
    if (again != null && (again.statusCode() == 200 || again.statusCode() == 202)) {
      String other = json(again.body()).path("jobId").asText();
      if (!other.equals(jobId)) {
        ledger.violation("Idempotency-Key " + idempotencyKey + " named " + jobId + " and then " + other);
      }
    }
  }

  private void cancel(String key, String jobId, Random random) throws InterruptedException {
    HttpResponse<String> answer = trySend("cancel", post(base(random) + "/v1/analyses/" + jobId + "/cancel", key, "")
        .build());
    if (answer != null) {
      ledger.cancelAnswer(jobId, answer.statusCode());
      if (answer.statusCode() == 200) {
        observe(jobId, answer.body());
      }
    }
  }

  /** Long-polls until the job ends or the load stops; the state it ended in, or null. */
  private String pollUntilEnd(String key, String jobId, Random random) throws InterruptedException {
    while (!stopping.get()) {
      String state = poll(base(random), key, jobId, "20s");
      if (state != null && Ledger.TERMINAL.contains(state)) {
        return state;
      }
      if (state == null) {
        pause(500);
      }
    }
    return null;
  }

  /** One status call; the state answered, or null without a 200. */
  String poll(String base, String key, String jobId, String wait) throws InterruptedException {
    HttpResponse<String> answer = trySend("poll", get(base + "/v1/analyses/" + jobId + "?wait=" + wait, key).build());
    if (answer == null) {
      return null;
    }
    ledger.pollAnswer(jobId, answer.statusCode());
    if (answer.statusCode() == 404) {
      ledger.violation("job " + jobId + " answered 202 and later 404 (" + answer.body() + ")");
    }
    return answer.statusCode() == 200 ? observe(jobId, answer.body()) : null;
  }

  private String observe(String jobId, String body) {
    JsonNode job = json(body);
    String state = job.path("state").asText();
    String completedAt = job.path("completedAt").asText(null);
    ledger.status(jobId, state, job.path("reason").asText(null), job.path("fromCache").asBoolean(),
        completedAt == null ? null : Instant.parse(completedAt));
    return state;
  }

  private void download(String tenant, String key, String jobId, Random random) throws InterruptedException {
    String base = base(random);
    trySend("result", get(base + "/v1/analyses/" + jobId + "/result", key).build());
    if (random.nextBoolean()) {
      HttpResponse<String> chart = trySend("chart", get(base + "/v1/analyses/" + jobId + "/charts/0", key).build());
      if (chart != null && chart.statusCode() == 200) {
        ledger.billedDownload(tenant);
      } else if (chart == null) {
        ledger.unansweredDownload(tenant);
      }
    }
    if (random.nextInt(3) == 0) {
      HttpResponse<String> dataset = trySend("dataset", get(base + "/v1/analyses/" + jobId + "/dataset", key).build());
      if (dataset != null && dataset.statusCode() == 200) {
        ledger.billedDownload(tenant);
      } else if (dataset == null) {
        ledger.unansweredDownload(tenant);
      }
    }
  }

  // ---- HTTP -----------------------------------------------------------------------------------------------------

  /** Sends and records the answer; null when there was none (refused, reset, timed out). */
  HttpResponse<String> trySend(String operation, HttpRequest request) throws InterruptedException {
    try {
      HttpResponse<String> answer = send(request);
      ledger.answer(operation, answer.statusCode());
      return answer;
    } catch (IOException noAnswer) {
      ledger.answer(operation, 0);
      return null;
    }
  }

  private HttpResponse<String> send(HttpRequest request) throws IOException, InterruptedException {
    return http.send(request, HttpResponse.BodyHandlers.ofString());
  }

  private HttpResponse<String> send(HttpRequest.Builder request) throws IOException, InterruptedException {
    return send(request.build());
  }

  static HttpRequest.Builder post(String url, String token, String body) {
    return HttpRequest.newBuilder(URI.create(url)).timeout(REQUEST_TIMEOUT).header("Authorization", "Bearer " + token)
        .header("Content-Type", "application/json").POST(HttpRequest.BodyPublishers.ofString(body));
  }

  static HttpRequest.Builder get(String url, String token) {
    return HttpRequest.newBuilder(URI.create(url)).timeout(Duration.ofSeconds(75))
        .header("Authorization", "Bearer " + token);
  }

  static JsonNode json(String body) {
    try {
      return JsonMapper.shared().readTree(body);
    } catch (IOException e) {
      return JsonMapper.shared().createObjectNode();
    }
  }

  private static String abbreviated(String text) {
    return text.length() > 300 ? text.substring(0, 300) + "…" : text;
  }

  private void pause(long millis) {
    try {
      Thread.sleep(millis); // client back-off between attempts
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
    }
  }
}
