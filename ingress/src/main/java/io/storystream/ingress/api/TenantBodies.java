package io.storystream.ingress.api;

import io.storystream.common.http.OptionalField;
import com.fasterxml.jackson.annotation.JsonClassDescription;
import com.fasterxml.jackson.annotation.JsonInclude;
import com.fasterxml.jackson.annotation.JsonPropertyDescription;
import java.time.Instant;
import java.util.List;

/** The bodies of the tenant's webhooks, embed tokens and audit trail, and of the operator's erasure receipt. */
public final class TenantBodies {
  private TenantBodies() {}

  public record CreateWebhook(
      @JsonPropertyDescription("the https:// address to deliver to") String url,
      @JsonPropertyDescription("job.completed, job.failed, job.rejected, job.cancelled, quota.threshold, "
          + "statement.finalized") List<String> events) {}

  @JsonClassDescription("A webhook; secret (whsec_…, for verifying signatures) only in the answer that created it")
  public record Webhook(String id, String url, List<String> events, Instant createdAt,
                        @OptionalField @JsonInclude(JsonInclude.Include.NON_NULL) String secret) {
    public Webhook withSecret(String value) {
      return new Webhook(id, url, events, createdAt, value);
    }
  }

  public record WebhookList(List<Webhook> webhooks) {}

  public record WebhookDelivery(String id, String eventType,
                                @JsonPropertyDescription("pending, delivered or failed") String status, int attempts,
                                Instant createdAt, @OptionalField Instant lastAttemptAt,
                                @OptionalField Instant nextAttemptAt, @OptionalField Integer lastStatusCode,
                                @OptionalField String lastError) {}

  public record WebhookDeliveryList(List<WebhookDelivery> deliveries) {}

  public record CreateEmbedToken(
      @JsonPropertyDescription("results:read, usage:read, statements:read") List<String> scopes,
      @OptionalField @JsonPropertyDescription("1–86400, default 3600") Long ttlSeconds,
      @OptionalField @JsonPropertyDescription("narrows results:read to these jobs") List<String> jobIds) {}

  public record EmbedToken(@JsonPropertyDescription("an HS256 JWT") String token, Instant expiresAt) {}

  public record AuditEvent(String eventId, String tenantId, @OptionalField String keyId,
                           @JsonPropertyDescription("tenant, operator or system") String actor, String action,
                           @OptionalField String resourceType, @OptionalField String resourceId, String outcome,
                           @OptionalField Integer httpStatus, @OptionalField String requestId, Instant occurredAt,
                           @JsonPropertyDescription("identical events folded into one") int count) {}

  public record AuditEvents(String tenantId, List<AuditEvent> events) {}

  public record ErasedPart(int count, @JsonPropertyDescription("ids (object keys for objects)") List<String> ids) {}

  @JsonClassDescription("What an erasure deleted; usage events, statements and the audit trail are retained")
  public record ErasureReceipt(String tenantId, String status, @OptionalField Instant deletedAt, ErasedPart dataKeys,
                               ErasedPart keys,
                               ErasedPart files, ErasedPart jobs, ErasedPart cacheEntries, ErasedPart objects,
                               List<String> retained) {}
}
