package io.storystream.ingress.http;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.javalin.http.Context;
import io.storystream.common.http.JsonMapper;

/** Writes JSON responses with the platform's one Jackson configuration. */
public final class Json {
  private static final ObjectMapper MAPPER = JsonMapper.shared();

  private Json() {}

  /**
   * Writes {@code body} as the answer. When the route declares a record for JSON answers, a body of another type is
   * a programming error (the document would say one thing and the handler do another): it fails here, in every test
   * that reaches the line, rather than drifting silently.
   */
  public static void write(Context ctx, int status, Object body) {
    Route route = ctx.attribute(Attrs.ROUTE);
    if (route != null) {
      Class<?> declared = route.replyType(status);
      boolean typed = route.responses().values().stream().anyMatch(r -> r.type() != null);
      if (declared != null ? !declared.isInstance(body) : typed) {
        throw new IllegalStateException(route.method() + " " + route.path() + " answered " + status + " with "
            + body.getClass().getSimpleName() + ", not the " + (declared == null ? "undeclared status's type"
            : declared.getSimpleName()) + " its document declares");
      }
    }
    try {
      ctx.status(status).contentType("application/json").result(MAPPER.writeValueAsBytes(body));
    } catch (JsonProcessingException e) {
      throw new IllegalStateException("response not serializable", e);
    }
  }

  public static ObjectMapper mapper() {
    return MAPPER;
  }
}
