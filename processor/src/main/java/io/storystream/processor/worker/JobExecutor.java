package io.storystream.processor.worker;

import io.storystream.schemas.AnalysisWork;
import java.util.concurrent.CompletableFuture;

/** Runs one admitted job without blocking the caller; the future never completes exceptionally by design. */
interface JobExecutor {
  CompletableFuture<JobOutcome> run(AnalysisWork work);
}
