package io.storystream.ingress.api;

import io.storystream.common.http.OptionalField;
import com.fasterxml.jackson.annotation.JsonClassDescription;
import com.fasterxml.jackson.annotation.JsonInclude;
import com.fasterxml.jackson.annotation.JsonPropertyDescription;
import com.fasterxml.jackson.annotation.JsonValue;
import java.time.Instant;
import java.util.List;
import java.util.Locale;

/**
 * The bodies of {@code /v1/analyses}: the records the handlers read and write, from which the OpenAPI document's
 * schemas are generated.
 */
public final class AnalysisBodies {
  private AnalysisBodies() {}

  @JsonClassDescription("An analysis to run on an uploaded file")
  public record SubmitAnalysis(
      @JsonPropertyDescription("an uploaded file of the tenant (file_…)") String fileId,
      @OptionalField @JsonPropertyDescription("what the story angles should be about, at most 2000 characters")
      String steeringPrompt,
      @OptionalField @JsonPropertyDescription("how the chosen story should be written, at most 2000 characters")
      String refinementPrompt) {}

  /** A job's state as the API spells it. */
  public enum JobState {
    QUEUED, ADMITTED, RUNNING, COMPLETED, FAILED, REJECTED, CANCELLED;

    /** From the state's Avro / store name ({@code COMPLETED}). */
    public static JobState of(String name) {
      return valueOf(name.toUpperCase(Locale.ROOT));
    }

    @JsonValue
    public String wire() {
      return name().toLowerCase(Locale.ROOT);
    }
  }

  @JsonClassDescription("A job: its state and where to find what it made")
  @JsonInclude(JsonInclude.Include.NON_NULL)
  public record Job(
      String jobId,
      String fileId,
      JobState state,
      @OptionalField @JsonPropertyDescription("why a job failed or was rejected (e.g. quota_exceeded, worker_error)")
      String reason,
      @OptionalField String message,
      @OptionalField @JsonPropertyDescription("whether submitting the same request again may succeed") Boolean retryable,
      @OptionalField @JsonPropertyDescription("1-based place in the tenant's queue, while queued") Integer position,
      boolean fromCache,
      @JsonPropertyDescription("what the prompt checks noticed, e.g. prompt_injection") List<String> promptFlags,
      @OptionalField Instant submittedAt,
      @OptionalField Instant updatedAt,
      @OptionalField Instant startedAt,
      @OptionalField Instant completedAt,
      @OptionalField @JsonPropertyDescription("true when a cancel was requested and the job had not stopped yet")
      Boolean cancelRequested,
      JobLinks links) {

    public Job withCancelRequested() {
      return new Job(jobId, fileId, state, reason, message, retryable, position, fromCache, promptFlags, submittedAt,
          updatedAt, startedAt, completedAt, true, links);
    }
  }

  @JsonInclude(JsonInclude.Include.NON_NULL)
  public record JobLinks(
      String self,
      @OptionalField @JsonPropertyDescription("while the job has not ended") String cancel,
      @OptionalField @JsonPropertyDescription("once completed") String result,
      @OptionalField @JsonPropertyDescription("once completed") String dataset) {}

  @JsonClassDescription("A page of the tenant's jobs, newest first")
  public record JobPage(
      List<Job> jobs,
      @OptionalField @JsonPropertyDescription("pageToken of the next page; null on the last one") String nextPageToken) {}

  @JsonClassDescription("What a completed job made: the story angles, the chosen one's narrative, charts and dataset")
  @JsonInclude(JsonInclude.Include.NON_NULL)
  public record AnalysisResult(
      String jobId,
      boolean fromCache,
      List<Story> stories,
      @OptionalField Story chosen,
      @OptionalField String narrativeMarkdown,
      List<ChartLink> charts,
      @OptionalField DatasetLink dataset) {}

  @JsonInclude(JsonInclude.Include.NON_NULL)
  public record Story(
      @OptionalField @JsonPropertyDescription("only in results stored by older versions") String id,
      @OptionalField String title,
      @OptionalField String summary) {}

  public record ChartLink(int index, @OptionalField String fileName, @OptionalField String caption,
                          @JsonPropertyDescription("GET it for the PNG") String href) {}

  public record DatasetLink(@OptionalField String fileName, @OptionalField Long rows, @OptionalField Integer columns,
                            @JsonPropertyDescription("GET it for the CSV") String href) {}
}
