package io.storystream.ingress.embed;

import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.regex.Pattern;

/**
 * What every ingress instance must agree on for embedding: the ids of the embed-token signing keys (the first signs,
 * all verify, so a rotation adds a new id in front and drops the old one once its tokens, at most 24 h old, are
 * gone) and, per tenant, the origins allowed to frame the dashboard.
 *
 * <p>Read from {@code STORYSTREAM_EMBED_KEY_IDS} (default {@code e1}) and {@code STORYSTREAM_EMBED_FRAME_ANCESTORS}
 * ({@code acme=https://app.acme.example https://*.acme.example;globex=https://globex.example}), or the system
 * properties {@code storystream.embed.keyIds} and {@code storystream.embed.frameAncestors}.
 */
public record EmbedSettings(List<String> signingKeyIds, Map<String, List<String>> frameAncestors) {
  private static final Pattern KEY_ID = Pattern.compile("[A-Za-z0-9_-]{1,32}");
  private static final Pattern TENANT = Pattern.compile("[a-z0-9][a-z0-9-]{0,62}");
  /** A CSP host-source or scheme-source: no spaces, quotes, semicolons or commas can reach the header. */
  private static final Pattern SOURCE = Pattern.compile("(https?://)?(\\*\\.)?[A-Za-z0-9.-]+(:(\\d{1,5}|\\*))?|https?:");

  public EmbedSettings {
    if (signingKeyIds.isEmpty() || signingKeyIds.stream().anyMatch(id -> !KEY_ID.matcher(id).matches())) {
      throw new IllegalArgumentException("embed signing key ids are 1–32 characters of A–Z, a–z, 0–9, _ and -");
    }
    frameAncestors.forEach((tenant, sources) -> {
      if (!TENANT.matcher(tenant).matches()) {
        throw new IllegalArgumentException("frame ancestors name an invalid tenant id: " + tenant);
      }
      for (String source : sources) {
        if (!SOURCE.matcher(source).matches()) {
          throw new IllegalArgumentException("not a CSP source for tenant " + tenant + ": " + source);
        }
      }
    });
    signingKeyIds = List.copyOf(signingKeyIds);
    frameAncestors = Map.copyOf(frameAncestors);
  }

  public static EmbedSettings defaults() {
    return new EmbedSettings(List.of("e1"), Map.of());
  }

  public static EmbedSettings fromEnvironment() {
    return parse(setting("storystream.embed.keyIds", "STORYSTREAM_EMBED_KEY_IDS"),
        setting("storystream.embed.frameAncestors", "STORYSTREAM_EMBED_FRAME_ANCESTORS"));
  }

  static EmbedSettings parse(String keyIds, String frameAncestors) {
    List<String> ids = keyIds == null || keyIds.isBlank() ? List.of("e1")
        : Arrays.stream(keyIds.split(",")).map(String::trim).filter(s -> !s.isEmpty()).toList();
    Map<String, List<String>> ancestors = new LinkedHashMap<>();
    if (frameAncestors != null) {
      for (String entry : frameAncestors.split(";")) {
        if (entry.isBlank()) {
          continue;
        }
        int eq = entry.indexOf('=');
        if (eq <= 0) {
          throw new IllegalArgumentException("frame ancestors are tenant=source source…;tenant=…");
        }
        ancestors.put(entry.substring(0, eq).trim(),
            Arrays.stream(entry.substring(eq + 1).trim().split("\\s+")).filter(s -> !s.isEmpty()).toList());
      }
    }
    return new EmbedSettings(ids, ancestors);
  }

  private static String setting(String property, String env) {
    return Optional.ofNullable(System.getProperty(property)).orElseGet(() -> System.getenv(env));
  }

  /** The CSP {@code frame-ancestors} value for a tenant's embed page: its configured origins, or none at all. */
  public String frameAncestorsOf(String tenantId) {
    List<String> sources = frameAncestors.get(tenantId);
    return sources == null || sources.isEmpty() ? "'none'" : String.join(" ", sources);
  }
}
