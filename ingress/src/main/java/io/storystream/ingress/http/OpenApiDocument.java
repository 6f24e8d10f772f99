package io.storystream.ingress.http;

import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import com.fasterxml.classmate.ResolvedType;
import com.github.victools.jsonschema.generator.CustomDefinition;
import com.github.victools.jsonschema.generator.CustomDefinitionProviderV2;
import com.github.victools.jsonschema.generator.Option;
import com.github.victools.jsonschema.generator.OptionPreset;
import com.github.victools.jsonschema.generator.SchemaBuilder;
import com.github.victools.jsonschema.generator.SchemaGenerationContext;
import com.github.victools.jsonschema.generator.SchemaGenerator;
import com.github.victools.jsonschema.generator.SchemaGeneratorConfigBuilder;
import com.github.victools.jsonschema.generator.SchemaVersion;
import com.github.victools.jsonschema.module.jackson.JacksonModule;
import com.github.victools.jsonschema.module.jackson.JacksonOption;
import io.storystream.common.http.OptionalField;
import io.storystream.ingress.api.ProblemTypes;
import java.util.Arrays;
import java.util.List;
import java.util.Locale;
import java.util.stream.Collectors;

/**
 * The OpenAPI 3.1 document of both servers, generated from the same {@link Route} specs the servers register: the
 * tenant API's paths use the document's server, the operator API's paths name the operator server. Every JSON body
 * a route declares is a record ({@link Route.Builder#body}, {@link Route.Builder#returns(int, String, Class)}); its
 * JSON Schema is generated here from that record with Jackson's view of it (the same mapper that writes it), and
 * {@link Json#write} refuses to answer with any other type, so the document and the handlers are one definition.
 * Every problem type of {@link ProblemTypes} has a schema with its {@code type} URI.
 */
public final class OpenApiDocument {
  private OpenApiDocument() {}

  /** JSON Schema 2020-12 (OpenAPI 3.1's dialect) of records, as Jackson writes them. */
  static SchemaGenerator schemaGenerator() {
    SchemaGeneratorConfigBuilder config = new SchemaGeneratorConfigBuilder(Json.mapper(), SchemaVersion.DRAFT_2020_12,
        OptionPreset.PLAIN_JSON)
        .with(new JacksonModule(JacksonOption.FLATTENED_ENUMS_FROM_JSONVALUE,
            JacksonOption.RESPECT_JSONPROPERTY_ORDER))
        .with(Option.DEFINITIONS_FOR_ALL_OBJECTS, Option.EXTRA_OPEN_API_FORMAT_VALUES, Option.ADDITIONAL_FIXED_TYPES,
            Option.MAP_VALUES_AS_ADDITIONAL_PROPERTIES, Option.FORBIDDEN_ADDITIONAL_PROPERTIES_BY_DEFAULT)
        .without(Option.SCHEMA_VERSION_INDICATOR);
    config.forTypesInGeneral().withDefinitionNamingStrategy((key, context) ->
        key.getType().getErasedType().getSimpleName());
    // a map is described where it is used (an object whose values are …), not as a shared "Map" definition: maps of
    // different values would otherwise share one name
    config.forTypesInGeneral().withCustomDefinitionProvider(new CustomDefinitionProviderV2() {
      @Override
      public CustomDefinition provideCustomSchemaDefinition(ResolvedType type, SchemaGenerationContext context) {
        return !type.isInstanceOf(java.util.Map.class) ? null : new CustomDefinition(
            context.createStandardDefinition(type, this), CustomDefinition.DefinitionType.INLINE,
            CustomDefinition.AttributeInclusion.NO);
      }
    });
    // every field is required and never null, unless its record component says @OptionalField
    config.forFields()
        .withRequiredCheck(f -> f.getAnnotationConsideringFieldAndGetter(OptionalField.class) == null)
        .withNullableCheck(f -> f.getAnnotationConsideringFieldAndGetter(OptionalField.class) != null);
    return new SchemaGenerator(config.build());
  }

  /** The component name of a problem type's schema: {@code not-found} → {@code NotFoundProblem}. */
  static String problemSchemaName(String slug) {
    return Arrays.stream(slug.split("-")).map(w -> Character.toUpperCase(w.charAt(0)) + w.substring(1))
        .collect(Collectors.joining()) + "Problem";
  }

  /** The schema of a JSON answer that is this document itself ({@code GET /openapi.json}). */
  static final String API_DESCRIPTION = "OpenApiDocument";

  /** Media types whose body a record describes: JSON, and YAML (whose documents are JSON's, written otherwise). */
  static boolean structured(String media) {
    return media.equals("application/json") || media.equals("application/yaml");
  }

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
    SchemaBuilder bodies = schemaGenerator().buildMultipleSchemaDefinitions();
    add(paths, tenantRoutes, null, bodies);
    add(paths, operatorRoutes, operatorUrl, bodies);

    ObjectNode components = doc.putObject("components");
    ObjectNode schemes = components.putObject("securitySchemes");
    schemes.putObject("tenantBearer").put("type", "http").put("scheme", "bearer")
        .put("description", "a tenant API key ssk_…");
    schemes.putObject("tenantApiKey").put("type", "apiKey").put("in", "header").put("name", "X-Api-Key");
    schemes.putObject("operatorToken").put("type", "http").put("scheme", "bearer")
        .put("description", "the operator token (STORYSTREAM_OPERATOR_TOKEN or <data-dir>/operator-token)");
    ObjectNode schemas = components.putObject("schemas");
    schemas.setAll(bodies.collectDefinitions("components/schemas"));
    ObjectNode description = schemas.putObject(API_DESCRIPTION);
    description.put("type", "object");
    description.put("description", "An OpenAPI 3.1 document (https://spec.openapis.org/oas/v3.1.0), such as this one");
    description.putObject("properties").putObject("openapi").put("type", "string").put("pattern", "^3\\.1\\.");
    description.putArray("required").add("openapi").add("info").add("paths");
    ObjectNode problem = schemas.putObject("Problem");
    problem.put("type", "object");
    problem.put("description", "An RFC 9457 problem detail (application/problem+json). type is one of the *Problem "
        + "schemas' type URIs; clients switch on it. Some types add members (field, fields, reason, state).");
    ObjectNode props = problem.putObject("properties");
    props.putObject("type").put("type", "string").put("format", "uri");
    props.putObject("title").put("type", "string");
    props.putObject("status").put("type", "integer");
    props.putObject("detail").put("type", "string");
    props.putObject("instance").put("type", "string");
    problem.putArray("required").add("type").add("title").add("status");
    for (ProblemTypes.Type t : ProblemTypes.ALL) {
      ObjectNode typed = schemas.putObject(problemSchemaName(t.slug()));
      typed.put("description", t.title() + " (" + t.status() + "): " + t.when());
      typed.putArray("allOf").addObject().put("$ref", "#/components/schemas/Problem");
      ObjectNode p = typed.putObject("properties");
      p.putObject("type").put("const", t.uri());
      p.putObject("status").put("const", t.status());
    }
    return doc;
  }

  private static void add(ObjectNode paths, List<Route> routes, String serverUrl, SchemaBuilder bodies) {
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
          ObjectNode mediaNode = content.putObject(media);
          if (r.requestType() != null && structured(media)) {
            mediaNode.set("schema", bodies.createSchemaReference(r.requestType())); // filled in by collectDefinitions
            continue;
          }
          ObjectNode schema = mediaNode.putObject("schema");
          if (media.startsWith("multipart/")) {
            schema.put("type", "object").putObject("properties").putObject("file").put("type", "string")
                .put("format", "binary").put("contentMediaType", "text/csv");
            schema.putArray("required").add("file");
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
          ObjectNode mediaNode = resp.putObject("content").putObject(reply.media());
          if (reply.type() != null && com.fasterxml.jackson.databind.JsonNode.class.isAssignableFrom(reply.type())) {
            mediaNode.putObject("schema").put("$ref", "#/components/schemas/" + API_DESCRIPTION); // this document
            return;
          }
          if (reply.type() != null) {
            mediaNode.set("schema", bodies.createSchemaReference(reply.type())); // filled in by collectDefinitions
            return;
          }
          ObjectNode schema = mediaNode.putObject("schema");
          if (reply.media().equals(Route.Problem.MEDIA) && !reply.problems().isEmpty()) {
            // the route lists the problem types it answers this status with: exactly those schemas
            ArrayNode oneOf = schema.putArray("oneOf");
            for (String slug : reply.problems()) {
              ProblemTypes.Type t = ProblemTypes.ALL.stream().filter(p -> p.slug().equals(slug)).findFirst()
                  .orElseThrow(() -> new IllegalStateException(r.method() + " " + r.path() + " lists problem type "
                      + slug + ", which api.ProblemTypes does not"));
              if (t.status() != status) {
                throw new IllegalStateException(r.method() + " " + r.path() + " lists " + slug + " (" + t.status()
                    + ") under " + status);
              }
              oneOf.addObject().put("$ref", "#/components/schemas/" + problemSchemaName(slug));
            }
          } else if (reply.media().equals(Route.Problem.MEDIA)) {
            schema.put("$ref", "#/components/schemas/Problem");
          } else if (reply.media().equals("application/json")) {
            schema.put("type", "object");
          } else {
            schema.put("type", "string");
          }
        }
      });
    }
  }
}
