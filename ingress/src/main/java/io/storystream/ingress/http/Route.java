package io.storystream.ingress.http;

import io.javalin.http.Handler;
import io.javalin.http.HandlerType;
import io.storystream.ingress.api.ProblemTypes;
import io.storystream.ingress.auth.Scope;
import java.util.ArrayList;
import java.util.EnumSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * One served route and everything said about it: who may call it (tenant key with a scope, operator token, anyone),
 * which audit action it records, and what the OpenAPI document says. Routes are registered from these specs and the
 * document is generated from the same specs, so the two cannot drift apart.
 */
public record Route(HandlerType method, String path, Access access, Set<Scope> anyOf, String auditAction,
                    String auditResourceParam, String operationId, String summary, List<QueryParam> query,
                    List<String> requestMedia, Class<?> requestType, Map<Integer, Reply> responses, Handler handler) {

  /** Who may call a route. */
  public enum Access { TENANT, OPERATOR, PUBLIC }

  public record QueryParam(String name, String description, String type) {}

  /**
   * One documented answer; {@code type} is the record a JSON body is written from (null: no JSON body);
   * {@code problems} the problem types (slugs of {@code api.ProblemTypes}) an error status answers with: the document
   * lists exactly these, and {@link DeclaredProblems} refuses to answer any other.
   */
  public record Reply(String description, String media, Class<?> type, List<String> problems) {
    public Reply(String description, String media, Class<?> type) {
      this(description, media, type, List.of());
    }

    public Reply(String description, String media) {
      this(description, media, null, List.of());
    }
  }

  /** Whether the route declares answering {@code status} with the problem type {@code typeUri}. */
  public boolean declares(int status, String typeUri) {
    Reply reply = responses.get(status);
    return reply != null && typeUri != null && typeUri.startsWith(ProblemTypes.BASE)
        && reply.problems().contains(typeUri.substring(ProblemTypes.BASE.length()));
  }

  /**
   * This route with more problem types declared for {@code status} (declared by what serves it: the gate's embed
   * tokens, the transfer bounds), the status added when it was not declared yet.
   */
  public Route withProblems(int status, String... slugs) {
    Map<Integer, Reply> more = new java.util.TreeMap<>(responses);
    more.put(status, Builder.addProblems(more.get(status), status, List.of(slugs)));
    return new Route(method, path, access, anyOf, auditAction, auditResourceParam, operationId, summary, query,
        requestMedia, requestType, more, handler);
  }

  /** The record a JSON answer with {@code status} is declared to be, if any. */
  public Class<?> replyType(int status) {
    Reply reply = responses.get(status);
    return reply == null ? null : reply.type();
  }

  public static Builder get(String path) {
    return new Builder(HandlerType.GET, path);
  }

  public static Builder post(String path) {
    return new Builder(HandlerType.POST, path);
  }

  public static Builder put(String path) {
    return new Builder(HandlerType.PUT, path);
  }

  public static Builder patch(String path) {
    return new Builder(HandlerType.PATCH, path);
  }

  public static Builder delete(String path) {
    return new Builder(HandlerType.DELETE, path);
  }

  /** Path parameter names, in order ({@code /v1/files/{fileId}} → fileId). */
  public List<String> pathParams() {
    List<String> names = new ArrayList<>();
    var m = java.util.regex.Pattern.compile("\\{([^}]+)}").matcher(path);
    while (m.find()) {
      names.add(m.group(1));
    }
    return names;
  }

  public static final class Builder {
    private final HandlerType method;
    private final String path;
    private Access access = Access.PUBLIC;
    private Set<Scope> anyOf = EnumSet.noneOf(Scope.class);
    private String auditAction;
    private String auditResourceParam;
    private String operationId;
    private String summary = "";
    private final List<QueryParam> query = new ArrayList<>();
    private final List<String> requestMedia = new ArrayList<>();
    private Class<?> requestType;
    private final Map<Integer, Reply> responses = new LinkedHashMap<>();

    private Builder(HandlerType method, String path) {
      this.method = method;
      this.path = path;
    }

    /** A tenant route; the key needs one of these scopes (none: any valid key). */
    public Builder tenant(Scope... scopes) {
      this.access = Access.TENANT;
      this.anyOf = scopes.length == 0 ? EnumSet.noneOf(Scope.class) : EnumSet.of(scopes[0], scopes);
      // what the gate answers before the handler runs (Gate.tenant); embed tokens add theirs (Gate.declare)
      reply(401, "missing, unknown, revoked or expired key").problems(401, "missing-api-key", "invalid-api-key",
          "api-key-revoked", "api-key-expired", "tenant-inactive");
      if (scopes.length > 0) {
        reply(403, "the key lacks the scope").problems(403, "insufficient-scope");
      }
      reply(429, "rate limited; see Retry-After").problems(429, "rate-limited");
      reply(503, "keys cannot be checked right now; see Retry-After").problems(503, "directory-unavailable");
      return this;
    }

    public Builder operator() {
      this.access = Access.OPERATOR;
      // what the gate answers before the handler runs (Gate.operator)
      reply(401, "missing or wrong operator token").problems(401, "invalid-operator-token");
      reply(429, "too many failed attempts from this address; see Retry-After")
          .problems(429, "too-many-failed-logins");
      return this;
    }

    public Builder audit(String action, String resourceParam) {
      this.auditAction = action;
      this.auditResourceParam = resourceParam;
      return this;
    }

    public Builder doc(String operationId, String summary) {
      this.operationId = operationId;
      this.summary = summary;
      return this;
    }

    public Builder query(String name, String type, String description) {
      query.add(new QueryParam(name, description, type));
      return this;
    }

    public Builder consumes(String... media) {
      requestMedia.addAll(List.of(media));
      return this;
    }

    /**
     * A JSON request body read with {@link JsonBodies#readObject} and checked against the fields of {@code type}; it
     * declares what that reading refuses (not JSON, too large, not an object, an unknown field).
     */
    public Builder body(Class<?> type) {
      document(type, "application/json");
      reply(400, "malformed JSON").problems(400, "malformed-json");
      reply(413, "body too large").problems(413, "request-too-large");
      reply(415, "not application/json").problems(415, "unsupported-media-type");
      reply(422, "invalid fields").problems(422, "invalid-body", "unknown-field");
      return this;
    }

    /**
     * A request body described by {@code type} in each of {@code media} (e.g. JSON and YAML) that this route does not
     * read itself (a relay passes it on): nothing is declared for reading it.
     */
    public Builder document(Class<?> type, String... media) {
      for (String m : media) {
        if (!requestMedia.contains(m)) {
          requestMedia.add(m);
        }
      }
      this.requestType = type;
      return this;
    }

    /** A JSON answer written from {@code type}: the document's schema and the handler's body are one type. */
    public Builder returns(int status, String description, Class<?> type) {
      responses.put(status, new Reply(description, "application/json", type));
      return this;
    }

    /** Applies a shared set of declarations (replies every route of a kind gives). */
    public Builder apply(java.util.function.UnaryOperator<Builder> declarations) {
      return declarations.apply(this);
    }

    public Builder reply(int status, String description) {
      // 204 and 304 have no body; an error is a problem; anything else is JSON
      return reply(status, description, status == 204 || status == 304 ? null
          : status >= 400 ? Problem.MEDIA : "application/json");
    }

    /**
     * The problem types the route answers {@code status} with (added to those declared before): the document
     * describes that status as {@code oneOf} their schemas, and {@link DeclaredProblems} refuses to answer a problem
     * that is not declared. A status not declared yet is declared, described by when its types are answered.
     */
    public Builder problems(int status, String... slugs) {
      responses.put(status, addProblems(responses.get(status), status, List.of(slugs)));
      return this;
    }

    static Reply addProblems(Reply reply, int status, List<String> slugs) {
      if (reply != null && !Problem.MEDIA.equals(reply.media())) {
        throw new IllegalStateException(status + " is declared as " + reply.media() + ", not as a problem");
      }
      java.util.LinkedHashSet<String> all = new java.util.LinkedHashSet<>(reply == null ? List.of() : reply.problems());
      for (String slug : slugs) {
        ProblemTypes.Type t = ProblemTypes.of(slug).orElseThrow(() -> new IllegalStateException(
            "problem type " + slug + " is not in api.ProblemTypes"));
        if (t.status() != status) {
          throw new IllegalStateException("problem type " + slug + " is a " + t.status() + ", not a " + status);
        }
        all.add(slug);
      }
      String description = reply != null ? reply.description() : all.stream()
          .map(s -> ProblemTypes.of(s).orElseThrow().when()).collect(java.util.stream.Collectors.joining("; "));
      return new Reply(description, Problem.MEDIA, null, List.copyOf(all));
    }

    public Builder reply(int status, String description, String media) {
      Reply before = responses.get(status);
      // a problem status keeps the types declared for it so far; only its description changes
      List<String> problems = before != null && Problem.MEDIA.equals(media) && media.equals(before.media())
          ? before.problems() : List.of();
      responses.put(status, new Reply(description, media, null, problems));
      return this;
    }

    public Route handle(Handler handler) {
      if (operationId == null) {
        throw new IllegalStateException("route " + method + " " + path + " needs an operationId");
      }
      // any route can fail on the service's side; the request id identifies the fault in the logs
      if (!responses.containsKey(500)) {
        reply(500, "a fault of the service");
      }
      problems(500, "internal");
      // any route may meet the object store or the broker away (an S3 outage, a broker restart): that is a 503 with
      // Retry-After, never a 500 (ApiServer maps the SDK's client errors; the fault campaign met those 500s)
      if (!responses.containsKey(503)) {
        reply(503, "a dependency (Kafka, S3) is unavailable; retry");
      }
      if (Problem.MEDIA.equals(responses.get(503).media())) { // not a route whose 503 is a document (readiness)
        problems(503, "unavailable");
      }
      Map<Integer, Reply> sorted = new java.util.TreeMap<>(responses);
      return new Route(method, path, access, anyOf, auditAction, auditResourceParam, operationId, summary,
          List.copyOf(query), List.copyOf(requestMedia), requestType, sorted, handler);
    }
  }

  /** Media type constants. */
  public static final class Problem {
    public static final String MEDIA = io.storystream.common.http.Problem.MEDIA_TYPE;

    private Problem() {}
  }
}
