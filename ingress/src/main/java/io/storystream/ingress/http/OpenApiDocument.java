package io.storystream.ingress.http;

import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.util.List;
import java.util.Locale;

/**
 * The OpenAPI 3.1 document of both servers, generated from the same {@link Route} specs the servers register: the
 * tenant API's paths use the document's server, the operator API's paths name the operator server.
 */
public final class OpenApiDocument {
  private OpenApiDocument() {}

  public static ObjectNode build(List<Route> tenantRoutes, List<Route> operatorRoutes, String tenantUrl,
                                 String operatorUrl) {
    var json = Json.mapper();
    ObjectNode doc = json.createObjectNode();
    doc.put("openapi", "3.1.0");
    ObjectNode info = doc.putObject("info");
    info.put("title", "storystream");
    info.put("version", "0.1.0");
    info.put("description", "Multi-tenant gateway for DataStoryBot. Tenant API (API key) and operator API "
        + "(operator token, its own port). Every error is application/problem+json (RFC 9457).");
    doc.putArray("servers").addObject().put("url", tenantUrl).put("description", "tenant API");
    ObjectNode paths = doc.putObject("paths");
    add(paths, tenantRoutes, null);
    add(paths, operatorRoutes, operatorUrl);

    ObjectNode components = doc.putObject("components");
    ObjectNode schemes = components.putObject("securitySchemes");
    schemes.putObject("tenantBearer").put("type", "http").put("scheme", "bearer")
        .put("description", "a tenant API key ssk_…");
    schemes.putObject("tenantApiKey").put("type", "apiKey").put("in", "header").put("name", "X-Api-Key");
    schemes.putObject("operatorToken").put("type", "http").put("scheme", "bearer")
        .put("description", "the operator token (STORYSTREAM_OPERATOR_TOKEN or <data-dir>/operator-token)");
    ObjectNode problem = components.putObject("schemas").putObject("Problem");
    problem.put("type", "object");
    ObjectNode props = problem.putObject("properties");
    props.putObject("type").put("type", "string").put("format", "uri");
    props.putObject("title").put("type", "string");
    props.putObject("status").put("type", "integer");
    props.putObject("detail").put("type", "string");
    props.putObject("instance").put("type", "string");
    problem.putArray("required").add("type").add("title").add("status");
    return doc;
  }

  private static void add(ObjectNode paths, List<Route> routes, String serverUrl) {
    var json = Json.mapper();
    for (Route r : routes) {
      ObjectNode path = paths.has(r.path()) ? (ObjectNode) paths.get(r.path()) : paths.putObject(r.path());
      if (serverUrl != null && !path.has("servers")) {
        path.putArray("servers").addObject().put("url", serverUrl).put("description", "operator API");
      }
      ObjectNode op = path.putObject(r.method().name().toLowerCase(Locale.ROOT));
      op.put("operationId", r.operationId());
      op.put("summary", r.summary());
      op.putArray("tags").add(r.path().startsWith("/admin") ? "operator" : r.path().startsWith("/v1") ? "tenant" : "operations");
      ArrayNode params = json.createArrayNode();
      for (String name : r.pathParams()) {
        ObjectNode p = params.addObject();
        p.put("name", name).put("in", "path").put("required", true);
        p.putObject("schema").put("type", "string");
      }
      for (Route.QueryParam q : r.query()) {
        ObjectNode p = params.addObject();
        p.put("name", q.name()).put("in", "query").put("required", false).put("description", q.description());
        p.putObject("schema").put("type", q.type());
      }
      if (r.method().name().equals("POST") && r.path().equals("/v1/analyses")) {
        ObjectNode p = params.addObject();
        p.put("name", "Idempotency-Key").put("in", "header").put("required", false)
            .put("description", "the same key with the same body returns the same job");
        p.putObject("schema").put("type", "string").put("maxLength", 128);
      }
      if (!params.isEmpty()) {
        op.set("parameters", params);
      }
      if (!r.requestMedia().isEmpty()) {
        ObjectNode content = op.putObject("requestBody").put("required", true).putObject("content");
        for (String media : r.requestMedia()) {
          ObjectNode schema = content.putObject(media).putObject("schema");
          if (media.startsWith("multipart/")) {
            schema.put("type", "object").putObject("properties").putObject("file").put("type", "string")
                .put("contentMediaType", "text/csv");
          } else if (media.equals("application/json")) {
            schema.put("type", "object");
          } else {
            schema.put("type", "string");
          }
        }
      }
      switch (r.access()) {
        case TENANT -> {
          ArrayNode security = op.putArray("security");
          security.addObject().putArray("tenantBearer");
          security.addObject().putArray("tenantApiKey");
        }
        case OPERATOR -> op.putArray("security").addObject().putArray("operatorToken");
        case PUBLIC -> op.putArray("security");
      }
      ObjectNode responses = op.putObject("responses");
      r.responses().forEach((status, reply) -> {
        ObjectNode resp = responses.putObject(Integer.toString(status));
        resp.put("description", reply.description());
        if (reply.media() != null) {
          ObjectNode schema = resp.putObject("content").putObject(reply.media()).putObject("schema");
          if (reply.media().equals(Route.Problem.MEDIA)) {
            schema.put("$ref", "#/components/schemas/Problem");
          } else if (reply.media().equals("application/json")) {
            schema.put("type", "object");
          } else {
            schema.put("type", "string");
          }
        }
      });
      if (!responses.has("400") && !r.requestMedia().isEmpty()) {
        // every route with a body can answer 400; listed for completeness
        responses.putObject("400").put("description", "bad request").putObject("content")
            .putObject(Route.Problem.MEDIA).putObject("schema").put("$ref", "#/components/schemas/Problem");
      }
    }
  }
}
