package io.storystream.datastorybot.client;

import io.github.resilience4j.circuitbreaker.CircuitBreaker;
import io.github.resilience4j.circuitbreaker.CircuitBreakerConfig;
import java.io.FileNotFoundException;
import java.io.IOException;
import java.net.URI;
import java.net.URLEncoder;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.net.http.HttpTimeoutException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.UUID;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionException;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicLong;
import java.util.function.Function;
import java.util.function.Supplier;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import org.slf4j.MDC;

/**
 * Runs DataStoryBot jobs (upload → analyze → refine → download charts and dataset) on the JDK HttpClient's async
 * API. Each HTTP exchange has its own timeout, each job an overall deadline. Transient failures back off with full
 * jitter (honouring Retry-After), a 500 is retried once, permanent failures fail the job with the upstream reason,
 * an expired container restarts the job from upload. Failures are attributed per tenant ({@link TenantBreakers}): a
 * tenant whose files make DataStoryBot fail opens its own breaker ({@code tenant_circuit_open}), and the service-wide
 * breaker opens only for an outage that hits every tenant, failing jobs fast with {@code circuit_open} instead of
 * burning retries.
 *
 * <p>The returned futures complete exceptionally with {@link DataStoryBotException} (wrapped in a
 * {@link CompletionException} by {@code join()}). Thread-safe; one instance per process is enough.
 */
public final class DataStoryBotClient implements AutoCloseable {
  private static final Logger log = LoggerFactory.getLogger(DataStoryBotClient.class);

  private final DataStoryBotConfig config;
  private final ExecutorService executor;
  private final HttpClient http;
  private final TenantBreakers breakers;
  private final CircuitBreaker breaker;
  private final Set<CompletableFuture<AnalysisResult>> inFlight = ConcurrentHashMap.newKeySet();
  private final CallObserver observer;
  private volatile boolean closed;

  public DataStoryBotClient(DataStoryBotConfig config) {
    this(config, CallObserver.NONE);
  }

  /** @param observer told about every HTTP attempt (metrics of latency and errors by step) */
  public DataStoryBotClient(DataStoryBotConfig config, CallObserver observer) {
    this.config = config;
    this.observer = observer;
    AtomicInteger threads = new AtomicInteger();
    this.executor = Executors.newCachedThreadPool(r -> {
      Thread t = new Thread(r, "datastorybot-http-" + threads.incrementAndGet());
      t.setDaemon(true);
      return t;
    });
    this.http = HttpClient.newBuilder().version(HttpClient.Version.HTTP_1_1).connectTimeout(config.connectTimeout())
        .executor(executor).build();
    DataStoryBotConfig.BreakerSettings b = config.breaker();
    this.breakers = new TenantBreakers(CircuitBreakerConfig.custom()
        .slidingWindowType(CircuitBreakerConfig.SlidingWindowType.COUNT_BASED)
        .slidingWindowSize(b.slidingWindowSize())
        .minimumNumberOfCalls(b.minimumCalls())
        .failureRateThreshold(b.failureRatePercent())
        .waitDurationInOpenState(b.openDuration())
        .permittedNumberOfCallsInHalfOpenState(b.halfOpenCalls())
        .clock(config.clock())
        .build());
    this.breaker = breakers.global();
  }

  /** Runs one job. Never throws: every failure completes the future with a {@link DataStoryBotException}. */
  public CompletableFuture<AnalysisResult> analyze(AnalysisJob job) {
    if (closed) {
      return CompletableFuture.failedFuture(new DataStoryBotException(DataStoryBotException.UPSTREAM_UNAVAILABLE,
          true, 0, null, "client is closed"));
    }
    CompletableFuture<AnalysisResult> result = new CompletableFuture<>();
    inFlight.add(result);
    result.whenComplete((v, e) -> inFlight.remove(result));
    try {
      new Job(job).run().whenComplete((value, error) -> {
        if (error == null) {
          result.complete(value);
        } else {
          result.completeExceptionally(asDataStoryBotException(job, error));
        }
      });
    } catch (RuntimeException e) {
      result.completeExceptionally(asDataStoryBotException(job, e));
    }
    return result;
  }

  /** The service-wide breaker: open only for an outage that hits every tenant. */
  public BreakerState breakerState() {
    return BreakerState.of(breaker.getState());
  }

  /** One tenant's breaker: open while DataStoryBot keeps failing on that tenant's jobs. */
  public BreakerState breakerState(String tenantId) {
    return breakers.stateOf(tenantId);
  }

  /** The service-wide resilience4j breaker itself, for metrics binding and event listeners. */
  public CircuitBreaker circuitBreaker() {
    return breaker;
  }

  public DataStoryBotConfig config() {
    return config;
  }

  /** Jobs still running; a closed client fails them (retryable) instead of leaving their futures pending. */
  public int jobsInFlight() {
    return inFlight.size();
  }

  @Override
  public void close() {
    closed = true;
    for (CompletableFuture<AnalysisResult> job : List.copyOf(inFlight)) {
      job.completeExceptionally(new DataStoryBotException(DataStoryBotException.UPSTREAM_UNAVAILABLE, true, 0, null,
          "client closed while the job was running"));
    }
    executor.shutdownNow();
  }

  private static DataStoryBotException asDataStoryBotException(AnalysisJob job, Throwable error) {
    Throwable cause = error;
    while ((cause instanceof CompletionException || cause instanceof java.util.concurrent.ExecutionException)
        && cause.getCause() != null) {
      cause = cause.getCause();
    }
    if (cause instanceof DataStoryBotException e) {
      return e;
    }
    if (cause instanceof ContainerGone) {
      return new DataStoryBotException(DataStoryBotException.CONTAINER_EXPIRED, true, 404, null,
          "job " + job.jobId() + ": container expired again after restarting from upload");
    }
    log.warn("job {}: unexpected client error {}", job.jobId(), cause.getClass().getName());
    return new DataStoryBotException(DataStoryBotException.UPSTREAM_UNAVAILABLE, true, 0, null,
        "job " + job.jobId() + ": unexpected client error " + cause.getClass().getSimpleName(), cause);
  }

  /** Internal signal: the container is gone, start again from upload. */
  private static final class ContainerGone extends RuntimeException {
    ContainerGone() {
      super("container gone", null, false, false);
    }
  }

  private enum Phase { UPLOAD, ANALYZE, REFINE, DOWNLOAD }

  private void observe(Phase phase, HttpResponse<byte[]> response, Throwable error, long nanos) {
    try {
      boolean timedOut = error != null && unwrap(error) instanceof HttpTimeoutException;
      observer.attempt(phase.name().toLowerCase(java.util.Locale.ROOT),
          CallObserver.outcomeOf(response == null ? 0 : response.statusCode(), timedOut), nanos);
    } catch (RuntimeException e) {
      log.debug("call observer failed: {}", e.getClass().getSimpleName()); // metrics never fail a job
    }
  }

  /** One job's state: deadline, timings, attempt counts. */
  private final class Job {
    private final AnalysisJob job;
    private final Instant deadline;
    private final long startNanos = System.nanoTime();
    private final AtomicLong[] phaseNanos = {new AtomicLong(), new AtomicLong(), new AtomicLong(), new AtomicLong()};
    private final AtomicInteger attempts = new AtomicInteger();
    private int restarts;
    /**
     * The job's ids for the log lines written on the HTTP client's threads (the caller's logging context plus the
     * job's tenant and id, under the same keys as storystream's LogContext); never a prompt or a file name.
     */
    private final Map<String, String> logContext;

    Job(AnalysisJob job) {
      this.job = job;
      Map<String, String> caller = MDC.getCopyOfContextMap();
      Map<String, String> context = caller == null ? new java.util.HashMap<>() : new java.util.HashMap<>(caller);
      context.put("job.id", job.jobId());
      if (job.tenantId() != null) {
        context.put("tenant.id", job.tenantId());
      }
      this.logContext = Map.copyOf(context);
      this.deadline = config.clock().instant().plus(config.jobDeadline());
    }

    CompletableFuture<AnalysisResult> run() {
      return fromUpload().exceptionallyCompose(error -> {
        if (unwrap(error) instanceof ContainerGone && restarts < config.retry().maxContainerRestarts()) {
          restarts++;
          log.info("job {}: container expired, starting again from upload (restart {})", job.jobId(), restarts);
          return run();
        }
        return CompletableFuture.failedFuture(error);
      });
    }

    private CompletableFuture<AnalysisResult> fromUpload() {
      return call(Phase.UPLOAD, false, this::uploadRequest, Contract::upload).thenCompose(upload ->
          call(Phase.ANALYZE, true, () -> json(Contract.ANALYZE,
              Contract.analyzeBody(upload.containerId(), job.steeringPrompt())), Contract::stories)
              .thenCompose(stories -> {
                if (stories.isEmpty()) {
                  throw new DataStoryBotException(DataStoryBotException.NO_STORIES, false, 200, null,
                      "job " + job.jobId() + ": DataStoryBot found no story angles; try another steering prompt");
                }
                Story chosen = stories.get(0);
                return call(Phase.REFINE, true, () -> json(Contract.REFINE,
                    Contract.refineBody(upload.containerId(), chosen.title(), job.refinementPrompt())), Contract::refined)
                    .thenCompose(refined -> download(upload.containerId(), refined))
                    .thenApply(files -> new AnalysisResult(List.copyOf(stories), chosen, files.narrative,
                        files.charts, files.dataset, timings()));
              }));
    }

    private record Downloaded(String narrative, List<Chart> charts, Dataset dataset) {}

    private CompletableFuture<Downloaded> download(String containerId, Contract.Refined refined) {
      long start = System.nanoTime();
      List<CompletableFuture<Chart>> charts = new ArrayList<>();
      for (Contract.ChartRef ref : refined.charts()) {
        charts.add(call(Phase.DOWNLOAD, true, () -> get(fileUri(containerId, ref.fileId())), body -> body)
            .thenApply(png -> new Chart(ref.fileName(), ref.caption(), png)));
      }
      CompletableFuture<Dataset> dataset = refined.dataset() == null ? CompletableFuture.completedFuture(null)
          : call(Phase.DOWNLOAD, true, () -> get(fileUri(containerId, refined.dataset().fileId())), body -> body)
              .thenApply(csv -> new Dataset(refined.dataset().fileName(), csv, refined.dataset().rows(),
                  refined.dataset().columns()));
      CompletableFuture<?>[] all = new CompletableFuture<?>[charts.size() + 1];
      charts.toArray(all);
      all[charts.size()] = dataset;
      return CompletableFuture.allOf(all)
          .whenComplete((v, e) -> phaseNanos[Phase.DOWNLOAD.ordinal()].addAndGet(System.nanoTime() - start))
          .thenApply(v -> new Downloaded(refined.narrative(),
              charts.stream().map(CompletableFuture::join).toList(), dataset.join()));
    }

    private CallTimings timings() {
      return new CallTimings(Duration.ofNanos(phaseNanos[0].get()), Duration.ofNanos(phaseNanos[1].get()),
          Duration.ofNanos(phaseNanos[2].get()), Duration.ofNanos(phaseNanos[3].get()),
          Duration.ofNanos(System.nanoTime() - startNanos), attempts.get(), restarts);
    }

    // --- one call with its retries ------------------------------------------------------------------------------

    private <T> CompletableFuture<T> call(Phase phase, boolean containerCall, Supplier<HttpRequest.Builder> request,
        Function<byte[], T> parser) {
      long start = System.nanoTime();
      CompletableFuture<T> result = attempt(new CallState<>(phase, containerCall, request, parser));
      if (phase == Phase.DOWNLOAD) {
        return result; // downloads run in parallel: download() measures their wall time as a whole
      }
      return result.whenComplete((v, e) -> phaseNanos[phase.ordinal()].addAndGet(System.nanoTime() - start));
    }

    private final class CallState<T> {
      final Phase phase;
      final boolean containerCall;
      final Supplier<HttpRequest.Builder> request;
      final Function<byte[], T> parser;
      int backOffs;
      int retriesOnce;
      boolean keyRefreshed;

      CallState(Phase phase, boolean containerCall, Supplier<HttpRequest.Builder> request, Function<byte[], T> parser) {
        this.phase = phase;
        this.containerCall = containerCall;
        this.request = request;
        this.parser = parser;
      }
    }

    private <T> CompletableFuture<T> attempt(CallState<T> call) {
      Duration remaining = Duration.between(config.clock().instant(), deadline);
      if (remaining.isNegative() || remaining.isZero()) {
        return CompletableFuture.failedFuture(deadlineExceeded(call.phase, 0));
      }
      if (job.control().cancelled()) {
        return CompletableFuture.failedFuture(new DataStoryBotException(DataStoryBotException.CANCELLED, false, 0,
            null, "job " + job.jobId() + ": cancelled, " + call.phase + " not sent"));
      }
      String refused = breakers.acquire(job.tenantId());
      if (refused != null) {
        boolean tenantOnly = refused.equals(DataStoryBotException.TENANT_CIRCUIT_OPEN);
        return CompletableFuture.failedFuture(new DataStoryBotException(refused, true, 0, null, "job " + job.jobId()
            + ": " + (tenantOnly ? "the tenant's" : "the") + " DataStoryBot circuit breaker is open, " + call.phase
            + " not sent"));
      }
      HttpRequest request;
      try {
        HttpRequest.Builder builder = call.request.get();
        Duration timeout = remaining.compareTo(config.callTimeout()) < 0 ? remaining : config.callTimeout();
        builder.timeout(timeout).header("User-Agent", "storystream-datastorybot-client");
        config.apiKey().current().ifPresent(key -> builder.header("Authorization", "Bearer " + key));
        request = builder.build();
      } catch (RuntimeException e) {
        breakers.release(job.tenantId());
        return CompletableFuture.failedFuture(e);
      }
      attempts.incrementAndGet();
      if (call.phase == Phase.ANALYZE) {
        job.control().analyzeSent(); // from here on the job may have cost an analysis
      }
      long sentAt = breaker.getCurrentTimestamp();
      long sentNanos = System.nanoTime();
      return http.sendAsync(request, HttpResponse.BodyHandlers.ofByteArray())
          .handle((response, error) -> {
            observe(call.phase, response, error, System.nanoTime() - sentNanos);
            return outcome(call, response, error, breaker.getCurrentTimestamp() - sentAt);
          })
          .thenCompose(Function.identity());
    }

    private <T> CompletableFuture<T> outcome(CallState<T> call, HttpResponse<byte[]> response, Throwable error,
        long elapsed) {
      Map<String, String> before = MDC.getCopyOfContextMap();
      MDC.setContextMap(logContext);
      try {
        return judge(call, response, error, elapsed);
      } finally {
        if (before == null) {
          MDC.clear();
        } else {
          MDC.setContextMap(before);
        }
      }
    }

    private <T> CompletableFuture<T> judge(CallState<T> call, HttpResponse<byte[]> response, Throwable error,
        long elapsed) {
      TimeUnit unit = breaker.getTimestampUnit();
      if (error != null) {
        Throwable cause = unwrap(error);
        breakers.failure(job.tenantId(), elapsed, unit, cause);
        if (cause instanceof FileNotFoundException || cause instanceof java.nio.file.NoSuchFileException) {
          return CompletableFuture.failedFuture(new DataStoryBotException(DataStoryBotException.INPUT_UNREADABLE,
              false, 0, null, "job " + job.jobId() + ": the CSV file cannot be read"));
        }
        String what = cause instanceof HttpTimeoutException ? "timed out" : "failed (" + cause.getClass().getSimpleName() + ")";
        log.info("job {}: {} attempt {}", job.jobId(), call.phase, what);
        return backOff(call, 0, null, Optional.empty());
      }
      int status = response.statusCode();
      RetryDecision decision = RetryDecision.of(status, call.containerCall);
      T parsed = null;
      if (decision == RetryDecision.SUCCESS) {
        try {
          parsed = call.parser.apply(response.body());
        } catch (Contract.InvalidResponse e) {
          breakers.failure(job.tenantId(), elapsed, unit, e);
          log.info("job {}: {} answered {} with an invalid body: {}", job.jobId(), call.phase, status, e.getMessage());
          if (call.retriesOnce++ < config.retry().attemptsOn500() - 1) {
            return retryAfterShortWait(call, status);
          }
          return CompletableFuture.failedFuture(new DataStoryBotException(
              DataStoryBotException.UPSTREAM_INVALID_RESPONSE, true, status, null,
              "job " + job.jobId() + ": " + call.phase + " returned an invalid response: " + e.getMessage()));
        }
      }
      if (decision.isServiceFailure()) {
        breakers.failure(job.tenantId(), elapsed, unit, new IOException("HTTP " + status));
      } else {
        breakers.success(job.tenantId(), elapsed, unit);
      }
      String upstreamError = decision == RetryDecision.SUCCESS ? null : Contract.errorCode(response.body());
      if (decision != RetryDecision.SUCCESS) {
        log.info("job {}: {} answered {} ({})", job.jobId(), call.phase, status, upstreamError);
      }
      switch (decision) {
        case SUCCESS:
          return CompletableFuture.completedFuture(parsed);
        case CONTAINER_GONE:
          return CompletableFuture.failedFuture(new ContainerGone());
        case UNAUTHORIZED:
          if (!call.keyRefreshed) {
            Optional<String> before = config.apiKey().current();
            config.apiKey().refresh();
            call.keyRefreshed = true;
            if (!config.apiKey().current().equals(before)) {
              log.info("job {}: DataStoryBot rejected the key; a rotated key was found, retrying", job.jobId());
              return attempt(call);
            }
          }
          log.error("job {}: DataStoryBot rejected the API key (401); the operator must fix the key", job.jobId());
          return CompletableFuture.failedFuture(permanent(call, status, upstreamError));
        case PERMANENT:
          return CompletableFuture.failedFuture(permanent(call, status, upstreamError));
        case RETRY_ONCE:
          if (call.retriesOnce++ < config.retry().attemptsOn500() - 1) {
            return retryAfterShortWait(call, status);
          }
          return CompletableFuture.failedFuture(new DataStoryBotException(DataStoryBotException.UPSTREAM_UNAVAILABLE,
              true, status, upstreamError, "job " + job.jobId() + ": " + call.phase + " failed with HTTP " + status
              + " twice"));
        default:
          return backOff(call, status, upstreamError, RetryDecision.retryAfter(response.headers(), config.clock()));
      }
    }

    private <T> CompletableFuture<T> backOff(CallState<T> call, int status, String upstreamError,
        Optional<Duration> retryAfter) {
      call.backOffs++;
      if (call.backOffs >= config.retry().maxAttempts()) {
        return CompletableFuture.failedFuture(new DataStoryBotException(DataStoryBotException.UPSTREAM_UNAVAILABLE,
            true, status, upstreamError, "job " + job.jobId() + ": " + call.phase + " still failing after "
            + call.backOffs + " attempts (last " + (status == 0 ? "no response" : "HTTP " + status) + ")"));
      }
      Duration wait = retryAfter.orElseGet(() -> fullJitter(call.backOffs));
      if (config.clock().instant().plus(wait).isAfter(deadline)) {
        return CompletableFuture.failedFuture(deadlineExceeded(call.phase, status));
      }
      log.debug("job {}: {} waits {} ms before attempt {}", job.jobId(), call.phase, wait.toMillis(), call.backOffs + 1);
      return config.sleeper().sleep(wait).thenCompose(v -> attempt(call));
    }

    /** The single retry after a 500 or an unreadable body, after one jittered base delay. */
    private <T> CompletableFuture<T> retryAfterShortWait(CallState<T> call, int status) {
      Duration wait = fullJitter(1);
      if (config.clock().instant().plus(wait).isAfter(deadline)) {
        return CompletableFuture.failedFuture(deadlineExceeded(call.phase, status));
      }
      return config.sleeper().sleep(wait).thenCompose(v -> attempt(call));
    }

    /** Full jitter: uniform in [0, min(cap, base·2^(n-1))]. */
    private Duration fullJitter(int backOffs) {
      DataStoryBotConfig.RetrySettings r = config.retry();
      long ceiling = r.baseDelay().toMillis() << Math.min(20, backOffs - 1);
      ceiling = Math.min(ceiling, r.maxDelay().toMillis());
      return Duration.ofMillis((long) (config.jitter().getAsDouble() * ceiling));
    }

    private DataStoryBotException permanent(CallState<?> call, int status, String upstreamError) {
      return new DataStoryBotException(DataStoryBotException.UPSTREAM_PERMANENT, false, status, upstreamError,
          "job " + job.jobId() + ": " + call.phase + " rejected with HTTP " + status
          + (upstreamError == null ? "" : " (" + upstreamError + ")"));
    }

    private DataStoryBotException deadlineExceeded(Phase phase, int status) {
      return new DataStoryBotException(DataStoryBotException.DEADLINE_EXCEEDED, true, status, null,
          "job " + job.jobId() + ": deadline of " + config.jobDeadline() + " reached during " + phase);
    }

    // --- requests ---------------------------------------------------------------------------------------------

    private HttpRequest.Builder uploadRequest() {
      if (!Files.isReadable(job.csvFile())) {
        throw new DataStoryBotException(DataStoryBotException.INPUT_UNREADABLE, false, 0, null,
            "job " + job.jobId() + ": the CSV file cannot be read");
      }
      String boundary = "storystream-" + UUID.randomUUID();
      String safeName = job.fileName().replaceAll("[\"\\r\\n\\\\]", "_");
      byte[] head = ("--" + boundary + "\r\nContent-Disposition: form-data; name=\"" + Contract.UPLOAD_FIELD
          + "\"; filename=\"" + safeName + "\"\r\nContent-Type: text/csv\r\n\r\n").getBytes(StandardCharsets.UTF_8);
      byte[] tail = ("\r\n--" + boundary + "--\r\n").getBytes(StandardCharsets.UTF_8);
      HttpRequest.BodyPublisher file;
      try {
        file = HttpRequest.BodyPublishers.ofFile(job.csvFile());
      } catch (FileNotFoundException e) {
        throw new DataStoryBotException(DataStoryBotException.INPUT_UNREADABLE, false, 0, null,
            "job " + job.jobId() + ": the CSV file cannot be read");
      }
      return HttpRequest.newBuilder(endpoint(Contract.UPLOAD))
          .header("Content-Type", "multipart/form-data; boundary=" + boundary)
          .POST(HttpRequest.BodyPublishers.concat(HttpRequest.BodyPublishers.ofByteArray(head), file,
              HttpRequest.BodyPublishers.ofByteArray(tail)));
    }

    private HttpRequest.Builder json(String path, byte[] body) {
      return HttpRequest.newBuilder(endpoint(path)).header("Content-Type", "application/json")
          .header("Accept", "application/json").POST(HttpRequest.BodyPublishers.ofByteArray(body));
    }

    private HttpRequest.Builder get(URI uri) {
      return HttpRequest.newBuilder(uri).GET();
    }

    private URI fileUri(String containerId, String fileId) {
      return endpoint(Contract.FILES + encode(containerId) + "/" + encode(fileId));
    }
  }

  private URI endpoint(String path) {
    return URI.create(config.baseUrl() + path);
  }

  private static String encode(String segment) {
    return URLEncoder.encode(segment, StandardCharsets.UTF_8).replace("+", "%20");
  }

  private static Throwable unwrap(Throwable error) {
    Throwable cause = error;
    while (cause instanceof CompletionException && cause.getCause() != null) {
      cause = cause.getCause();
    }
    return cause;
  }
}
