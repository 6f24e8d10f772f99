package io.storystream.datastorybot.standin;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.javalin.Javalin;
import io.javalin.config.SizeUnit;
import io.javalin.http.Context;
import io.javalin.http.Handler;
import io.javalin.http.UploadedFile;
import io.storystream.datastorybot.standin.analysis.Angle;
import io.storystream.datastorybot.standin.analysis.CsvTable;
import io.storystream.datastorybot.standin.analysis.NotCsvException;
import io.storystream.datastorybot.standin.analysis.Profiler;
import io.storystream.datastorybot.standin.analysis.Refinement;
import io.storystream.datastorybot.standin.analysis.StoryFinder;
import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.net.URI;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.SecureRandom;
import java.time.Duration;
import java.time.Instant;
import java.util.HexFormat;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * A DataStoryBot-compatible HTTP server: the same four endpoints, bodies, status codes and 20-minute container
 * lifetime, backed by a real local analysis of the CSV. Fault switches ({@link #faults()}) and added latency let
 * tests reach every client path; {@link #stats()} counts what was called. Admin routes live under
 * {@code /_standin/}. Logs name containers and endpoints, never file content, prompts or keys.
 */
public final class StandInServer implements AutoCloseable {
  private static final Logger log = LoggerFactory.getLogger(StandInServer.class);
  private static final ObjectMapper JSON = new ObjectMapper();
  private static final SecureRandom RANDOM = new SecureRandom();
  private static final Duration MAX_HANG = Duration.ofMinutes(10);

  private final StandInConfig config;
  private final Faults faults = new Faults();
  private final StandInStats stats = new StandInStats();
  private final Map<String, Container> containers = new ConcurrentHashMap<>();
  private final CountDownLatch closing = new CountDownLatch(1);
  private final Path uploadCache;
  private volatile Set<String> apiKeys;
  private Javalin http;

  private StandInServer(StandInConfig config) throws IOException {
    this.config = config;
    this.apiKeys = config.apiKeys();
    this.uploadCache = Files.createTempDirectory("standin-uploads");
    faults.latency(config.latency());
  }

  public static StandInServer start(StandInConfig config) {
    try {
      StandInServer server = new StandInServer(config);
      server.startHttp();
      return server;
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }

  private void startHttp() {
    long multipartLimit = config.maxUploadBytes() * 2 + (1 << 20);
    http = Javalin.create(cfg -> {
      cfg.startup.showJavalinBanner = false;
      cfg.http.maxRequestSize = 1 << 20;
      cfg.jetty.multipartConfig.cacheDirectory(uploadCache.toString());
      cfg.jetty.multipartConfig.maxInMemoryFileSize(8, SizeUnit.MB);
      cfg.jetty.multipartConfig.maxFileSize(multipartLimit, SizeUnit.BYTES);
      cfg.jetty.multipartConfig.maxTotalRequestSize(multipartLimit, SizeUnit.BYTES);
      cfg.routes.exception(ApiError.class, (e, ctx) -> error(ctx, e.status, e.code, e.getMessage()));
      cfg.routes.exception(Exception.class, (e, ctx) -> {
        // class and origin only: exception messages (JSON parsers quote the body) could carry prompts or CSV content
        log.error("stand-in failed on {} {}: {} at {}", ctx.method(), ctx.path(), e.getClass().getName(),
            e.getStackTrace().length > 0 ? e.getStackTrace()[0] : "?");
        error(ctx, 500, "internal_error", "unexpected error");
      });
      cfg.routes.post("/api/upload", api(Endpoint.UPLOAD, this::upload));
      cfg.routes.post("/api/analyze", api(Endpoint.ANALYZE, this::analyze));
      cfg.routes.post("/api/refine", api(Endpoint.REFINE, this::refine));
      cfg.routes.get("/api/files/{containerId}/{fileId}", api(Endpoint.FILES, this::file));
      cfg.routes.get("/_standin/health", ctx -> ctx.json(Map.of("status", "ok", "containers", containers.size())));
      cfg.routes.get("/_standin/stats", ctx -> ctx.json(stats.snapshot()));
      cfg.routes.post("/_standin/stats/reset", ctx -> {
        stats.reset();
        ctx.status(204);
      });
      cfg.routes.post("/_standin/faults", this::addFault);
      cfg.routes.delete("/_standin/faults", ctx -> {
        faults.clear();
        ctx.status(204);
      });
      cfg.routes.put("/_standin/latency", ctx -> {
        faults.latency(Duration.ofMillis(JSON.readTree(ctx.bodyAsBytes()).path("millis").asLong()));
        ctx.status(204);
      });
      cfg.routes.put("/_standin/retry-after", ctx -> {
        faults.retryAfter(Duration.ofSeconds(JSON.readTree(ctx.bodyAsBytes()).path("seconds").asLong()));
        ctx.status(204);
      });
      cfg.routes.post("/_standin/containers/expire", ctx -> ctx.json(Map.of("expired", expireAll())));
    }).start(config.host(), config.port());
    log.info("DataStoryBot stand-in listening on {} ({})", baseUri(), config);
  }

  public int port() {
    return http.port();
  }

  public URI baseUri() {
    return URI.create("http://" + config.host() + ":" + port());
  }

  public Faults faults() {
    return faults;
  }

  public StandInStats stats() {
    return stats;
  }

  /** Replace the accepted keys while running (empty = no authentication), e.g. to rotate a key. */
  public void acceptKeys(Set<String> keys) {
    this.apiKeys = Set.copyOf(keys);
  }

  /** Deletes every container now, as if their 20 minutes were over. */
  public int expireAll() {
    int n = containers.size();
    containers.clear();
    return n;
  }

  @Override
  public void close() {
    closing.countDown();
    if (http != null) {
      http.stop();
    }
    containers.clear();
    try (var files = Files.walk(uploadCache)) {
      files.sorted(java.util.Comparator.reverseOrder()).forEach(p -> p.toFile().delete());
    } catch (IOException e) {
      log.debug("could not delete {}", uploadCache);
    }
  }

  // --- the API ---------------------------------------------------------------------------------------------------

  /** Counting, latency, authentication and fault injection around every API call. */
  private Handler api(Endpoint endpoint, Handler handler) {
    return ctx -> {
      stats.request(endpoint);
      try {
        Duration latency = faults.latency();
        if (!latency.isZero()) {
          closing.await(latency.toMillis(), TimeUnit.MILLISECONDS);
        }
        authenticate(ctx);
        Optional<Fault> fault = faults.next(endpoint);
        if (fault.isPresent()) {
          if (endpoint == Endpoint.UPLOAD) {
            discardBody(ctx);
          }
          inject(ctx, endpoint, fault.get());
        } else {
          handler.handle(ctx);
        }
      } catch (ApiError e) {
        error(ctx, e.status, e.code, e.getMessage());
      } finally {
        stats.response(ctx.statusCode());
      }
    };
  }

  private void authenticate(Context ctx) {
    Set<String> keys = apiKeys;
    if (keys.isEmpty()) {
      return;
    }
    String header = ctx.header("Authorization");
    String key = header != null && header.regionMatches(true, 0, "Bearer ", 0, 7) ? header.substring(7).strip() : null;
    if (key == null || !keys.contains(key)) {
      discardBody(ctx);
      throw new ApiError(401, "invalid_api_key", "invalid or expired API key");
    }
  }

  /**
   * Reads (up to a bound) a request body the answer will not use. Answering before the body has arrived makes Jetty
   * close the connection under a client still writing it, and the client then sees a reset instead of our answer.
   */
  private void discardBody(Context ctx) {
    try (InputStream in = ctx.req().getInputStream()) {
      long limit = config.maxUploadBytes() * 2;
      long read = 0;
      byte[] buffer = new byte[8192];
      for (int n; read < limit && (n = in.read(buffer)) > 0; ) {
        read += n;
      }
    } catch (IOException e) {
      log.debug("could not read the unused request body: {}", e.toString());
    }
  }

  private void inject(Context ctx, Endpoint endpoint, Fault fault) throws Exception {
    log.info("injecting {} on {}", fault, endpoint);
    switch (fault) {
      case HANG -> {
        closing.await(MAX_HANG.toMillis(), TimeUnit.MILLISECONDS);
        error(ctx, 503, "service_unavailable", "stand-in is shutting down");
      }
      case MALFORMED_JSON -> ctx.status(200).contentType("application/json").result("{\"stories\": [{\"title\": \"Rev");
      case CONTAINER_EXPIRED -> {
        String id = endpoint == Endpoint.FILES ? ctx.pathParam("containerId") : body(ctx).path("containerId").asText("");
        containers.remove(id);
        error(ctx, 404, fault.code, "container not found or expired");
      }
      default -> {
        if (fault == Fault.RATE_LIMITED || fault == Fault.UNAVAILABLE) {
          ctx.header("Retry-After", Long.toString(faults.retryAfter().toSeconds()));
        }
        error(ctx, fault.status, fault.code, "injected " + fault.name().toLowerCase().replace('_', ' '));
      }
    }
  }

  private void upload(Context ctx) throws IOException {
    sweepExpired();
    long declared = ctx.contentLength();
    if (declared > config.maxUploadBytes() * 2) {
      throw tooLarge();
    }
    UploadedFile file;
    try {
      file = ctx.uploadedFile("file");
    } catch (RuntimeException e) {
      if (declared < 0 || declared > config.maxUploadBytes()) {
        throw tooLarge();
      }
      throw new ApiError(400, "invalid_request", "malformed multipart body");
    }
    if (file == null) {
      throw new ApiError(400, "missing_file", "multipart field 'file' is required");
    }
    if (file.size() > config.maxUploadBytes()) {
      throw tooLarge();
    }
    byte[] bytes;
    try (InputStream in = file.content()) {
      bytes = in.readAllBytes();
    }
    String fileName = file.filename() == null || file.filename().isBlank() ? "upload.csv" : file.filename();
    if (faults.failsFile(fileName)) {
      throw new ApiError(500, "internal_error", "unexpected error");
    }
    CsvTable table;
    try {
      table = CsvTable.parse(bytes);
    } catch (NotCsvException e) {
      throw new ApiError(422, "invalid_csv", e.getMessage());
    }
    StoryFinder finder = new StoryFinder(fileName, table, Profiler.profile(table));
    Container container = new Container(newId("ctr_"), fileName, config.clock().instant().plus(config.containerTtl()),
        finder);
    String fileId = newId("file-");
    container.files.put(fileId, new Container.StoredFile(fileName, "text/csv", bytes));
    containers.put(container.id, container);
    log.info("container {} created ({} rows, {} columns)", container.id, table.rowCount(), table.headers().size());
    ObjectNode metadata = JSON.createObjectNode().put("fileName", fileName).put("fileSize", bytes.length)
        .put("rowCount", table.rowCount()).put("columnCount", table.headers().size());
    ArrayNode names = metadata.putArray("columns");
    finder.columns().forEach(c -> names.addObject().put("name", c.name()).put("type", c.type().label()));
    ctx.json(JSON.createObjectNode().put("containerId", container.id).put("fileId", fileId).set("metadata", metadata));
  }

  private void analyze(Context ctx) {
    JsonNode body = body(ctx);
    Container container = container(requiredText(body, "containerId"));
    withContainer(container, () -> {
      List<Angle> stories = container.finder.stories(body.path("steeringPrompt").asText(""));
      stats.analysisServed(body.path("steeringPrompt").asText(""));
      Map<String, Angle> byTitle = new LinkedHashMap<>();
      stories.forEach(s -> byTitle.put(s.title(), s));
      container.storiesByTitle = byTitle;
      ObjectNode out = JSON.createObjectNode();
      ArrayNode list = out.putArray("stories");
      stories.forEach(s -> list.addObject().put("title", s.title()).put("summary", s.summary()));
      out.putArray("chartFileIds");
      log.info("container {} analysed: {} stories", container.id, stories.size());
      ctx.json(out);
    });
  }

  private void refine(Context ctx) {
    JsonNode body = body(ctx);
    Container container = container(requiredText(body, "containerId"));
    String title = requiredText(body, "selectedStoryTitle");
    withContainer(container, () -> {
      Map<String, Angle> stories = container.storiesByTitle;
      if (stories == null) {
        stories = new LinkedHashMap<>();
        for (Angle angle : container.finder.stories("")) {
          stories.put(angle.title(), angle);
        }
        container.storiesByTitle = stories;
      }
      Angle angle = stories.get(title);
      if (angle == null) {
        throw new ApiError(400, "unknown_story", "selectedStoryTitle is not one of the analysed stories");
      }
      Refinement refinement = Refinement.of(container.fileName, container.finder.table(), container.finder.columns(),
          angle, body.path("refinementPrompt").asText(null));
      ObjectNode out = JSON.createObjectNode().put("narrative", refinement.narrative());
      ArrayNode charts = out.putArray("charts");
      for (Refinement.RenderedChart chart : refinement.charts()) {
        String fileId = newId("file-");
        container.files.put(fileId, new Container.StoredFile(chart.fileName(), "image/png", chart.png()));
        charts.addObject().put("fileId", fileId).put("fileName", chart.fileName()).put("caption", chart.caption());
      }
      String datasetId = newId("file-");
      container.files.put(datasetId, new Container.StoredFile(refinement.datasetName(), "text/csv",
          refinement.datasetCsv()));
      out.putObject("resultDataset").put("fileId", datasetId).put("fileName", refinement.datasetName())
          .put("rowCount", refinement.datasetRows()).put("colCount", refinement.datasetColumns());
      log.info("container {} refined: {} charts, dataset of {} rows", container.id, refinement.charts().size(),
          refinement.datasetRows());
      ctx.json(out);
    });
  }

  private void file(Context ctx) {
    Container container = container(ctx.pathParam("containerId"));
    Container.StoredFile file = container.files.get(ctx.pathParam("fileId"));
    if (file == null) {
      throw new ApiError(404, "file_not_found", "no such file in this container");
    }
    ctx.status(200).contentType(file.contentType())
        .header("Content-Disposition", "attachment; filename=\"" + file.fileName().replace("\"", "") + "\"")
        .result(file.bytes());
  }

  // --- helpers -------------------------------------------------------------------------------------------------

  private void withContainer(Container container, Runnable work) {
    if (!container.busy.tryLock()) {
      throw new ApiError(409, "container_busy", "a previous call on this container is still running");
    }
    try {
      work.run();
    } finally {
      container.busy.unlock();
    }
  }

  private Container container(String id) {
    Container container = containers.get(id);
    if (container == null || !config.clock().instant().isBefore(container.expiresAt)) {
      if (container != null) {
        containers.remove(id);
      }
      throw new ApiError(404, "container_not_found", "container not found or expired");
    }
    return container;
  }

  private void sweepExpired() {
    Instant now = config.clock().instant();
    containers.values().removeIf(c -> !now.isBefore(c.expiresAt));
  }

  private void addFault(Context ctx) throws IOException {
    JsonNode body = JSON.readTree(ctx.bodyAsBytes());
    Fault fault = Fault.parse(body.path("fault").asText(""));
    String endpointText = body.path("endpoint").asText("any");
    Endpoint endpoint = endpointText.equalsIgnoreCase("any") ? Faults.ANY : Endpoint.parse(endpointText);
    int times = body.path("times").asInt(0);
    double probability = body.path("probability").asDouble(1);
    if (probability < 1) {
      faults.sometimes(endpoint, fault, probability);
    } else if (times > 0) {
      faults.inject(endpoint, fault, times);
    } else {
      faults.always(endpoint, fault);
    }
    ctx.status(204);
  }

  private static ApiError tooLarge() {
    return new ApiError(413, "file_too_large", "the file exceeds the 50 MB upload limit");
  }

  private static JsonNode body(Context ctx) {
    try {
      JsonNode node = JSON.readTree(ctx.bodyAsBytes());
      if (node == null || !node.isObject()) {
        throw new ApiError(400, "invalid_request", "the body must be a JSON object");
      }
      return node;
    } catch (IOException e) {
      throw new ApiError(400, "invalid_request", "the body is not valid JSON");
    }
  }

  private static String requiredText(JsonNode body, String field) {
    String value = body.path(field).asText("");
    if (value.isBlank()) {
      throw new ApiError(400, "missing_parameter", field + " is required");
    }
    return value;
  }

  private static void error(Context ctx, int status, String code, String message) {
    ctx.status(status).contentType("application/json")
        .result("{\"error\":" + quote(code) + ",\"message\":" + quote(message) + "}");
  }

  private static String quote(String text) {
    try {
      return JSON.writeValueAsString(text);
    } catch (IOException e) {
      return "\"\"";
    }
  }

  private static String newId(String prefix) {
    byte[] bytes = new byte[12];
    RANDOM.nextBytes(bytes);
    return prefix + HexFormat.of().formatHex(bytes);
  }

  /** An error answered with DataStoryBot's status and {@code {"error", "message"}} body. */
  static final class ApiError extends RuntimeException {
    final int status;
    final String code;

    ApiError(int status, String code, String message) {
      super(message, null, false, false);
      this.status = status;
      this.code = code;
    }
  }
}
