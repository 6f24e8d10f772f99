package io.storystream.embedded.registry;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.javalin.Javalin;
import io.javalin.http.Context;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;
import org.apache.avro.Schema;
import org.apache.avro.SchemaCompatibility;
import org.apache.avro.SchemaParseException;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * A Confluent-compatible schema registry endpoint (Avro only) whose state lives in the compacted {@code _schemas}
 * topic, so schemas and their ids survive a restart. It serves the REST calls clients and tools make: register,
 * look up, fetch by id, list subjects and versions, read and set compatibility, test compatibility. Errors come
 * back with Confluent's status codes and {@code {"error_code", "message"}} body.
 *
 * <p>One instance writes at a time (the embedded default runs one); writes are serialized in this JVM.
 */
public final class SchemaRegistryServer implements AutoCloseable {
  private static final Logger log = LoggerFactory.getLogger(SchemaRegistryServer.class);
  private static final String CONTENT_TYPE = "application/vnd.schemaregistry.v1+json";
  private static final Set<String> LEVELS = Set.of("NONE", "BACKWARD", "BACKWARD_TRANSITIVE", "FORWARD",
      "FORWARD_TRANSITIVE", "FULL", "FULL_TRANSITIVE");
  private static final ObjectMapper JSON = new ObjectMapper();

  private record Version(String subject, int version, int id, String schema) {}

  private final String host;
  private final int requestedPort;
  private final String bootstrapServers;
  private final short replicationFactor;
  private final Map<Integer, String> schemasById = new TreeMap<>();
  private final Map<String, List<Version>> subjects = new TreeMap<>();
  private final Map<String, String> subjectLevels = new TreeMap<>();
  private String globalLevel = "BACKWARD";
  private SchemaLog schemaLog;
  private Javalin http;

  public SchemaRegistryServer(String host, int port, String bootstrapServers, short replicationFactor) {
    this.host = host;
    this.requestedPort = port;
    this.bootstrapServers = bootstrapServers;
    this.replicationFactor = replicationFactor;
  }

  public SchemaRegistryServer start() throws InterruptedException {
    schemaLog = new SchemaLog(bootstrapServers);
    schemaLog.ensureTopic(replicationFactor);
    schemaLog.replay(this::apply);
    http = Javalin.create(cfg -> {
      cfg.startup.showJavalinBanner = false;
      cfg.http.prefer405over404 = true;
      cfg.routes.exception(RegistryError.class, (e, ctx) -> error(ctx, e.status, e.errorCode, e.getMessage()));
      cfg.routes.exception(com.fasterxml.jackson.core.JacksonException.class,
          (e, ctx) -> error(ctx, 400, RegistryError.MALFORMED_REQUEST, "Malformed JSON request body"));
      cfg.routes.error(404, ctx -> {
        if (ctx.result() == null) {
          error(ctx, 404, 404, "HTTP 404 Not Found");
        }
      });
      cfg.routes.error(405, ctx -> error(ctx, 405, 405, "HTTP 405 Method Not Allowed"));
      cfg.routes.get("/", ctx -> json(ctx, JSON.createObjectNode()));
      cfg.routes.get("/schemas/types", ctx -> json(ctx, JSON.createArrayNode().add("AVRO")));
      cfg.routes.get("/subjects", ctx -> json(ctx, stringArray(subjectNames())));
      cfg.routes.get("/subjects/{subject}/versions", ctx -> json(ctx, versionNumbers(ctx.pathParam("subject"))));
      cfg.routes.get("/subjects/{subject}/versions/{version}", ctx ->
          json(ctx, versionJson(version(ctx.pathParam("subject"), ctx.pathParam("version")))));
      cfg.routes.get("/subjects/{subject}/versions/{version}/schema", ctx ->
          ctx.contentType(CONTENT_TYPE).result(version(ctx.pathParam("subject"), ctx.pathParam("version")).schema()));
      cfg.routes.post("/subjects/{subject}/versions", ctx ->
          json(ctx, JSON.createObjectNode().put("id", register(ctx.pathParam("subject"), schemaOf(ctx)))));
      cfg.routes.post("/subjects/{subject}", ctx -> json(ctx, versionJson(lookup(ctx.pathParam("subject"), schemaOf(ctx)))));
      cfg.routes.get("/schemas/ids/{id}", ctx -> json(ctx, JSON.createObjectNode().put("schema", schemaById(ctx.pathParam("id")))));
      cfg.routes.get("/schemas/ids/{id}/schema", ctx -> ctx.contentType(CONTENT_TYPE).result(schemaById(ctx.pathParam("id"))));
      cfg.routes.get("/schemas/ids/{id}/versions", ctx -> json(ctx, usages(ctx.pathParam("id"))));
      cfg.routes.get("/config", ctx -> json(ctx, JSON.createObjectNode().put("compatibilityLevel", globalLevel())));
      cfg.routes.put("/config", ctx -> json(ctx, JSON.createObjectNode().put("compatibility", setLevel(null, levelOf(ctx)))));
      cfg.routes.get("/config/{subject}", ctx -> json(ctx, JSON.createObjectNode()
          .put("compatibilityLevel", level(ctx.pathParam("subject"), "true".equals(ctx.queryParam("defaultToGlobal"))))));
      cfg.routes.put("/config/{subject}", ctx ->
          json(ctx, JSON.createObjectNode().put("compatibility", setLevel(ctx.pathParam("subject"), levelOf(ctx)))));
      cfg.routes.post("/compatibility/subjects/{subject}/versions/{version}", ctx ->
          json(ctx, JSON.createObjectNode().put("is_compatible",
              compatibleWith(ctx.pathParam("subject"), ctx.pathParam("version"), schemaOf(ctx)))));
    }).start(host, requestedPort);
    log.info("schema registry ready on {} ({} schemas, {} subjects)", url(), schemasById.size(), subjects.size());
    return this;
  }

  public String url() {
    return "http://" + host + ":" + http.port();
  }

  public int port() {
    return http.port();
  }

  // --- the registry's rules -------------------------------------------------------------------------------------

  private synchronized int register(String subject, Schema schema) {
    List<Version> versions = subjects.getOrDefault(subject, List.of());
    for (Version v : versions) {
      if (parse(v.schema()).equals(schema)) {
        return v.id();
      }
    }
    String level = effectiveLevel(subject);
    if (!isCompatible(level, schema, versions)) {
      throw new RegistryError(409, RegistryError.INCOMPATIBLE, "Schema being registered is incompatible with an"
          + " earlier schema for subject \"" + subject + "\" (compatibility " + level + ")");
    }
    String text = schema.toString();
    int id = schemasById.entrySet().stream().filter(e -> parse(e.getValue()).equals(schema))
        .map(Map.Entry::getKey).findFirst()
        .orElse(schemasById.isEmpty() ? 1 : ((TreeMap<Integer, String>) schemasById).lastKey() + 1);
    int version = versions.isEmpty() ? 1 : versions.get(versions.size() - 1).version() + 1;
    ObjectNode key = JSON.createObjectNode().put("keytype", "SCHEMA").put("subject", subject).put("version", version)
        .put("magic", 1);
    ObjectNode value = JSON.createObjectNode().put("subject", subject).put("version", version).put("id", id)
        .put("schema", text).put("deleted", false);
    schemaLog.append(key, value);
    apply(key, value);
    log.info("registered schema id {} as version {} of subject {}", id, version, subject);
    return id;
  }

  private synchronized Version lookup(String subject, Schema schema) {
    List<Version> versions = subjects.get(subject);
    if (versions == null) {
      throw RegistryError.subjectNotFound(subject);
    }
    return versions.stream().filter(v -> parse(v.schema()).equals(schema)).findFirst()
        .orElseThrow(RegistryError::schemaNotFound);
  }

  private synchronized boolean compatibleWith(String subject, String versionText, Schema schema) {
    Version version = version(subject, versionText);
    String level = effectiveLevel(subject);
    return isCompatible(level.replace("_TRANSITIVE", ""), schema, List.of(version));
  }

  private static boolean isCompatible(String level, Schema candidate, List<Version> history) {
    if (history.isEmpty() || "NONE".equals(level)) {
      return true;
    }
    List<Version> against = level.endsWith("_TRANSITIVE") ? history : List.of(history.get(history.size() - 1));
    boolean backward = level.startsWith("BACKWARD") || level.startsWith("FULL");
    boolean forward = level.startsWith("FORWARD") || level.startsWith("FULL");
    for (Version v : against) {
      Schema existing = parse(v.schema());
      if (backward && !readable(candidate, existing)) {
        return false;
      }
      if (forward && !readable(existing, candidate)) {
        return false;
      }
    }
    return true;
  }

  private static boolean readable(Schema reader, Schema writer) {
    return SchemaCompatibility.checkReaderWriterCompatibility(reader, writer).getType()
        == SchemaCompatibility.SchemaCompatibilityType.COMPATIBLE;
  }

  private synchronized String setLevel(String subject, String level) {
    if (level == null || !LEVELS.contains(level)) {
      throw new RegistryError(422, RegistryError.INVALID_COMPATIBILITY, "Invalid compatibility level. Valid values are "
          + String.join(", ", new java.util.TreeSet<>(LEVELS)));
    }
    ObjectNode key = JSON.createObjectNode().put("keytype", "CONFIG").put("magic", 0);
    if (subject == null) {
      key.putNull("subject");
    } else {
      key.put("subject", subject);
    }
    ObjectNode value = JSON.createObjectNode().put("compatibilityLevel", level);
    schemaLog.append(key, value);
    apply(key, value);
    return level;
  }

  private synchronized String level(String subject, boolean defaultToGlobal) {
    String level = subjectLevels.get(subject);
    if (level == null && !defaultToGlobal) {
      throw new RegistryError(404, RegistryError.SUBJECT_CONFIG_NOT_FOUND,
          "Subject '" + subject + "' does not have subject-level compatibility configured");
    }
    return level == null ? globalLevel : level;
  }

  private synchronized String globalLevel() {
    return globalLevel;
  }

  private String effectiveLevel(String subject) {
    return subjectLevels.getOrDefault(subject, globalLevel);
  }

  /** Applies one record of the schema log to the in-memory view; used at replay and after each append. */
  private synchronized void apply(JsonNode key, JsonNode value) {
    String keytype = key.path("keytype").asText();
    if ("SCHEMA".equals(keytype)) {
      String subject = key.path("subject").asText();
      List<Version> versions = subjects.computeIfAbsent(subject, s -> new ArrayList<>());
      int version = key.path("version").asInt();
      versions.removeIf(v -> v.version() == version);
      if (value != null && !value.path("deleted").asBoolean(false)) {
        Version v = new Version(subject, version, value.path("id").asInt(), value.path("schema").asText());
        versions.add(v);
        versions.sort(java.util.Comparator.comparingInt(Version::version));
        schemasById.putIfAbsent(v.id(), v.schema());
      }
      if (versions.isEmpty()) {
        subjects.remove(subject);
      }
    } else if ("CONFIG".equals(keytype)) {
      String level = value == null ? null : value.path("compatibilityLevel").asText(null);
      if (key.path("subject").isNull() || key.path("subject").isMissingNode()) {
        globalLevel = level == null ? "BACKWARD" : level;
      } else if (level == null) {
        subjectLevels.remove(key.path("subject").asText());
      } else {
        subjectLevels.put(key.path("subject").asText(), level);
      }
    }
  }

  // --- HTTP plumbing ------------------------------------------------------------------------------------------------

  private synchronized List<String> subjectNames() {
    return new ArrayList<>(subjects.keySet());
  }

  private synchronized ArrayNode versionNumbers(String subject) {
    List<Version> versions = subjects.get(subject);
    if (versions == null) {
      throw RegistryError.subjectNotFound(subject);
    }
    ArrayNode array = JSON.createArrayNode();
    versions.forEach(v -> array.add(v.version()));
    return array;
  }

  private synchronized Version version(String subject, String versionText) {
    List<Version> versions = subjects.get(subject);
    int wanted;
    if ("latest".equals(versionText) || "-1".equals(versionText)) {
      wanted = -1;
    } else {
      try {
        wanted = Integer.parseInt(versionText);
      } catch (NumberFormatException e) {
        wanted = 0;
      }
      if (wanted <= 0) {
        throw new RegistryError(422, RegistryError.INVALID_VERSION, "The specified version '" + versionText
            + "' is not a valid version id. Allowed values are between [1, 2^31-1] and the string \"latest\"");
      }
    }
    if (versions == null) {
      throw RegistryError.subjectNotFound(subject);
    }
    if (wanted == -1) {
      return versions.get(versions.size() - 1);
    }
    final int target = wanted;
    return versions.stream().filter(v -> v.version() == target).findFirst()
        .orElseThrow(() -> RegistryError.versionNotFound(versionText));
  }

  private synchronized String schemaById(String idText) {
    int id;
    try {
      id = Integer.parseInt(idText);
    } catch (NumberFormatException e) {
      throw RegistryError.schemaNotFound();
    }
    String schema = schemasById.get(id);
    if (schema == null) {
      throw RegistryError.schemaNotFound();
    }
    return schema;
  }

  private synchronized ArrayNode usages(String idText) {
    schemaById(idText); // 404 unless the id exists
    int id = Integer.parseInt(idText);
    ArrayNode array = JSON.createArrayNode();
    subjects.values().forEach(vs -> vs.stream().filter(v -> v.id() == id).forEach(v ->
        array.add(JSON.createObjectNode().put("subject", v.subject()).put("version", v.version()))));
    return array;
  }

  private static ObjectNode versionJson(Version v) {
    return JSON.createObjectNode().put("subject", v.subject()).put("version", v.version()).put("id", v.id())
        .put("schema", v.schema());
  }

  private static Schema schemaOf(Context ctx) throws java.io.IOException {
    JsonNode body = JSON.readTree(ctx.body());
    if (body == null || !body.isObject() || !body.path("schema").isTextual()) {
      throw new RegistryError(422, RegistryError.INVALID_SCHEMA, "Invalid schema: the body must be an object with a 'schema' string");
    }
    String type = body.path("schemaType").asText("AVRO");
    if (!"AVRO".equals(type)) {
      throw new RegistryError(422, RegistryError.INVALID_SCHEMA, "Unsupported schema type " + type + "; only AVRO is served");
    }
    try {
      return parse(body.path("schema").asText());
    } catch (SchemaParseException e) {
      throw new RegistryError(422, RegistryError.INVALID_SCHEMA, "Invalid schema: " + e.getMessage());
    }
  }

  private static String levelOf(Context ctx) throws java.io.IOException {
    JsonNode body = JSON.readTree(ctx.body());
    return body == null ? null : body.path("compatibility").asText(null);
  }

  private static Schema parse(String text) {
    return new Schema.Parser().setValidateDefaults(true).parse(text);
  }

  private static ArrayNode stringArray(List<String> values) {
    ArrayNode array = JSON.createArrayNode();
    values.forEach(array::add);
    return array;
  }

  private static void json(Context ctx, JsonNode node) {
    ctx.contentType(CONTENT_TYPE).result(node.toString());
  }

  private static void error(Context ctx, int status, int errorCode, String message) {
    ctx.status(status).contentType(CONTENT_TYPE)
        .result(JSON.createObjectNode().put("error_code", errorCode).put("message", message).toString());
  }

  @Override
  public void close() {
    if (http != null) {
      http.stop();
      http = null;
    }
    if (schemaLog != null) {
      schemaLog.close();
      schemaLog = null;
    }
  }
}
