package io.storystream.datastorybot.client;

import java.nio.file.Path;
import java.util.Objects;

/**
 * One analysis to run: the CSV on local disk (streamed, never held in memory by the client), the name DataStoryBot
 * sees, and the optional prompts. {@code jobId} only labels logs and errors; {@code tenantId} (may be null) names whose
 * breaker the job's failures count against; {@code control} lets the caller cancel it.
 */
public record AnalysisJob(String jobId, String fileName, Path csvFile, String steeringPrompt, String refinementPrompt,
                          String tenantId, JobControl control) {
  public AnalysisJob {
    Objects.requireNonNull(jobId, "jobId");
    Objects.requireNonNull(csvFile, "csvFile");
    if (fileName == null || fileName.isBlank()) {
      fileName = csvFile.getFileName().toString();
    }
    if (control == null) {
      control = JobControl.NONE;
    }
  }

  /** A job of a tenant that nobody cancels. */
  public AnalysisJob(String jobId, String fileName, Path csvFile, String steeringPrompt, String refinementPrompt,
                     String tenantId) {
    this(jobId, fileName, csvFile, steeringPrompt, refinementPrompt, tenantId, JobControl.NONE);
  }

  /** A job attributed to no tenant (its failures count against the shared "unattributed" breaker), never cancelled. */
  public AnalysisJob(String jobId, String fileName, Path csvFile, String steeringPrompt, String refinementPrompt) {
    this(jobId, fileName, csvFile, steeringPrompt, refinementPrompt, null, JobControl.NONE);
  }
}
