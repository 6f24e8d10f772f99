package io.storystream.processor.worker;

import io.storystream.datastorybot.client.JobControl;
import io.storystream.schemas.AnalysisWork;
import java.util.concurrent.CompletableFuture;

/** Runs one admitted job without blocking the caller; the future never completes exceptionally by design. */
interface JobExecutor {
  CompletableFuture<JobOutcome> run(AnalysisWork work);

  /** Runs the job under {@code control}: a cancelled job stops before its next DataStoryBot call. */
  default CompletableFuture<JobOutcome> run(AnalysisWork work, JobControl control) {
    return run(work);
  }
}
