package io.storystream.common.logging;

import io.storystream.schemas.topics.TenantKeys;
import org.apache.avro.Schema;
import org.apache.avro.generic.GenericRecord;
import org.apache.kafka.streams.processor.api.Processor;
import org.apache.kafka.streams.processor.api.ProcessorContext;
import org.apache.kafka.streams.processor.api.ProcessorSupplier;
import org.apache.kafka.streams.processor.api.Record;

/**
 * Wraps a Streams processor so that every line it logs while handling a record carries the record's tenant and job
 * ({@code tenant.id}, {@code job.id}): the tenant from the value's {@code tenantId} field or else the key's tenant
 * part, the job from the value's {@code jobId} field. The ids are removed again after each record, so the stream
 * thread takes none of them to the next record or task.
 */
public final class RecordLogIds<KIn, VIn, KOut, VOut> implements Processor<KIn, VIn, KOut, VOut> {
  private final Processor<KIn, VIn, KOut, VOut> inner;

  private RecordLogIds(Processor<KIn, VIn, KOut, VOut> inner) {
    this.inner = inner;
  }

  public static <KIn, VIn, KOut, VOut> ProcessorSupplier<KIn, VIn, KOut, VOut> around(
      ProcessorSupplier<KIn, VIn, KOut, VOut> supplier) {
    return () -> new RecordLogIds<>(supplier.get());
  }

  @Override
  public void init(ProcessorContext<KOut, VOut> context) {
    inner.init(context);
  }

  @Override
  public void process(Record<KIn, VIn> record) {
    try (LogContext ids = idsOf(record.key(), record.value())) {
      inner.process(record);
    }
  }

  @Override
  public void close() {
    inner.close();
  }

  /** The log context of one record: ids only, never a field that holds content. */
  public static LogContext idsOf(Object key, Object value) {
    String tenant = field(value, "tenantId");
    if (tenant == null && key instanceof String k && !k.isEmpty()) {
      tenant = TenantKeys.tenantOf(k);
    }
    return LogContext.of(LogContext.TENANT_ID, tenant, LogContext.JOB_ID, field(value, "jobId"));
  }

  private static String field(Object value, String name) {
    if (value instanceof GenericRecord avro) {
      Schema.Field field = avro.getSchema().getField(name);
      Object id = field == null ? null : avro.get(field.pos());
      return id == null ? null : id.toString();
    }
    return null;
  }
}
