package io.storystream.ingress.auth;

import io.storystream.schemas.PlanLimits;
import java.util.Set;

/** An authenticated tenant key: the only source of a request's tenant identity. */
public record Principal(String tenantId, String keyId, Set<Scope> scopes, String plan, PlanLimits limits) {
  public boolean can(Scope scope) {
    return scopes.contains(scope);
  }
}
