package io.storystream.datastorybot.standin;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.ByteArrayInputStream;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.Arrays;
import java.util.List;
import java.util.Set;
import javax.imageio.ImageIO;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/** The stand-in's HTTP contract, driven with a bare JDK HttpClient. */
class StandInServerTest {
  static final ObjectMapper JSON = new ObjectMapper();
  static final String CSV = "date,region,revenue\n2025-01-05,North,100\n2025-01-20,South,50\n2025-02-03,North,120\n"
      + "2025-02-14,South,60\n2025-03-01,North,150\n2025-03-09,East,40\n";
  static final io.storystream.testsupport.TestClock clock =
      io.storystream.testsupport.TestClock.frozenAt(java.time.Instant.parse("2026-11-29T12:00:00Z"));
  static StandInServer standIn;
  static HttpClient http = HttpClient.newBuilder().version(HttpClient.Version.HTTP_1_1).build();

  @BeforeAll
  static void start() {
    standIn = StandInServer.start(StandInConfig.forTests().withClock(clock));
  }

  @AfterAll
  static void stop() {
    standIn.close();
  }

  @BeforeEach
  void reset() {
    standIn.faults().clear();
    standIn.acceptKeys(Set.of());
    standIn.stats().reset();
  }

  static HttpResponse<byte[]> upload(URI base, byte[] file, String key) throws Exception {
    String boundary = "b0undary";
    byte[] head = ("--" + boundary + "\r\nContent-Disposition: form-data; name=\"file\"; filename=\"data.csv\"\r\n"
        + "Content-Type: text/csv\r\n\r\n").getBytes(StandardCharsets.UTF_8);
    byte[] tail = ("\r\n--" + boundary + "--\r\n").getBytes(StandardCharsets.UTF_8);
    HttpRequest.Builder request = HttpRequest.newBuilder(base.resolve("/api/upload"))
        .header("Content-Type", "multipart/form-data; boundary=" + boundary)
        .POST(HttpRequest.BodyPublishers.ofByteArrays(List.of(head, file, tail)));
    if (key != null) {
      request.header("Authorization", "Bearer " + key);
    }
    return http.send(request.build(), HttpResponse.BodyHandlers.ofByteArray());
  }

  static HttpResponse<byte[]> post(String path, String body) throws Exception {
    return http.send(HttpRequest.newBuilder(standIn.baseUri().resolve(path)).header("Content-Type", "application/json")
        .POST(HttpRequest.BodyPublishers.ofString(body)).build(), HttpResponse.BodyHandlers.ofByteArray());
  }

  static HttpResponse<byte[]> get(String path) throws Exception {
    return http.send(HttpRequest.newBuilder(standIn.baseUri().resolve(path)).GET().build(),
        HttpResponse.BodyHandlers.ofByteArray());
  }

  static JsonNode json(HttpResponse<byte[]> response) throws Exception {
    return JSON.readTree(response.body());
  }

  static String containerOf(HttpResponse<byte[]> upload) throws Exception {
    return json(upload).get("containerId").asText();
  }

  @Test
  void fullSessionFollowsTheContract() throws Exception {
    HttpResponse<byte[]> upload = upload(standIn.baseUri(), CSV.getBytes(StandardCharsets.UTF_8), null);
    assertThat(upload.statusCode()).isEqualTo(200);
    JsonNode uploaded = json(upload);
    assertThat(uploaded.get("containerId").asText()).startsWith("ctr_");
    assertThat(uploaded.get("fileId").asText()).startsWith("file-");
    assertThat(uploaded.at("/metadata/fileName").asText()).isEqualTo("data.csv");
    assertThat(uploaded.at("/metadata/rowCount").asInt()).isEqualTo(6);
    String container = uploaded.get("containerId").asText();

    HttpResponse<byte[]> analyze = post("/api/analyze", "{\"containerId\":\"" + container + "\"}");
    assertThat(analyze.statusCode()).isEqualTo(200);
    JsonNode stories = json(analyze).get("stories");
    assertThat(stories).hasSize(3);
    stories.forEach(s -> assertThat(s.get("title").asText()).isNotBlank());
    String title = stories.get(0).get("title").asText();

    HttpResponse<byte[]> refine = post("/api/refine", JSON.createObjectNode().put("containerId", container)
        .put("selectedStoryTitle", title).toString());
    assertThat(refine.statusCode()).isEqualTo(200);
    JsonNode refined = json(refine);
    assertThat(refined.get("narrative").asText()).startsWith("## " + title).contains("**", "\n> ");
    assertThat(refined.get("charts").size()).isBetween(1, 3);
    for (JsonNode chart : refined.get("charts")) {
      HttpResponse<byte[]> png = get("/api/files/" + container + "/" + chart.get("fileId").asText());
      assertThat(png.statusCode()).isEqualTo(200);
      assertThat(png.headers().firstValue("Content-Type")).hasValueSatisfying(v -> assertThat(v).startsWith("image/png"));
      assertThat(ImageIO.read(new ByteArrayInputStream(png.body())).getWidth()).isEqualTo(800);
    }
    JsonNode dataset = refined.get("resultDataset");
    HttpResponse<byte[]> csv = get("/api/files/" + container + "/" + dataset.get("fileId").asText());
    assertThat(new String(csv.body(), StandardCharsets.UTF_8).split("\n")).hasSize(dataset.get("rowCount").asInt() + 1);
    assertThat(dataset.get("colCount").asInt()).isEqualTo(3);

    assertThat(standIn.stats().requests(Endpoint.UPLOAD)).isEqualTo(1);
    assertThat(standIn.stats().requests(Endpoint.ANALYZE)).isEqualTo(1);
    assertThat(standIn.stats().requests(Endpoint.REFINE)).isEqualTo(1);
    assertThat(standIn.stats().requests(Endpoint.FILES)).isEqualTo(refined.get("charts").size() + 1);
  }

  @Test
  void analysesAreCountedPerSteeringPromptOnlyWhenAnswered() throws Exception {
    String container = containerOf(upload(standIn.baseUri(), CSV.getBytes(StandardCharsets.UTF_8), null));
    String body = JSON.createObjectNode().put("containerId", container).put("steeringPrompt", "counted angle 1")
        .toString();
    assertThat(post("/api/analyze", body).statusCode()).isEqualTo(200);
    assertThat(post("/api/analyze", body).statusCode()).isEqualTo(200);
    standIn.faults().inject(Endpoint.ANALYZE, Fault.INTERNAL_ERROR, 1);
    assertThat(post("/api/analyze", body).statusCode()).isEqualTo(500);

    assertThat(standIn.stats().analysesFor("counted angle 1")).as("two answered, the 500 not paid").isEqualTo(2);
    assertThat(standIn.stats().analysesFor("counted angle 2")).isZero();
  }

  @Test
  void analysisIsDeterministic() throws Exception {
    String a = containerOf(upload(standIn.baseUri(), CSV.getBytes(StandardCharsets.UTF_8), null));
    String b = containerOf(upload(standIn.baseUri(), CSV.getBytes(StandardCharsets.UTF_8), null));
    assertThat(json(post("/api/analyze", "{\"containerId\":\"" + a + "\",\"steeringPrompt\":\"trend\"}")))
        .isEqualTo(json(post("/api/analyze", "{\"containerId\":\"" + b + "\",\"steeringPrompt\":\"trend\"}")));
  }

  @Test
  void containersExpireTwentyMinutesAfterUpload() throws Exception {
    String container = containerOf(upload(standIn.baseUri(), CSV.getBytes(StandardCharsets.UTF_8), null));
    clock.advance(Duration.ofMinutes(19));
    assertThat(post("/api/analyze", "{\"containerId\":\"" + container + "\"}").statusCode()).isEqualTo(200);
    clock.advance(Duration.ofMinutes(1));
    HttpResponse<byte[]> expired = post("/api/analyze", "{\"containerId\":\"" + container + "\"}");
    assertThat(expired.statusCode()).isEqualTo(404);
    assertThat(json(expired).get("error").asText()).isEqualTo("container_not_found");
  }

  @Test
  void over50MegabytesIs413() throws Exception {
    byte[] big = new byte[(int) StandInConfig.MAX_UPLOAD_BYTES + 1];
    byte[] line = "12345,67890\n".getBytes(StandardCharsets.US_ASCII);
    for (int i = 0; i < big.length; i++) {
      big[i] = line[i % line.length];
    }
    HttpResponse<byte[]> response = upload(standIn.baseUri(), big, null);
    assertThat(response.statusCode()).isEqualTo(413);
    assertThat(json(response).get("error").asText()).isEqualTo("file_too_large");
  }

  @Test
  void notCsvIs422() throws Exception {
    HttpResponse<byte[]> response = upload(standIn.baseUri(), "{\"not\": \"csv\"}".getBytes(StandardCharsets.UTF_8), null);
    assertThat(response.statusCode()).isEqualTo(422);
    assertThat(json(response).get("error").asText()).isEqualTo("invalid_csv");
  }

  @Test
  void badRequestsAre400() throws Exception {
    assertThat(post("/api/analyze", "{}").statusCode()).isEqualTo(400);
    assertThat(post("/api/analyze", "not json").statusCode()).isEqualTo(400);
    String container = containerOf(upload(standIn.baseUri(), CSV.getBytes(StandardCharsets.UTF_8), null));
    HttpResponse<byte[]> unknown = post("/api/refine", "{\"containerId\":\"" + container
        + "\",\"selectedStoryTitle\":\"no such story\"}");
    assertThat(unknown.statusCode()).isEqualTo(400);
    assertThat(json(unknown).get("error").asText()).isEqualTo("unknown_story");
    assertThat(get("/api/files/" + container + "/file-nope").statusCode()).isEqualTo(404);
  }

  @Test
  void configuredKeysAreRequired() throws Exception {
    standIn.acceptKeys(Set.of("dsb_k1", "dsb_k2"));
    assertThat(upload(standIn.baseUri(), CSV.getBytes(StandardCharsets.UTF_8), null).statusCode()).isEqualTo(401);
    assertThat(upload(standIn.baseUri(), CSV.getBytes(StandardCharsets.UTF_8), "dsb_bad").statusCode()).isEqualTo(401);
    assertThat(upload(standIn.baseUri(), CSV.getBytes(StandardCharsets.UTF_8), "dsb_k2").statusCode()).isEqualTo(200);
    assertThat(standIn.stats().responses(401)).isEqualTo(2);
  }

  /** The stand-in answers before it needs the body; the client must still get that answer, not a reset. */
  @Test
  void aRejectedUploadIsAnsweredNotResetWhileTheBodyIsStillArriving() throws Exception {
    standIn.acceptKeys(Set.of("dsb_k1"));
    byte[] big = ("date,region,revenue\n" + "2025-01-05,North,100\n".repeat(150_000)).getBytes(StandardCharsets.UTF_8);
    for (int i = 0; i < 5; i++) {
      assertThat(upload(standIn.baseUri(), big, "dsb_bad").statusCode()).isEqualTo(401);
    }
    standIn.faults().inject(Endpoint.UPLOAD, Fault.UNAVAILABLE, 1);
    assertThat(upload(standIn.baseUri(), big, "dsb_k1").statusCode()).isEqualTo(503);
    assertThat(standIn.stats().requests(Endpoint.UPLOAD)).isEqualTo(6);
  }

  @Test
  void faultsAreSwitchedThroughTheAdminRoute() throws Exception {
    assertThat(http.send(HttpRequest.newBuilder(standIn.baseUri().resolve("/_standin/faults"))
        .POST(HttpRequest.BodyPublishers.ofString("{\"endpoint\":\"upload\",\"fault\":\"rate-limited\",\"times\":1}"))
        .build(), HttpResponse.BodyHandlers.discarding()).statusCode()).isEqualTo(204);
    HttpResponse<byte[]> limited = upload(standIn.baseUri(), CSV.getBytes(StandardCharsets.UTF_8), null);
    assertThat(limited.statusCode()).isEqualTo(429);
    assertThat(limited.headers().firstValue("Retry-After")).contains("2");
    assertThat(upload(standIn.baseUri(), CSV.getBytes(StandardCharsets.UTF_8), null).statusCode()).isEqualTo(200);

    JsonNode stats = json(get("/_standin/stats"));
    assertThat(stats.get("upload").asLong()).isEqualTo(2);
    assertThat(stats.at("/responses/429").asLong()).isEqualTo(1);
  }

  @Test
  void everyStatusFaultAnswersWithItsStatus() throws Exception {
    String container = containerOf(upload(standIn.baseUri(), CSV.getBytes(StandardCharsets.UTF_8), null));
    for (Fault fault : Arrays.asList(Fault.BAD_REQUEST, Fault.RATE_LIMITED, Fault.INTERNAL_ERROR, Fault.BAD_GATEWAY,
        Fault.UNAVAILABLE, Fault.GATEWAY_TIMEOUT, Fault.CONTAINER_BUSY)) {
      standIn.faults().inject(Endpoint.ANALYZE, fault, 1);
      HttpResponse<byte[]> response = post("/api/analyze", "{\"containerId\":\"" + container + "\"}");
      assertThat(response.statusCode()).as(fault.name()).isEqualTo(fault.status);
      assertThat(json(response).get("error").asText()).isEqualTo(fault.code);
    }
    standIn.faults().inject(Endpoint.ANALYZE, Fault.MALFORMED_JSON, 1);
    HttpResponse<byte[]> malformed = post("/api/analyze", "{\"containerId\":\"" + container + "\"}");
    assertThat(malformed.statusCode()).isEqualTo(200);
    assertThat(new String(malformed.body(), StandardCharsets.UTF_8)).doesNotEndWith("}");

    standIn.faults().inject(Endpoint.REFINE, Fault.CONTAINER_EXPIRED, 1);
    assertThat(post("/api/refine", "{\"containerId\":\"" + container + "\",\"selectedStoryTitle\":\"x\"}").statusCode())
        .isEqualTo(404);
    assertThat(post("/api/analyze", "{\"containerId\":\"" + container + "\"}").statusCode())
        .as("the container is really gone").isEqualTo(404);
  }

  @Test
  void hungConnectionsNeverAnswer() throws Exception {
    standIn.faults().inject(Endpoint.ANALYZE, Fault.HANG, 1);
    HttpRequest request = HttpRequest.newBuilder(standIn.baseUri().resolve("/api/analyze"))
        .timeout(Duration.ofMillis(300)).POST(HttpRequest.BodyPublishers.ofString("{}")).build();
    org.assertj.core.api.Assertions.assertThatThrownBy(() -> http.send(request, HttpResponse.BodyHandlers.discarding()))
        .isInstanceOf(java.net.http.HttpTimeoutException.class);
    assertThat(post("/api/analyze", "{}").statusCode()).as("only one call hangs").isEqualTo(400);
  }

  @Test
  void latencyIsSetThroughTheAdminRoute() throws Exception {
    try {
      assertThat(http.send(HttpRequest.newBuilder(standIn.baseUri().resolve("/_standin/latency"))
          .PUT(HttpRequest.BodyPublishers.ofString("{\"millis\":150}")).build(),
          HttpResponse.BodyHandlers.discarding()).statusCode()).isEqualTo(204);
      assertThat(standIn.faults().latency()).isEqualTo(Duration.ofMillis(150));
    } finally {
      standIn.faults().latency(Duration.ZERO);
    }
  }
}
