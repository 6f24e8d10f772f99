package io.storystream.billing;

import static org.assertj.core.api.Assertions.assertThat;

import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import org.junit.jupiter.api.Test;

/** The read API before its stores are ready, and its errors; the ready API is covered by BillingIntegrationTest. */
class BillingHttpApiTest {
  private final HttpClient http = HttpClient.newHttpClient();

  private static final BillingAccess ACCESS = new BillingAccess(
      "ssb_0a1b2c3d4e5f60718293a4b5c6d7e8f90a1b2c3d4e5f60718293a4b5c6d7e8f9", null);

  @Test
  void refusesEveryCallerByDefault() throws Exception {
    try (BillingHttpApi api = new BillingHttpApi("127.0.0.1", 0).start()) {
      for (String path : new String[] {"/tenants/acme/usage", "/months/2026-11/statements", "/nowhere"}) {
        HttpResponse<String> refused = http.send(HttpRequest.newBuilder(URI.create(
            "http://127.0.0.1:" + api.port() + path)).build(), HttpResponse.BodyHandlers.ofString());
        assertThat(refused.statusCode()).as(path).isEqualTo(401);
        assertThat(refused.headers().firstValue("WWW-Authenticate")).hasValue("Bearer");
      }
    }
  }

  @Test
  void answersRetryableProblemsUntilTheStoresAreReady() throws Exception {
    try (BillingHttpApi api = new BillingHttpApi("127.0.0.1", 0).access(ACCESS).start()) {
      HttpResponse<String> usage = get(api, "/tenants/acme/usage");
      assertThat(usage.statusCode()).isEqualTo(503);
      assertThat(usage.headers().firstValue("Content-Type")).hasValueSatisfying(
          v -> assertThat(v).startsWith("application/problem+json"));
      assertThat(usage.body()).contains("https://storystream.dev/problems/billing-not-ready", "retryAfterSeconds");
      assertThat(get(api, "/health").body()).contains("STARTING");
      HttpResponse<String> unknown = get(api, "/nowhere");
      assertThat(unknown.statusCode()).isEqualTo(404);
      assertThat(unknown.body()).contains("problems/not-found");
    }
  }

  private HttpResponse<String> get(BillingHttpApi api, String path) throws Exception {
    return http.send(HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + api.port() + path))
            .header("Authorization", "Bearer " + ACCESS.billingToken()).build(),
        HttpResponse.BodyHandlers.ofString());
  }
}
