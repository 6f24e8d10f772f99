package io.storystream.ingress.jobs;

import com.fasterxml.jackson.databind.JsonNode;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * The tenant's view of a stored result ({@code result.json} under the job's result prefix, written by the
 * processor): stories, the chosen one, the narrative, and links to the charts and the dataset served here.
 */
final class ResultDocument {
  private ResultDocument() {}

  private static Map<String, Object> story(JsonNode s) {
    Map<String, Object> story = new LinkedHashMap<>();
    if (s.hasNonNull("id")) {
      story.put("id", text(s, "id"));
    }
    story.put("title", text(s, "title"));
    story.put("summary", text(s, "summary"));
    return story;
  }

  static Map<String, Object> publicResult(String jobId, boolean fromCache, JsonNode stored) {
    Map<String, Object> out = new LinkedHashMap<>();
    out.put("jobId", jobId);
    out.put("fromCache", fromCache);
    List<Map<String, Object>> stories = new ArrayList<>();
    for (JsonNode s : iterable(stored.path("stories"))) {
      stories.add(story(s));
    }
    out.put("stories", stories);
    // the worker stores the chosen story itself ({title, summary}); older documents held its id
    JsonNode chosen = stored.path("chosen");
    out.put("chosen", chosen.isObject() ? story(chosen) : chosen.isTextual() ? chosen.asText() : null);
    out.put("narrativeMarkdown", text(stored, "narrativeMarkdown"));
    List<Map<String, Object>> charts = new ArrayList<>();
    int n = 0;
    for (JsonNode c : iterable(stored.path("charts"))) {
      Map<String, Object> chart = new LinkedHashMap<>();
      chart.put("index", n);
      chart.put("fileName", text(c, "fileName"));
      chart.put("caption", text(c, "caption"));
      chart.put("href", "/v1/analyses/" + jobId + "/charts/" + n);
      charts.add(chart);
      n++;
    }
    out.put("charts", charts);
    JsonNode dataset = stored.path("dataset");
    if (dataset.isObject()) {
      Map<String, Object> d = new LinkedHashMap<>();
      d.put("fileName", text(dataset, "fileName"));
      d.put("rows", dataset.path("rows").isNumber() ? dataset.path("rows").asLong() : null);
      d.put("columns", dataset.path("columns").isNumber() ? dataset.path("columns").asInt() : null);
      d.put("href", "/v1/analyses/" + jobId + "/dataset");
      out.put("dataset", d);
    }
    return out;
  }

  private static Iterable<JsonNode> iterable(JsonNode array) {
    return array.isArray() ? array : List.of();
  }

  private static String text(JsonNode node, String field) {
    JsonNode v = node.path(field);
    return v.isMissingNode() || v.isNull() ? null : v.asText();
  }
}
