package io.storystream.datastorybot.client;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.io.IOException;
import java.util.ArrayList;
import java.util.List;

/**
 * Everything the client assumes about DataStoryBot's wire format, in one place. Several names are not in the public
 * documentation (marked "inferred" in datastorybot-api.md); they are read defensively here so a correction touches
 * this class only.
 */
final class Contract {
  static final String UPLOAD = "/api/upload";
  static final String ANALYZE = "/api/analyze";
  static final String REFINE = "/api/refine";
  static final String FILES = "/api/files/";
  static final String UPLOAD_FIELD = "file";

  private static final ObjectMapper JSON = new ObjectMapper();

  /** Thrown when a 2xx body is not what the contract describes. */
  static final class InvalidResponse extends RuntimeException {
    InvalidResponse(String message) {
      super(message, null, false, false);
    }
  }

  record Upload(String containerId, String fileId) {}

  record ChartRef(String fileId, String fileName, String caption) {}

  record DatasetRef(String fileId, String fileName, long rows, int columns) {}

  record Refined(String narrative, List<ChartRef> charts, DatasetRef dataset) {}

  private Contract() {}

  static byte[] analyzeBody(String containerId, String steeringPrompt) {
    ObjectNode body = JSON.createObjectNode().put("containerId", containerId);
    if (steeringPrompt != null && !steeringPrompt.isBlank()) {
      body.put("steeringPrompt", steeringPrompt);
    }
    return bytes(body);
  }

  static byte[] refineBody(String containerId, String selectedStoryTitle, String refinementPrompt) {
    ObjectNode body = JSON.createObjectNode().put("containerId", containerId)
        .put("selectedStoryTitle", selectedStoryTitle); // inferred name
    if (refinementPrompt != null && !refinementPrompt.isBlank()) {
      body.put("refinementPrompt", refinementPrompt);
    }
    return bytes(body);
  }

  static Upload upload(byte[] body) {
    JsonNode node = parse(body);
    return new Upload(requiredText(node, "containerId"), node.path("fileId").asText(null));
  }

  /** Story angles under {@code stories} (inferred), or a few plausible alternatives, or a bare array. */
  static List<Story> stories(byte[] body) {
    JsonNode node = parse(body);
    JsonNode list = node.isArray() ? node : firstPresent(node, "stories", "storyAngles", "angles");
    if (list == null || !list.isArray()) {
      throw new InvalidResponse("analyze response has no story list");
    }
    List<Story> stories = new ArrayList<>();
    for (JsonNode item : list) {
      String title = item.path("title").asText("");
      if (title.isBlank()) {
        throw new InvalidResponse("analyze response has a story without a title");
      }
      stories.add(new Story("s" + (stories.size() + 1), title, item.path("summary").asText("")));
    }
    return stories;
  }

  static Refined refined(byte[] body) {
    JsonNode node = parse(body);
    String narrative = requiredText(node, "narrative");
    List<ChartRef> charts = new ArrayList<>();
    for (JsonNode chart : node.path("charts")) {
      String fileId = requiredText(chart, "fileId");
      charts.add(new ChartRef(fileId, chart.path("fileName").asText(fileId + ".png"), chart.path("caption").asText("")));
    }
    JsonNode dataset = node.path("resultDataset");
    DatasetRef datasetRef = null;
    if (dataset.isObject()) {
      String fileId = requiredText(dataset, "fileId");
      datasetRef = new DatasetRef(fileId, dataset.path("fileName").asText(fileId + ".csv"),
          dataset.path("rowCount").asLong(-1), dataset.path("colCount").asInt(-1));
    }
    return new Refined(narrative, charts, datasetRef);
  }

  /** The machine-readable part of an error body ({@code error} or {@code code}), if the body is JSON at all. */
  static String errorCode(byte[] body) {
    try {
      JsonNode node = JSON.readTree(body);
      JsonNode code = node == null ? null : firstPresent(node, "error", "code");
      if (code != null && code.isTextual()) {
        return clip(code.asText());
      }
      if (code != null && code.isObject()) {
        return clip(code.path("code").asText(code.path("type").asText(null)));
      }
      return null;
    } catch (IOException | RuntimeException e) {
      return null;
    }
  }

  private static String clip(String text) {
    return text == null || text.length() <= 80 ? text : text.substring(0, 80);
  }

  private static JsonNode parse(byte[] body) {
    try {
      JsonNode node = JSON.readTree(body);
      if (node == null || node.isMissingNode()) {
        throw new InvalidResponse("empty response body");
      }
      return node;
    } catch (IOException e) {
      throw new InvalidResponse("response body is not JSON");
    }
  }

  private static String requiredText(JsonNode node, String field) {
    JsonNode value = node.get(field);
    if (value == null || !value.isTextual() || value.asText().isBlank()) {
      throw new InvalidResponse("response lacks " + field);
    }
    return value.asText();
  }

  private static JsonNode firstPresent(JsonNode node, String... fields) {
    for (String field : fields) {
      JsonNode value = node.get(field);
      if (value != null && !value.isNull()) {
        return value;
      }
    }
    return null;
  }

  private static byte[] bytes(JsonNode node) {
    try {
      return JSON.writeValueAsBytes(node);
    } catch (IOException e) {
      throw new IllegalStateException(e);
    }
  }
}
