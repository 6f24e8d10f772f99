package io.storystream.common.webhooks;

import java.net.Inet6Address;
import java.net.InetAddress;
import java.net.URI;
import java.net.UnknownHostException;
import java.util.Locale;

/**
 * Which webhook URLs storystream will call. By default only {@code https://} URLs whose host resolves to public
 * addresses only: loopback, private (RFC 1918, unique-local IPv6), link-local (cloud metadata lives there),
 * carrier-grade NAT, multicast and unspecified addresses are refused, so a tenant cannot aim the platform at its own
 * network. {@code STORYSTREAM_WEBHOOKS_ALLOW_PRIVATE_TARGETS=true} lifts both rules (a laptop, a test, a private
 * deployment). The check runs when a webhook is registered and again before every delivery, because a name that
 * resolved to a public address then may resolve to a private one now (DNS rebinding).
 */
public final class WebhookTargets {
  public static final String ALLOW_PRIVATE_ENV = "STORYSTREAM_WEBHOOKS_ALLOW_PRIVATE_TARGETS";

  /** Why a target is refused: a stable slug and a sentence for the tenant. */
  public static final class Refused extends Exception {
    private final String reason;

    Refused(String reason, String message) {
      super(message, null, false, false);
      this.reason = reason;
    }

    public String reason() {
      return reason;
    }
  }

  /** Resolves a host name; a seam so tests can play DNS. */
  public interface Resolver {
    InetAddress[] resolve(String host) throws UnknownHostException;
  }

  private final boolean allowPrivate;
  private final Resolver resolver;

  public WebhookTargets(boolean allowPrivate, Resolver resolver) {
    this.allowPrivate = allowPrivate;
    this.resolver = resolver;
  }

  /** The system property that does the same as the environment variable (for tests in one JVM). */
  public static final String ALLOW_PRIVATE_PROPERTY = "storystream.webhooks.allowPrivateTargets";

  public static WebhookTargets fromEnvironment() {
    boolean allow = "true".equalsIgnoreCase(System.getenv(ALLOW_PRIVATE_ENV))
        || "true".equalsIgnoreCase(System.getProperty(ALLOW_PRIVATE_PROPERTY));
    return new WebhookTargets(allow, InetAddress::getAllByName);
  }

  public boolean allowsPrivate() {
    return allowPrivate;
  }

  /** Checks the URL's form and, unless private targets are allowed, every address its host resolves to now. */
  public URI check(String url) throws Refused {
    URI uri;
    try {
      uri = new URI(url);
    } catch (Exception e) {
      throw new Refused("invalid_url", "the webhook url is not a URL");
    }
    String scheme = uri.getScheme() == null ? "" : uri.getScheme().toLowerCase(Locale.ROOT);
    if (!scheme.equals("https") && !scheme.equals("http")) {
      throw new Refused("invalid_url", "the webhook url must be https://");
    }
    if (uri.getHost() == null || uri.getRawUserInfo() != null || uri.getRawFragment() != null || url.length() > 2048) {
      throw new Refused("invalid_url", "the webhook url needs a host and no user info or fragment (2,048 characters at most)");
    }
    if (allowPrivate) {
      return uri;
    }
    if (!scheme.equals("https")) {
      throw new Refused("insecure_url", "the webhook url must be https://");
    }
    InetAddress[] addresses;
    try {
      addresses = resolver.resolve(uri.getHost());
    } catch (UnknownHostException e) {
      throw new Refused("unresolvable_host", "the webhook host does not resolve");
    }
    for (InetAddress address : addresses) {
      if (!isPublic(address)) {
        throw new Refused("private_target", "the webhook host resolves to a private, loopback or link-local address");
      }
    }
    return uri;
  }

  /** True for an address on the public internet. */
  public static boolean isPublic(InetAddress a) {
    if (a.isAnyLocalAddress() || a.isLoopbackAddress() || a.isLinkLocalAddress() || a.isSiteLocalAddress()
        || a.isMulticastAddress()) {
      return false;
    }
    byte[] b = a.getAddress();
    if (a instanceof Inet6Address) {
      int first = b[0] & 0xff;
      if ((first & 0xfe) == 0xfc) {
        return false; // fc00::/7 unique local
      }
      boolean mapped = true; // ::ffff:a.b.c.d carries an IPv4 address: judge that one
      for (int i = 0; i < 10; i++) {
        mapped &= b[i] == 0;
      }
      if (mapped && (b[10] & 0xff) == 0xff && (b[11] & 0xff) == 0xff) {
        try {
          return isPublic(InetAddress.getByAddress(new byte[] {b[12], b[13], b[14], b[15]}));
        } catch (UnknownHostException impossible) {
          return false;
        }
      }
      return true;
    }
    int first = b[0] & 0xff;
    int second = b[1] & 0xff;
    return first != 0 // 0.0.0.0/8 "this network"
        && !(first == 100 && second >= 64 && second < 128) // 100.64.0.0/10 carrier-grade NAT
        && !(first == 192 && second == 0 && (b[2] & 0xff) == 0) // 192.0.0.0/24 protocol assignments
        && !(first == 198 && (second == 18 || second == 19)) // 198.18.0.0/15 benchmarking
        && first < 240; // reserved and broadcast
  }
}
