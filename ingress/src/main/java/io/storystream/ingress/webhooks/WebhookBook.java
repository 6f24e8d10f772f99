package io.storystream.ingress.webhooks;

import io.storystream.ingress.kafka.TopicMirror;
import io.storystream.schemas.WebhookDelivery;
import io.storystream.common.crypto.TenantContentSealing;
import io.storystream.schemas.WebhookSubscription;
import io.storystream.schemas.topics.TenantKeys;
import io.storystream.schemas.topics.TopicSerdes;
import io.storystream.schemas.topics.Topics;
import java.util.Comparator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.ConcurrentHashMap;
import org.apache.kafka.common.serialization.Deserializer;

/**
 * Every tenant's webhooks ({@code webhooks}, key tenantId:webhookId) and the latest deliveries of each
 * ({@code webhook-deliveries}, key tenantId:deliveryId), mirrored in memory. At most {@link #DELIVERIES_KEPT} deliveries
 * are kept per webhook, the newest.
 */
public final class WebhookBook implements TopicMirror.Sink {
  static final int DELIVERIES_KEPT = 200;

  private final Map<String, WebhookSubscription> webhooks = new ConcurrentHashMap<>();
  private final Map<String, Map<String, WebhookDelivery>> deliveriesByWebhook = new ConcurrentHashMap<>();
  private final Deserializer<WebhookSubscription> subscriptions;
  private final Deserializer<WebhookDelivery> deliveries;

  public WebhookBook(TopicSerdes serdes) {
    this.subscriptions = serdes.value(Topics.WEBHOOKS).deserializer();
    this.deliveries = serdes.value(Topics.WEBHOOK_DELIVERIES).deserializer();
  }

  @Override
  public void apply(String topic, String key, byte[] value) {
    if (topic.equals(Topics.WEBHOOKS.name())) {
      if (value == null) {
        webhooks.remove(key);
        deliveriesByWebhook.remove(key);
        return;
      }
      WebhookSubscription sub = subscriptions.deserialize(topic, value);
      if (TenantContentSealing.ERASED.equals(sub.getUrl())) {
        webhooks.remove(key); // its tenant's key is destroyed: the endpoint is gone with it
        deliveriesByWebhook.remove(key);
      } else if (TenantKeys.of(sub.getTenantId(), sub.getWebhookId()).equals(key)) {
        webhooks.put(key, sub);
      }
      return;
    }
    if (value == null) {
      return;
    }
    WebhookDelivery delivery = deliveries.deserialize(topic, value);
    if (!TenantKeys.of(delivery.getTenantId(), delivery.getDeliveryId()).equals(key)) {
      return; // key and body disagree: never file one tenant's delivery under another
    }
    Map<String, WebhookDelivery> held = deliveriesByWebhook.computeIfAbsent(
        TenantKeys.of(delivery.getTenantId(), delivery.getWebhookId()), k -> new LinkedHashMap<>());
    synchronized (held) {
      WebhookDelivery before = held.get(delivery.getDeliveryId());
      if (before == null || before.getAttempts() <= delivery.getAttempts()) {
        held.put(delivery.getDeliveryId(), delivery);
      }
      while (held.size() > DELIVERIES_KEPT) {
        held.remove(held.keySet().iterator().next());
      }
    }
  }

  /** Records the tenant's own write at once, so it reads it back on this instance. */
  void applyOwn(WebhookSubscription sub) {
    webhooks.put(TenantKeys.of(sub.getTenantId(), sub.getWebhookId()), sub);
  }

  void forgetOwn(String tenantId, String webhookId) {
    webhooks.remove(TenantKeys.of(tenantId, webhookId));
  }

  public Optional<WebhookSubscription> find(String tenantId, String webhookId) {
    return Optional.ofNullable(webhooks.get(TenantKeys.of(tenantId, webhookId)));
  }

  public List<WebhookSubscription> list(String tenantId) {
    return webhooks.values().stream().filter(w -> w.getTenantId().equals(tenantId))
        .sorted(Comparator.comparing(WebhookSubscription::getCreatedAt).thenComparing(WebhookSubscription::getWebhookId))
        .toList();
  }

  /** The webhook's deliveries, newest first. */
  public List<WebhookDelivery> deliveries(String tenantId, String webhookId) {
    Map<String, WebhookDelivery> held = deliveriesByWebhook.get(TenantKeys.of(tenantId, webhookId));
    if (held == null) {
      return List.of();
    }
    synchronized (held) {
      return held.values().stream().sorted(Comparator.comparing(WebhookDelivery::getCreatedAt).reversed()
          .thenComparing(WebhookDelivery::getDeliveryId)).toList();
    }
  }
}
