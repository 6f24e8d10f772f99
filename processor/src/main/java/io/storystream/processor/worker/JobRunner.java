package io.storystream.processor.worker;

import io.storystream.common.logging.LogContext;
import io.storystream.common.results.ResultDocument;
import io.storystream.common.blob.BlobStore;
import io.storystream.datastorybot.client.AnalysisJob;
import io.storystream.datastorybot.client.AnalysisResult;
import io.storystream.datastorybot.client.Chart;
import io.storystream.datastorybot.client.DataStoryBotClient;
import io.storystream.datastorybot.client.DataStoryBotException;
import io.storystream.datastorybot.client.JobControl;
import io.storystream.schemas.AnalysisWork;
import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.time.Clock;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionException;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.Executor;
import java.util.concurrent.atomic.AtomicBoolean;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Runs one job: the tenant's CSV from S3 → DataStoryBot → charts, dataset and {@code result.json} into S3 under the
 * tenant's result prefix. Everything it writes is keyed by the job id, so a job run twice (the worker died before
 * reporting it) overwrites the same objects; and when {@code result.json} is already there the earlier run got as
 * far as storing the result, so the job completes from it without paying DataStoryBot again.
 *
 * <p>S3 calls block, so they run on the given I/O executor; the DataStoryBot call is asynchronous. Nothing here
 * runs on the worker's Kafka thread.
 */
final class JobRunner implements JobExecutor {
  private static final Logger log = LoggerFactory.getLogger(JobRunner.class);

  private final BlobStore blobs;
  private final DataStoryBotClient client;
  private final Path tmpDir;
  private final Executor io;
  private final Clock clock;

  JobRunner(BlobStore blobs, DataStoryBotClient client, Path tmpDir, Executor io, Clock clock) {
    this.blobs = blobs;
    this.client = client;
    this.tmpDir = tmpDir;
    this.io = LogContext.propagating(io); // every step logs with the job's ids
    this.clock = clock;
  }

  @Override
  public CompletableFuture<JobOutcome> run(AnalysisWork work) {
    return run(work, JobControl.NONE);
  }

  /**
   * Runs the job; a cancel is honoured before the download, before every DataStoryBot call (by the client) and
   * before anything is stored, so a cancelled job writes no result. The outcome says whether analyze was sent.
   */
  @Override
  public CompletableFuture<JobOutcome> run(AnalysisWork work, JobControl control) {
    Tracked tracked = new Tracked(control);
    String prefix = ResultDocument.prefix(work.getTenantId(), work.getJobId());
    return CompletableFuture.supplyAsync(() -> storedResult(prefix), io)
        .thenCompose(stored -> stored.isPresent()
            ? CompletableFuture.completedFuture(completedFrom(stored.get(), prefix, true))
            : analyze(work, prefix, tracked))
        .exceptionally(error -> failure(work, unwrap(error), tracked));
  }

  /** The caller's control, remembering whether analyze was sent. */
  private static final class Tracked implements JobControl {
    private final JobControl control;
    private final AtomicBoolean analyzeSent = new AtomicBoolean();

    Tracked(JobControl control) {
      this.control = control;
    }

    @Override
    public boolean cancelled() {
      return control.cancelled();
    }

    @Override
    public void analyzeSent() {
      analyzeSent.set(true);
      control.analyzeSent();
    }

    boolean analysisCalled() {
      return analyzeSent.get();
    }
  }

  private CompletableFuture<JobOutcome> analyze(AnalysisWork work, String prefix, Tracked control) {
    if (!work.getObjectKey().startsWith("tenants/" + work.getTenantId() + "/")) {
      // identity comes from the record's tenant; an object outside its prefix is somebody else's or nobody's
      return CompletableFuture.completedFuture(
          JobOutcome.failed("file_not_found", false, "file is not stored under the tenant", clock.millis(), false));
    }
    if (control.cancelled()) {
      return CompletableFuture.completedFuture(JobOutcome.cancelled(false, clock.millis()));
    }
    Path csv = tmpDir.resolve(work.getJobId() + ".csv");
    return CompletableFuture.supplyAsync(() -> download(work, csv), io)
        .thenCompose(found -> found
            ? client.analyze(new AnalysisJob(work.getJobId(), work.getFileName(), csv,
                work.getSteeringPrompt(), work.getRefinementPrompt(), work.getTenantId(), control))
                .thenApplyAsync(result -> control.cancelled()
                    ? JobOutcome.cancelled(true, clock.millis()) // the analysis ran, but nothing is stored
                    : store(work, prefix, result), io)
            : CompletableFuture.completedFuture(
                JobOutcome.failed("file_not_found", false, "the uploaded file is gone", clock.millis(), false)))
        .whenComplete((outcome, error) -> deleteQuietly(csv));
  }

  private Optional<ResultDocument> storedResult(String prefix) {
    return blobs.get(prefix + ResultDocument.OBJECT_NAME).map(bytes -> {
      try {
        return ResultDocument.fromJson(bytes);
      } catch (UncheckedIOException e) {
        return null; // unreadable: run the job again and overwrite it
      }
    });
  }

  private boolean download(AnalysisWork work, Path csv) {
    try {
      Files.createDirectories(tmpDir);
      var object = blobs.open(work.getObjectKey());
      if (object.isEmpty()) {
        return false;
      }
      try (InputStream in = object.get()) {
        Files.copy(in, csv, StandardCopyOption.REPLACE_EXISTING);
      }
      return true;
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }

  private JobOutcome store(AnalysisWork work, String prefix, AnalysisResult result) {
    List<ResultDocument.ChartRef> charts = new ArrayList<>();
    for (int n = 0; n < result.charts().size(); n++) {
      Chart chart = result.charts().get(n);
      String key = prefix + "charts/" + n + ".png";
      blobs.put(key, chart.png(), "image/png");
      charts.add(new ResultDocument.ChartRef(n, chart.fileName(), chart.caption(), key));
    }
    ResultDocument.DatasetRef dataset = null;
    if (result.dataset() != null) {
      String key = prefix + "dataset.csv";
      blobs.put(key, result.dataset().csv(), "text/csv");
      dataset = new ResultDocument.DatasetRef(result.dataset().fileName(), result.dataset().rows(),
          result.dataset().columns(), key);
    }
    long rows = work.getFileRows() > 0 ? work.getFileRows() : dataset == null ? 0 : dataset.rows();
    ResultDocument document = new ResultDocument(work.getJobId(), work.getTenantId(), work.getFileId(),
        result.stories().stream().map(s -> new ResultDocument.Story(s.title(), s.summary())).toList(),
        result.chosen() == null ? null : new ResultDocument.Story(result.chosen().title(), result.chosen().summary()),
        result.narrativeMarkdown(), charts, dataset, rows, clock.millis());
    blobs.put(prefix + ResultDocument.OBJECT_NAME, document.toJson(), "application/json");
    return completedFrom(document, prefix, false);
  }

  private JobOutcome completedFrom(ResultDocument document, String prefix, boolean reused) {
    if (reused) {
      // may run on a DataStoryBot client thread, which has no job context of its own
      try (LogContext ids = LogContext.job(document.tenantId(), document.jobId())) {
        log.info("job {} of tenant {}: result already in S3 from an earlier attempt", document.jobId(),
            document.tenantId());
      }
    }
    return JobOutcome.completed(prefix, document.rowsAnalyzed(), clock.millis());
  }

  private JobOutcome failure(AnalysisWork work, Throwable error, Tracked control) {
    // runs on whichever thread failed the job (a DataStoryBot client thread, say): the ids are set here
    try (LogContext ids = LogContext.job(work.getTenantId(), work.getJobId())) {
      return failureOutcome(work, error, control);
    }
  }

  private JobOutcome failureOutcome(AnalysisWork work, Throwable error, Tracked control) {
    boolean analysisCalled = control.analysisCalled();
    if (error instanceof DataStoryBotException dsb) {
      if (DataStoryBotException.CANCELLED.equals(dsb.reason())) {
        log.info("job {} of tenant {} cancelled (analyze sent: {})", work.getJobId(), work.getTenantId(),
            analysisCalled);
        return JobOutcome.cancelled(analysisCalled, clock.millis());
      }
      log.info("job {} of tenant {} failed: {} (retryable {}, analyze sent: {})", work.getJobId(), work.getTenantId(),
          dsb.reason(), dsb.retryable(), analysisCalled);
      return JobOutcome.failed(dsb.reason(), dsb.retryable(), "DataStoryBot: " + dsb.reason(), clock.millis(),
          analysisCalled);
    }
    log.warn("job {} of tenant {} failed in the worker: {}", work.getJobId(), work.getTenantId(), error.toString());
    return JobOutcome.failed("worker_error", true, error.getClass().getSimpleName(), clock.millis(), analysisCalled);
  }

  private static Throwable unwrap(Throwable error) {
    while ((error instanceof CompletionException || error instanceof ExecutionException) && error.getCause() != null) {
      error = error.getCause();
    }
    return error;
  }

  private static void deleteQuietly(Path file) {
    try {
      Files.deleteIfExists(file);
    } catch (IOException ignored) {
      // a temp file left behind is overwritten by the next attempt of the same job
    }
  }
}
