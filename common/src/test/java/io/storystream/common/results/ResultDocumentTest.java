package io.storystream.common.results;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.util.List;
import org.junit.jupiter.api.Test;

/** result.json: what the worker writes is what the ingress reads, and documents of other versions still read. */
class ResultDocumentTest {

  @Test
  void whatTheWorkerWritesReadsBackEqual() {
    ResultDocument.Story chosen = new ResultDocument.Story("NA leads", "40 %");
    ResultDocument written = new ResultDocument("job_1", "acme", "file_1",
        List.of(chosen, new ResultDocument.Story("EU grows", "12 %")), chosen, "## NA leads",
        List.of(new ResultDocument.ChartRef(0, "by-region.png", "Total by region",
            "tenants/acme/results/job_1/charts/0.png")),
        new ResultDocument.DatasetRef("filtered.csv", 288, 6, "tenants/acme/results/job_1/dataset.csv"), 288, 1_700L);
    assertThat(ResultDocument.fromJson(written.toJson())).isEqualTo(written);
    assertThat(new String(written.toJson(), StandardCharsets.UTF_8)).doesNotContain("\"id\"");
    assertThat(ResultDocument.prefix("acme", "job_1")).isEqualTo("tenants/acme/results/job_1/");
  }

  @Test
  void anOlderDocumentWithTheChosenStorysIdAndAFieldFromANewerVersionStillReads() {
    String older = """
        {"stories":[{"id":"s1","title":"Revenue climbs","summary":"up"}],"chosen":"s1",
         "narrativeMarkdown":"# Revenue","charts":[{"fileName":"c.png","caption":"by month"}],
         "addedLater":{"x":1}}""";
    ResultDocument read = ResultDocument.fromJson(older.getBytes(StandardCharsets.UTF_8));
    assertThat(read.chosen().id()).isEqualTo("s1");
    assertThat(read.stories()).containsExactly(new ResultDocument.Story("s1", "Revenue climbs", "up"));
    assertThat(read.charts()).hasSize(1);
    assertThat(read.dataset()).isNull();
  }

  @Test
  void somethingElseIsNotAResultDocument() {
    assertThatThrownBy(() -> ResultDocument.fromJson("[1,2]".getBytes(StandardCharsets.UTF_8)))
        .isInstanceOf(UncheckedIOException.class);
  }
}
