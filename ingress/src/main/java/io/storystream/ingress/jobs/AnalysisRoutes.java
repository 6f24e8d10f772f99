package io.storystream.ingress.jobs;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import com.github.benmanes.caffeine.cache.Cache;
import com.github.benmanes.caffeine.cache.Caffeine;
import io.javalin.http.Context;
import io.storystream.common.Ids;
import io.storystream.common.blob.BlobStore;
import io.storystream.common.http.Problem;
import io.storystream.common.http.ProblemException;
import io.storystream.common.results.ResultDocument;
import io.storystream.ingress.api.AnalysisBodies;
import io.storystream.ingress.auth.ApiKeyCodec;
import io.storystream.ingress.auth.Principal;
import io.storystream.ingress.auth.Scope;
import io.storystream.ingress.files.FileCatalog;
import io.storystream.ingress.http.Attrs;
import io.storystream.ingress.http.Json;
import io.storystream.ingress.http.JsonBodies;
import io.storystream.ingress.http.Route;
import io.storystream.ingress.kafka.EventPublisher;
import io.storystream.schemas.AnalysisRequest;
import io.storystream.schemas.JobCancellation;
import io.storystream.schemas.UsageEvent;
import io.storystream.schemas.UsageType;
import io.storystream.schemas.topics.TenantKeys;
import io.storystream.schemas.topics.Topics;
import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.Base64;
import java.util.Comparator;
import java.util.HexFormat;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.regex.Pattern;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import software.amazon.awssdk.core.ResponseInputStream;
import software.amazon.awssdk.services.s3.model.GetObjectResponse;

/**
 * {@code /v1/analyses}: asynchronous submit (202 + Location, idempotent by {@code Idempotency-Key}), status with
 * long polling, the tenant's job list, and the results the processor stored under the tenant's prefix.
 */
public final class AnalysisRoutes {
  private static final Logger log = LoggerFactory.getLogger(AnalysisRoutes.class);
  private static final Set<String> FIELDS = JsonBodies.fieldsOf(AnalysisBodies.SubmitAnalysis.class);
  private static final Pattern IDEMPOTENCY_KEY = Pattern.compile("[A-Za-z0-9._:-]{1,128}");
  private static final int MAX_BODY = 64 * 1024;
  static final Duration MAX_WAIT = Duration.ofSeconds(60);
  private static final char[] BASE32 = "0123456789abcdefghjkmnpqrstvwxyz".toCharArray();

  private final FileCatalog files;
  private final JobStatusView jobs;
  private final JobRouter router;
  private final BlobStore blobs;
  private final EventPublisher publisher;
  private final ApiKeyCodec codec;
  private final Clock clock;
  /** Jobs submitted here in the last minutes: answers a poll that arrives before the store has the job. */
  private final Cache<String, JobView> recent = Caffeine.newBuilder()
      .expireAfterWrite(Duration.ofMinutes(10)).maximumSize(100_000).build();

  public AnalysisRoutes(FileCatalog files, JobStatusView jobs, JobRouter router, BlobStore blobs,
                        EventPublisher publisher, ApiKeyCodec codec, Clock clock) {
    this.files = files;
    this.jobs = jobs;
    this.router = router;
    this.blobs = blobs;
    this.publisher = publisher;
    this.codec = codec;
    this.clock = clock;
  }

  public List<Route> routes() {
    return List.of(
        Route.post("/v1/analyses").tenant(Scope.ANALYSES_WRITE).audit("job.submit", null)
            .doc("submitAnalysis", "Submit an analysis of an uploaded file (asynchronous; optional Idempotency-Key)")
            .body(AnalysisBodies.SubmitAnalysis.class)
            .returns(202, "accepted; Location names the job", AnalysisBodies.Job.class)
            .reply(400, "malformed JSON or Idempotency-Key").problems(400, "invalid-idempotency-key")
            .reply(404, "no such file").problems(404, "file-not-found")
            .reply(422, "invalid fields, empty or too long prompt, or Idempotency-Key reused with another body")
            .problems(422, "missing-field", "invalid-field", "empty-prompt", "prompt-too-long",
                "idempotency-key-reused")
            .reply(503, "could not be queued, or the file catalogue is catching up")
            .problems(503, "unavailable", "files-catching-up")
            .handle(this::submit),
        Route.get("/v1/analyses").tenant(Scope.ANALYSES_READ).audit("job.list", null)
            .doc("listAnalyses", "The tenant's jobs, newest first, paged")
            .query("state", "string", "only jobs in this state (queued, admitted, running, completed, failed, "
                + "rejected, cancelled)")
            .query("status", "string", "the same filter under its older name")
            .query("since", "string", "only jobs submitted at or after this instant (ISO-8601, e.g. 2026-11-30T00:00:00Z)")
            .query("limit", "integer", "page size, 1–100 (default 20)")
            .query("pageToken", "string", "nextPageToken of the previous page")
            .returns(200, "a page of jobs", AnalysisBodies.JobPage.class)
            .reply(400, "bad query parameter").problems(400, "invalid-query").apply(AnalysisRoutes::routed)
            .handle(this::list),
        Route.get("/v1/analyses/{jobId}").tenant(Scope.ANALYSES_READ).audit("job.read", "jobId")
            .doc("getAnalysis", "A job's status; ?wait=30s returns as soon as it changes")
            .query("wait", "string", "long-poll up to this long (e.g. 30s, 1500ms; at most 60s)")
            .returns(200, "the job", AnalysisBodies.Job.class).reply(400, "bad wait").problems(400, "invalid-wait")
            .apply(AnalysisRoutes::ofOneJob)
            .handle(this::get),
        Route.post("/v1/analyses/{jobId}/cancel").tenant(Scope.ANALYSES_WRITE).audit("job.cancel", "jobId")
            .doc("cancelAnalysis", "Cancel a job: a queued one never starts, a running one makes no further "
                + "DataStoryBot call and stores no result; a cancelled job is not billed and its quota unit returns "
                + "unless DataStoryBot's analyze was already called")
            .returns(200, "the job, cancelled", AnalysisBodies.Job.class)
            .returns(202, "cancel requested; the job had not stopped within 10 s", AnalysisBodies.Job.class)
            .reply(409, "the job already ended").problems(409, "job-ended").apply(AnalysisRoutes::ofOneJob)
            .reply(503, "could not be requested, or the job store is moving or catching up")
            .problems(503, "unavailable")
            .handle(this::cancel),
        Route.get("/v1/analyses/{jobId}/result").tenant(Scope.ANALYSES_READ).audit("result.read", "jobId")
            .doc("getAnalysisResult", "Stories, narrative and links to charts and dataset of a completed job")
            .returns(200, "the result", AnalysisBodies.AnalysisResult.class).apply(AnalysisRoutes::ofCompletedJob)
            .handle(this::result),
        Route.get("/v1/analyses/{jobId}/charts/{n}").tenant(Scope.ANALYSES_READ).audit("chart.read", "jobId")
            .doc("getAnalysisChart", "Chart n (0-based) of a completed job, as PNG")
            .reply(200, "the chart", "image/png").apply(AnalysisRoutes::ofCompletedJob)
            .reply(404, "no such job or chart")
            .handle(this::chart),
        Route.get("/v1/analyses/{jobId}/dataset").tenant(Scope.ANALYSES_READ).audit("dataset.read", "jobId")
            .doc("getAnalysisDataset", "The filtered dataset of a completed job, as CSV")
            .reply(200, "the dataset", "text/csv").apply(AnalysisRoutes::ofCompletedJob)
            .reply(404, "no such job or dataset")
            .handle(this::dataset));
  }

  /** A route answered where the tenant's jobs are ({@link JobRouter}): 503 while that store moves. */
  private static Route.Builder routed(Route.Builder route) {
    return route.reply(503, "the job store is moving or catching up; see Retry-After")
        .problems(503, "jobs-rebalancing");
  }

  /** A route about one job: 404 for a job that does not exist, 503 while the store catches up with recent submits. */
  private static Route.Builder ofOneJob(Route.Builder route) {
    return routed(route).reply(404, "no such job").problems(404, "not-found").problems(503, "jobs-catching-up");
  }

  /** A route about a completed job's result: also 409 while it has not completed. */
  private static Route.Builder ofCompletedJob(Route.Builder route) {
    return ofOneJob(route).reply(409, "the job has not completed").problems(409, "job-not-completed");
  }

  // ---- submit ---------------------------------------------------------------------------------------------------

  private void submit(Context ctx) throws Exception {
    Principal principal = Attrs.principal(ctx);
    String tenantId = principal.tenantId();
    ObjectNode body = JsonBodies.readObject(ctx, MAX_BODY, FIELDS);
    String fileId = textField(body, "fileId", true);
    String steeringRaw = textField(body, "steeringPrompt", false);
    String refinementRaw = textField(body, "refinementPrompt", false);
    PromptPolicy.Cleaned steering = PromptPolicy.clean("steeringPrompt", steeringRaw, PromptPolicy.MAX_STEERING);
    PromptPolicy.Cleaned refinement = PromptPolicy.clean("refinementPrompt", refinementRaw, PromptPolicy.MAX_REFINEMENT);
    String idempotencyKey = ctx.header("Idempotency-Key");
    if (idempotencyKey != null && !IDEMPOTENCY_KEY.matcher(idempotencyKey).matches()) {
      throw new ProblemException(400, "invalid-idempotency-key", "Invalid Idempotency-Key",
          "an Idempotency-Key has 1–128 characters of A–Z, a–z, 0–9 and . _ : -");
    }
    FileCatalog.Lookup file = files.findFresh(tenantId, fileId);
    if (file.file().isEmpty() && !file.certain()) {
      // uploaded through another instance a moment ago, perhaps: this copy could not tell in time
      ctx.header("Retry-After", "1");
      throw new ProblemException(503, "files-catching-up", "File catalogue catching up",
          "this instance's copy of the file catalogue is catching up; retry in a second");
    }
    if (file.file().isEmpty()) {
      throw new ProblemException(Problem.of(404, "file-not-found", "File not found", "no such file")
          .with("reason", "file_not_found"));
    }
    String requestHash = requestHash(fileId, steeringRaw, refinementRaw);
    String jobId = idempotencyKey == null ? Ids.newId("job") : derivedJobId(tenantId, idempotencyKey);
    Attrs.auditResource(ctx, jobId);
    if (idempotencyKey != null) {
      Optional<JobView> earlier = findForIdempotency(ctx, tenantId, jobId);
      if (earlier.isPresent()) {
        if (!requestHash.equals(earlier.get().requestHash())) {
          throw new ProblemException(422, "idempotency-key-reused", "Idempotency-Key reused",
              "this Idempotency-Key was used for a different request body");
        }
        ctx.header("Idempotent-Replayed", "true");
        ctx.header("Location", "/v1/analyses/" + jobId);
        Json.write(ctx, 202, publicView(earlier.get()));
        return;
      }
    }
    Instant now = clock.instant();
    List<String> flags = PromptPolicy.merge(steering, refinement);
    AnalysisRequest request = AnalysisRequest.newBuilder()
        .setJobId(jobId).setTenantId(tenantId).setKeyId(principal.keyId()).setFileId(fileId)
        .setSteeringPrompt(steering.text()).setRefinementPrompt(refinement.text())
        .setIdempotencyKey(idempotencyKey).setRequestHash(requestHash).setPromptFlags(flags)
        .setRequestId(Attrs.requestId(ctx)).setSubmittedAt(now).build();
    // the request record is the submit's only write on the response path: the job's queued state is derived from it
    // (JobView.fromRequest, in the job-status view), and so is the submit's audit event (JobStatusTopology), so a
    // 202 never leaves a job half-written (a request without its status or the other way round)
    org.apache.kafka.clients.producer.RecordMetadata written;
    try {
      written = EventPublisher.await(publisher.send(Topics.ANALYSIS_REQUESTS, tenantId, request));
    } catch (EventPublisher.PublishFailedException e) {
      throw new ProblemException(503, "unavailable", "Service unavailable", "the job could not be queued; retry");
    }
    Attrs.auditedByRecord(ctx);
    JobView view = JobView.fromRequest(request);
    recent.put(TenantKeys.of(tenantId, jobId), view);
    if (flags.contains("prompt_injection")) {
      log.warn("job {} of tenant {} (key {}) flagged {}", jobId, tenantId, principal.keyId(), flags);
    } else {
      log.debug("job {} queued for tenant {} by key {} on file {} (partition {}, offset {})", jobId, tenantId,
          principal.keyId(), fileId, written.partition(), written.offset());
    }
    ctx.header("Location", "/v1/analyses/" + jobId);
    Json.write(ctx, 202, publicView(view));
  }

  private static String textField(ObjectNode body, String name, boolean required) {
    JsonNode value = body.get(name);
    if (value == null || value.isNull()) {
      if (required) {
        throw new ProblemException(Problem.of(422, "missing-field", "Missing field", name + " is required")
            .with("field", name));
      }
      return null;
    }
    if (!value.isTextual()) {
      throw new ProblemException(Problem.of(422, "invalid-field", "Invalid field", name + " must be a string")
          .with("field", name));
    }
    return value.asText();
  }

  static String requestHash(String fileId, String steering, String refinement) {
    Map<String, Object> canonical = new LinkedHashMap<>();
    canonical.put("fileId", fileId);
    canonical.put("refinementPrompt", refinement);
    canonical.put("steeringPrompt", steering);
    try {
      byte[] json = Json.mapper().writeValueAsBytes(canonical);
      return HexFormat.of().formatHex(MessageDigest.getInstance("SHA-256").digest(json));
    } catch (Exception e) {
      throw new IllegalStateException(e);
    }
  }

  /**
   * The job id of an idempotent submit: {@code job_} + 130 bits of HMAC(pepper, tenant, key). A retry reaching any
   * instance names the same job, so even two racing retries publish one job id, which the admission topology
   * deduplicates; nobody without the pepper can predict it.
   */
  String derivedJobId(String tenantId, String idempotencyKey) {
    byte[] mac = codec.sign("idempotency:" + tenantId + ":" + idempotencyKey);
    StringBuilder id = new StringBuilder("job_");
    long buffer = 0;
    int bits = 0;
    int index = 0;
    for (int i = 0; i < 26; i++) {
      if (bits < 5) {
        buffer = (buffer << 8) | (mac[index++] & 0xff);
        bits += 8;
      }
      id.append(BASE32[(int) (buffer >>> (bits - 5)) & 31]);
      bits -= 5;
    }
    return id.toString();
  }

  private Optional<JobView> findForIdempotency(Context ctx, String tenantId, String jobId) throws Exception {
    JobView mine = recent.getIfPresent(TenantKeys.of(tenantId, jobId));
    if (mine != null) {
      return Optional.of(mine);
    }
    JobStatusView.Location location = jobs.locate(tenantId);
    if (!location.available() || jobs.isSelf(location.active())) {
      return jobs.localGet(tenantId, jobId);
    }
    return router.fetchJob(ctx, location.active(), jobId);
  }

  // ---- status and list ------------------------------------------------------------------------------------------

  private void get(Context ctx) throws Exception {
    Principal principal = Attrs.principal(ctx);
    String tenantId = principal.tenantId();
    String jobId = ctx.pathParam("jobId");
    Duration wait = parseWait(ctx.queryParam("wait"));
    // the owner may first wait for its store to catch up (see below) before the long poll starts
    router.route(ctx, tenantId, wait.plus(JobStatusView.CATCH_UP_LIMIT).plusSeconds(5), (local, mayWait) -> {
      JobView view = known(tenantId, jobId, mayWait);
      if (view != null) {
        answer(local, tenantId, jobId, view, wait, mayWait);
        return;
      }
      if (!mayWait || !Ids.looksLike("job", jobId)) {
        throw notFound();
      }
      // Not in the store and not submitted here: it may have been accepted a moment ago by another instance and
      // not be read yet. Wait until the store holds every request written before this question; only then is
      // "not there" the truth. A job answered 202 is never denied.
      local.future(() -> jobs.awaitCaughtUp(tenantId).thenCompose(caughtUp -> {
        JobView found = known(tenantId, jobId, true);
        if (found == null) {
          if (!caughtUp) {
            local.header("Retry-After", "1");
            io.storystream.common.http.Problems.write(local, Problem.of(503, "jobs-catching-up",
                "Job store catching up", "the job store is catching up with recent submits; retry in a second"));
          } else {
            io.storystream.common.http.Problems.write(local, notFoundAfterCatchUp(tenantId, jobId).problem());
          }
          return java.util.concurrent.CompletableFuture.completedFuture(null);
        }
        return answerLater(local, tenantId, jobId, found, wait);
      }));
    });
  }

  /** The job as this instance knows it: its store (active or standby replica), else what it answered a submit with. */
  private JobView known(String tenantId, String jobId, boolean mayWait) {
    Optional<JobView> held;
    try {
      held = Ids.looksLike("job", jobId) ? jobs.localGet(tenantId, jobId) : Optional.empty();
    } catch (org.apache.kafka.streams.errors.InvalidStateStoreException noReplicaHere) {
      if (mayWait) {
        throw noReplicaHere;
      }
      held = Optional.empty(); // the owner did not know it either; a job queued here a moment ago may still
    }
    return held.orElseGet(() -> recent.getIfPresent(TenantKeys.of(tenantId, jobId)));
  }

  private void answer(Context local, String tenantId, String jobId, JobView view, Duration wait, boolean mayWait) {
    if (router.forwarded(local) && view.requestHash() != null) {
      local.header(JobRouter.REQUEST_HASH_HEADER, view.requestHash());
    }
    if (wait.isZero() || view.terminal() || !mayWait) {
      Json.write(local, 200, publicView(view));
      return;
    }
    local.future(() -> answerLater(local, tenantId, jobId, view, wait));
  }

  /** Long poll: answers as soon as the job's state (or queue position) differs from {@code view}, or after {@code wait}. */
  private java.util.concurrent.CompletableFuture<Void> answerLater(Context local, String tenantId, String jobId,
      JobView view, Duration wait) {
    if (router.forwarded(local) && view.requestHash() != null) {
      local.header(JobRouter.REQUEST_HASH_HEADER, view.requestHash());
    }
    if (wait.isZero() || view.terminal()) {
      Json.write(local, 200, publicView(view));
      return java.util.concurrent.CompletableFuture.completedFuture(null);
    }
    return jobs.awaitChange(tenantId, jobId, view, wait).thenAccept(changed -> {
      if (changed == null) {
        io.storystream.common.http.Problems.write(local, notFound().problem()); // erased while waiting
      } else {
        Json.write(local, 200, publicView(changed));
      }
    });
  }

  // ---- cancel ---------------------------------------------------------------------------------------------------

  /** How long a cancel waits for the job to stop before it answers 202 (cancel requested) instead of 200. */
  static final Duration CANCEL_WAIT = Duration.ofSeconds(10);

  /**
   * Cancel is decided where the job is: admission takes a queued job out of the queue, the worker stops a running
   * one before its next DataStoryBot call. The owner of the tenant's jobs publishes the request and answers with the
   * job's ending: 200 cancelled, or 409 when it ended otherwise first.
   */
  private void cancel(Context ctx) throws Exception {
    Principal principal = Attrs.principal(ctx);
    String tenantId = principal.tenantId();
    String jobId = ctx.pathParam("jobId");
    router.route(ctx, tenantId, CANCEL_WAIT.plus(JobStatusView.CATCH_UP_LIMIT).plusSeconds(5), (local, mayWait) -> {
      JobView view = known(tenantId, jobId, mayWait);
      if (view != null) {
        requestCancel(local, principal, view, mayWait);
        return;
      }
      if (!mayWait || !Ids.looksLike("job", jobId)) {
        throw notFound();
      }
      local.future(() -> jobs.awaitCaughtUp(tenantId).thenCompose(caughtUp -> {
        JobView found = known(tenantId, jobId, true);
        if (found == null) {
          io.storystream.common.http.Problems.write(local, caughtUp ? notFoundAfterCatchUp(tenantId, jobId).problem()
              : Problem.of(503, "jobs-catching-up", "Job store catching up", "retry in a second"));
          return java.util.concurrent.CompletableFuture.completedFuture(null);
        }
        requestCancel(local, principal, found, false);
        return java.util.concurrent.CompletableFuture.completedFuture(null);
      }));
    });
  }

  private void requestCancel(Context local, Principal principal, JobView view, boolean mayWait) {
    if (view.terminal()) {
      throw ended(view);
    }
    JobCancellation cancel = JobCancellation.newBuilder().setJobId(view.jobId()).setTenantId(principal.tenantId())
        .setKeyId(principal.keyId()).setRequestId(Attrs.requestId(local)).setRequestedAt(clock.instant()).build();
    try {
      EventPublisher.await(publisher.send(Topics.ANALYSIS_CANCELLATIONS, principal.tenantId(), cancel));
    } catch (EventPublisher.PublishFailedException e) {
      throw new ProblemException(503, "unavailable", "Service unavailable", "the cancel could not be requested; retry");
    }
    log.info("cancel of job {} requested by tenant {} (key {})", view.jobId(), principal.tenantId(), principal.keyId());
    if (!mayWait) {
      Json.write(local, 202, cancelRequested(view));
      return;
    }
    long deadline = System.nanoTime() + CANCEL_WAIT.toNanos();
    local.future(() -> awaitEnd(principal.tenantId(), view, deadline).thenAccept(now -> {
      if (now == null) {
        io.storystream.common.http.Problems.write(local, notFound().problem()); // erased meanwhile
      } else if ("CANCELLED".equals(now.state())) {
        Json.write(local, 200, publicView(now));
      } else if (now.terminal()) {
        io.storystream.common.http.Problems.write(local, ended(now).problem());
      } else {
        Json.write(local, 202, cancelRequested(now));
      }
    }));
  }

  /** The job once it ended, or as it is at the deadline. */
  private java.util.concurrent.CompletableFuture<JobView> awaitEnd(String tenantId, JobView seen, long deadline) {
    long left = deadline - System.nanoTime();
    if (seen == null || seen.terminal() || left <= 0) {
      return java.util.concurrent.CompletableFuture.completedFuture(seen);
    }
    return jobs.awaitChange(tenantId, seen.jobId(), seen, Duration.ofNanos(left))
        .thenCompose(now -> now == seen ? java.util.concurrent.CompletableFuture.completedFuture(now)
            : awaitEnd(tenantId, now, deadline));
  }

  private static AnalysisBodies.Job cancelRequested(JobView view) {
    return publicView(view).withCancelRequested();
  }

  private static ProblemException ended(JobView view) {
    String state = view.state().toLowerCase(Locale.ROOT);
    return new ProblemException(Problem.of(409, "job-ended", "Job already ended", "the job is " + state
        + "; only a queued or running job can be cancelled").with("state", state));
  }

  private void list(Context ctx) throws Exception {
    Principal principal = Attrs.principal(ctx);
    String tenantId = principal.tenantId();
    String status = ctx.queryParam("state") != null ? ctx.queryParam("state") : ctx.queryParam("status");
    String state = status == null ? null : status.toUpperCase(Locale.ROOT);
    if (state != null && !JobView.STATE_ORDER.contains(state)) {
      throw new ProblemException(400, "invalid-query", "Invalid query parameter",
          "state is one of queued, admitted, running, completed, failed, rejected, cancelled");
    }
    long since = parseSince(ctx.queryParam("since"));
    int limit = parseLimit(ctx.queryParam("limit"));
    Cursor after = Cursor.parse(ctx.queryParam("pageToken"));
    router.route(ctx, tenantId, Duration.ofSeconds(10), (local, mayWait) -> {
      Comparator<JobView> newestFirst = Comparator.comparing((JobView v) -> v.submittedAt() == null ? 0L : v.submittedAt())
          .thenComparing(JobView::jobId).reversed();
      List<JobView> page = jobs.localList(tenantId).stream()
          .filter(v -> state == null || state.equals(v.state()))
          .filter(v -> since == Long.MIN_VALUE || (v.submittedAt() != null && v.submittedAt() >= since))
          .sorted(newestFirst)
          .filter(v -> after == null || after.before(v))
          .limit(limit + 1L).toList();
      Json.write(local, 200, new AnalysisBodies.JobPage(
          page.stream().limit(limit).map(AnalysisRoutes::publicView).toList(),
          page.size() > limit ? Cursor.of(page.get(limit - 1)) : null));
    });
  }

  /** Position in the newest-first order: (submittedAt, jobId). */
  record Cursor(long submittedAt, String jobId) {
    static Cursor parse(String token) {
      if (token == null || token.isBlank()) {
        return null;
      }
      try {
        String raw = new String(Base64.getUrlDecoder().decode(token), StandardCharsets.UTF_8);
        int colon = raw.indexOf(':');
        return new Cursor(Long.parseLong(raw.substring(0, colon)), raw.substring(colon + 1));
      } catch (RuntimeException e) {
        throw new ProblemException(400, "invalid-query", "Invalid query parameter", "pageToken is not one we issued");
      }
    }

    static String of(JobView v) {
      String raw = (v.submittedAt() == null ? 0 : v.submittedAt()) + ":" + v.jobId();
      return Base64.getUrlEncoder().withoutPadding().encodeToString(raw.getBytes(StandardCharsets.UTF_8));
    }

    /** True when {@code v} comes after this cursor in newest-first order. */
    boolean before(JobView v) {
      long at = v.submittedAt() == null ? 0 : v.submittedAt();
      return at < submittedAt || (at == submittedAt && v.jobId().compareTo(jobId) < 0);
    }
  }

  static long parseSince(String raw) {
    if (raw == null || raw.isBlank()) {
      return Long.MIN_VALUE;
    }
    try {
      return java.time.OffsetDateTime.parse(raw.trim()).toInstant().toEpochMilli();
    } catch (java.time.format.DateTimeParseException e) {
      throw new ProblemException(400, "invalid-query", "Invalid query parameter",
          "since is an ISO-8601 instant with an offset, e.g. 2026-11-30T00:00:00Z");
    }
  }

  static int parseLimit(String raw) {
    if (raw == null) {
      return 20;
    }
    try {
      int limit = Integer.parseInt(raw);
      if (limit >= 1 && limit <= 100) {
        return limit;
      }
    } catch (NumberFormatException e) {
      // below
    }
    throw new ProblemException(400, "invalid-query", "Invalid query parameter", "limit is an integer from 1 to 100");
  }

  /** {@code ?wait=}: the platform's one duration rule ({@link io.storystream.common.config.Durations}), capped at 60 s. */
  static Duration parseWait(String raw) {
    if (raw == null || raw.isBlank()) {
      return Duration.ZERO;
    }
    Duration wait;
    try {
      wait = io.storystream.common.config.Durations.parse(raw);
    } catch (IllegalArgumentException e) {
      throw new ProblemException(400, "invalid-wait", "Invalid wait",
          "wait is a duration such as 30s, 1500ms or PT30S (a bare number other than 0 has no unit)");
    }
    return wait.compareTo(MAX_WAIT) > 0 ? MAX_WAIT : wait;
  }

  // ---- results --------------------------------------------------------------------------------------------------

  private void result(Context ctx) throws Exception {
    Principal principal = Attrs.principal(ctx);
    String tenantId = principal.tenantId();
    String jobId = ctx.pathParam("jobId");
    router.route(ctx, tenantId, Duration.ofSeconds(30).plus(JobStatusView.CATCH_UP_LIMIT), (local, mayWait) ->
        withCompletedJob(local, tenantId, jobId, mayWait, view -> {
          byte[] document = blobs.get(view.resultPrefix() + ResultDocument.OBJECT_NAME)
              .orElseThrow(AnalysisRoutes::notFound);
          Json.write(local, 200, PublicResult.of(jobId, view.fromCache(), ResultDocument.fromJson(document)));
        }));
  }

  private void chart(Context ctx) throws Exception {
    Principal principal = Attrs.principal(ctx);
    String tenantId = principal.tenantId();
    String jobId = ctx.pathParam("jobId");
    String n = ctx.pathParam("n");
    if (!n.matches("\\d{1,3}")) {
      throw notFound();
    }
    router.route(ctx, tenantId, Duration.ofSeconds(30).plus(JobStatusView.CATCH_UP_LIMIT), (local, mayWait) ->
        withCompletedJob(local, tenantId, jobId, mayWait, view ->
            download(local, principal, view, view.resultPrefix() + "charts/" + Integer.parseInt(n) + ".png",
                "image/png", "chart-" + Integer.parseInt(n), null)));
  }

  private void dataset(Context ctx) throws Exception {
    Principal principal = Attrs.principal(ctx);
    String tenantId = principal.tenantId();
    String jobId = ctx.pathParam("jobId");
    router.route(ctx, tenantId, Duration.ofSeconds(30).plus(JobStatusView.CATCH_UP_LIMIT), (local, mayWait) ->
        withCompletedJob(local, tenantId, jobId, mayWait, view ->
            download(local, principal, view, view.resultPrefix() + "dataset.csv", "text/csv", "dataset",
                "attachment; filename=\"" + jobId + "-dataset.csv\"")));
  }

  /** What a result route does with the job once it is known to have completed. */
  private interface CompletedJobAction {
    void run(JobView view) throws Exception;
  }

  /**
   * Runs {@code action} with the job if it completed. Like a poll, a job this store does not hold yet is waited for
   * (it may have been answered 202 a moment ago by another instance) rather than denied: 409 while it has not
   * completed, 404 only once the store has read every request written before this question.
   */
  private void withCompletedJob(Context local, String tenantId, String jobId, boolean mayWait,
                                CompletedJobAction action) throws Exception {
    JobView view = known(tenantId, jobId, mayWait);
    if (view != null) {
      action.run(completed(tenantId, view));
      return;
    }
    if (!mayWait || !Ids.looksLike("job", jobId)) {
      throw notFound();
    }
    local.future(() -> jobs.awaitCaughtUp(tenantId).thenAccept(caughtUp -> {
      JobView found = known(tenantId, jobId, true);
      try {
        if (found != null) {
          action.run(completed(tenantId, found));
        } else if (caughtUp) {
          throw notFoundAfterCatchUp(tenantId, jobId);
        } else {
          local.header("Retry-After", "1");
          throw new ProblemException(Problem.of(503, "jobs-catching-up", "Job store catching up",
              "the job store is catching up with recent submits; retry in a second"));
        }
      } catch (ProblemException e) {
        io.storystream.common.http.Problems.write(local, e.problem());
      } catch (Exception e) {
        throw new java.util.concurrent.CompletionException(e);
      }
    }));
  }

  private static JobView completed(String tenantId, JobView view) {
    if (!"COMPLETED".equals(view.state())) {
      throw new ProblemException(Problem.of(409, "job-not-completed", "Job not completed",
          "the job is " + view.state().toLowerCase(Locale.ROOT)).with("state", view.state().toLowerCase(Locale.ROOT)));
    }
    String prefix = view.resultPrefix();
    if (prefix == null || !prefix.startsWith("tenants/" + tenantId + "/") || !prefix.endsWith("/")) {
      // a result must live under the tenant's own prefix; anything else is treated as absent
      throw notFound();
    }
    return view;
  }

  private void download(Context ctx, Principal principal, JobView view, String key, String media, String what,
                        String disposition) {
    ResponseInputStream<GetObjectResponse> object = blobs.open(key).orElseThrow(AnalysisRoutes::notFound);
    long bytes = object.response().contentLength() == null ? 0 : object.response().contentLength();
    UsageEvent usage = UsageEvent.newBuilder()
        // a download is an event of its own every time it is served: the id is made here, never taken from the
        // client (a repeated X-Request-Id is a correlation id, and must not fold two downloads into one)
        .setEventId("file_download:" + view.jobId() + ":" + what + ":" + Ids.newId("dl"))
        .setTenantId(principal.tenantId()).setType(UsageType.FILE_DOWNLOAD).setQuantity(1).setBytes(bytes)
        .setJobId(view.jobId()).setFileId(view.fileId()).setPlan(principal.plan()).setOccurredAt(clock.instant())
        .build();
    // metered before it is served: a download whose usage event is not acknowledged is not served (503, retry), so
    // no process crash between the bytes and the event can give a download away (the fault campaign found two)
    try {
      EventPublisher.await(publisher.send(Topics.USAGE_EVENTS, principal.tenantId(), usage));
    } catch (EventPublisher.PublishFailedException e) {
      closeQuietly(object);
      log.warn("usage event {} not published, download not served: {}", usage.getEventId(), e.toString());
      ctx.header("Retry-After", "1");
      throw new ProblemException(503, "unavailable", "Service unavailable", "the download could not be metered; retry");
    }
    ctx.contentType(media);
    if (disposition != null) {
      ctx.header("Content-Disposition", disposition);
    }
    ctx.result(object); // streamed; Jetty frames it (and may compress it), so no Content-Length is promised here
  }

  private static void closeQuietly(java.io.InputStream in) {
    try {
      in.close();
    } catch (java.io.IOException ignored) {
      // nothing more to release
    }
  }

  // ---- views ----------------------------------------------------------------------------------------------------

  static AnalysisBodies.Job publicView(JobView v) {
    String self = "/v1/analyses/" + v.jobId();
    boolean completed = "COMPLETED".equals(v.state());
    AnalysisBodies.JobLinks links = new AnalysisBodies.JobLinks(self, v.terminal() ? null : self + "/cancel",
        completed ? self + "/result" : null, completed ? self + "/dataset" : null);
    return new AnalysisBodies.Job(v.jobId(), v.fileId(), AnalysisBodies.JobState.of(v.state()), v.reason(),
        v.message(), v.retryable(), "QUEUED".equals(v.state()) ? v.position() : null, v.fromCache(),
        v.promptFlags() == null ? List.of() : v.promptFlags(), instant(v.submittedAt()), instant(v.updatedAt()),
        instant(v.startedAt()), instant(v.completedAt()), null, links);
  }

  private static Instant instant(Long millis) {
    return millis == null ? null : Instant.ofEpochMilli(millis);
  }

  /**
   * The 404 of a job id this instance's store does not hold after catching up with the requests topic: the one
   * answer that denies a job outright, so it is logged with the offsets it rested on (ids and offsets only).
   */
  private ProblemException notFoundAfterCatchUp(String tenantId, String jobId) {
    log.info("job {} of tenant {} not found after catching up ({})", jobId, tenantId, jobs.catchUpFigures(tenantId));
    return notFound();
  }

  static ProblemException notFound() {
    return new ProblemException(404, "not-found", "Not found", "no such job");
  }
}
