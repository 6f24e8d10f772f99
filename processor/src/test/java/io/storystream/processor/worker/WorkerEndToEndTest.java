package io.storystream.processor.worker;

import io.storystream.processor.ProcessorTopics;
import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import com.fasterxml.jackson.databind.JsonNode;
import io.storystream.common.http.JsonMapper;
import io.storystream.schemas.AnalysisStatus;
import io.storystream.schemas.AnalysisWork;
import io.storystream.schemas.DeadLetter;
import io.storystream.schemas.JobState;
import io.storystream.schemas.UsageEvent;
import io.storystream.schemas.UsageType;
import io.storystream.schemas.processor.CacheIndexEntry;
import io.storystream.schemas.topics.Topics;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Set;
import java.util.stream.Collectors;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The worker on the real broker, S3Proxy and the stand-in, from admitted work to results and facts. */
class WorkerEndToEndTest {
  @TempDir static Path dir;
  static WorkerStack stack;
  static WorkerService worker;
  static WorkerStack.Tail<AnalysisStatus> statuses;
  static WorkerStack.Tail<UsageEvent> usage;
  static WorkerStack.Tail<CacheIndexEntry> cache;
  static WorkerStack.Tail<DeadLetter> deadLetters;

  @BeforeAll
  static void start() throws Exception {
    stack = new WorkerStack(dir, Duration.ZERO);
    statuses = stack.tail(Topics.ANALYSIS_STATUS);
    usage = stack.tail(Topics.USAGE_EVENTS);
    cache = stack.tail(ProcessorTopics.CACHE_INDEX);
    deadLetters = stack.tail(Topics.DEAD_LETTER);
    worker = new WorkerService(stack.workerConfig(50, "e2e")).start();
  }

  @AfterAll
  static void stop() throws Exception {
    if (worker != null) {
      worker.close();
    }
    if (stack != null) {
      stack.close();
    }
  }

  @Test
  void jobsOfTwoTenantsCompleteWithTheirResultsUnderTheirOwnPrefix() throws Exception {
    List<AnalysisWork> jobs = new ArrayList<>();
    for (String tenant : List.of("acme", "globex")) {
      String key = stack.upload(tenant, "file_" + tenant);
      for (int i = 0; i < 4; i++) {
        jobs.add(stack.work(tenant, key, 2));
      }
    }
    jobs.forEach(stack::submit);
    stack.flush();

    await().atMost(Duration.ofSeconds(120)).until(() -> terminal(jobs).size() == jobs.size());

    for (AnalysisWork job : jobs) {
      List<AnalysisStatus> transitions = transitionsOf(job.getJobId());
      assertThat(transitions).extracting(AnalysisStatus::getState).containsExactly(JobState.RUNNING, JobState.COMPLETED);
      assertThat(transitions).extracting(AnalysisStatus::getSequence).containsExactly(3, 4);
      AnalysisStatus done = transitions.get(1);
      String prefix = "tenants/" + job.getTenantId() + "/results/" + job.getJobId() + "/";
      assertThat(done.getResultPrefix()).isEqualTo(prefix);
      assertThat(done.getCompletedAt()).isNotNull();

      JsonNode result = JsonMapper.shared().readTree(stack.blobs.get(prefix + "result.json").orElseThrow());
      assertThat(result.get("jobId").asText()).isEqualTo(job.getJobId());
      assertThat(result.get("stories")).hasSize(3);
      assertThat(result.get("narrativeMarkdown").asText()).isNotBlank();
      assertThat(result.get("charts").size()).isPositive();
      for (JsonNode chart : result.get("charts")) {
        byte[] png = stack.blobs.get(chart.get("key").asText()).orElseThrow();
        assertThat(png).startsWith(0x89, 'P', 'N', 'G');
        assertThat(chart.get("key").asText()).startsWith(prefix + "charts/");
      }
      assertThat(stack.blobs.exists(prefix + "dataset.csv")).isTrue();
    }

    Set<String> ids = jobs.stream().map(AnalysisWork::getJobId).collect(Collectors.toSet());
    await().atMost(Duration.ofSeconds(120)).until(() -> usageOf(ids).size() == jobs.size());
    assertThat(usageOf(ids)).allSatisfy(event -> {
      assertThat(event.getType()).isEqualTo(UsageType.ANALYSIS_COMPLETE);
      assertThat(event.getEventId()).isEqualTo(event.getJobId() + ":analysis_complete");
      assertThat(event.getRows()).isEqualTo(288);
    });
    assertThat(usageOf(ids)).extracting(UsageEvent::getTenantId).containsOnly("acme", "globex");
    await().atMost(Duration.ofSeconds(120)).until(() -> cache.values().stream().filter(e -> ids.contains(e.getJobId())).count() == jobs.size());
    for (var record : cache.records) {
      if (ids.contains(record.value().getJobId())) {
        CacheIndexEntry entry = record.value();
        assertThat(record.key()).isEqualTo(entry.getTenantId() + ":" + entry.getCacheKey());
        assertThat(entry.getResultPrefix()).startsWith("tenants/" + entry.getTenantId() + "/results/" + entry.getJobId());
        assertThat(Duration.between(entry.getCreatedAt(), entry.getExpiresAt())).isEqualTo(Duration.ofDays(7));
      }
    }
  }

  @Test
  void aMissingFileFailsTheJobPermanentlyAndIsNotBilled() {
    AnalysisWork job = stack.work("initech", "tenants/initech/files/file_gone", 2);
    stack.submit(job);
    stack.flush();

    await().atMost(Duration.ofSeconds(120)).until(() -> terminal(List.of(job)).size() == 1);
    AnalysisStatus failed = terminal(List.of(job)).get(0);
    assertThat(failed.getState()).isEqualTo(JobState.FAILED);
    assertThat(failed.getReason()).isEqualTo("file_not_found");
    assertThat(failed.getRetryable()).isFalse();
    await().atMost(Duration.ofSeconds(120)).until(() -> usageOf(Set.of(job.getJobId())).size() == 1);
    UsageEvent event = usageOf(Set.of(job.getJobId())).get(0);
    assertThat(event.getType()).isEqualTo(UsageType.ANALYSIS_FAILED);
    assertThat(event.getEventId()).isEqualTo(job.getJobId() + ":analysis_failed");
    assertThat(cache.values()).noneMatch(e -> e.getJobId().equals(job.getJobId()));
  }

  @Test
  void aFileOutsideTheTenantsPrefixIsNeverRead() {
    String othersFile = stack.upload("umbrella", "file_secret");
    AnalysisWork job = stack.work("hooli", othersFile, 2);
    stack.submit(job);
    stack.flush();

    await().atMost(Duration.ofSeconds(120)).until(() -> terminal(List.of(job)).size() == 1);
    assertThat(terminal(List.of(job)).get(0).getReason()).isEqualTo("file_not_found");
    assertThat(stack.blobs.list("tenants/hooli/results/")).isEmpty();
  }

  @Test
  void aStoredResultCompletesARedoneJobWithoutCallingDataStoryBot() throws Exception {
    String key = stack.upload("wayne", "file_wayne");
    AnalysisWork first = stack.work("wayne", key, 1);
    stack.submit(first);
    stack.flush();
    await().atMost(Duration.ofSeconds(120)).until(() -> terminal(List.of(first)).size() == 1);

    // the same job id again, as after a crash between writing the result and reporting it
    long callsBefore = stack.standIn.analyzeCalls();
    AnalysisWork again = AnalysisWork.newBuilder(first).build();
    stack.submit(again);
    AnalysisWork other = stack.work("wayne", key, 1);
    stack.submit(other);
    stack.flush();
    await().atMost(Duration.ofSeconds(120)).until(() -> terminal(List.of(other)).size() == 1);
    await().atMost(Duration.ofSeconds(120)).until(() -> transitionsOf(first.getJobId()).stream()
        .filter(s -> s.getState() == JobState.COMPLETED).count() == 2);
    assertThat(stack.standIn.analyzeCalls()).as("only the other job called DataStoryBot").isEqualTo(callsBefore + 1);
  }

  /**
   * Jobs with unique strings planted in the CSV's cells and the prompts, through success, a DataStoryBot refusal
   * that is retried and a record that cannot be read: every line the worker (and its DataStoryBot client) logs,
   * in the JSON a log pipeline receives and our code at every level, carries the job's ids where it concerns a job,
   * and none of the planted strings nor a sentence of the narrative.
   */
  @Test
  void logsCarryJobIdsButNoCsvContentPromptsOrNarratives() throws Exception {
    String cell = "PlantedEmeaRegionQ5";
    String steering = "PlantedSteeringPromptHb2";
    String refinement = "PlantedRefinementPromptNc6";
    String key = "tenants/umbrella/files/file_planted";
    stack.blobs.put(key, new String(WorkerStack.CSV, java.nio.charset.StandardCharsets.UTF_8).replace("EMEA", cell)
        .getBytes(java.nio.charset.StandardCharsets.UTF_8), "text/csv");
    try (io.storystream.testsupport.LogCapture logs = io.storystream.testsupport.LogCapture.start()) {
      AnalysisWork planted = AnalysisWork.newBuilder(stack.work("umbrella", key, 2)).setSteeringPrompt(steering)
          .setRefinementPrompt(refinement).setCacheKey(null).build();
      stack.submit(planted);
      stack.flush();
      await().atMost(Duration.ofSeconds(120)).until(() -> terminal(List.of(planted)).size() == 1);
      // DataStoryBot refuses the next analyze once (429): the client logs it, on its own thread, and retries
      stack.standIn.server().faults().clear().inject(io.storystream.datastorybot.standin.Endpoint.ANALYZE,
          io.storystream.datastorybot.standin.Fault.RATE_LIMITED, 1);
      AnalysisWork retried = AnalysisWork.newBuilder(stack.work("umbrella", key, 2)).setSteeringPrompt(steering)
          .setCacheKey(null).build();
      stack.submit(retried);
      stack.submitRaw("umbrella", ("\0\0\0\0" + steering + cell).getBytes(java.nio.charset.StandardCharsets.UTF_8));
      stack.flush();
      await().atMost(Duration.ofSeconds(120)).until(() -> terminal(List.of(retried)).size() == 1);
      await().atMost(Duration.ofSeconds(60)).until(() -> deadLetters.values().stream()
          .anyMatch(d -> d.getKey() != null && java.nio.charset.StandardCharsets.UTF_8.decode(d.getKey().duplicate())
              .toString().equals("umbrella")));
      stack.standIn.server().faults().clear();

      JsonNode result = io.storystream.common.http.JsonMapper.shared().readTree(stack.blobs.get(
          "tenants/umbrella/results/" + planted.getJobId() + "/result.json").orElseThrow());
      String narrative = result.path("narrativeMarkdown").asText();
      assertThat(narrative).as("the stand-in's narrative").isNotBlank();
      List<String> sentences = java.util.Arrays.stream(narrative.split("[.\\n]")).map(String::strip)
          .filter(x -> x.length() > 20).toList();
      List<String> lines = logs.lines();
      assertThat(lines).isNotEmpty().allSatisfy(line -> {
        assertThat(line).doesNotContain(cell, steering, refinement);
        sentences.forEach(sentence -> assertThat(line).doesNotContain(sentence));
      });
      assertThat(lines).as("the client's line about the refused call names the job and its tenant")
          .anySatisfy(line -> assertThat(line).contains("\"job.id\":\"" + retried.getJobId() + "\"",
              "\"tenant.id\":\"umbrella\""));
      System.out.printf("worker: %d log lines checked%n", lines.size());
    }
  }

  @Test
  void aRecordThatCannotBeReadGoesToTheDeadLetterTopicAndWorkGoesOn() {
    long restarts = worker.restarts();
    stack.submitRaw("acme", new byte[] {0, 0, 0, 0, 99, 1, 2});
    String key = stack.upload("acme", "file_after_poison");
    AnalysisWork next = stack.work("acme", key, 2);
    stack.submit(next);
    stack.flush();

    await().atMost(Duration.ofSeconds(120)).until(() -> terminal(List.of(next)).size() == 1);
    await().atMost(Duration.ofSeconds(120)).until(() -> deadLetters.values().stream()
        .anyMatch(d -> d.getSourceTopic().equals("analysis-work") && d.getReason().equals("deserialization_failed")));
    assertThat(worker.restarts()).as("the unreadable record did not fail the loop").isEqualTo(restarts);
  }

  static List<AnalysisStatus> terminal(List<AnalysisWork> jobs) {
    Set<String> ids = jobs.stream().map(AnalysisWork::getJobId).collect(Collectors.toSet());
    return statuses.values().stream()
        .filter(s -> ids.contains(s.getJobId()))
        .filter(s -> s.getState() == JobState.COMPLETED || s.getState() == JobState.FAILED)
        .toList();
  }

  static List<AnalysisStatus> transitionsOf(String jobId) {
    return statuses.records.stream()
        .filter(r -> r.key().endsWith(":" + jobId))
        .map(r -> r.value())
        .toList();
  }

  static List<UsageEvent> usageOf(Set<String> jobIds) {
    return usage.values().stream().filter(e -> jobIds.contains(e.getJobId())).toList();
  }
}
