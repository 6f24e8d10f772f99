package io.storystream.common.config;

import java.net.URI;
import java.net.URLEncoder;
import java.nio.charset.StandardCharsets;

/**
 * Puts registry credentials into the registry URL's user-info part, where the schema-registry client
 * ({@code HttpSchemaRegistryClient}) takes them out again and sends them as HTTP basic authentication. Every place
 * that builds a registry client from a URL thereby authenticates without knowing about credentials.
 */
public final class RegistryUrls {
  private RegistryUrls() {}

  /** The URL with {@code user:password} as its user info; unchanged when {@code userInfo} is blank. */
  public static String withBasicAuth(String url, String userInfo) {
    if (userInfo == null || userInfo.isBlank()) {
      return url;
    }
    int colon = userInfo.indexOf(':');
    if (colon <= 0) {
      throw new IllegalArgumentException("registry basic auth is written user:password");
    }
    URI uri = URI.create(url);
    String encoded = encode(userInfo.substring(0, colon)) + ":" + encode(userInfo.substring(colon + 1));
    return uri.getScheme() + "://" + encoded + "@" + uri.getRawAuthority().replaceFirst("^[^@]*@", "")
        + (uri.getRawPath() == null ? "" : uri.getRawPath());
  }

  private static String encode(String s) {
    return URLEncoder.encode(s, StandardCharsets.UTF_8).replace("+", "%20");
  }
}
