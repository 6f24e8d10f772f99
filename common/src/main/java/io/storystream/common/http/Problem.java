package io.storystream.common.http;

import com.fasterxml.jackson.annotation.JsonAnyGetter;
import com.fasterxml.jackson.annotation.JsonInclude;
import java.util.Map;

/**
 * An RFC 9457 problem detail. {@code type} is a stable URI that clients switch on; {@code title} is constant per
 * type; {@code detail} explains this occurrence (never echoing content or secrets).
 */
@JsonInclude(JsonInclude.Include.NON_NULL)
public record Problem(String type, String title, int status, String detail, String instance,
                      @com.fasterxml.jackson.annotation.JsonIgnore Map<String, Object> extensions) {
  public static final String MEDIA_TYPE = "application/problem+json";
  public static final String TYPE_BASE = "https://storystream.dev/problems/";

  /** A problem whose type is {@code TYPE_BASE + slug}. */
  public static Problem of(int status, String slug, String title, String detail) {
    return new Problem(TYPE_BASE + slug, title, status, detail, null, Map.of());
  }

  public Problem with(String name, Object value) {
    Map<String, Object> more = new java.util.LinkedHashMap<>(extensions);
    more.put(name, value);
    return new Problem(type, title, status, detail, instance, more);
  }

  public Problem at(String instance) {
    return new Problem(type, title, status, detail, instance, extensions);
  }

  @JsonAnyGetter
  public Map<String, Object> extensionMembers() {
    return extensions;
  }
}
