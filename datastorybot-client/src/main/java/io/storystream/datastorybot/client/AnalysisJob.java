package io.storystream.datastorybot.client;

import java.nio.file.Path;
import java.util.Objects;

/**
 * One analysis to run: the CSV on local disk (streamed, never held in memory by the client), the name DataStoryBot
 * sees, and the optional prompts. {@code jobId} only labels logs and errors; {@code control} lets the caller cancel it.
 */
public record AnalysisJob(String jobId, String fileName, Path csvFile, String steeringPrompt, String refinementPrompt,
                          JobControl control) {
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

  /** A job nobody cancels. */
  public AnalysisJob(String jobId, String fileName, Path csvFile, String steeringPrompt, String refinementPrompt) {
    this(jobId, fileName, csvFile, steeringPrompt, refinementPrompt, JobControl.NONE);
  }
}
