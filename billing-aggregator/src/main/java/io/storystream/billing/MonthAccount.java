package io.storystream.billing;

import com.fasterxml.jackson.core.JsonGenerator;
import com.fasterxml.jackson.databind.DeserializationFeature;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.storystream.schemas.MeterQuantities;
import io.storystream.schemas.UsageEvent;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.UncheckedIOException;
import org.apache.kafka.common.serialization.Serde;
import org.apache.kafka.common.serialization.Serdes;

/**
 * What the aggregator knows about one tenant-month: the meter quantities of the events it counted, the plan they
 * were used under, and the bookkeeping behind the explain view (events counted, duplicates dropped, events
 * dead-lettered). Immutable; every change returns a new account.
 *
 * <p>The plan is the one of the latest counted event by event time (ties broken by event id), so the result does
 * not depend on the order in which events arrive.
 */
public record MonthAccount(String tenantId, String month, String plan, long planAt, String planEventId,
                           long analyses, long failedAnalyses, long cacheHits, long rowsAnalyzed, long uploads,
                           long bytesUploaded, long downloads,
                           long counted, long duplicates, long deadLettered, long lastCountedAt) {

  public static MonthAccount empty(BillingMonth month) {
    return new MonthAccount(month.tenantId(), month.month().toString(), null, Long.MIN_VALUE, null,
        0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0);
  }

  /** The account with one more counted event. */
  public MonthAccount withCounted(UsageEvent e) {
    long q = e.getQuantity();
    long a = analyses, f = failedAnalyses, c = cacheHits, r = rowsAnalyzed, u = uploads, b = bytesUploaded, d = downloads;
    switch (e.getType()) {
      case ANALYSIS_COMPLETE -> {
        a = Math.addExact(a, q);
        r = Math.addExact(r, e.getRows());
      }
      case ANALYSIS_FAILED -> f = Math.addExact(f, q); // shown, never charged
      case CACHE_HIT -> c = Math.addExact(c, q);
      case FILE_UPLOAD -> {
        u = Math.addExact(u, q);
        b = Math.addExact(b, e.getBytes());
      }
      case FILE_DOWNLOAD -> d = Math.addExact(d, q);
      default -> throw new IllegalArgumentException("not a billable usage type: " + e.getType());
    }
    long at = e.getOccurredAt().toEpochMilli();
    boolean newerPlan = e.getPlan() != null
        && (at > planAt || (at == planAt && (planEventId == null || e.getEventId().compareTo(planEventId) > 0)));
    return new MonthAccount(tenantId, month, newerPlan ? e.getPlan() : plan, newerPlan ? at : planAt,
        newerPlan ? e.getEventId() : planEventId, a, f, c, r, u, b, d,
        counted + 1, duplicates, deadLettered, Math.max(lastCountedAt, at));
  }

  public MonthAccount withDuplicate() {
    return new MonthAccount(tenantId, month, plan, planAt, planEventId, analyses, failedAnalyses, cacheHits,
        rowsAnalyzed, uploads, bytesUploaded, downloads, counted, duplicates + 1, deadLettered, lastCountedAt);
  }

  public MonthAccount withDeadLetter() {
    return new MonthAccount(tenantId, month, plan, planAt, planEventId, analyses, failedAnalyses, cacheHits,
        rowsAnalyzed, uploads, bytesUploaded, downloads, counted, duplicates, deadLettered + 1, lastCountedAt);
  }

  public MeterQuantities quantities() {
    return MeterQuantities.newBuilder().setAnalyses(analyses).setFailedAnalyses(failedAnalyses)
        .setCacheHits(cacheHits).setRowsAnalyzed(rowsAnalyzed).setUploads(uploads).setBytesUploaded(bytesUploaded)
        .setDownloads(downloads).build();
  }

  public BillingMonth billingMonth() {
    return new BillingMonth(tenantId, java.time.YearMonth.parse(month));
  }

  /**
   * The bytes {@code ObjectMapper.writeValueAsBytes} writes (same fields, same order), written field by field: the
   * aggregator stores an account for every event, and the reflective path was a seventh of its time.
   */
  static byte[] toJson(MonthAccount a) {
    ByteArrayOutputStream out = new ByteArrayOutputStream(384);
    try (JsonGenerator g = JSON.getFactory().createGenerator(out)) {
      g.writeStartObject();
      g.writeStringField("tenantId", a.tenantId);
      g.writeStringField("month", a.month);
      g.writeStringField("plan", a.plan);
      g.writeNumberField("planAt", a.planAt);
      g.writeStringField("planEventId", a.planEventId);
      g.writeNumberField("analyses", a.analyses);
      g.writeNumberField("failedAnalyses", a.failedAnalyses);
      g.writeNumberField("cacheHits", a.cacheHits);
      g.writeNumberField("rowsAnalyzed", a.rowsAnalyzed);
      g.writeNumberField("uploads", a.uploads);
      g.writeNumberField("bytesUploaded", a.bytesUploaded);
      g.writeNumberField("downloads", a.downloads);
      g.writeNumberField("counted", a.counted);
      g.writeNumberField("duplicates", a.duplicates);
      g.writeNumberField("deadLettered", a.deadLettered);
      g.writeNumberField("lastCountedAt", a.lastCountedAt);
      g.writeEndObject();
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
    return out.toByteArray();
  }

  private static final ObjectMapper JSON = new ObjectMapper()
      .disable(DeserializationFeature.FAIL_ON_UNKNOWN_PROPERTIES);

  /** JSON in the state store: readable in a changelog dump, and new fields can be added freely. */
  public static Serde<MonthAccount> serde() {
    return Serdes.serdeFrom((topic, account) -> account == null ? null : toJson(account), (topic, bytes) -> {
      try {
        return bytes == null ? null : JSON.readValue(bytes, MonthAccount.class);
      } catch (IOException e) {
        throw new UncheckedIOException(e);
      }
    });
  }
}
