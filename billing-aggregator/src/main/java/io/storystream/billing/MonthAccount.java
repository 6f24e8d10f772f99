package io.storystream.billing;

import com.fasterxml.jackson.databind.DeserializationFeature;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.storystream.schemas.MeterQuantities;
import io.storystream.schemas.UsageEvent;
import java.io.IOException;
import java.nio.BufferUnderflowException;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import org.apache.kafka.common.errors.SerializationException;
import org.apache.kafka.common.serialization.Serde;
import org.apache.kafka.common.serialization.Serdes;
import org.apache.kafka.common.utils.ByteUtils;

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

  /** The first byte of an account in its binary stored form; an account written as JSON starts with '{'. */
  static final byte BINARY_V1 = 1;

  /**
   * The stored form: {@link #BINARY_V1}, then the fields in declaration order, each string as a varint of its UTF-8
   * length plus one (0 for null) and its bytes, each number as a zig-zag varlong. The aggregator stores an account
   * for every event it reads; written as JSON, that was a sixth of its stream thread's time (JFR, BENCHMARKS.md).
   */
  static byte[] toBytes(MonthAccount a) {
    byte[] tenantId = utf8(a.tenantId), month = utf8(a.month), plan = utf8(a.plan), planEventId = utf8(a.planEventId);
    long[] counters = {a.analyses, a.failedAnalyses, a.cacheHits, a.rowsAnalyzed, a.uploads, a.bytesUploaded,
        a.downloads, a.counted, a.duplicates, a.deadLettered, a.lastCountedAt};
    int size = 1 + sizeOf(tenantId) + sizeOf(month) + sizeOf(plan) + ByteUtils.sizeOfVarlong(a.planAt)
        + sizeOf(planEventId);
    for (long n : counters) {
      size += ByteUtils.sizeOfVarlong(n);
    }
    ByteBuffer out = ByteBuffer.allocate(size).put(BINARY_V1);
    put(out, tenantId);
    put(out, month);
    put(out, plan);
    ByteUtils.writeVarlong(a.planAt, out);
    put(out, planEventId);
    for (long n : counters) {
      ByteUtils.writeVarlong(n, out);
    }
    return out.array();
  }

  static MonthAccount fromBytes(byte[] bytes) {
    if (bytes.length == 0) {
      throw new SerializationException("a month account's stored bytes are empty");
    }
    if (bytes[0] == '{') { // written by a version that stored JSON; rewritten in the binary form at its next change
      try {
        return JSON.readValue(bytes, MonthAccount.class);
      } catch (IOException e) {
        throw new SerializationException("a month account's JSON could not be read", e);
      }
    }
    if (bytes[0] != BINARY_V1) {
      throw new SerializationException("a month account's stored form " + bytes[0] + " is not one this version reads");
    }
    ByteBuffer in = ByteBuffer.wrap(bytes, 1, bytes.length - 1);
    try {
      String tenantId = string(in);
      String month = string(in);
      String plan = string(in);
      long planAt = ByteUtils.readVarlong(in);
      String planEventId = string(in);
      MonthAccount account = new MonthAccount(tenantId, month, plan, planAt, planEventId, ByteUtils.readVarlong(in),
          ByteUtils.readVarlong(in), ByteUtils.readVarlong(in), ByteUtils.readVarlong(in), ByteUtils.readVarlong(in),
          ByteUtils.readVarlong(in), ByteUtils.readVarlong(in), ByteUtils.readVarlong(in), ByteUtils.readVarlong(in),
          ByteUtils.readVarlong(in), ByteUtils.readVarlong(in));
      if (in.hasRemaining()) {
        throw new SerializationException("a month account's stored bytes run on past its last field");
      }
      return account;
    } catch (BufferUnderflowException | IllegalArgumentException e) {
      throw new SerializationException("a month account's stored bytes are cut short or corrupt", e);
    }
  }

  private static byte[] utf8(String s) {
    return s == null ? null : s.getBytes(StandardCharsets.UTF_8);
  }

  private static int sizeOf(byte[] s) {
    return s == null ? 1 : ByteUtils.sizeOfUnsignedVarint(s.length + 1) + s.length;
  }

  private static void put(ByteBuffer out, byte[] s) {
    ByteUtils.writeUnsignedVarint(s == null ? 0 : s.length + 1, out);
    if (s != null) {
      out.put(s);
    }
  }

  private static String string(ByteBuffer in) {
    int lengthPlusOne = ByteUtils.readUnsignedVarint(in);
    if (lengthPlusOne == 0) {
      return null;
    }
    if (lengthPlusOne < 0 || lengthPlusOne - 1 > in.remaining()) {
      throw new BufferUnderflowException();
    }
    String s = new String(in.array(), in.arrayOffset() + in.position(), lengthPlusOne - 1, StandardCharsets.UTF_8);
    in.position(in.position() + lengthPlusOne - 1);
    return s;
  }

  private static final ObjectMapper JSON = new ObjectMapper()
      .disable(DeserializationFeature.FAIL_ON_UNKNOWN_PROPERTIES);

  /**
   * The state store's serde. Binary rather than JSON: a changelog dump no longer reads as text, but every field is
   * still a plain number or string, and a later field is added as a new version byte.
   */
  public static Serde<MonthAccount> serde() {
    return Serdes.serdeFrom((topic, account) -> account == null ? null : toBytes(account),
        (topic, bytes) -> bytes == null ? null : fromBytes(bytes));
  }
}
