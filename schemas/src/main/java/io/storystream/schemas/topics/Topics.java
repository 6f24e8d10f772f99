package io.storystream.schemas.topics;

import static io.storystream.schemas.topics.Topic.Cleanup.COMPACT;
import static io.storystream.schemas.topics.Topic.Cleanup.DELETE;
import static io.storystream.schemas.topics.Topic.TENANT_PARTITIONS;

import io.storystream.schemas.AnalysisRequest;
import io.storystream.schemas.AnalysisStatus;
import io.storystream.schemas.AnalysisWork;
import io.storystream.schemas.ApiKey;
import io.storystream.schemas.AuditEvent;
import io.storystream.schemas.DeadLetter;
import io.storystream.schemas.FileRegistered;
import io.storystream.schemas.JobCancellation;
import io.storystream.schemas.PriceBook;
import io.storystream.schemas.QuotaUsage;
import io.storystream.schemas.Statement;
import io.storystream.schemas.Tenant;
import io.storystream.schemas.TenantDataKey;
import io.storystream.schemas.UsageEvent;
import io.storystream.schemas.WebhookDelivery;
import io.storystream.schemas.WebhookSubscription;
import java.time.Duration;
import java.util.List;

/**
 * The topic catalogue: every topic storystream reads or writes, in one place, used by every module. Keys are
 * strings; records of one tenant share a partition across all tenant-partitioned topics (see
 * {@link TenantPartitioner}).
 */
public final class Topics {
  private Topics() {}

  public static final Topic<Tenant> TENANTS = new Topic<>("tenants", Tenant.class,
      TENANT_PARTITIONS, COMPACT, null, "tenant id → tenant, plan and status");

  public static final Topic<ApiKey> API_KEYS = new Topic<>("api-keys", ApiKey.class,
      TENANT_PARTITIONS, COMPACT, null, "key id → hashed secret, tenant, scopes, expiry, status");

  public static final Topic<FileRegistered> FILES = new Topic<>("files", FileRegistered.class,
      TENANT_PARTITIONS, COMPACT, null, "tenantId:fileId → registered file; tombstone on delete");

  public static final Topic<AnalysisRequest> ANALYSIS_REQUESTS = new Topic<>("analysis-requests", AnalysisRequest.class,
      TENANT_PARTITIONS, DELETE, Duration.ofDays(7), "tenant id → submitted analysis request");

  public static final Topic<AnalysisWork> ANALYSIS_WORK = new Topic<>("analysis-work", AnalysisWork.class,
      TENANT_PARTITIONS, DELETE, Duration.ofDays(7), "tenant id → admitted job for the worker");

  public static final Topic<AnalysisStatus> ANALYSIS_STATUS = new Topic<>("analysis-status", AnalysisStatus.class,
      TENANT_PARTITIONS, COMPACT, null, "tenantId:jobId → latest job state");

  public static final Topic<JobCancellation> ANALYSIS_CANCELLATIONS = new Topic<>("analysis-cancellations",
      JobCancellation.class, TENANT_PARTITIONS, DELETE, Duration.ofDays(7),
      "tenant id → a tenant's request to cancel one of its jobs (admission and the worker act on it)");

  public static final Topic<QuotaUsage> QUOTA_USAGE = new Topic<>("quota-usage", QuotaUsage.class,
      TENANT_PARTITIONS, COMPACT, null, "tenantId:yyyy-MM → the monthly quota as admission decides with it");

  public static final Topic<UsageEvent> USAGE_EVENTS = new Topic<>("usage-events", UsageEvent.class,
      TENANT_PARTITIONS, DELETE, null, "tenant id → immutable usage fact; kept forever for billing replays");

  public static final Topic<PriceBook> PRICE_BOOKS = new Topic<>("price-books", PriceBook.class,
      1, COMPACT, null, "price-book version → price book");

  public static final Topic<Statement> BILLING_STATEMENTS = new Topic<>("billing-statements", Statement.class,
      TENANT_PARTITIONS, COMPACT, null, "tenantId:yyyy-MM → latest statement revision");

  public static final Topic<AuditEvent> AUDIT = new Topic<>("audit", AuditEvent.class,
      TENANT_PARTITIONS, DELETE, Duration.ofDays(400), "tenant id → audit event");

  public static final Topic<DeadLetter> DEAD_LETTER = new Topic<>("dead-letter", DeadLetter.class,
      TENANT_PARTITIONS, DELETE, Duration.ofDays(30), "source key → record that could not be processed, with the error");

  public static final Topic<WebhookSubscription> WEBHOOKS = new Topic<>("webhooks", WebhookSubscription.class,
      TENANT_PARTITIONS, COMPACT, null, "tenantId:webhookId → a tenant's endpoint and events; tombstone on delete");

  public static final Topic<WebhookDelivery> WEBHOOK_DELIVERIES = new Topic<>("webhook-deliveries",
      WebhookDelivery.class, TENANT_PARTITIONS, COMPACT, null,
      "tenantId:deliveryId → one event for one endpoint and where its delivery stands");

  public static final Topic<TenantDataKey> TENANT_KEYS = new Topic<>("tenant-keys", TenantDataKey.class,
      TENANT_PARTITIONS, COMPACT, null,
      "tenantId:dataKeyId → a tenant's wrapped data key (tombstone: destroyed); tenantId → erasure marker");

  /** Every topic of the catalogue, in the order of the data's path. */
  public static List<Topic<?>> all() {
    return List.of(TENANTS, API_KEYS, FILES, ANALYSIS_REQUESTS, ANALYSIS_WORK, ANALYSIS_STATUS,
        ANALYSIS_CANCELLATIONS, QUOTA_USAGE, USAGE_EVENTS, PRICE_BOOKS, BILLING_STATEMENTS, AUDIT, DEAD_LETTER,
        WEBHOOKS, WEBHOOK_DELIVERIES, TENANT_KEYS);
  }
}
