package io.storystream.processor.worker;

import java.util.List;

/**
 * {@code result.json} under {@code tenants/{tenantId}/results/{jobId}/}: what ingress serves for a finished
 * analysis and what a cache hit points to. It is written last, after the charts and the dataset, so its presence
 * means the whole result is in S3.
 */
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

  public record Story(String title, String summary) {}

  /** {@code key} is the chart's object key; {@code index} is its {n} in {@code charts/{n}.png}. */
  public record ChartRef(int index, String fileName, String caption, String key) {}

  public record DatasetRef(String fileName, long rows, int columns, String key) {}

  public static String prefix(String tenantId, String jobId) {
    return "tenants/" + tenantId + "/results/" + jobId + "/";
  }
}
