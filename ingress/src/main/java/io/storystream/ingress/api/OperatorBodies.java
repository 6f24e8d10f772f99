package io.storystream.ingress.api;

import io.storystream.common.http.OptionalField;
import com.fasterxml.jackson.annotation.JsonClassDescription;
import com.fasterxml.jackson.annotation.JsonInclude;
import com.fasterxml.jackson.annotation.JsonPropertyDescription;
import java.time.Instant;
import java.util.List;

/** The bodies of the operator API's tenants and keys ({@code /admin}). */
public final class OperatorBodies {
  private OperatorBodies() {}

  @JsonClassDescription("A plan's limits; in a request every one is optional and overrides the plan's standard value")
  @JsonInclude(JsonInclude.Include.NON_NULL)
  public record Limits(
      @OptionalField Integer analysesPerMonth,
      @OptionalField Long maxFileBytes,
      @OptionalField Boolean cacheEnabled,
      @OptionalField Integer requestsPerMinute,
      @OptionalField Integer concurrentJobs,
      @OptionalField Integer retentionDays,
      @OptionalField Integer maxQueuedJobs) {}

  public record CreateTenant(
      @JsonPropertyDescription("2–63 lower-case letters, digits or dashes") String tenantId,
      @OptionalField @JsonPropertyDescription("default: the tenant id") String name,
      @OptionalField @JsonPropertyDescription("starter, pro, enterprise, or a custom plan with every limit; default starter")
      String plan,
      @OptionalField Limits limits) {}

  public record UpdateTenant(@OptionalField String name, @OptionalField String plan, @OptionalField Limits limits) {}

  public record ChangePlan(String plan, @OptionalField Limits limits) {}

  @JsonClassDescription("A tenant as the operator sees it")
  public record TenantInfo(String tenantId, String name, String plan, Limits limits,
                           @JsonPropertyDescription("active, suspended or deleted") String status,
                           Instant createdAt, Instant updatedAt) {}

  public record TenantList(List<TenantInfo> tenants) {}

  public record CreateKey(
      @OptionalField @JsonPropertyDescription("default: every scope") List<String> scopes,
      @OptionalField Instant expiresAt,
      @OptionalField String name) {}

  @JsonClassDescription("An API key; apiKey (the secret) only in the answer that issued it")
  public record ApiKeyInfo(String keyId, String tenantId, @OptionalField String name, List<String> scopes,
                           @JsonPropertyDescription("active, revoked or expired") String status, Instant createdAt,
                           @OptionalField Instant expiresAt, @OptionalField Instant revokedAt,
                           @OptionalField Instant lastUsedAt,
                           @OptionalField @JsonInclude(JsonInclude.Include.NON_NULL)
                           @JsonPropertyDescription("ssk_…, shown once") String apiKey) {

    public ApiKeyInfo withSecret(String secret) {
      return new ApiKeyInfo(keyId, tenantId, name, scopes, status, createdAt, expiresAt, revokedAt, lastUsedAt, secret);
    }
  }

  public record KeyList(List<ApiKeyInfo> keys) {}

  public record ProvisionTenant(@OptionalField String name, @OptionalField String plan, @OptionalField Limits limits,
                                @OptionalField String keyName, @OptionalField List<String> scopes) {}

  @JsonClassDescription("The tenant and its first key (its secret only when this call issued it)")
  public record Provisioned(TenantInfo tenant, ApiKeyInfo key, boolean created, boolean keyIssued) {}
}
