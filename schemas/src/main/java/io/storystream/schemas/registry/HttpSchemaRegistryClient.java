package io.storystream.schemas.registry;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.io.IOException;
import java.net.URI;
import java.net.URLDecoder;
import java.net.URLEncoder;
import java.util.Base64;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import org.apache.avro.Schema;

/**
 * A client of Confluent's schema-registry REST API over the JDK's HttpClient.
 *
 * <p>Ids are cached both ways: (subject, schema) → id, so a serializer registers once per process, and id → schema,
 * so a deserializer fetches each writer schema once. Schemas are immutable under an id, so the caches never expire.
 */
public final class HttpSchemaRegistryClient implements SchemaRegistryClient {
  private static final String CONTENT_TYPE = "application/vnd.schemaregistry.v1+json";
  private static final ObjectMapper JSON = new ObjectMapper();

  private final URI baseUri;
  /** "Basic …" when the URL carried user:password, else null; never logged. */
  private final String authorization;
  private final HttpClient http;
  private final Duration timeout;
  /** Asked by every serializer and deserializer call: parsed once, not once per record. */
  private final String sealingScope;
  private final Map<String, Map<Schema, Integer>> idsBySubject = new ConcurrentHashMap<>();
  private final Map<Integer, Schema> schemasById = new ConcurrentHashMap<>();

  public HttpSchemaRegistryClient(String baseUrl) {
    this(baseUrl, Duration.ofSeconds(10));
  }

  public HttpSchemaRegistryClient(String baseUrl, Duration timeout) {
    String trimmed = baseUrl.endsWith("/") ? baseUrl.substring(0, baseUrl.length() - 1) : baseUrl;
    URI given = URI.create(trimmed);
    if (given.getRawUserInfo() != null) {
      // http://user:password@host: HTTP basic authentication, credentials kept out of the URI used in messages
      String userInfo = URLDecoder.decode(given.getRawUserInfo(), StandardCharsets.UTF_8);
      this.authorization = "Basic " + Base64.getEncoder().encodeToString(userInfo.getBytes(StandardCharsets.UTF_8));
      this.baseUri = URI.create(given.getScheme() + "://" + given.getRawAuthority().substring(
          given.getRawAuthority().indexOf('@') + 1) + (given.getRawPath() == null ? "" : given.getRawPath()));
    } else {
      this.authorization = null;
      this.baseUri = given;
    }
    this.sealingScope = scopeOf(baseUri.toString());
    this.timeout = timeout;
    this.http = HttpClient.newBuilder().connectTimeout(timeout).version(HttpClient.Version.HTTP_1_1).build();
  }

  @Override
  public int register(String subject, Schema schema) {
    Map<Schema, Integer> ids = idsBySubject.computeIfAbsent(subject, s -> new ConcurrentHashMap<>());
    Integer cached = ids.get(schema);
    if (cached != null) {
      return cached;
    }
    ObjectNode body = JSON.createObjectNode().put("schema", schema.toString());
    JsonNode response = call("POST", "/subjects/" + encode(subject) + "/versions", body.toString());
    int id = response.path("id").asInt(-1);
    if (id < 0) {
      throw new SchemaRegistryException("registry answered register without an id", 200, -1);
    }
    ids.put(schema, id);
    schemasById.putIfAbsent(id, schema);
    return id;
  }

  @Override
  public Schema schemaById(int id) {
    Schema cached = schemasById.get(id);
    if (cached != null) {
      return cached;
    }
    JsonNode response;
    try {
      response = call("GET", "/schemas/ids/" + id, null);
    } catch (SchemaRegistryException e) {
      if (e.status() == 404) {
        throw new SchemaNotFoundException(id);
      }
      throw e;
    }
    Schema schema = new Schema.Parser().parse(response.path("schema").asText());
    schemasById.putIfAbsent(id, schema);
    return schema;
  }

  @Override
  public List<String> subjects() {
    List<String> subjects = new ArrayList<>();
    call("GET", "/subjects", null).forEach(node -> subjects.add(node.asText()));
    return subjects;
  }

  @Override
  public List<Integer> versions(String subject) {
    List<Integer> versions = new ArrayList<>();
    call("GET", "/subjects/" + encode(subject) + "/versions", null).forEach(node -> versions.add(node.asInt()));
    return versions;
  }

  @Override
  public String compatibility(String subject) {
    String path = subject == null ? "/config" : "/config/" + encode(subject) + "?defaultToGlobal=true";
    return call("GET", path, null).path("compatibilityLevel").asText();
  }

  @Override
  public void setCompatibility(String subject, String level) {
    String path = subject == null ? "/config" : "/config/" + encode(subject);
    call("PUT", path, JSON.createObjectNode().put("compatibility", level).toString());
  }

  private JsonNode call(String method, String path, String body) {
    HttpRequest.Builder request = HttpRequest.newBuilder(URI.create(baseUri + path))
        .timeout(timeout)
        .header("Accept", CONTENT_TYPE + ", application/json");
    if (authorization != null) {
      request.header("Authorization", authorization);
    }
    if (body == null) {
      request.method(method, HttpRequest.BodyPublishers.noBody());
    } else {
      request.header("Content-Type", CONTENT_TYPE).method(method, HttpRequest.BodyPublishers.ofString(body));
    }
    HttpResponse<String> response;
    try {
      response = http.send(request.build(), HttpResponse.BodyHandlers.ofString());
    } catch (IOException e) {
      throw new SchemaRegistryException("schema registry at " + baseUri + " unreachable: " + e.getMessage(), e);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new SchemaRegistryException("interrupted while calling the schema registry", e);
    }
    JsonNode json;
    try {
      json = response.body().isEmpty() ? JSON.nullNode() : JSON.readTree(response.body());
    } catch (IOException e) {
      throw new SchemaRegistryException(
          "schema registry answered " + method + " " + path + " with status " + response.statusCode() + " and a body that is not JSON",
          response.statusCode(), -1);
    }
    if (response.statusCode() / 100 != 2) {
      throw new SchemaRegistryException(
          "schema registry refused " + method + " " + path + ": " + response.statusCode() + " " + json.path("message").asText(""),
          response.statusCode(), json.path("error_code").asInt(-1));
    }
    return json;
  }

  private static String encode(String subject) {
    return URLEncoder.encode(subject, StandardCharsets.UTF_8);
  }

  @Override
  public String sealingScope() {
    return sealingScope;
  }

  /** The sealing scope of a registry URL: scheme, host, port and path, without credentials or a trailing slash. */
  public static String scopeOf(String registryUrl) {
    String trimmed = registryUrl.endsWith("/") ? registryUrl.substring(0, registryUrl.length() - 1) : registryUrl;
    URI given = URI.create(trimmed);
    String authority = given.getRawAuthority() == null ? "" : given.getRawAuthority();
    return given.getScheme() + "://" + authority.substring(authority.indexOf('@') + 1)
        + (given.getRawPath() == null ? "" : given.getRawPath());
  }

  @Override
  public String toString() {
    return "HttpSchemaRegistryClient[" + baseUri + "]";
  }
}
