package io.storystream.common.logging;

import java.util.HashMap;
import java.util.Map;
import java.util.concurrent.Executor;
import org.slf4j.MDC;

/**
 * The ids a log line carries, in the logging context (SLF4J's MDC, log4j's ThreadContext): the JSON layout writes
 * each as a field ({@code tenant.id}, {@code job.id}, …), the terminal layout appends them. Only ids go here, never
 * prompts, file content, narratives or keys.
 *
 * <p>A scope restores what was there before when it closes, so nested scopes and pooled threads (Jetty's, the
 * worker's I/O pool, Streams' threads) never carry one job's ids into the next piece of work:
 * {@code try (LogContext ids = LogContext.of(LogContext.TENANT_ID, tenantId, LogContext.JOB_ID, jobId)) { … }}.
 */
public final class LogContext implements AutoCloseable {
  public static final String REQUEST_ID = "request.id";
  public static final String TENANT_ID = "tenant.id";
  public static final String JOB_ID = "job.id";
  /** The id of the tenant's API key (never the key itself). */
  public static final String KEY_ID = "key.id";
  public static final String DELIVERY_ID = "webhook.delivery.id";

  private final Map<String, String> previous = new HashMap<>();

  private LogContext() {}

  /** Puts the pairs (key, value, key, value …) into the context; null values are left out. */
  public static LogContext of(String... keysAndValues) {
    if (keysAndValues.length % 2 != 0) {
      throw new IllegalArgumentException("keys and values come in pairs");
    }
    LogContext scope = new LogContext();
    for (int i = 0; i < keysAndValues.length; i += 2) {
      scope.put(keysAndValues[i], keysAndValues[i + 1]);
    }
    return scope;
  }

  /** The context of one job of one tenant. */
  public static LogContext job(String tenantId, String jobId) {
    return of(TENANT_ID, tenantId, JOB_ID, jobId);
  }

  /** Adds one more id to this scope (undone with the rest on close). */
  public LogContext put(String key, String value) {
    if (value == null) {
      return this;
    }
    if (!previous.containsKey(key)) {
      previous.put(key, MDC.get(key));
    }
    MDC.put(key, value);
    return this;
  }

  /**
   * An executor that runs each task with the context of the thread that submitted it, and leaves the pool thread as
   * it found it afterwards: ids follow a job across its asynchronous steps.
   */
  public static Executor propagating(Executor executor) {
    return task -> {
      Map<String, String> submitter = MDC.getCopyOfContextMap();
      executor.execute(() -> {
        Map<String, String> before = MDC.getCopyOfContextMap();
        if (submitter == null) {
          MDC.clear();
        } else {
          MDC.setContextMap(submitter);
        }
        try {
          task.run();
        } finally {
          if (before == null) {
            MDC.clear();
          } else {
            MDC.setContextMap(before);
          }
        }
      });
    };
  }

  @Override
  public void close() {
    previous.forEach((key, value) -> {
      if (value == null) {
        MDC.remove(key);
      } else {
        MDC.put(key, value);
      }
    });
    previous.clear();
  }
}
