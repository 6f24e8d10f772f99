package io.storystream.ingress.jobs;

import io.storystream.common.results.ResultDocument;
import io.storystream.ingress.api.AnalysisBodies;
import java.util.ArrayList;
import java.util.List;

/**
 * The tenant's view of a stored {@link ResultDocument}: stories, the chosen one, the narrative, and links to the
 * charts and the dataset served here. Object keys, the tenant id and the row count stay inside.
 */
final class PublicResult {
  private PublicResult() {}

  static AnalysisBodies.AnalysisResult of(String jobId, boolean fromCache, ResultDocument stored) {
    List<AnalysisBodies.ChartLink> charts = new ArrayList<>();
    for (int n = 0; n < stored.charts().size(); n++) {
      ResultDocument.ChartRef chart = stored.charts().get(n);
      charts.add(new AnalysisBodies.ChartLink(n, chart.fileName(), chart.caption(),
          "/v1/analyses/" + jobId + "/charts/" + n));
    }
    ResultDocument.DatasetRef d = stored.dataset();
    AnalysisBodies.DatasetLink dataset = d == null ? null
        : new AnalysisBodies.DatasetLink(d.fileName(), d.rows(), d.columns(), "/v1/analyses/" + jobId + "/dataset");
    return new AnalysisBodies.AnalysisResult(jobId, fromCache,
        stored.stories().stream().map(PublicResult::story).toList(),
        stored.chosen() == null ? null : story(stored.chosen()), stored.narrativeMarkdown(), charts, dataset);
  }

  private static AnalysisBodies.Story story(ResultDocument.Story s) {
    return new AnalysisBodies.Story(s.id(), s.title(), s.summary());
  }
}
