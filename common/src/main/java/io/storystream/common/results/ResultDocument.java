package io.storystream.common.results;

import com.fasterxml.jackson.annotation.JsonCreator;
import com.fasterxml.jackson.annotation.JsonIgnoreProperties;
import com.fasterxml.jackson.annotation.JsonInclude;
import com.fasterxml.jackson.core.JsonProcessingException;
import io.storystream.common.http.JsonMapper;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.util.List;

/**
 * {@code result.json} under {@code tenants/{tenantId}/results/{jobId}/}: the one definition of the document the
 * processor's worker writes and the ingress reads (to answer {@code GET /v1/analyses/{jobId}/result}) and a cache hit
 * points to. The worker writes it last, after the charts and the dataset, so its presence means the whole result is
 * in S3. Fields a later version adds are ignored by an older reader, so a rolling upgrade can read both.
 */
@JsonIgnoreProperties(ignoreUnknown = true)
@JsonInclude(JsonInclude.Include.NON_NULL)
public record ResultDocument(
    String jobId,
    String tenantId,
    String fileId,
    List<Story> stories,
    Story chosen,
    String narrativeMarkdown,
    List<ChartRef> charts,
    DatasetRef dataset,
    long rowsAnalyzed,
    long createdAt) {

  /** The object's name under the job's result prefix. */
  public static final String OBJECT_NAME = "result.json";

  public ResultDocument {
    stories = stories == null ? List.of() : List.copyOf(stories);
    charts = charts == null ? List.of() : List.copyOf(charts);
  }

  /** A story angle; {@code id} only in documents written before the worker stored the chosen story itself. */
  @JsonIgnoreProperties(ignoreUnknown = true)
  @JsonInclude(JsonInclude.Include.NON_NULL)
  public record Story(String id, String title, String summary) {
    public Story(String title, String summary) {
      this(null, title, summary);
    }

    @JsonCreator
    public Story(@com.fasterxml.jackson.annotation.JsonProperty("id") String id,
                 @com.fasterxml.jackson.annotation.JsonProperty("title") String title,
                 @com.fasterxml.jackson.annotation.JsonProperty("summary") String summary) {
      this.id = id;
      this.title = title;
      this.summary = summary;
    }

    /** Older documents held the chosen story's id as a bare string. */
    @JsonCreator(mode = JsonCreator.Mode.DELEGATING)
    static Story ofId(String id) {
      return new Story(id, null, null);
    }
  }

  /** {@code key} is the chart's object key; {@code index} is its {n} in {@code charts/{n}.png}. */
  @JsonIgnoreProperties(ignoreUnknown = true)
  public record ChartRef(int index, String fileName, String caption, String key) {}

  @JsonIgnoreProperties(ignoreUnknown = true)
  public record DatasetRef(String fileName, long rows, int columns, String key) {}

  /** The job's result prefix: every object of the result lives under it, inside the tenant's own prefix. */
  public static String prefix(String tenantId, String jobId) {
    return "tenants/" + tenantId + "/results/" + jobId + "/";
  }

  public byte[] toJson() {
    try {
      return JsonMapper.shared().writeValueAsBytes(this);
    } catch (JsonProcessingException e) {
      throw new IllegalStateException("result document not serializable", e);
    }
  }

  public static ResultDocument fromJson(byte[] json) {
    try {
      return JsonMapper.shared().readValue(json, ResultDocument.class);
    } catch (IOException e) {
      throw new UncheckedIOException("result.json is not a result document", e);
    }
  }
}
