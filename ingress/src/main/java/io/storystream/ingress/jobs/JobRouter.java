package io.storystream.ingress.jobs;

import io.javalin.http.Context;
import io.storystream.common.http.Problem;
import io.storystream.common.http.ProblemException;
import io.storystream.common.logging.EveryFewSeconds;
import io.storystream.ingress.http.Gate;
import java.io.IOException;
import java.io.InputStream;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.Set;
import java.util.concurrent.CompletableFuture;
import org.apache.kafka.streams.errors.InvalidStateStoreException;
import org.apache.kafka.streams.state.HostInfo;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Sends a job question to the instance that holds the tenant's jobs. All of a tenant's jobs live in one partition of
 * the {@code jobs} store; interactive-query metadata names its active host and standbys. A request for a tenant
 * held elsewhere is forwarded there (same path, same key, a signature that marks it as forwarded); if the active host
 * cannot be reached — typically during a rebalance — a standby answers, and this instance answers from its own
 * replica when it is one.
 */
public final class JobRouter {
  private static final Logger log = LoggerFactory.getLogger(JobRouter.class);
  /** An instance that is down fails every forward to it: one line per instance every 10 s, with the count. */
  private final EveryFewSeconds unansweredLines = new EveryFewSeconds(Duration.ofSeconds(10));
  public static final String REQUEST_HASH_HEADER = "Storystream-Request-Hash";
  private static final List<String> RELAYED_HEADERS = List.of("Content-Type", "Content-Disposition", "Location",
      "Retry-After", REQUEST_HASH_HEADER);

  private final JobStatusView view;
  private final Gate gate;
  private final HttpClient http = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(2))
      .version(HttpClient.Version.HTTP_1_1).build();

  public JobRouter(JobStatusView view, Gate gate) {
    this.view = view;
    this.gate = gate;
  }

  /**
   * A local answer; may throw {@link InvalidStateStoreException} while the store migrates. {@code mayWait} is false
   * when it runs as the fallback of a failed forward (it must answer at once, not start a long poll).
   */
  public interface LocalAnswer {
    void answer(Context ctx, boolean mayWait) throws Exception;
  }

  /**
   * Answers here when this instance holds the tenant (or the request was forwarded here), otherwise relays the
   * owner's answer without holding a thread: the active host first, then standbys; when none answers, or the one
   * that answered does not know the job yet, this instance answers from its own replica.
   */
  public void route(Context ctx, String tenantId, Duration timeout, LocalAnswer local) throws Exception {
    if (gate.forwardedBySibling(ctx)) {
      answerLocally(ctx, local, true);
      return;
    }
    JobStatusView.Location location = view.locate(tenantId);
    List<HostInfo> candidates = new ArrayList<>();
    if (location.available() && !view.isSelf(location.active())) {
      candidates.add(location.active());
      if (!location.standbys().contains(view.self())) {
        location.standbys().stream().filter(h -> !view.isSelf(h)).forEach(candidates::add);
      }
    }
    if (candidates.isEmpty()) {
      answerLocally(ctx, local, true);
      return;
    }
    ctx.future(() -> forward(ctx, candidates, 0, timeout).thenAccept(outcome -> {
      if (outcome != Forwarded.RELAYED) {
        try {
          answerLocally(ctx, local, false);
        } catch (ProblemException e) {
          Problem answer = afterForward(outcome, e.problem());
          if (answer.status() == 503) {
            ctx.header("Retry-After", "1");
          }
          io.storystream.common.http.Problems.write(ctx, answer);
        } catch (Exception e) {
          throw new java.util.concurrent.CompletionException(e);
        }
      }
    }));
  }

  /**
   * What to answer when the owner did not relay an answer and this instance's own answer is the problem {@code
   * local}. Only the owner's own 404 (its store has read every request written before the question) proves a job
   * does not exist. When the owner answered 503 (its store moving or catching up) or did not answer at all (killed,
   * paused), a job answered 202 a moment ago may well exist: a 404 here would deny it, so the answer is the
   * documented 503 jobs-rebalancing and the client asks again. The fault campaign found those 404s after a kill -9
   * of an ingress and under load.
   */
  static Problem afterForward(Forwarded outcome, Problem local) {
    if (outcome == Forwarded.NOT_FOUND && local.status() == 503) {
      // the owner does not know it and this instance holds no replica: it does not exist
      return AnalysisRoutes.notFound().problem();
    }
    if (outcome != Forwarded.NOT_FOUND && local.status() == 404) {
      return Problem.of(503, "jobs-rebalancing", "Job store moving",
          "the instance holding this tenant's jobs could not answer yet; retry in a second");
    }
    return local;
  }

  private static void answerLocally(Context ctx, LocalAnswer local, boolean mayWait) throws Exception {
    try {
      local.answer(ctx, mayWait);
    } catch (InvalidStateStoreException migrating) {
      ctx.header("Retry-After", "1");
      throw new ProblemException(503, "jobs-rebalancing", "Job store moving",
          "the job store is moving between instances; retry in a second");
    }
  }

  /** What became of a forward: relayed; the owner answered 404 or 503 (not relayed); nobody answered. */
  enum Forwarded { RELAYED, NOT_FOUND, NOT_YET, UNREACHABLE }

  /** Completes with what became of the forward: relayed, answered 404/503 (not relayed), or nobody answered. */
  private CompletableFuture<Forwarded> forward(Context ctx, List<HostInfo> hosts, int index, Duration timeout) {
    if (index >= hosts.size()) {
      return CompletableFuture.completedFuture(Forwarded.UNREACHABLE);
    }
    HostInfo host = hosts.get(index);
    String pathAndQuery = ctx.path() + (ctx.queryString() == null ? "" : "?" + ctx.queryString());
    HttpRequest.Builder request = HttpRequest.newBuilder(URI.create("http://" + host.host() + ":" + host.port() + pathAndQuery))
        .timeout(timeout)
        .header(Gate.FORWARDED_HEADER, gate.forwardSignature(ctx, host.host() + ":" + host.port(), ctx.method().name(),
            pathAndQuery))
        .method(ctx.method().name(), HttpRequest.BodyPublishers.noBody()); // GETs, and body-less POSTs (cancel)
    for (String name : List.of("Authorization", "X-Api-Key", "X-Request-Id")) {
      String value = name.equals("X-Request-Id") ? ctx.attribute("requestId") : ctx.header(name);
      if (value != null) {
        request.header(name, value);
      }
    }
    return http.sendAsync(request.build(), HttpResponse.BodyHandlers.ofInputStream())
        .handle((response, error) -> {
          if (error != null) {
            String instance = host.host() + ":" + host.port();
            long unanswered = unansweredLines.occurred(instance);
            if (unanswered > 0) {
              log.warn("instance {} did not answer for {} ({} forwards unanswered since the last line): {}", instance,
                  ctx.path(), unanswered, error.toString());
            }
            return forward(ctx, hosts, index + 1, timeout);
          }
          if (response.statusCode() == 404 || response.statusCode() == 503) {
            closeQuietly(response.body());
            // not there (yet): this instance's replica and its recent submits decide
            return CompletableFuture.completedFuture(
                response.statusCode() == 404 ? Forwarded.NOT_FOUND : Forwarded.NOT_YET);
          }
          relay(ctx, response);
          return CompletableFuture.completedFuture(Forwarded.RELAYED);
        })
        .thenCompose(f -> f);
  }

  private static void closeQuietly(InputStream in) {
    try {
      in.close();
    } catch (IOException ignored) {
      // nothing to release
    }
  }

  private static void relay(Context ctx, HttpResponse<InputStream> response) {
    ctx.status(response.statusCode());
    for (String name : RELAYED_HEADERS) {
      response.headers().firstValue(name).ifPresent(v -> ctx.header(name, v));
    }
    ctx.result(response.body());
  }

  public boolean forwarded(Context ctx) {
    return gate.forwardedBySibling(ctx);
  }

  /**
   * Asks the owner of the tenant's jobs for one job (for the idempotency check of a submit arriving here). Empty when
   * the owner does not know it or cannot be reached.
   */
  public Optional<JobView> fetchJob(Context ctx, HostInfo host, String jobId) {
    String path = "/v1/analyses/" + jobId;
    HttpRequest.Builder request = HttpRequest.newBuilder(URI.create("http://" + host.host() + ":" + host.port() + path))
        .timeout(Duration.ofSeconds(5))
        .header(Gate.FORWARDED_HEADER, gate.forwardSignature(ctx, host.host() + ":" + host.port(), "GET", path)).GET();
    for (String name : List.of("Authorization", "X-Api-Key")) {
      String value = ctx.header(name);
      if (value != null) {
        request.header(name, value);
      }
    }
    try {
      HttpResponse<byte[]> response = http.send(request.build(), HttpResponse.BodyHandlers.ofByteArray());
      if (response.statusCode() != 200) {
        return Optional.empty();
      }
      var json = io.storystream.ingress.http.Json.mapper().readTree(response.body());
      List<String> flags = new ArrayList<>();
      json.path("promptFlags").forEach(f -> flags.add(f.asText()));
      return Optional.of(new JobView(json.path("jobId").asText(), null, json.path("fileId").asText(),
          json.path("state").asText().toUpperCase(java.util.Locale.ROOT), 0, null, null, null,
          json.path("fromCache").asBoolean(), null, response.headers().firstValue(REQUEST_HASH_HEADER).orElse(null),
          null, flags, millis(json, "submittedAt"), millis(json, "updatedAt"), null, null,
          json.hasNonNull("position") ? json.get("position").asInt() : null));
    } catch (IOException e) {
      log.warn("instance {}:{} did not answer a job lookup: {}", host.host(), host.port(), e.toString());
      return Optional.empty();
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      return Optional.empty();
    }
  }

  private static Long millis(com.fasterxml.jackson.databind.JsonNode json, String field) {
    String text = json.path(field).asText(null);
    return text == null ? null : java.time.Instant.parse(text).toEpochMilli();
  }

  /** The hosts that may answer for a tenant (for diagnostics and tests). */
  public Set<HostInfo> replicas(String tenantId) {
    JobStatusView.Location location = view.locate(tenantId);
    Set<HostInfo> hosts = new java.util.HashSet<>(location.standbys());
    if (location.available()) {
      hosts.add(location.active());
    }
    return hosts;
  }
}
