package io.storystream.ingress.auth;

import io.storystream.schemas.PlanLimits;
import java.util.Map;
import java.util.Optional;

/**
 * The standard plans and their limits (the seeds' numbers): starter 50 analyses a month and 10 MB files without the
 * result cache, pro 500 and 50 MB with the cache, enterprise 10,000 and 50 MB with the cache. The limits are copied
 * into each tenant record, so every service enforces the numbers the tenant was provisioned with.
 */
public final class Plans {
  public static final long MB = 1024L * 1024L;

  private static final Map<String, PlanLimits> STANDARD = Map.of(
      "starter", new PlanLimits(50, 10 * MB, false, 60, 2, 30, 100),
      "pro", new PlanLimits(500, 50 * MB, true, 300, 5, 90, 500),
      "enterprise", new PlanLimits(10_000, 50 * MB, true, 1200, 20, 365, 2000));

  private Plans() {}

  public static Optional<PlanLimits> standard(String plan) {
    PlanLimits limits = STANDARD.get(plan);
    return limits == null ? Optional.empty() : Optional.of(PlanLimits.newBuilder(limits).build());
  }

  public static java.util.Set<String> names() {
    return new java.util.TreeSet<>(STANDARD.keySet());
  }
}
