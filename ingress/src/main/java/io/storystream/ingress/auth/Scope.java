package io.storystream.ingress.auth;

import java.util.Arrays;
import java.util.EnumSet;
import java.util.List;
import java.util.Optional;
import java.util.Set;

/** What a tenant key may do. The wire names ({@code files:write}) are what operators grant and tenants see. */
public enum Scope {
  FILES_WRITE("files:write"),
  ANALYSES_WRITE("analyses:write"),
  ANALYSES_READ("analyses:read"),
  USAGE_READ("usage:read");

  private final String wire;

  Scope(String wire) {
    this.wire = wire;
  }

  public String wire() {
    return wire;
  }

  public static Optional<Scope> parse(String wire) {
    return Arrays.stream(values()).filter(s -> s.wire.equals(wire)).findFirst();
  }

  public static Set<Scope> all() {
    return EnumSet.allOf(Scope.class);
  }

  public static List<String> wireNames() {
    return Arrays.stream(values()).map(Scope::wire).toList();
  }
}
