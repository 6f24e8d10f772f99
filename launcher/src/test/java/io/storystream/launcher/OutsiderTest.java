package io.storystream.launcher;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assumptions.assumeThat;
import static org.awaitility.Awaitility.await;

import com.fasterxml.jackson.databind.JsonNode;
import io.storystream.common.http.JsonMapper;
import io.storystream.embedded.FreePorts;
import java.io.IOException;
import java.net.ConnectException;
import java.net.Inet4Address;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.NetworkInterface;
import java.net.Socket;
import java.net.SocketTimeoutException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Path;
import java.time.Duration;
import java.time.YearMonth;
import java.time.ZoneOffset;
import java.util.ArrayList;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.stream.Stream;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.DynamicTest;
import org.junit.jupiter.api.MethodOrderer;
import org.junit.jupiter.api.Order;
import org.junit.jupiter.api.TestMethodOrder;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestFactory;
import org.junit.jupiter.api.TestInstance;
import org.junit.jupiter.api.io.TempDir;

/**
 * The embedded default as an outsider meets it. A victim tenant uploads, analyses, downloads and is billed; then
 * every port the embedded default opens is asked, without credentials and with another tenant's key, what a curious
 * client would ask. The table is data: a row per (port, request, credential) and the statuses it may answer; every
 * answer, headers included, must be free of the victim's tenant id, ids, key, CSV content, statement and metrics
 * (except what the request itself named). Ports whose software has no authentication of its own in the embedded
 * default (Kafka, its controller, the schema registry) and every other port are also tried from another host: they
 * listen on 127.0.0.1 only.
 */
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
@TestMethodOrder(MethodOrderer.OrderAnnotation.class)
class OutsiderTest {
  private static final String VICTIM = "victim-co";
  private static final String OUTSIDER = "outsider-co";
  private static final String MARKER = "revenue_zq7k";

  @TempDir static Path data;
  private final HttpClient http = HttpClient.newBuilder().version(HttpClient.Version.HTTP_1_1).build();
  private final Map<String, Integer> ports = new LinkedHashMap<>();
  private EmbeddedDefault system;
  private String victimKey;
  private String outsiderKey;
  private String victimFile;
  private String victimJob;
  private String month;

  enum Credential { NONE, OUTSIDER_KEY, OUTSIDER_KEY_AS_X_API_KEY }

  /** One row: ask {@code port} {@code method path} with {@code credential}; it may answer one of {@code statuses}. */
  record Probe(String port, String method, String path, String body, Credential credential, Set<Integer> statuses) {
    @Override
    public String toString() {
      return port + " " + method + " " + path + " as " + credential.name().toLowerCase(Locale.ROOT);
    }
  }

  @BeforeAll
  void startTheSystemWithAVictim() throws Exception {
    for (String name : List.of("kafka", "kafka-controller", "s3", "registry", "tenant", "operator", "billing",
        "datastorybot-standin", "management", "postgres")) {
      ports.put(name, FreePorts.pick());
    }
    system = new EmbeddedDefault(new EmbeddedDefault.Settings(data, "127.0.0.1", ports.get("kafka"),
        ports.get("kafka-controller"), ports.get("s3"), "storystream", ports.get("registry"), 2, ports.get("tenant"),
        ports.get("operator"), ports.get("billing"), ports.get("datastorybot-standin"), null, null, null,
        ports.get("management"), ports.get("postgres"), null)).start();
    victimKey = provision(VICTIM);
    outsiderKey = provision(OUTSIDER);
    month = YearMonth.now(ZoneOffset.UTC).toString();

    StringBuilder csv = new StringBuilder("month,region," + MARKER + "\n");
    for (int m = 1; m <= 12; m++) {
      for (String region : List.of("north", "south", "east")) {
        csv.append(String.format(Locale.ROOT, "2025-%02d,%s,%d%n", m, region, 1000 + m * 37 + region.length() * 11));
      }
    }
    HttpResponse<String> upload = send(tenant("POST", "/v1/files?name=victim.csv", victimKey)
        .header("Content-Type", "text/csv").POST(HttpRequest.BodyPublishers.ofString(csv.toString())));
    assertThat(upload.statusCode()).as(upload.body()).isEqualTo(201);
    victimFile = json(upload).path("id").asText();
    HttpResponse<String> submit = send(tenant("POST", "/v1/analyses", victimKey)
        .header("Content-Type", "application/json")
        .POST(HttpRequest.BodyPublishers.ofString("{\"fileId\":\"" + victimFile + "\",\"steeringPrompt\":\"growth\"}")));
    assertThat(submit.statusCode()).as(submit.body()).isEqualTo(202);
    victimJob = json(submit).path("jobId").asText();
    await().atMost(Duration.ofMinutes(3)).pollInterval(Duration.ofMillis(500)).until(() ->
        json(send(tenant("GET", "/v1/analyses/" + victimJob + "?wait=10s", victimKey))).path("state").asText()
            .equals("completed"));
    assertThat(send(tenant("GET", "/v1/analyses/" + victimJob + "/dataset", victimKey)).statusCode()).isEqualTo(200);
    await().atMost(Duration.ofMinutes(2)).pollInterval(Duration.ofMillis(500)).until(() ->
        send(tenant("GET", "/v1/statements/" + month, victimKey)).statusCode() == 200);
    // the operator's views over every tenant, relayed by the operator API (before the table's failed attempts
    // make this address wait)
    HttpResponse<String> monthView = send(HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + ports.get("operator")
        + "/admin/months/" + month + "/statements")).header("Authorization", "Bearer " + system.operatorToken()));
    assertThat(monthView.statusCode()).as(monthView.body()).isEqualTo(200);
    assertThat(monthView.body()).contains("\"tenantId\":\"" + VICTIM + "\"");
    HttpResponse<String> explain = send(HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + ports.get("operator")
        + "/admin/tenants/" + VICTIM + "/months/" + month + "/explain"))
        .header("Authorization", "Bearer " + system.operatorToken()));
    assertThat(explain.statusCode()).as(explain.body()).isEqualTo(200);
    assertThat(json(explain).path("eventsCounted").asLong()).isPositive();
  }

  @AfterAll
  void stop() {
    if (system != null) {
      system.close();
    }
  }

  /** What the outsider must never see: the victim's tenant id, file, job, key id and key, and its CSV's content. */
  private List<String> victimSecrets() {
    return List.of(VICTIM, victimFile, victimJob, victimKey.substring(4, 34), victimKey, MARKER);
  }

  private List<Probe> table() {
    String m = month;
    String f = victimFile;
    String j = victimJob;
    List<Probe> rows = new ArrayList<>();
    for (Credential c : Credential.values()) {
      boolean anonymous = c == Credential.NONE;
      Set<Integer> own = anonymous ? Set.of(401) : Set.of(200);
      Set<Integer> foreign = anonymous ? Set.of(401) : Set.of(404);
      // the tenant API: nothing about another tenant, no metrics at all
      rows.add(new Probe("tenant", "GET", "/metrics", null, c, Set.of(404)));
      rows.add(new Probe("tenant", "GET", "/v1/files", null, c, own));
      rows.add(new Probe("tenant", "GET", "/v1/files/" + f, null, c, foreign));
      rows.add(new Probe("tenant", "DELETE", "/v1/files/" + f, null, c, foreign));
      rows.add(new Probe("tenant", "GET", "/v1/analyses/" + j, null, c, foreign));
      rows.add(new Probe("tenant", "GET", "/v1/analyses/" + j + "/result", null, c, foreign));
      rows.add(new Probe("tenant", "GET", "/v1/analyses/" + j + "/charts/0", null, c, foreign));
      rows.add(new Probe("tenant", "GET", "/v1/analyses/" + j + "/dataset", null, c, foreign));
      rows.add(new Probe("tenant", "POST", "/v1/analyses", "{\"fileId\":\"" + f + "\"}", c,
          anonymous ? Set.of(401) : Set.of(404)));
      rows.add(new Probe("tenant", "GET", "/v1/usage", null, c, own));
      rows.add(new Probe("tenant", "GET", "/v1/statements/" + m, null, c, anonymous ? Set.of(401) : Set.of(200, 404)));
      rows.add(new Probe("tenant", "GET", "/v1/statements/" + m + "/revisions", null, c,
          anonymous ? Set.of(401) : Set.of(200, 404)));
      // the outsider's own audit trail: it may list the outsider's own failed attempts on the ids it named
      rows.add(new Probe("tenant", "GET", "/v1/audit", null, c, own));
      rows.add(new Probe("tenant", "GET", "/health/ready", null, c, Set.of(200)));
      rows.add(new Probe("tenant", "GET", "/openapi.json", null, c, Set.of(200)));
      // the operator API: a tenant key is no operator token (and failed attempts soon answer 429)
      Set<Integer> refused = Set.of(401, 429);
      rows.add(new Probe("operator", "GET", "/admin/tenants", null, c, refused));
      rows.add(new Probe("operator", "GET", "/admin/tenants/" + VICTIM, null, c, refused));
      rows.add(new Probe("operator", "GET", "/admin/tenants/" + VICTIM + "/keys", null, c, refused));
      rows.add(new Probe("operator", "GET", "/admin/tenants/" + VICTIM + "/audit", null, c, refused));
      rows.add(new Probe("operator", "GET", "/admin/months/" + m + "/statements", null, c, refused));
      rows.add(new Probe("operator", "POST", "/admin/tenants/" + VICTIM + "/keys", "{}", c, refused));
      // the billing read API: only the relay and the operator
      rows.add(new Probe("billing", "GET", "/months/" + m + "/statements", null, c, Set.of(401)));
      rows.add(new Probe("billing", "GET", "/tenants/" + VICTIM + "/usage", null, c, Set.of(401)));
      rows.add(new Probe("billing", "GET", "/tenants/" + VICTIM + "/statements", null, c, Set.of(401)));
      rows.add(new Probe("billing", "GET", "/tenants/" + VICTIM + "/statements/" + m, null, c, Set.of(401)));
      rows.add(new Probe("billing", "GET", "/tenants/" + VICTIM + "/months/" + m + "/explain", null, c, Set.of(401)));
      rows.add(new Probe("billing", "GET", "/health", null, c, Set.of(200)));
      // the management port: metrics only with the metrics token; health names no tenant
      rows.add(new Probe("management", "GET", "/metrics", null, c, Set.of(401)));
      rows.add(new Probe("management", "GET", "/health/ready", null, c, Set.of(200)));
      rows.add(new Probe("management", "GET", "/health/live", null, c, Set.of(200)));
      // S3: every request must be signed with the service's key
      rows.add(new Probe("s3", "GET", "/storystream?prefix=tenants/" + VICTIM + "/", null, c, Set.of(400, 403)));
      rows.add(new Probe("s3", "GET", "/storystream/tenants/" + VICTIM + "/files/" + f, null, c, Set.of(400, 403)));
      rows.add(new Probe("s3", "GET", "/", null, c, Set.of(400, 403)));
      // the registry holds schemas, not tenant data; the stand-in holds containers behind unguessable ids
      rows.add(new Probe("registry", "GET", "/subjects", null, c, Set.of(200)));
      rows.add(new Probe("datastorybot-standin", "GET", "/_standin/health", null, c, Set.of(200)));
    }
    return rows;
  }

  @TestFactory
  @Order(1)
  Stream<DynamicTest> noPortAnswersAnOutsiderWithAnythingOfAnotherTenant() {
    return table().stream().map(probe -> DynamicTest.dynamicTest(probe.toString(), () -> {
      HttpRequest.Builder request = HttpRequest.newBuilder(URI.create(
          "http://127.0.0.1:" + ports.get(probe.port()) + probe.path())).timeout(Duration.ofSeconds(30))
          .method(probe.method(), probe.body() == null ? HttpRequest.BodyPublishers.noBody()
              : HttpRequest.BodyPublishers.ofString(probe.body()));
      if (probe.body() != null) {
        request.header("Content-Type", "application/json");
      }
      switch (probe.credential()) {
        case OUTSIDER_KEY -> request.header("Authorization", "Bearer " + outsiderKey);
        case OUTSIDER_KEY_AS_X_API_KEY -> request.header("X-Api-Key", outsiderKey);
        case NONE -> { }
      }
      HttpResponse<String> response = send(request);
      assertThat(response.statusCode()).as("%s answered %s", probe, response.body()).isIn(probe.statuses());
      String seen = response.headers().map() + "\n" + response.body();
      List<String> namedBefore = new ArrayList<>();
      if (probe.path().equals("/v1/audit") && response.statusCode() == 200) {
        for (JsonNode event : json(response).path("events")) {
          assertThat(event.path("tenantId").asText()).isEqualTo(OUTSIDER);
          if (List.of(victimFile, victimJob).contains(event.path("resourceId").asText())) {
            assertThat(event.path("outcome").asText()).as("%s", event).isNotEqualTo("success");
          }
        }
        namedBefore.addAll(List.of(victimFile, victimJob)); // as the resource of the outsider's refused calls
      }
      for (String secret : victimSecrets()) {
        if (probe.path().contains(secret) || (probe.body() != null && probe.body().contains(secret))
            || namedBefore.contains(secret)) {
          continue; // the outsider named it; an echo of its own request is no leak
        }
        assertThat(seen).as("%s must not reveal %s", probe, secret).doesNotContain(secret);
      }
    }));
  }

  @Test
  @Order(2)
  void theVictimsDataIsIntactAfterTheOutsidersAttempts() throws Exception {
    assertThat(send(tenant("GET", "/v1/files/" + victimFile, victimKey)).statusCode()).isEqualTo(200);
    HttpResponse<String> metrics = send(HttpRequest.newBuilder(URI.create(
        "http://127.0.0.1:" + ports.get("management") + "/metrics"))
        .header("Authorization", "Bearer " + system.operatorToken()));
    assertThat(metrics.statusCode()).isEqualTo(200);
    assertThat(metrics.body()).as("the operator does see per-tenant series").contains("tenant=\"" + VICTIM + "\"");
  }

  @Test
  @Order(3)
  void everyPortListensOnLoopbackOnlySoAnotherHostReachesNone() throws Exception {
    Optional<InetAddress> external = Collections.list(NetworkInterface.getNetworkInterfaces()).stream()
        .filter(i -> {
          try {
            return i.isUp() && !i.isLoopback();
          } catch (IOException e) {
            return false;
          }
        })
        .flatMap(i -> Collections.list(i.getInetAddresses()).stream())
        .filter(a -> a instanceof Inet4Address && !a.isLoopbackAddress()).findFirst();
    assumeThat(external).as("this machine has a non-loopback address to try from").isPresent();
    for (var port : ports.entrySet()) {
      try (Socket socket = new Socket()) {
        socket.connect(new InetSocketAddress(external.get(), port.getValue()), 2000);
        throw new AssertionError(port.getKey() + " (" + port.getValue() + ") accepts connections on "
            + external.get().getHostAddress());
      } catch (ConnectException | SocketTimeoutException refused) {
        // not listening there: another host cannot reach it
      }
    }
  }

  @Test
  @Order(4)
  void twoDownloadsWithTheSameRequestIdCountTwiceInUsageAndOnTheStatement() throws Exception {
    long usageBefore = json(send(tenant("GET", "/v1/usage", victimKey))).path("usage").path("downloads").asLong();
    long lineBefore = downloadsLine();
    for (int i = 0; i < 2; i++) {
      HttpResponse<String> download = send(tenant("GET", "/v1/analyses/" + victimJob + "/dataset", victimKey)
          .header("X-Request-Id", "client-chosen-id-1"));
      assertThat(download.statusCode()).isEqualTo(200);
      assertThat(download.headers().firstValue("X-Request-Id")).hasValue("client-chosen-id-1");
    }
    await().atMost(Duration.ofMinutes(1)).pollInterval(Duration.ofMillis(300)).untilAsserted(() -> {
      assertThat(json(send(tenant("GET", "/v1/usage", victimKey))).path("usage").path("downloads").asLong())
          .isEqualTo(usageBefore + 2);
      assertThat(downloadsLine()).isEqualTo(lineBefore + 2);
    });
  }

  private long downloadsLine() throws Exception {
    for (JsonNode line : json(send(tenant("GET", "/v1/statements/" + month, victimKey))).path("lines")) {
      if (line.path("code").asText().equals("downloads")) {
        return line.path("quantity").asLong();
      }
    }
    return 0;
  }

  private String provision(String tenantId) throws Exception {
    String operator = "http://127.0.0.1:" + ports.get("operator");
    HttpResponse<String> created = send(HttpRequest.newBuilder(URI.create(operator + "/admin/tenants"))
        .header("Authorization", "Bearer " + system.operatorToken()).header("Content-Type", "application/json")
        .POST(HttpRequest.BodyPublishers.ofString(
            "{\"tenantId\":\"" + tenantId + "\",\"name\":\"" + tenantId + "\",\"plan\":\"pro\"}")));
    assertThat(created.statusCode()).as(created.body()).isIn(200, 201);
    HttpResponse<String> key = send(HttpRequest.newBuilder(URI.create(operator + "/admin/tenants/" + tenantId + "/keys"))
        .header("Authorization", "Bearer " + system.operatorToken()).header("Content-Type", "application/json")
        .POST(HttpRequest.BodyPublishers.ofString("{}")));
    assertThat(key.statusCode()).as(key.body()).isEqualTo(201);
    return json(key).path("apiKey").asText();
  }

  private HttpRequest.Builder tenant(String method, String path, String key) {
    return HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + ports.get("tenant") + path))
        .timeout(Duration.ofSeconds(60)).header("Authorization", "Bearer " + key)
        .method(method, HttpRequest.BodyPublishers.noBody());
  }

  private HttpResponse<String> send(HttpRequest.Builder request) throws Exception {
    return http.send(request.build(), HttpResponse.BodyHandlers.ofString());
  }

  private static JsonNode json(HttpResponse<String> response) throws IOException {
    return JsonMapper.shared().readTree(response.body());
  }
}
