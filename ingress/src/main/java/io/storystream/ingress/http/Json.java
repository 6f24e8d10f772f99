package io.storystream.ingress.http;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.javalin.http.Context;
import io.storystream.common.http.JsonMapper;

/** Writes JSON responses with the platform's one Jackson configuration. */
public final class Json {
  private static final ObjectMapper MAPPER = JsonMapper.shared();

  private Json() {}

  public static void write(Context ctx, int status, Object body) {
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
