package io.storystream.ingress;

import static org.assertj.core.api.Assertions.assertThat;

import io.javalin.Javalin;
import java.net.URI;
import java.net.http.HttpRequest;
import java.nio.file.Path;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.MethodOrderer;
import org.junit.jupiter.api.Order;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestMethodOrder;
import org.junit.jupiter.api.io.TempDir;

/**
 * The operator's billing routes ({@code BillingOperatorRelay}) on the operator port: only with the operator token,
 * relayed to the billing aggregator with method, path, content type and body as they came, its answers
 * (problem+json and CSV included) passed back unchanged, and a 503 problem when it does not answer. The aggregator
 * is a small stand-in server here (as in IngressEndToEndTest); the routes themselves are tested against the real
 * aggregator in billing-aggregator's BillingTablesIntegrationTest.
 */
@TestMethodOrder(MethodOrderer.OrderAnnotation.class)
class BillingOperatorRelayTest {
  @TempDir static Path dir;
  private static Javalin billing;
  private static IngressStack stack;
  private static final List<String> received = new CopyOnWriteArrayList<>();

  @BeforeAll
  static void start() throws Exception {
    billing = Javalin.create(cfg -> {
      cfg.startup.showJavalinBanner = false;
      cfg.routes.get("/admin/price-books", ctx -> {
        received.add("GET /admin/price-books");
        // the aggregator's body, from the record both sides share
        ctx.json(new io.storystream.common.billing.api.BillingBodies.PriceBookList("2026-11", 1, List.of(
            new io.storystream.common.billing.api.BillingBodies.PriceBookVersion(1, "USD", "2026-01", null,
                "2026-01-01T00:00:00Z", null, true))));
      });
      cfg.routes.put("/admin/price-books/{v}", ctx -> {
        received.add("PUT /admin/price-books/" + ctx.pathParam("v") + " " + ctx.contentType() + " " + ctx.body());
        ctx.status(422).contentType("application/problem+json")
            .result("{\"type\":\"https://storystream.dev/problems/invalid-price-book\",\"status\":422}");
      });
      cfg.routes.post("/admin/price-books/simulate", ctx -> {
        received.add("POST /admin/price-books/simulate " + ctx.body());
        ctx.json(new io.storystream.common.billing.api.BillingBodies.PriceBookSimulation(3, "USD", 0, 0, List.of()));
      });
      cfg.routes.get("/admin/tenants/{t}/usage-events/{e}", ctx -> {
        received.add("GET /admin/tenants/" + ctx.pathParam("t") + "/usage-events/" + ctx.pathParam("e"));
        ctx.status(404).contentType("application/problem+json")
            .result("{\"type\":\"https://storystream.dev/problems/usage-event-not-found\",\"status\":404}");
      });
      cfg.routes.get("/admin/statements/{file}", ctx -> {
        received.add("GET /admin/statements/" + ctx.pathParam("file"));
        ctx.contentType("text/csv; charset=utf-8").result("tenant_id,month\r\nacme,2026-11\r\n");
      });
    }).start("127.0.0.1", 0);
    stack = new IngressStack(dir).billingUrl("http://127.0.0.1:" + billing.port());
    stack.startInstance(); // returns once its job view runs
  }

  @AfterAll
  static void stop() throws Exception {
    stack.close();
    billing.stop();
  }

  @Test
  @Order(1)
  void relaysTheOperatorsCallsAndPassesTheAnswersBack() {
    IngressStack.Reply list = stack.admin("GET", "/admin/price-books", null);
    assertThat(list.status()).isEqualTo(200);
    assertThat(list.json().path("inForce").asInt()).isEqualTo(1);
    assertThat(list.json().at("/priceBooks/0/effectiveTo").isNull()).as("nulls relayed as billing wrote them").isTrue();

    IngressStack.Reply invalid = stack.send(operator("PUT", "/admin/price-books/2", "version: 2\n")
        .header("Content-Type", "application/yaml"));
    assertThat(invalid.status()).isEqualTo(422);
    assertThat(invalid.contentType()).startsWith("application/problem+json");
    assertThat(invalid.problemType()).endsWith("/invalid-price-book");

    IngressStack.Reply simulated = stack.admin("POST", "/admin/price-books/simulate", "{\"version\":3}");
    assertThat(simulated.status()).isEqualTo(200);
    assertThat(simulated.json().path("tenants").isArray()).isTrue();

    IngressStack.Reply csv = stack.admin("GET", "/admin/statements/2026-11.csv", null);
    assertThat(csv.status()).isEqualTo(200);
    assertThat(csv.contentType()).startsWith("text/csv");
    assertThat(csv.text()).isEqualTo("tenant_id,month\r\nacme,2026-11\r\n");

    IngressStack.Reply event = stack.admin("GET", "/admin/tenants/acme/usage-events/ev_1", null);
    assertThat(event.status()).isEqualTo(404);
    assertThat(event.problemType()).endsWith("/usage-event-not-found");

    assertThat(received).containsExactly("GET /admin/price-books",
        "PUT /admin/price-books/2 application/yaml version: 2\n",
        "POST /admin/price-books/simulate {\"version\":3}",
        "GET /admin/statements/2026-11.csv",
        "GET /admin/tenants/acme/usage-events/ev_1");
  }

  @Test
  @Order(2)
  void withoutTheOperatorTokenNothingIsRelayed() {
    int before = received.size();
    IngressStack.Reply reply = stack.send(HttpRequest.newBuilder(URI.create(
            "http://127.0.0.1:" + stack.ingress().adminPort() + "/admin/price-books/2"))
        .PUT(HttpRequest.BodyPublishers.ofString("{\"version\":2}")).header("Content-Type", "application/json"));
    assertThat(reply.status()).isEqualTo(401);
    assertThat(received).hasSize(before);
  }

  @Test
  @Order(3)
  void anAggregatorThatDoesNotAnswerIsA503Problem() {
    billing.stop();
    IngressStack.Reply reply = stack.admin("GET", "/admin/price-books/current", null);
    assertThat(reply.status()).isEqualTo(503);
    assertThat(reply.contentType()).startsWith("application/problem+json");
    assertThat(reply.problemType()).endsWith("/billing-unavailable");
    assertThat(reply.header("Retry-After")).isEqualTo("5");
  }

  private static HttpRequest.Builder operator(String method, String path, String body) {
    return HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + stack.ingress().adminPort() + path))
        .header("Authorization", "Bearer " + IngressStack.OPERATOR_TOKEN)
        .method(method, HttpRequest.BodyPublishers.ofString(body));
  }
}
