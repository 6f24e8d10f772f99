package io.storystream.common.logging;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.slf4j.MDC;

/** The ids of a log line: scopes that restore what was there, and pooled threads that start clean. */
class LogContextTest {

  @AfterEach
  void clean() {
    MDC.clear();
  }

  @Test
  void aScopeRestoresWhatWasThereBefore() {
    MDC.put(LogContext.REQUEST_ID, "req_1");
    try (LogContext outer = LogContext.job("acme", "job_1")) {
      assertThat(MDC.get(LogContext.TENANT_ID)).isEqualTo("acme");
      try (LogContext inner = LogContext.job("globex", "job_2")) {
        assertThat(MDC.get(LogContext.JOB_ID)).isEqualTo("job_2");
      }
      assertThat(MDC.get(LogContext.TENANT_ID)).isEqualTo("acme");
      assertThat(MDC.get(LogContext.JOB_ID)).isEqualTo("job_1");
    }
    assertThat(MDC.get(LogContext.TENANT_ID)).isNull();
    assertThat(MDC.get(LogContext.JOB_ID)).isNull();
    assertThat(MDC.get(LogContext.REQUEST_ID)).as("untouched").isEqualTo("req_1");
  }

  @Test
  void nullValuesAreLeftOutAndPairsAreRequired() {
    try (LogContext ids = LogContext.of(LogContext.TENANT_ID, null, LogContext.JOB_ID, "job_1")) {
      assertThat(MDC.get(LogContext.TENANT_ID)).isNull();
      assertThat(MDC.get(LogContext.JOB_ID)).isEqualTo("job_1");
    }
    assertThatThrownBy(() -> LogContext.of(LogContext.TENANT_ID)).isInstanceOf(IllegalArgumentException.class);
  }

  @Test
  void aPropagatingExecutorRunsEachTaskWithItsSubmittersIdsAndLeavesThePoolThreadClean() throws Exception {
    ExecutorService pool = Executors.newSingleThreadExecutor();
    try {
      var executor = LogContext.propagating(pool);
      Future<?> stale = pool.submit(() -> MDC.put(LogContext.TENANT_ID, "left-behind"));
      stale.get();
      String[] seen = new String[3];
      try (LogContext ids = LogContext.job("acme", "job_1")) {
        java.util.concurrent.CompletableFuture.runAsync(() -> {
          seen[0] = MDC.get(LogContext.TENANT_ID);
          seen[1] = MDC.get(LogContext.JOB_ID);
        }, executor).get();
      }
      java.util.concurrent.CompletableFuture.runAsync(() -> seen[2] = MDC.get(LogContext.JOB_ID), executor).get();
      assertThat(seen[0]).isEqualTo("acme");
      assertThat(seen[1]).isEqualTo("job_1");
      assertThat(seen[2]).as("a task submitted without ids runs without them").isNull();
      assertThat(pool.submit(() -> MDC.get(LogContext.TENANT_ID)).get()).as("the pool thread as it was")
          .isEqualTo("left-behind");
    } finally {
      pool.shutdownNow();
    }
  }

  @Test
  void autoIsPlainOnlyForTheEmbeddedDefaultOnATerminal() {
    assertThat(LogFormat.parse("auto").resolve(true, true)).isEqualTo(LogFormat.PLAIN);
    assertThat(LogFormat.parse(null).resolve(true, false)).isEqualTo(LogFormat.JSON);
    assertThat(LogFormat.parse("AUTO").resolve(false, true)).isEqualTo(LogFormat.JSON);
    assertThat(LogFormat.parse("json").resolve(true, true)).isEqualTo(LogFormat.JSON);
    assertThat(LogFormat.parse("plain").resolve(false, false)).isEqualTo(LogFormat.PLAIN);
    assertThatThrownBy(() -> LogFormat.parse("xml")).hasMessageContaining("json, plain or auto");
  }

  @Test
  void theFormatSwitchesTheConsoleLayoutOfTheLog4jConfiguration() {
    try {
      LogFormat.PLAIN.apply();
      assertThat(consoleLayout()).isInstanceOf(org.apache.logging.log4j.core.layout.PatternLayout.class);
      LogFormat.JSON.apply();
      assertThat(consoleLayout())
          .isInstanceOf(org.apache.logging.log4j.layout.template.json.JsonTemplateLayout.class);
    } finally {
      LogFormat.JSON.apply();
    }
  }

  private static Object consoleLayout() {
    var context = (org.apache.logging.log4j.core.LoggerContext) org.apache.logging.log4j.LogManager.getContext(false);
    return context.getConfiguration().getAppenders().get("console").getLayout();
  }
}
