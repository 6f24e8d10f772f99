package io.storystream.datastorybot.client;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.catchThrowableOfType;

import io.storystream.datastorybot.standin.Endpoint;
import io.storystream.datastorybot.standin.Fault;
import io.storystream.datastorybot.standin.Faults;
import io.storystream.datastorybot.standin.StandInConfig;
import io.storystream.datastorybot.standin.StandInServer;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Set;
import java.util.concurrent.CompletionException;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Every failure path of the contract's error table, driven over real HTTP against the stand-in's fault switches.
 * Waits go through {@link RecordingSleeper}: the test asserts the exact waits the client asked for and never sleeps.
 */
class FailurePathsTest {
  static StandInServer standIn;
  static Path csv;
  RecordingSleeper time;

  @BeforeAll
  static void start(@TempDir Path dir) throws IOException {
    standIn = StandInServer.start(StandInConfig.forTests());
    csv = dir.resolve("sales.csv");
    Files.writeString(csv, "date,region,revenue\n2025-01-05,North,100\n2025-01-20,South,50\n"
        + "2025-02-03,North,120\n2025-02-14,South,60\n2025-03-01,North,150\n2025-03-09,East,40\n");
  }

  @AfterAll
  static void stop() {
    standIn.close();
  }

  @BeforeEach
  void reset() {
    standIn.faults().clear().retryAfter(Duration.ofSeconds(2));
    standIn.acceptKeys(Set.of());
    standIn.stats().reset();
    time = new RecordingSleeper();
  }

  /** Jitter fixed at 0.5 so backoff waits are exactly half their ceiling; a breaker too wide to open by accident. */
  private DataStoryBotConfig config() {
    return DataStoryBotConfig.defaults(standIn.baseUri(), ApiKeySource.none()).withTime(time.clock, time)
        .withJitter(() -> 0.5).withBreaker(new DataStoryBotConfig.BreakerSettings(100, 100, 50f,
            Duration.ofSeconds(30), 2));
  }

  private AnalysisResult run(DataStoryBotConfig config) {
    try (DataStoryBotClient client = new DataStoryBotClient(config)) {
      return client.analyze(new AnalysisJob("job_test", "sales.csv", csv, null, null)).join();
    }
  }

  private DataStoryBotException failure(DataStoryBotConfig config) {
    CompletionException e = catchThrowableOfType(CompletionException.class, () -> run(config));
    assertThat(e).as("the job should have failed").isNotNull();
    assertThat(e.getCause()).isInstanceOf(DataStoryBotException.class);
    return (DataStoryBotException) e.getCause();
  }

  private static long calls(Endpoint endpoint) {
    return standIn.stats().requests(endpoint);
  }

  @Test
  void rateLimitHonoursRetryAfter() {
    standIn.faults().retryAfter(Duration.ofSeconds(7)).inject(Endpoint.ANALYZE, Fault.RATE_LIMITED, 2);
    AnalysisResult result = run(config());
    assertThat(result.stories()).hasSize(3);
    assertThat(time.sleeps).containsExactly(Duration.ofSeconds(7), Duration.ofSeconds(7));
    assertThat(calls(Endpoint.ANALYZE)).isEqualTo(3);
  }

  @Test
  void unavailableHonoursRetryAfterToo() {
    standIn.faults().retryAfter(Duration.ofSeconds(3)).inject(Endpoint.UPLOAD, Fault.UNAVAILABLE, 1);
    run(config());
    assertThat(time.sleeps).containsExactly(Duration.ofSeconds(3));
    assertThat(calls(Endpoint.UPLOAD)).isEqualTo(2);
  }

  @Test
  void badGatewayAndGatewayTimeoutBackOffExponentiallyWithJitter() {
    standIn.faults().inject(Endpoint.REFINE, Fault.BAD_GATEWAY, 1).inject(Endpoint.REFINE, Fault.GATEWAY_TIMEOUT, 1)
        .inject(Endpoint.REFINE, Fault.CONTAINER_BUSY, 1);
    AnalysisResult result = run(config());
    // ceilings 1 s, 2 s, 4 s with jitter 0.5
    assertThat(time.sleeps).containsExactly(Duration.ofMillis(500), Duration.ofMillis(1000), Duration.ofMillis(2000));
    assertThat(calls(Endpoint.REFINE)).isEqualTo(4);
    assertThat(result.timings().attempts()).isEqualTo(3 + 3 + result.charts().size() + 1);
  }

  @Test
  void backoffIsCappedPerWait() {
    DataStoryBotConfig config = config().withRetry(new DataStoryBotConfig.RetrySettings(6, Duration.ofSeconds(1),
        Duration.ofSeconds(3), 2, 2)).withJitter(() -> 0.999);
    standIn.faults().inject(Endpoint.ANALYZE, Fault.BAD_GATEWAY, 4);
    run(config);
    assertThat(time.sleeps).allSatisfy(d -> assertThat(d).isLessThanOrEqualTo(Duration.ofSeconds(3)));
    assertThat(time.sleeps.get(3)).isGreaterThan(Duration.ofMillis(2990));
  }

  @Test
  void transientFailuresGiveUpAfterMaxAttempts() {
    standIn.faults().always(Endpoint.ANALYZE, Fault.UNAVAILABLE);
    DataStoryBotException e = failure(config());
    assertThat(e.reason()).isEqualTo(DataStoryBotException.UPSTREAM_UNAVAILABLE);
    assertThat(e.retryable()).isTrue();
    assertThat(e.httpStatus()).isEqualTo(503);
    assertThat(calls(Endpoint.ANALYZE)).isEqualTo(config().retry().maxAttempts());
    assertThat(calls(Endpoint.REFINE)).isZero();
  }

  @Test
  void internalErrorIsRetriedExactlyOnce() {
    standIn.faults().inject(Endpoint.ANALYZE, Fault.INTERNAL_ERROR, 1);
    run(config());
    assertThat(calls(Endpoint.ANALYZE)).isEqualTo(2);
    assertThat(time.sleeps).as("one short jittered wait").containsExactly(Duration.ofMillis(500));

    standIn.stats().reset();
    standIn.faults().always(Endpoint.ANALYZE, Fault.INTERNAL_ERROR);
    DataStoryBotException e = failure(config());
    assertThat(e.reason()).isEqualTo(DataStoryBotException.UPSTREAM_UNAVAILABLE);
    assertThat(e.httpStatus()).isEqualTo(500);
    assertThat(calls(Endpoint.ANALYZE)).isEqualTo(2);
  }

  @Test
  void badRequestIsPermanentWithTheUpstreamReason() {
    standIn.faults().always(Endpoint.REFINE, Fault.BAD_REQUEST);
    DataStoryBotException e = failure(config());
    assertThat(e.reason()).isEqualTo(DataStoryBotException.UPSTREAM_PERMANENT);
    assertThat(e.retryable()).isFalse();
    assertThat(e.httpStatus()).isEqualTo(400);
    assertThat(e.upstreamError()).isEqualTo("invalid_request");
    assertThat(calls(Endpoint.REFINE)).isEqualTo(1);
    assertThat(time.sleeps).isEmpty();
  }

  @Test
  void notCsvIs422AndPermanent(@TempDir Path dir) throws IOException {
    Path png = dir.resolve("chart.csv");
    Files.write(png, new byte[] {(byte) 0x89, 'P', 'N', 'G', 0x0d, 0x0a, 0x1a, 0x0a, 0, 0, 0, 13, 'I', 'H', 'D', 'R'});
    try (DataStoryBotClient client = new DataStoryBotClient(config())) {
      CompletionException e = catchThrowableOfType(CompletionException.class,
          () -> client.analyze(new AnalysisJob("job_png", "chart.csv", png, null, null)).join());
      DataStoryBotException cause = (DataStoryBotException) e.getCause();
      assertThat(cause.httpStatus()).isEqualTo(422);
      assertThat(cause.reason()).isEqualTo(DataStoryBotException.UPSTREAM_PERMANENT);
      assertThat(cause.upstreamError()).isEqualTo("invalid_csv");
    }
    assertThat(calls(Endpoint.UPLOAD)).isEqualTo(1);
    assertThat(calls(Endpoint.ANALYZE)).isZero();
  }

  @Test
  void tooLargeIs413AndPermanent(@TempDir Path dir) throws IOException {
    try (StandInServer small = StandInServer.start(StandInConfig.forTests().withMaxUploadBytes(64 * 1024))) {
      Path big = dir.resolve("big.csv");
      StringBuilder text = new StringBuilder("a,b\n");
      while (text.length() < 100 * 1024) {
        text.append("12345,67890\n");
      }
      Files.writeString(big, text);
      DataStoryBotConfig config = DataStoryBotConfig.defaults(small.baseUri(), ApiKeySource.none()).withTime(time.clock, time);
      try (DataStoryBotClient client = new DataStoryBotClient(config)) {
        CompletionException e = catchThrowableOfType(CompletionException.class,
            () -> client.analyze(new AnalysisJob("job_big", "big.csv", big, null, null)).join());
        DataStoryBotException cause = (DataStoryBotException) e.getCause();
        assertThat(cause.httpStatus()).isEqualTo(413);
        assertThat(cause.retryable()).isFalse();
        assertThat(cause.upstreamError()).isEqualTo("file_too_large");
      }
      assertThat(small.stats().requests(Endpoint.UPLOAD)).isEqualTo(1);
    }
  }

  @Test
  void expiredContainerStartsAgainFromUpload() {
    standIn.faults().inject(Endpoint.REFINE, Fault.CONTAINER_EXPIRED, 1);
    AnalysisResult result = run(config());
    assertThat(result.timings().containerRestarts()).isEqualTo(1);
    assertThat(calls(Endpoint.UPLOAD)).isEqualTo(2);
    assertThat(calls(Endpoint.ANALYZE)).isEqualTo(2);
    assertThat(calls(Endpoint.REFINE)).isEqualTo(2);
  }

  @Test
  void containerExpiringDuringDownloadAlsoRestarts() {
    standIn.faults().inject(Endpoint.FILES, Fault.CONTAINER_EXPIRED, 1);
    AnalysisResult result = run(config());
    assertThat(result.timings().containerRestarts()).isEqualTo(1);
    assertThat(result.charts()).allSatisfy(c -> assertThat(c.png()).isNotEmpty());
    assertThat(calls(Endpoint.UPLOAD)).isEqualTo(2);
  }

  @Test
  void containerThatKeepsExpiringFailsAfterBoundedRestarts() {
    standIn.faults().always(Endpoint.ANALYZE, Fault.CONTAINER_EXPIRED);
    DataStoryBotException e = failure(config());
    assertThat(e.reason()).isEqualTo(DataStoryBotException.CONTAINER_EXPIRED);
    assertThat(calls(Endpoint.UPLOAD)).isEqualTo(1 + config().retry().maxContainerRestarts());
  }

  @Test
  void hungConnectionHitsThePerCallTimeoutAndIsRetried() {
    standIn.faults().inject(Endpoint.ANALYZE, Fault.HANG, 1);
    // one timeout serves every call: it must outlast a refine that renders charts on a cold JVM of a loaded machine
    // (several seconds), so the hung analyze costs the test this long
    AnalysisResult result = run(config().withCallTimeout(Duration.ofSeconds(20)));
    assertThat(result.stories()).hasSize(3);
    assertThat(calls(Endpoint.ANALYZE)).isEqualTo(2);
    assertThat(time.sleeps).hasSize(1);
  }

  @Test
  void malformedJsonIsRetriedOnceThenReportedAsInvalid() {
    standIn.faults().inject(Endpoint.ANALYZE, Fault.MALFORMED_JSON, 1);
    run(config());
    assertThat(calls(Endpoint.ANALYZE)).isEqualTo(2);

    standIn.stats().reset();
    standIn.faults().always(Endpoint.ANALYZE, Fault.MALFORMED_JSON);
    DataStoryBotException e = failure(config());
    assertThat(e.reason()).isEqualTo(DataStoryBotException.UPSTREAM_INVALID_RESPONSE);
    assertThat(calls(Endpoint.ANALYZE)).isEqualTo(2);
  }

  @Test
  void jobDeadlineStopsWaitingEarly() {
    standIn.faults().retryAfter(Duration.ofSeconds(4)).always(Endpoint.ANALYZE, Fault.RATE_LIMITED);
    DataStoryBotException e = failure(config().withJobDeadline(Duration.ofSeconds(10)));
    assertThat(e.reason()).isEqualTo(DataStoryBotException.DEADLINE_EXCEEDED);
    // waits of 4 s at t=0 and t=4; a third would end at t=12, past the 10 s deadline
    assertThat(time.sleeps).containsExactly(Duration.ofSeconds(4), Duration.ofSeconds(4));
    assertThat(calls(Endpoint.ANALYZE)).isEqualTo(3);
  }

  @Test
  void breakerOpensOnAnOutageOfEveryTenantFailsFastAndClosesAfterTheOpenPeriod() {
    DataStoryBotConfig config = config().withBreaker(new DataStoryBotConfig.BreakerSettings(4, 4, 50f,
        Duration.ofSeconds(30), 2));
    standIn.faults().always(Faults.ANY, Fault.UNAVAILABLE);
    try (DataStoryBotClient client = new DataStoryBotClient(config)) {
      // the first tenant's failures open its own breaker only: one tenant failing is not yet an outage
      CompletionException first = catchThrowableOfType(CompletionException.class,
          () -> client.analyze(new AnalysisJob("job_a", "sales.csv", csv, null, null, "tenant-a")).join());
      assertThat(((DataStoryBotException) first.getCause()).reason())
          .isEqualTo(DataStoryBotException.TENANT_CIRCUIT_OPEN);
      assertThat(client.breakerState("tenant-a")).isEqualTo(BreakerState.OPEN);
      assertThat(client.breakerState()).isEqualTo(BreakerState.CLOSED);
      // a second tenant failing too, with no success anywhere: the service is out
      CompletionException firstOfB = catchThrowableOfType(CompletionException.class,
          () -> client.analyze(new AnalysisJob("job_a2", "sales.csv", csv, null, null, "tenant-b")).join());
      assertThat(((DataStoryBotException) firstOfB.getCause()).reason()).isEqualTo(DataStoryBotException.CIRCUIT_OPEN);
      assertThat(client.breakerState()).isEqualTo(BreakerState.OPEN);
      long callsWhenOpened = standIn.stats().totalRequests();
      assertThat(callsWhenOpened).isEqualTo(8);

      // while open: jobs of any tenant fail fast, nothing reaches DataStoryBot
      time.clock.advance(Duration.ofSeconds(20));
      CompletionException second = catchThrowableOfType(CompletionException.class,
          () -> client.analyze(new AnalysisJob("job_b", "sales.csv", csv, null, null, "tenant-c")).join());
      DataStoryBotException open = (DataStoryBotException) second.getCause();
      assertThat(open.reason()).isEqualTo(DataStoryBotException.CIRCUIT_OPEN);
      assertThat(open.retryable()).isTrue();
      assertThat(standIn.stats().totalRequests()).isEqualTo(callsWhenOpened);

      // the service recovers; after the open period trial calls go through and close the breaker
      standIn.faults().clear();
      time.clock.advance(Duration.ofSeconds(10));
      AnalysisResult result = client.analyze(new AnalysisJob("job_c", "sales.csv", csv, null, null, "tenant-c")).join();
      assertThat(result.stories()).hasSize(3);
      assertThat(client.breakerState()).isEqualTo(BreakerState.CLOSED);
    }
  }

  @Test
  void oneTenantsFailingFilesOpenOnlyItsOwnBreaker() {
    DataStoryBotConfig config = config().withBreaker(new DataStoryBotConfig.BreakerSettings(4, 4, 50f,
        Duration.ofSeconds(30), 2));
    standIn.faults().failFilesNamed("poison");
    try (DataStoryBotClient client = new DataStoryBotClient(config)) {
      for (int i = 0; i < 5; i++) {
        String job = "job_noisy_" + i;
        CompletionException noisy = catchThrowableOfType(CompletionException.class,
            () -> client.analyze(new AnalysisJob(job, "poison.csv", csv, null, null, "noisy")).join());
        assertThat(((DataStoryBotException) noisy.getCause()).reason())
            .isIn(DataStoryBotException.UPSTREAM_UNAVAILABLE, DataStoryBotException.TENANT_CIRCUIT_OPEN);
        // the other tenant's jobs run between the noisy ones and never meet a breaker
        AnalysisResult quiet = client.analyze(new AnalysisJob("job_quiet_" + i, "sales.csv", csv, null, null, "quiet"))
            .join();
        assertThat(quiet.stories()).hasSize(3);
      }
      assertThat(client.breakerState("noisy")).isEqualTo(BreakerState.OPEN);
      assertThat(client.breakerState("quiet")).isEqualTo(BreakerState.CLOSED);
      assertThat(client.breakerState()).isEqualTo(BreakerState.CLOSED);
      long uploadsBefore = calls(Endpoint.UPLOAD);
      CompletionException refused = catchThrowableOfType(CompletionException.class,
          () -> client.analyze(new AnalysisJob("job_noisy_last", "poison.csv", csv, null, null, "noisy")).join());
      assertThat(((DataStoryBotException) refused.getCause()).reason())
          .isEqualTo(DataStoryBotException.TENANT_CIRCUIT_OPEN);
      assertThat(calls(Endpoint.UPLOAD)).as("nothing sent for the noisy tenant").isEqualTo(uploadsBefore);
    }
  }

  @Test
  void permanentErrorsDoNotOpenTheBreaker() {
    DataStoryBotConfig config = config().withBreaker(new DataStoryBotConfig.BreakerSettings(2, 2, 50f,
        Duration.ofSeconds(30), 1));
    standIn.faults().always(Endpoint.ANALYZE, Fault.BAD_REQUEST);
    try (DataStoryBotClient client = new DataStoryBotClient(config)) {
      for (int i = 0; i < 3; i++) {
        catchThrowableOfType(CompletionException.class,
            () -> client.analyze(new AnalysisJob("job_p", "sales.csv", csv, null, null)).join());
      }
      assertThat(client.breakerState()).isEqualTo(BreakerState.CLOSED);
    }
    assertThat(calls(Endpoint.ANALYZE)).isEqualTo(3);
  }

  @Test
  void rotatedKeyFileIsPickedUpAfterA401WithoutRestart(@TempDir Path dir) throws IOException {
    Path keyFile = dir.resolve("datastorybot.key");
    Files.writeString(keyFile, "dsb_old_secret_1\n");
    ApiKeySource keys = ApiKeySource.fromFile(keyFile, Duration.ofSeconds(30), time.clock);
    assertThat(keys.current()).contains("dsb_old_secret_1");
    // the operator rotates: the service accepts only the new key, the file is rewritten
    standIn.acceptKeys(Set.of("dsb_new_secret_2"));
    Files.writeString(keyFile, "dsb_new_secret_2\n");
    assertThat(keys.current()).as("still cached within the TTL").contains("dsb_old_secret_1");

    AnalysisResult result = run(config().withApiKey(keys));
    assertThat(result.stories()).hasSize(3);
    assertThat(calls(Endpoint.UPLOAD)).isEqualTo(2);
    assertThat(standIn.stats().responses(401)).isEqualTo(1);
  }

  @Test
  void keyFileIsReReadOnceItsTtlPasses(@TempDir Path dir) throws IOException {
    Path keyFile = dir.resolve("k");
    Files.writeString(keyFile, "dsb_a");
    ApiKeySource keys = ApiKeySource.fromFile(keyFile, Duration.ofSeconds(30), time.clock);
    assertThat(keys.current()).contains("dsb_a");
    Files.writeString(keyFile, "dsb_b");
    time.clock.advance(Duration.ofSeconds(29));
    assertThat(keys.current()).contains("dsb_a");
    time.clock.advance(Duration.ofSeconds(1));
    assertThat(keys.current()).contains("dsb_b");
    assertThat(keys.toString()).doesNotContain("dsb_a", "dsb_b");
  }

  @Test
  void wrongKeyIs401PermanentAndNeverRevealed() {
    standIn.acceptKeys(Set.of("dsb_right"));
    DataStoryBotConfig config = config().withApiKey(ApiKeySource.of("dsb_wrong_secret"));
    DataStoryBotException e = failure(config);
    assertThat(e.httpStatus()).isEqualTo(401);
    assertThat(e.reason()).isEqualTo(DataStoryBotException.UPSTREAM_PERMANENT);
    assertThat(e.retryable()).isFalse();
    assertThat(e.getMessage()).doesNotContain("dsb_wrong_secret");
    assertThat(config.toString()).doesNotContain("dsb_wrong_secret");
    // Counted as 401 answers, not upload requests: a transport error before the answer is retried by design
    // (once, on a loaded CI machine), and that retry is not what this test is about.
    assertThat(standIn.stats().responses(401)).as("401 answers; client waits %s", time.sleeps).isEqualTo(1);
    assertThat(calls(Endpoint.ANALYZE)).isZero();
  }

  @Test
  void rightKeyIsSentAsBearer() {
    standIn.acceptKeys(Set.of("dsb_right"));
    AnalysisResult result = run(config().withApiKey(ApiKeySource.of("dsb_right")));
    assertThat(result.stories()).hasSize(3);
    assertThat(standIn.stats().responses(401)).isZero();
  }

  @Test
  void serviceDownIsTransientThenUnavailable() throws IOException {
    int deadPort;
    try (java.net.ServerSocket socket = new java.net.ServerSocket(0)) {
      deadPort = socket.getLocalPort();
    }
    DataStoryBotConfig config = DataStoryBotConfig.defaults(java.net.URI.create("http://127.0.0.1:" + deadPort),
        ApiKeySource.none()).withTime(time.clock, time).withJitter(() -> 0.5);
    DataStoryBotException e = failure(config);
    assertThat(e.reason()).isIn(DataStoryBotException.UPSTREAM_UNAVAILABLE, DataStoryBotException.CIRCUIT_OPEN);
    assertThat(e.retryable()).isTrue();
    assertThat(e.httpStatus()).isZero();
    assertThat(time.sleeps).hasSize(config.retry().maxAttempts() - 1);
  }

  @Test
  void noStoriesIsPermanentAndSkipsRefine(@TempDir Path dir) throws IOException {
    Path text = dir.resolve("comments.csv");
    StringBuilder csv = new StringBuilder("comment\n");
    for (int i = 0; i < 40; i++) {
      csv.append("\"free text answer number ").append(i).append("\"\n");
    }
    Files.writeString(text, csv);
    try (DataStoryBotClient client = new DataStoryBotClient(config())) {
      CompletionException e = catchThrowableOfType(CompletionException.class,
          () -> client.analyze(new AnalysisJob("job_text", "comments.csv", text, "anything", null)).join());
      DataStoryBotException cause = (DataStoryBotException) e.getCause();
      assertThat(cause.reason()).isEqualTo(DataStoryBotException.NO_STORIES);
      assertThat(cause.retryable()).isFalse();
    }
    assertThat(calls(Endpoint.ANALYZE)).isEqualTo(1);
    assertThat(calls(Endpoint.REFINE)).isZero();
  }

  @Test
  void closingTheClientFailsRunningJobsInsteadOfLeavingThemPending() {
    standIn.faults().inject(Endpoint.ANALYZE, Fault.HANG, 1);
    DataStoryBotClient client = new DataStoryBotClient(config());
    java.util.concurrent.CompletableFuture<AnalysisResult> job =
        client.analyze(new AnalysisJob("job_close", "sales.csv", csv, null, null));
    org.awaitility.Awaitility.await().until(() -> calls(Endpoint.ANALYZE) == 1);
    assertThat(client.jobsInFlight()).isEqualTo(1);
    client.close();
    CompletionException e = catchThrowableOfType(CompletionException.class, job::join);
    assertThat(((DataStoryBotException) e.getCause()).retryable()).isTrue();
    assertThat(client.jobsInFlight()).isZero();
  }
}
