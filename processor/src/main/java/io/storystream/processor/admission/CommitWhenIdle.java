package io.storystream.processor.admission;

import java.time.Duration;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import org.apache.kafka.streams.processor.TaskId;
import org.apache.kafka.streams.processor.api.Processor;
import org.apache.kafka.streams.processor.api.ProcessorContext;
import org.apache.kafka.streams.processor.api.ProcessorSupplier;
import org.apache.kafka.streams.processor.api.Record;

/**
 * Commits a record as soon as it is processed when it is the first its task has seen for at least a commit interval;
 * a task that keeps receiving records commits at the interval as before.
 *
 * <p>Under exactly-once a decision reaches its readers only when the transaction that wrote it commits, and Streams
 * commits at {@code commit.interval.ms} after the last commit: on a quiet system a lone request waited up to that
 * interval, plus the poll that ends it, before the worker could see it. Asking Streams for a commit
 * ({@link ProcessorContext#commit()}) makes the thread commit right after the batch that holds the record. Only a
 * record that wakes an idle task asks: in a backlog every task's records come back to back, so no record asks and
 * commits stay periodic, as many as before; a task asks at most once per idle gap, so however the records are spread,
 * a thread never commits more often than once per gap for each of its tasks, on top of the periodic commits.
 *
 * <p>One instance serves every processor of a topology (the requests, the endings, the cancels of a task share its
 * idleness), on any number of stream threads.
 */
final class CommitWhenIdle {
  private final long idleMillis;
  private final Map<TaskId, Long> lastRecordAt = new ConcurrentHashMap<>();

  /** @param idleGap how long a task must have seen no record for the next one to be committed at once */
  CommitWhenIdle(Duration idleGap) {
    this.idleMillis = idleGap.toMillis();
  }

  <KIn, VIn, KOut, VOut> ProcessorSupplier<KIn, VIn, KOut, VOut> around(
      ProcessorSupplier<KIn, VIn, KOut, VOut> supplier) {
    return () -> new Committing<>(supplier.get());
  }

  /** Whether a record the task processes at {@code now} wakes it from idleness; remembers {@code now} either way. */
  boolean wakes(TaskId task, long now) {
    Long previous = lastRecordAt.put(task, now);
    return previous == null || now - previous >= idleMillis;
  }

  private final class Committing<KIn, VIn, KOut, VOut> implements Processor<KIn, VIn, KOut, VOut> {
    private final Processor<KIn, VIn, KOut, VOut> inner;
    private ProcessorContext<KOut, VOut> context;

    Committing(Processor<KIn, VIn, KOut, VOut> inner) {
      this.inner = inner;
    }

    @Override
    public void init(ProcessorContext<KOut, VOut> context) {
      this.context = context;
      inner.init(context);
    }

    @Override
    public void process(Record<KIn, VIn> record) {
      inner.process(record);
      if (wakes(context.taskId(), context.currentSystemTimeMs())) {
        context.commit();
      }
    }

    @Override
    public void close() {
      inner.close();
    }
  }
}
