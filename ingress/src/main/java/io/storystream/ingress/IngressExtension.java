package io.storystream.ingress;

import io.storystream.ingress.http.Route;
import java.util.List;

/**
 * A seam for features built on the ingress (tenant lifecycle, erasure, retention): extra routes, served and
 * documented exactly like the built-in ones, with access to the ingress's parts through {@link IngressParts}.
 */
public interface IngressExtension {
  default List<Route> tenantRoutes(IngressParts parts) {
    return List.of();
  }

  default List<Route> operatorRoutes(IngressParts parts) {
    return List.of();
  }

  /** Called once both servers listen: start background work here (for example a periodic sweep). */
  default void started(IngressParts parts) {}

  /** Called when the ingress stops, before its parts close. */
  default void close() {}
}
