package io.storystream.ingress.webhooks;

import io.storystream.ingress.api.TenantBodies;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.javalin.http.Context;
import io.storystream.common.Ids;
import io.storystream.common.http.Problem;
import io.storystream.common.http.ProblemException;
import io.storystream.common.webhooks.WebhookSignature;
import io.storystream.common.webhooks.WebhookTargets;
import io.storystream.ingress.auth.Principal;
import io.storystream.ingress.auth.Scope;
import io.storystream.ingress.http.Attrs;
import io.storystream.ingress.http.Json;
import io.storystream.ingress.http.JsonBodies;
import io.storystream.ingress.http.Route;
import io.storystream.ingress.kafka.EventPublisher;
import io.storystream.schemas.WebhookDelivery;
import io.storystream.schemas.WebhookSubscription;
import io.storystream.schemas.topics.TenantKeys;
import io.storystream.schemas.topics.Topics;
import java.time.Clock;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Set;

/**
 * {@code /v1/webhooks}: a tenant registers endpoints for the events it wants, sees them and their deliveries, and
 * removes them. The secret is returned once, at creation. The processor's webhook dispatcher delivers.
 */
public final class WebhookRoutes {
  public static final Set<String> EVENTS = Set.of("job.completed", "job.failed", "job.rejected", "job.cancelled",
      "quota.threshold", "statement.finalized");
  static final int MAX_WEBHOOKS = 10;
  private static final Set<String> FIELDS = JsonBodies.fieldsOf(TenantBodies.CreateWebhook.class);

  private final WebhookBook book;
  private final EventPublisher publisher;
  private final WebhookTargets targets;
  private final Clock clock;

  public WebhookRoutes(WebhookBook book, EventPublisher publisher, WebhookTargets targets, Clock clock) {
    this.book = book;
    this.publisher = publisher;
    this.targets = targets;
    this.clock = clock;
  }

  public List<Route> routes() {
    return List.of(
        Route.post("/v1/webhooks").tenant(Scope.ANALYSES_WRITE).audit("webhook.create", null)
            .doc("createWebhook", "Register an endpoint for events (job.completed, job.failed, job.rejected, "
                + "job.cancelled, quota.threshold, statement.finalized); the signing secret is shown only here")
            .body(TenantBodies.CreateWebhook.class)
            .returns(201, "the webhook with its secret", TenantBodies.Webhook.class)
            .reply(422, "invalid url or events, a private/plain-http target, or too many webhooks")
            .problems(422, "invalid-field", "invalid-webhook-target", "too-many-webhooks")
            .reply(503, "could not be stored").problems(503, "unavailable")
            .handle(this::create),
        Route.get("/v1/webhooks").tenant(Scope.ANALYSES_READ).audit("webhook.list", null)
            .doc("listWebhooks", "The tenant's webhooks (without secrets)")
            .returns(200, "the webhooks", TenantBodies.WebhookList.class)
            .handle(ctx -> {
              List<TenantBodies.Webhook> list = book.list(Attrs.principal(ctx).tenantId()).stream()
                  .map(WebhookRoutes::view).toList();
              Json.write(ctx, 200, new TenantBodies.WebhookList(list));
            }),
        Route.delete("/v1/webhooks/{webhookId}").tenant(Scope.ANALYSES_WRITE).audit("webhook.delete", "webhookId")
            .doc("deleteWebhook", "Remove a webhook; pending deliveries to it are dropped")
            .reply(204, "removed").reply(404, "no such webhook").problems(404, "not-found")
            .reply(503, "could not be stored").problems(503, "unavailable")
            .handle(this::delete),
        Route.get("/v1/webhooks/{webhookId}/deliveries").tenant(Scope.ANALYSES_READ)
            .audit("webhook.deliveries", "webhookId")
            .doc("listWebhookDeliveries", "The webhook's latest deliveries, newest first: status (pending, delivered, "
                + "failed), attempts, last status code and error")
            .returns(200, "the deliveries", TenantBodies.WebhookDeliveryList.class)
            .reply(404, "no such webhook").problems(404, "not-found")
            .handle(this::deliveries));
  }

  private void create(Context ctx) throws Exception {
    Principal principal = Attrs.principal(ctx);
    ObjectNode body = JsonBodies.readObject(ctx, 8 * 1024, FIELDS);
    JsonNode url = body.get("url");
    if (url == null || !url.isTextual()) {
      throw invalid("url", "url is a string, the https:// address to deliver to");
    }
    try {
      targets.check(url.asText());
    } catch (WebhookTargets.Refused refused) {
      throw new ProblemException(Problem.of(422, "invalid-webhook-target", "Webhook target refused",
          refused.getMessage()).with("field", "url").with("reason", refused.reason()));
    }
    JsonNode events = body.get("events");
    if (events == null || !events.isArray() || events.isEmpty()) {
      throw invalid("events", "events is a non-empty list of " + new java.util.TreeSet<>(EVENTS));
    }
    Set<String> wanted = new LinkedHashSet<>();
    for (JsonNode event : events) {
      if (!event.isTextual() || !EVENTS.contains(event.asText())) {
        throw invalid("events", "events are among " + new java.util.TreeSet<>(EVENTS));
      }
      wanted.add(event.asText());
    }
    if (book.list(principal.tenantId()).size() >= MAX_WEBHOOKS) {
      throw new ProblemException(422, "too-many-webhooks", "Too many webhooks",
          "a tenant has at most " + MAX_WEBHOOKS + " webhooks; delete one first");
    }
    WebhookSubscription sub = WebhookSubscription.newBuilder().setWebhookId(Ids.newId("wh"))
        .setTenantId(principal.tenantId()).setUrl(url.asText()).setEvents(new ArrayList<>(wanted))
        .setSecret(WebhookSignature.newSecret()).setCreatedAt(clock.instant()).build();
    try {
      EventPublisher.await(publisher.send(Topics.WEBHOOKS,
          TenantKeys.of(principal.tenantId(), sub.getWebhookId()), sub));
    } catch (EventPublisher.PublishFailedException e) {
      throw new ProblemException(503, "unavailable", "Service unavailable", "the webhook could not be stored; retry");
    }
    book.applyOwn(sub);
    Attrs.auditResource(ctx, sub.getWebhookId());
    TenantBodies.Webhook created = view(sub).withSecret(sub.getSecret()); // once: it is never shown again
    ctx.header("Location", "/v1/webhooks/" + sub.getWebhookId());
    Json.write(ctx, 201, created);
  }

  private void delete(Context ctx) throws Exception {
    String tenantId = Attrs.principal(ctx).tenantId();
    String webhookId = ctx.pathParam("webhookId");
    book.find(tenantId, webhookId).orElseThrow(WebhookRoutes::notFound);
    try {
      EventPublisher.await(publisher.send(Topics.WEBHOOKS, TenantKeys.of(tenantId, webhookId), null));
    } catch (EventPublisher.PublishFailedException e) {
      throw new ProblemException(503, "unavailable", "Service unavailable", "the webhook could not be removed; retry");
    }
    book.forgetOwn(tenantId, webhookId);
    ctx.status(204);
  }

  private void deliveries(Context ctx) {
    String tenantId = Attrs.principal(ctx).tenantId();
    String webhookId = ctx.pathParam("webhookId");
    book.find(tenantId, webhookId).orElseThrow(WebhookRoutes::notFound);
    List<TenantBodies.WebhookDelivery> list = book.deliveries(tenantId, webhookId).stream().map(WebhookRoutes::view)
        .toList();
    Json.write(ctx, 200, new TenantBodies.WebhookDeliveryList(list));
  }

  static TenantBodies.Webhook view(WebhookSubscription sub) {
    return new TenantBodies.Webhook(sub.getWebhookId(), sub.getUrl(), sub.getEvents(), sub.getCreatedAt(), null);
  }

  static TenantBodies.WebhookDelivery view(WebhookDelivery d) {
    return new TenantBodies.WebhookDelivery(d.getDeliveryId(), d.getEventType(),
        d.getStatus().name().toLowerCase(Locale.ROOT), d.getAttempts(), d.getCreatedAt(), d.getLastAttemptAt(),
        d.getNextAttemptAt(), d.getLastStatusCode(), d.getLastError());
  }

  private static ProblemException invalid(String field, String detail) {
    return new ProblemException(Problem.of(422, "invalid-field", "Invalid field", detail).with("field", field));
  }

  private static ProblemException notFound() {
    return new ProblemException(404, "not-found", "Not found", "no such webhook");
  }
}
