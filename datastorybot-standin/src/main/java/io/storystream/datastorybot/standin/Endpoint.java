package io.storystream.datastorybot.standin;

import java.util.Locale;

/** DataStoryBot's endpoints, for fault targeting and request statistics. */
public enum Endpoint {
  UPLOAD, ANALYZE, REFINE, FILES;

  public static Endpoint parse(String text) {
    return valueOf(text.strip().toUpperCase(Locale.ROOT));
  }
}
