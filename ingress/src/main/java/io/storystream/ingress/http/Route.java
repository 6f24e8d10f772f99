package io.storystream.ingress.http;

import io.javalin.http.Handler;
import io.javalin.http.HandlerType;
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
   * {@code problems} the problem types (slugs of {@code api.ProblemTypes}) an error status answers with, when the
   * route says (empty: any problem).
   */
  public record Reply(String description, String media, Class<?> type, List<String> problems) {
    public Reply(String description, String media, Class<?> type) {
      this(description, media, type, List.of());
    }

    public Reply(String description, String media) {
      this(description, media, null, List.of());
    }
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
      responses.putIfAbsent(401, new Reply("missing, unknown, revoked or expired key", Problem.MEDIA));
      if (scopes.length > 0) {
        responses.putIfAbsent(403, new Reply("the key lacks the scope", Problem.MEDIA));
      }
      responses.putIfAbsent(429, new Reply("rate limited; see Retry-After", Problem.MEDIA));
      return this;
    }

    public Builder operator() {
      this.access = Access.OPERATOR;
      responses.putIfAbsent(401, new Reply("missing or wrong operator token", Problem.MEDIA));
      responses.putIfAbsent(429, new Reply("too many failed attempts from this address; see Retry-After",
          Problem.MEDIA));
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

    /** A JSON request body read into (or checked against the fields of) {@code type}. */
    public Builder body(Class<?> type) {
      if (!requestMedia.contains("application/json")) {
        requestMedia.add("application/json");
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
     * The problem types the route answers {@code status} with: the document describes that status as {@code oneOf}
     * their schemas instead of any problem. Declare the status first ({@link #reply(int, String)}).
     */
    public Builder problems(int status, String... slugs) {
      Reply reply = responses.get(status);
      if (reply == null || !Problem.MEDIA.equals(reply.media())) {
        throw new IllegalStateException(method + " " + path + ": declare " + status + " as a problem reply first");
      }
      responses.put(status, new Reply(reply.description(), reply.media(), null, List.of(slugs)));
      return this;
    }

    public Builder reply(int status, String description, String media) {
      responses.put(status, new Reply(description, media));
      return this;
    }

    public Route handle(Handler handler) {
      if (operationId == null) {
        throw new IllegalStateException("route " + method + " " + path + " needs an operationId");
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
