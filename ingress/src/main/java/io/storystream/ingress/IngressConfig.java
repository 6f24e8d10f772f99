package io.storystream.ingress;

import io.storystream.common.config.PlatformOptions;
import java.time.Clock;

/**
 * Everything an ingress instance needs.
 *
 * @param platform Kafka, registry, S3 and the data folder (state stores live under it)
 * @param bindHost the address both servers listen on
 * @param ingressPort the tenant API port (8080 by default; 0 picks one)
 * @param adminPort the operator API port (8082 by default; 0 picks one)
 * @param advertisedHost how sibling instances reach this one's tenant port (interactive-query routing)
 * @param operatorToken the bearer token of the operator API
 * @param pepper the server-side secret mixed into every key hash; identical on every instance
 * @param billingUrl the billing aggregator's read API
 * @param clock time source (tests pass a fixed or offset clock)
 */
public record IngressConfig(PlatformOptions platform, String bindHost, int ingressPort, int adminPort,
                            String advertisedHost, String operatorToken, byte[] pepper, String billingUrl,
                            Clock clock) {
  public static final int DEFAULT_INGRESS_PORT = 8080;
  public static final int DEFAULT_ADMIN_PORT = 8082;
  public static final String DEFAULT_BILLING_URL = "http://127.0.0.1:8083";

  @Override
  public String toString() {
    return "IngressConfig[bind=" + bindHost + ", ingressPort=" + ingressPort + ", adminPort=" + adminPort
        + ", advertisedHost=" + advertisedHost + ", billingUrl=" + billingUrl + "]"; // no secrets
  }
}
