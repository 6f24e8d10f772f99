package io.storystream.ingress.http;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.javalin.http.Context;
import io.storystream.common.http.Problem;
import io.storystream.common.http.ProblemException;
import java.io.IOException;
import java.io.InputStream;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Set;
import java.util.TreeSet;

/**
 * Reads a request body that must be one JSON object with known fields, answering everything else with an RFC 9457
 * problem: not {@code application/json} → 415 {@code unsupported-media-type}; larger than the route's limit → 413
 * {@code request-too-large}; not JSON → 400 {@code malformed-json}; JSON but not an object → 422
 * {@code invalid-body}; a field outside the allowed set → 422 {@code unknown-field} with the offending names in
 * {@code fields}. Unknown fields are refused rather than ignored, so a typo in an optional field never passes
 * silently. Nothing is read past the limit.
 */
public final class JsonBodies {
  private static final int MAX_ECHOED_NAME = 40;

  private JsonBodies() {}

  public static ObjectNode readObject(Context ctx, int maxBytes, Set<String> allowed) throws IOException {
    String contentType = ctx.contentType() == null ? "" : ctx.contentType().toLowerCase(Locale.ROOT);
    if (!contentType.startsWith("application/json")) {
      throw new ProblemException(415, "unsupported-media-type", "Unsupported media type", "send application/json");
    }
    byte[] bytes;
    try (InputStream in = ctx.req().getInputStream()) {
      bytes = in.readNBytes(maxBytes + 1);
    }
    if (bytes.length > maxBytes) {
      throw new ProblemException(413, "request-too-large", "Request too large",
          "the body has at most " + maxBytes + " bytes");
    }
    JsonNode node;
    try {
      node = Json.mapper().readTree(bytes);
    } catch (JsonProcessingException e) {
      throw new ProblemException(400, "malformed-json", "Malformed JSON", "the body is not valid JSON");
    }
    if (node == null || !node.isObject()) {
      throw new ProblemException(422, "invalid-body", "Invalid body", "the body must be a JSON object");
    }
    List<String> unknown = new ArrayList<>();
    node.fieldNames().forEachRemaining(name -> {
      if (!allowed.contains(name)) {
        unknown.add(echoable(name));
      }
    });
    if (!unknown.isEmpty()) {
      throw new ProblemException(Problem.of(422, "unknown-field", "Unknown field",
          "allowed fields are " + String.join(", ", new TreeSet<>(allowed))).with("fields", unknown));
    }
    return (ObjectNode) node;
  }

  /**
   * The fields a body may have: the components of its record, the same record the OpenAPI document describes the
   * body with, so the accepted fields and the documented ones are one list.
   */
  public static Set<String> fieldsOf(Class<? extends Record> body) {
    Set<String> names = new java.util.LinkedHashSet<>();
    for (var component : body.getRecordComponents()) {
      names.add(component.getName());
    }
    return Set.copyOf(names);
  }

  /** A client's field name as it may be sent back: short, and nothing but letters, digits, dot, dash, underscore. */
  public static String echoable(String name) {
    String cut = name.length() > MAX_ECHOED_NAME ? name.substring(0, MAX_ECHOED_NAME) : name;
    return cut.replaceAll("[^\\p{Alnum}._-]", "?");
  }
}
