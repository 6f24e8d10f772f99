package io.storystream.ingress.api;

import java.util.Map;

/** The bodies of the unauthenticated health routes. */
public final class OpsBodies {
  private OpsBodies() {}

  public record Liveness(String status) {}

  public record Readiness(String status, Map<String, String> checks) {}
}
