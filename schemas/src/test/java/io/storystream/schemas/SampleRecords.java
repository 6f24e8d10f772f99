package io.storystream.schemas;

import java.nio.ByteBuffer;
import java.time.Instant;
import java.util.List;
import java.util.Map;
import org.apache.avro.specific.SpecificRecord;

/** One valid record of every topic's value type, with every optional field set. */
public final class SampleRecords {
  private static final Instant T = Instant.parse("2026-11-23T10:15:30.123Z");

  private SampleRecords() {}

  public static PlanLimits proLimits() {
    return new PlanLimits(500, 50L * 1024 * 1024, true, 120, 5, 30, 100);
  }

  public static List<SpecificRecord> all() {
    return List.of(
        Tenant.newBuilder().setTenantId("acme").setName("Acme Corp").setPlan("pro").setLimits(proLimits())
            .setStatus(TenantStatus.ACTIVE).setCreatedAt(T).setUpdatedAt(T).setDeletedAt(T.plusSeconds(1)).build(),
        ApiKey.newBuilder().setKeyId("key_0123").setTenantId("acme").setSecretHash(ByteBuffer.wrap(new byte[] {1, 2, 3}))
            .setPepperId("p1").setScopes(List.of("files:write", "analyses:read")).setStatus(ApiKeyStatus.ACTIVE)
            .setName("ci").setCreatedAt(T).setExpiresAt(T.plusSeconds(3600)).setRevokedAt(null).build(),
        FileRegistered.newBuilder().setFileId("file_1").setTenantId("acme").setName("sales.csv")
            .setObjectKey("tenants/acme/files/file_1").setSizeBytes(1234).setSha256("ab".repeat(32)).setRows(10)
            .setColumns(3).setColumnNames(List.of("date", "region", "revenue")).setContentType("text/csv")
            .setUploadedAt(T).setKeyId("key_0123").build(),
        AnalysisRequest.newBuilder().setJobId("job_1").setTenantId("acme").setKeyId("key_0123").setFileId("file_1")
            .setSteeringPrompt("focus on trend").setRefinementPrompt("short").setIdempotencyKey("idem-1")
            .setRequestHash("cd".repeat(32)).setPromptFlags(List.of("prompt_injection")).setRequestId("req_1")
            .setSubmittedAt(T).build(),
        AnalysisWork.newBuilder().setJobId("job_1").setTenantId("acme").setFileId("file_1")
            .setObjectKey("tenants/acme/files/file_1").setFileName("sales.csv").setFileSha256("ab".repeat(32))
            .setFileRows(10).setSteeringPrompt("focus").setRefinementPrompt(null).setCacheKey("ef".repeat(32))
            .setConcurrentJobs(5).setSubmittedAt(T).setAdmittedAt(T.plusMillis(5)).build(),
        AnalysisStatus.newBuilder().setJobId("job_1").setTenantId("acme").setFileId("file_1")
            .setState(JobState.COMPLETED).setSequence(3).setReason(null).setMessage("done").setRetryable(false)
            .setFromCache(true).setResultPrefix("tenants/acme/results/job_1/").setIdempotencyKey("idem-1")
            .setAttempt(1).setSubmittedAt(T).setUpdatedAt(T.plusSeconds(2)).setStartedAt(T.plusSeconds(1))
            .setCompletedAt(T.plusSeconds(2)).setPosition(3).setReservationReleased(true).build(),
        JobCancellation.newBuilder().setJobId("job_1").setTenantId("acme").setKeyId("key_0123").setRequestId("req_2")
            .setRequestedAt(T).build(),
        QuotaUsage.newBuilder().setTenantId("acme").setMonth("2026-11").setAnalysesPerMonth(500).setUsed(12)
            .setReserved(3).setQueued(1).setRunning(2).setUpdatedAt(T).build(),
        WebhookSubscription.newBuilder().setWebhookId("wh_1").setTenantId("acme").setUrl("https://hooks.example.com/x")
            .setEvents(List.of("job.completed")).setSecret("whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw").setCreatedAt(T)
            .build(),
        WebhookDelivery.newBuilder().setDeliveryId("msg_1").setTenantId("acme").setWebhookId("wh_1")
            .setEventType("job.completed").setPayload("{}").setStatus(DeliveryStatus.PENDING).setAttempts(2)
            .setCreatedAt(T).setNextAttemptAt(T.plusSeconds(30)).setLastAttemptAt(T.plusSeconds(5))
            .setLastStatusCode(500).setLastError("HTTP 500").build(),
        UsageEvent.newBuilder().setEventId("job_1:analysis_complete").setTenantId("acme")
            .setType(UsageType.ANALYSIS_COMPLETE).setQuantity(1).setRows(10).setBytes(0).setJobId("job_1")
            .setFileId("file_1").setPlan("pro").setOccurredAt(T).build(),
        PriceBook.newBuilder().setVersion(3).setCurrency("EUR").setEffectiveFrom("2026-01").setEffectiveTo("2026-12")
            .setPlans(Map.of("pro", new PlanPrice(49_000_000L, 500L, 100_000L, 10_000L, 0L, 20_000L, 0L, 0L)))
            .setPublishedAt(T).setNote("autumn prices").build(),
        Statement.newBuilder().setTenantId("acme").setMonth("2026-11").setPlan("pro").setCurrency("EUR")
            .setPriceBookVersion(3).setRevision(2).setStatus(StatementStatus.OPEN)
            .setQuantities(new MeterQuantities(12L, 1L, 3L, 1200L, 4L, 4096L, 2L))
            .setLines(List.of(new StatementLine("base_fee", "Pro plan", 1L, 49_000_000L, 49_000_000L)))
            .setTotalMicros(49_000_000L).setPreviousTotalMicros(48_000_000L).setGeneratedAt(T).build(),
        TenantDataKey.newBuilder().setTenantId("acme").setDataKeyId("dk_1").setMasterKeyId("mk_1")
            .setWrappedKey(ByteBuffer.wrap(new byte[] {4, 5, 6})).setCreatedAt(T).setErasedAt(null).build(),
        AuditEvent.newBuilder().setEventId("aud_1").setTenantId("acme").setKeyId("key_0123")
            .setActor(AuditActor.TENANT).setAction("file.upload").setResourceType("file").setResourceId("file_1")
            .setOutcome("success").setHttpStatus(201).setRequestId("req_1").setOccurredAt(T).build(),
        DeadLetter.newBuilder().setSourceTopic("usage-events").setSourcePartition(2).setSourceOffset(42)
            .setKey(ByteBuffer.wrap("acme".getBytes())).setValue(ByteBuffer.wrap(new byte[] {9, 9}))
            .setApplication("billing").setReason("deserialization_failed").setErrorClass("X")
            .setErrorMessage("bad").setFailedAt(T).build());
  }
}
