package io.storystream.launcher.chaos;

import com.fasterxml.jackson.databind.JsonNode;
import io.storystream.billing.BillingTick;
import io.storystream.launcher.chaos.FaultSchedule.Injected;
import io.storystream.schemas.UsageEvent;
import io.storystream.schemas.registry.HttpSchemaRegistryClient;
import io.storystream.schemas.topics.TopicSerdes;
import io.storystream.schemas.topics.Topics;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.sql.Connection;
import java.sql.ResultSet;
import java.time.Duration;
import java.time.Instant;
import java.time.YearMonth;
import java.time.ZoneOffset;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.TimeUnit;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.common.serialization.ByteArrayDeserializer;
import org.apache.kafka.common.serialization.StringDeserializer;

/**
 * After the load stops, proves from the outside that nothing was lost or counted twice: every job answered 202
 * reached exactly one terminal state that every status seen agrees with; every completed job's result, charts and
 * dataset are readable; DataStoryBot was paid at most once per job outside the faults' windows; the de-duplicated
 * usage events are exactly the completed jobs, uploads and downloads the clients saw; statements and the billing
 * tables equal an independent calculation from those answers and the price book; no tenant went past its quota; every
 * submit is in the audit trail. Each mismatch is one line of {@link #problems()}.
 */
public final class Reconciliation {
  private static final Duration SETTLE = Duration.ofMinutes(8); // a loaded machine catching up, not a threshold
  /** How long after a fault ends a second DataStoryBot analysis of one job is still the fault's doing. */
  private static final Duration FAULT_SHADOW = Duration.ofSeconds(90);

  private final Deployment deployment;
  private final LoadDriver load;
  private final Ledger ledger;
  private final List<LoadDriver.Tenant> tenants;
  private final List<Injected> faults;
  private final Instant campaignStart;
  private final List<String> problems = new ArrayList<>();
  /** Per tenant, the FILE_DOWNLOAD events de-duplicated (checked against the downloads served and unanswered). */
  private final Map<String, Long> downloadsBilled = new java.util.HashMap<>();
  private final Map<String, Object> figures = new TreeMap<>();
  private final HttpClient http = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(5)).build();

  public Reconciliation(Deployment deployment, LoadDriver load, Ledger ledger, List<LoadDriver.Tenant> tenants,
                        List<Injected> faults, Instant campaignStart) {
    this.deployment = deployment;
    this.load = load;
    this.ledger = ledger;
    this.tenants = tenants;
    this.faults = faults;
    this.campaignStart = campaignStart;
  }

  public Reconciliation run() throws Exception {
    adoptJobsOfUnclearSubmits();
    settle();
    readEveryResult();
    analysesPaid();
    Map<String, Usage> usage = usageEvents();
    statements(usage);
    quotas(usage);
    audit();
    problems.addAll(ledger.violations());
    return this;
  }

  public List<String> problems() {
    return problems;
  }

  public Map<String, Object> figures() {
    return figures;
  }

  // ---- jobs -----------------------------------------------------------------------------------------------------

  /** A submit without a clear answer may have made a job: the tenant's job list shows it; at most one per such submit. */
  private void adoptJobsOfUnclearSubmits() throws Exception {
    long adopted = 0;
    for (LoadDriver.Tenant t : tenants) {
      String pageToken = null;
      long foreign = 0;
      do {
        String url = deployment.tenantApis().get(0) + "/v1/analyses?limit=100&since=" + campaignStart.minusSeconds(60)
            + (pageToken == null ? "" : "&pageToken=" + pageToken);
        JsonNode page = LoadDriver.json(retrying(LoadDriver.get(url, load.keyOf(t.id())).build()).body());
        for (JsonNode job : page.path("jobs")) {
          String jobId = job.path("jobId").asText();
          if (ledger.job(jobId) == null) {
            foreign++;
            ledger.accepted(jobId, t.id(), null, job.path("fileId").asText());
          }
        }
        pageToken = page.path("nextPageToken").asText(null);
      } while (pageToken != null && !pageToken.isEmpty());
      if (foreign > ledger.ambiguousSubmits(t.id())) {
        problems.add(t.id() + ": " + foreign + " jobs no client was answered 202 for, but only "
            + ledger.ambiguousSubmits(t.id()) + " submits went unanswered");
      }
      adopted += foreign;
    }
    figures.put("jobs of unanswered submits (adopted)", adopted);
  }

  /** Polls every job not seen ending until it ends; those that never do are lost. */
  private void settle() throws Exception {
    long deadline = System.nanoTime() + SETTLE.toNanos();
    ExecutorService pool = Executors.newFixedThreadPool(8);
    List<String> ingress = deployment.tenantApis();
    for (Ledger.Job job : ledger.jobs()) {
      if (job.terminal() != null) {
        continue;
      }
      pool.submit(() -> {
        int i = 0;
        while (job.terminal() == null && System.nanoTime() < deadline) {
          try {
            if (load.poll(ingress.get(i++ % ingress.size()), load.keyOf(job.tenant), job.jobId, "30s") == null) {
              Thread.sleep(1000); // no answer: the next ingress, a moment later
            }
          } catch (InterruptedException e) {
            return;
          }
        }
      });
    }
    pool.shutdown();
    pool.awaitTermination(SETTLE.toSeconds() + 120, TimeUnit.SECONDS);
    long lost = ledger.jobs().stream().filter(j -> j.terminal() == null).count();
    figures.put("lost", lost);
    JobTrail trail = JobTrail.ofChildLogs();
    for (Ledger.Job j : ledger.jobs().stream().filter(j -> j.terminal() == null).limit(20).toList()) {
      problems.add("job " + j.jobId + " of " + j.tenant + " answered 202 and never ended (submitted "
          + j.submittedAt + ", last seen " + j.lastState + ", last poll answered " + j.lastAnswer + "); its logs:\n      "
          + String.join("\n      ", trail.of(j.jobId, 30)));
    }
  }

  /** Every completed job's result, charts and dataset, read through the tenant API. */
  private void readEveryResult() throws Exception {
    long unreadable = 0;
    for (Ledger.Job job : ledger.jobs()) {
      if (!"completed".equals(job.terminal())) {
        continue;
      }
      String key = load.keyOf(job.tenant);
      HttpResponse<String> result = fromAnyIngress("/v1/analyses/" + job.jobId + "/result", key);
      List<String> parts = new ArrayList<>();
      if (result.statusCode() == 200) {
        for (JsonNode chart : LoadDriver.json(result.body()).path("charts")) {
          parts.add(chart.path("href").asText());
        }
        parts.add("/v1/analyses/" + job.jobId + "/dataset");
      } else {
        unreadable++;
        problems.add("job " + job.jobId + " completed but its result answers " + result.statusCode());
      }
      for (String part : parts) {
        HttpResponse<String> got = fromAnyIngress(part, key);
        if (got.statusCode() == 200) {
          ledger.billedDownload(job.tenant);
        } else {
          unreadable++;
          problems.add("job " + job.jobId + " completed but " + part + " answers " + got.statusCode());
        }
      }
    }
    figures.put("completed jobs with an unreadable part", unreadable);
  }

  /** DataStoryBot analyses per job (each job has its own prompt): a second one only in a fault's shadow. */
  private void analysesPaid() {
    long again = 0;
    long unexplained = 0;
    for (Ledger.Job job : ledger.jobs()) {
      if (job.prompt == null) {
        continue;
      }
      long n = deployment.analysesFor(job.prompt);
      if ("completed".equals(job.terminal()) && !job.fromCache() && n == 0) {
        problems.add("job " + job.jobId + " completed without a DataStoryBot analysis");
      }
      if (n > 1) {
        again += n - 1;
        if (!inAFaultsShadow(job)) {
          unexplained++;
          problems.add("job " + job.jobId + " was analysed " + n + " times with no fault near it");
        }
      }
    }
    figures.put("DataStoryBot analyses repeated after a fault (restarts)", again);
    figures.put("DataStoryBot analyses paid twice without a fault", unexplained);
  }

  private boolean inAFaultsShadow(Ledger.Job job) {
    Instant end = job.endSeenAt() == null ? Instant.now() : job.endSeenAt();
    return faults.stream().anyMatch(f -> !f.injectedAt().isAfter(end)
        && !f.endedAt().plus(FAULT_SHADOW).isBefore(job.submittedAt));
  }

  // ---- usage events -----------------------------------------------------------------------------------------------

  /** A tenant's usage as the de-duplicated usage-events topic says. */
  static final class Usage {
    final Set<String> completed = new HashSet<>();
    final Set<String> cacheHits = new HashSet<>();
    final Set<String> failed = new HashSet<>();
    final Set<String> uploads = new HashSet<>();
    final Set<String> downloads = new HashSet<>();
    final Map<String, Integer> completionEventsPerJob = new HashMap<>();
    long rows;
  }

  private Map<String, Usage> usageEvents() {
    Map<String, Usage> byTenant = new HashMap<>();
    tenants.forEach(t -> byTenant.put(t.id(), new Usage()));
    Set<String> seen = new HashSet<>();
    long records = 0;
    long duplicates = 0;
    TopicSerdes serdes = new TopicSerdes(new HttpSchemaRegistryClient(deployment.registryUrl()));
    var deserializer = serdes.value(Topics.USAGE_EVENTS).deserializer();
    try (KafkaConsumer<String, byte[]> consumer = new KafkaConsumer<>(Map.of("bootstrap.servers",
        deployment.bootstrap(), "isolation.level", "read_committed", "auto.offset.reset", "earliest"),
        new StringDeserializer(), new ByteArrayDeserializer())) {
      List<TopicPartition> partitions = consumer.partitionsFor(Topics.USAGE_EVENTS.name()).stream()
          .map(p -> new TopicPartition(p.topic(), p.partition())).toList();
      consumer.assign(partitions);
      // Everything written so far, committed or not: a read_committed consumer's own end offsets stop at the first
      // open transaction, and billing's ticks keep one open on these partitions most of the time, so downloads
      // metered a moment ago (plain writes after it) would be left unread. Reading committed records up to the high
      // watermark waits for those transactions to end instead (they end within a commit interval).
      Map<TopicPartition, Long> end;
      try (KafkaConsumer<String, byte[]> uncommitted = new KafkaConsumer<>(Map.of("bootstrap.servers",
          deployment.bootstrap(), "isolation.level", "read_uncommitted"),
          new StringDeserializer(), new ByteArrayDeserializer())) {
        end = uncommitted.endOffsets(partitions);
      }
      long deadline = System.nanoTime() + Duration.ofMinutes(2).toNanos();
      while (partitions.stream().anyMatch(p -> consumer.position(p) < end.get(p))) {
        if (System.nanoTime() > deadline) {
          problems.add("usage-events: committed records not read up to " + end + " within 2 min (a transaction left "
              + "open?); positions " + partitions.stream().map(consumer::position).toList());
          break;
        }
        for (ConsumerRecord<String, byte[]> record : consumer.poll(Duration.ofMillis(500))) {
          if (BillingTick.isTick(record.headers())) {
            continue;
          }
          UsageEvent e = deserializer.deserialize(record.topic(), record.value());
          Usage usage = byTenant.get(e.getTenantId());
          if (usage == null) {
            continue;
          }
          records++;
          if (!seen.add(e.getTenantId() + "|" + e.getEventId())) {
            duplicates++; // the same fact twice: billing counts it once (its de-duplication)
            continue;
          }
          switch (e.getType()) {
            case ANALYSIS_COMPLETE -> {
              usage.completed.add(e.getJobId());
              usage.completionEventsPerJob.merge(e.getJobId(), 1, Integer::sum);
              usage.rows += e.getRows();
            }
            case CACHE_HIT -> usage.cacheHits.add(e.getJobId());
            case ANALYSIS_FAILED -> usage.failed.add(e.getJobId());
            case FILE_UPLOAD -> usage.uploads.add(e.getFileId());
            case FILE_DOWNLOAD -> usage.downloads.add(e.getEventId());
            default -> { }
          }
        }
      }
    }
    figures.put("usage records read", records);
    figures.put("usage records de-duplicated (same event id again)", duplicates);
    long duplicated = 0;
    for (LoadDriver.Tenant t : tenants) {
      Usage u = byTenant.get(t.id());
      Set<String> completed = jobIds(t.id(), "completed", false);
      Set<String> cached = jobIds(t.id(), "completed", true);
      compare(t.id() + ": ANALYSIS_COMPLETE events vs completed jobs", u.completed, completed);
      compare(t.id() + ": CACHE_HIT events vs jobs completed from the cache", u.cacheHits, cached);
      Set<String> unanswered = new HashSet<>(u.uploads);
      unanswered.removeAll(ledger.uploads(t.id()).keySet());
      if (!unanswered.isEmpty() && unanswered.size() <= ledger.unansweredUploads(t.id())) {
        // registered just before the connection broke: real uploads the client never heard of
        unanswered.forEach(fileId -> ledger.upload(t.id(), fileId, 0));
        figures.merge("uploads registered without an answer reaching the client", (long) unanswered.size(),
            (a, b) -> (Long) a + (Long) b);
      }
      compare(t.id() + ": FILE_UPLOAD events vs uploads answered 201", u.uploads, ledger.uploads(t.id()).keySet());
      long twice = u.completionEventsPerJob.values().stream().filter(n -> n > 1).count();
      duplicated += twice;
      if (twice > 0) {
        problems.add(t.id() + ": " + twice + " jobs have two different completion events");
      }
      // a download is metered before it is served: every 200 is billed, and a request that got no answer at all may
      // be billed too (metered, then the connection or the process died)
      long served = ledger.billedDownloads(t.id());
      if (u.downloads.size() < served || u.downloads.size() > served + ledger.unansweredDownloads(t.id())) {
        problems.add(t.id() + ": " + u.downloads.size() + " FILE_DOWNLOAD events, but " + served
            + " charts and datasets were served and " + ledger.unansweredDownloads(t.id()) + " got no answer");
      }
      downloadsBilled.put(t.id(), (long) u.downloads.size());
    }
    figures.put("duplicated", duplicated);
    return byTenant;
  }

  private Set<String> jobIds(String tenant, String state, boolean fromCache) {
    Set<String> ids = new HashSet<>();
    for (Ledger.Job j : ledger.jobs()) {
      if (j.tenant.equals(tenant) && state.equals(j.terminal()) && j.fromCache() == fromCache) {
        ids.add(j.jobId);
      }
    }
    return ids;
  }

  private void compare(String what, Set<String> topic, Set<String> answers) {
    Set<String> missing = new HashSet<>(answers);
    missing.removeAll(topic);
    Set<String> extra = new HashSet<>(topic);
    extra.removeAll(answers);
    if (!missing.isEmpty() || !extra.isEmpty()) {
      problems.add(what + ": " + missing.size() + " missing from the topic " + sample(missing) + ", " + extra.size()
          + " on the topic only " + sample(extra));
    }
  }

  private static String sample(Set<String> ids) {
    return ids.isEmpty() ? "" : ids.stream().limit(5).toList().toString();
  }

  // ---- statements and billing tables --------------------------------------------------------------------------------

  /** The month's statement of every tenant, through the tenant API and in PostgreSQL, against our own arithmetic. */
  private void statements(Map<String, Usage> usage) throws Exception {
    JsonNode book = LoadDriver.json(retrying(LoadDriver.get(deployment.billingApi() + "/admin/price-books/current",
        Deployment.OPERATOR_TOKEN).build()).body());
    String month = YearMonth.now(ZoneOffset.UTC).toString();
    if (!YearMonth.from(campaignStart.atZone(ZoneOffset.UTC)).toString().equals(month)) {
      problems.add("the campaign crossed a month boundary; statements are compared for " + month + " only");
    }
    Map<String, Long> expectedTotals = new TreeMap<>();
    for (LoadDriver.Tenant t : tenants) {
      JsonNode plan = book.path("plans").path(t.plan());
      long analyses = jobIds(t.id(), "completed", false).size();
      long rows = 0;
      for (Ledger.Job j : ledger.jobs()) {
        if (j.tenant.equals(t.id()) && "completed".equals(j.terminal()) && !j.fromCache()) {
          rows += ledger.rowsOf(t.id(), j.fileId);
        }
      }
      if (rows != usage.get(t.id()).rows) {
        problems.add(t.id() + ": rows of the completed jobs' files " + rows + ", rows in the usage events "
            + usage.get(t.id()).rows);
      }
      Map<String, Long> quantities = new TreeMap<>();
      long total = plan.path("baseFeeMicros").asLong();
      long billable = Math.max(0, analyses - plan.path("includedAnalyses").asLong());
      total += billable * plan.path("perAnalysisMicros").asLong();
      if (plan.path("perAnalysisMicros").asLong() > 0) {
        quantities.put("analyses", billable);
      }
      long thousands = (Math.max(0, rows - plan.path("includedRows").asLong()) + 999) / 1000;
      total += thousands * plan.path("perThousandRowsMicros").asLong();
      long cacheHits = jobIds(t.id(), "completed", true).size();
      total += cacheHits * plan.path("cacheHitMicros").asLong();
      total += ledger.uploads(t.id()).size() * plan.path("perUploadMicros").asLong();
      // the downloads billed, once the check above has bounded them by what the clients saw
      long downloads = downloadsBilled.getOrDefault(t.id(), ledger.billedDownloads(t.id()));
      total += downloads * plan.path("perDownloadMicros").asLong();
      if (plan.path("perDownloadMicros").asLong() > 0) {
        quantities.put("downloads", downloads);
      }
      expectedTotals.put(t.id(), total);
      String seen = awaitStatement(t.id(), month, total, quantities);
      if (seen != null) {
        problems.add(t.id() + ": statement " + month + " " + seen + ", expected total " + total + " " + quantities);
      }
    }
    figures.put("expected statement totals (micros)", expectedTotals);
    String table = awaitTables(month, expectedTotals);
    if (table != null) {
      problems.add("billing_statements " + month + ": " + table + ", expected " + expectedTotals);
    }
  }

  /** Null once the statement matches (statements follow usage within seconds), else what it last said. */
  private String awaitStatement(String tenant, String month, long total, Map<String, Long> quantities)
      throws Exception {
    long deadline = System.nanoTime() + Duration.ofMinutes(3).toNanos();
    String last;
    do {
      HttpResponse<String> answer = retrying(LoadDriver.get(deployment.tenantApis().get(0) + "/v1/statements/" + month,
          load.keyOf(tenant)).build());
      JsonNode s = LoadDriver.json(answer.body());
      Map<String, Long> lines = new TreeMap<>();
      for (JsonNode line : s.path("lines")) {
        if (quantities.containsKey(line.path("code").asText())) {
          lines.put(line.path("code").asText(), line.path("quantity").asLong());
        }
      }
      quantities.keySet().forEach(code -> lines.putIfAbsent(code, 0L));
      if (answer.statusCode() == 200 && s.path("totalMicros").asLong() == total && lines.equals(quantities)) {
        return null;
      }
      last = answer.statusCode() + " total " + s.path("totalMicros").asText() + " " + lines;
      Thread.sleep(2000); // the aggregator issues revisions every second
    } while (System.nanoTime() < deadline);
    return last;
  }

  private String awaitTables(String month, Map<String, Long> expected) throws Exception {
    long deadline = System.nanoTime() + Duration.ofMinutes(3).toNanos();
    Map<String, Long> rows;
    do {
      rows = new TreeMap<>();
      try (Connection c = deployment.postgres().connection().open(); var statement = c.prepareStatement(
          "SELECT tenant_id, total_micros FROM billing_statements WHERE month = ?")) {
        statement.setString(1, month);
        try (ResultSet rs = statement.executeQuery()) {
          while (rs.next()) {
            if (expected.containsKey(rs.getString(1))) {
              rows.put(rs.getString(1), rs.getLong(2));
            }
          }
        }
      } catch (java.sql.SQLException notYet) {
        // the sink has not created its tables yet
      }
      if (rows.equals(expected)) {
        return null;
      }
      Thread.sleep(2000); // the sink copies new revisions continuously
    } while (System.nanoTime() < deadline);
    return rows.toString();
  }

  // ---- quotas and audit ---------------------------------------------------------------------------------------------

  /**
   * No tenant admitted past its quota. A unit is kept by every analysis DataStoryBot was asked for (completed, or
   * failed or cancelled after the call) and given back by a job that ended before it (a failure before the call, a
   * cancel in the queue); a result served from the cache takes none. From outside, the completed analyses not served
   * from the cache are the units certainly kept, the completed, failed and cancelled jobs together the most that can
   * be: admission's own figure must lie between them, and neither it nor the certain units may pass the quota.
   */
  private void quotas(Map<String, Usage> usage) throws Exception {
    for (LoadDriver.Tenant t : tenants) {
      if (t.analysesPerMonth() == null) {
        continue;
      }
      long certain = ledger.jobs().stream().filter(j -> j.tenant.equals(t.id()) && "completed".equals(j.terminal())
          && !j.fromCache()).count();
      long possible = ledger.jobs().stream().filter(j -> j.tenant.equals(t.id()) && j.terminal() != null
          && !"rejected".equals(j.terminal()) && !j.fromCache()).count();
      JsonNode quota = LoadDriver.json(retrying(LoadDriver.get(deployment.tenantApis().get(0) + "/v1/usage",
          load.keyOf(t.id())).build()).body()).path("quota");
      long used = quota.path("analysesUsed").asLong();
      long refused = ledger.jobs().stream().filter(j -> j.tenant.equals(t.id()) && "rejected".equals(j.terminal()))
          .count();
      figures.put(t.id() + " quota " + t.analysesPerMonth() + ": analyses completed / used / possible / rejected",
          certain + " / " + used + " / " + possible + " / " + refused);
      if (certain > t.analysesPerMonth() || used > t.analysesPerMonth()) {
        problems.add(t.id() + " admitted past its quota of " + t.analysesPerMonth() + ": " + certain
            + " analyses completed, " + used + " units used");
      }
      if (used < certain || used > possible) {
        problems.add(t.id() + ": admission counts " + used + " units used, but " + certain + " analyses completed and "
            + possible + " jobs could have used one");
      }
    }
  }

  /** Every job's {@code job.submit} event is in the tenant's audit trail (the operator API reads the topic). */
  private void audit() throws Exception {
    long missing = 0;
    for (LoadDriver.Tenant t : tenants) {
      Set<String> submitted = new HashSet<>();
      Set<String> events = new HashSet<>();
      Instant from = campaignStart.minusSeconds(600);
      while (true) {
        JsonNode page = LoadDriver.json(retrying(LoadDriver.get(deployment.operatorApi() + "/admin/tenants/" + t.id()
            + "/audit?limit=10000&from=" + from, Deployment.OPERATOR_TOKEN).build()).body());
        int fresh = 0;
        Instant last = from;
        for (JsonNode e : page.path("events")) {
          if (events.add(e.path("eventId").asText())) {
            fresh++;
          }
          if ("job.submit".equals(e.path("action").asText())) {
            submitted.add(e.path("resourceId").asText());
          }
          last = Instant.parse(e.path("occurredAt").asText());
        }
        if (page.path("events").size() < 10000 || fresh == 0) {
          break;
        }
        from = last;
      }
      for (Ledger.Job j : ledger.jobs()) {
        if (j.tenant.equals(t.id()) && !submitted.contains(j.jobId)) {
          missing++;
          if (missing <= 20) {
            problems.add("job " + j.jobId + " of " + t.id() + " has no job.submit audit event");
          }
        }
      }
    }
    figures.put("submits missing from the audit trail", missing);
  }

  /**
   * A read as a client with two addresses does it: the first ingress that answers below 500, each tried a few times.
   * One instance failing (found: an ingress whose job store died answers 500 until restarted) must not hide whether
   * the data is readable.
   */
  private HttpResponse<String> fromAnyIngress(String path, String key) throws Exception {
    HttpResponse<String> last = null;
    for (int attempt = 0; attempt < 5; attempt++) {
      for (String base : deployment.tenantApis()) {
        try {
          last = http.send(LoadDriver.get(base + path, key).build(), HttpResponse.BodyHandlers.ofString());
          if (last.statusCode() < 500) {
            return last;
          }
        } catch (java.io.IOException noAnswer) {
          // the other instance, or the next round
        }
      }
      Thread.sleep(2000); // both failing: a service restarting
    }
    if (last == null) {
      throw new java.io.IOException("no ingress answered " + path);
    }
    return last;
  }

  /** Reconciliation's own calls ride out a service that is still coming back: a few tries, then the last answer. */
  private HttpResponse<String> retrying(HttpRequest request) throws Exception {
    Exception last = null;
    for (int attempt = 0; attempt < 10; attempt++) {
      try {
        HttpResponse<String> answer = http.send(request, HttpResponse.BodyHandlers.ofString());
        if (answer.statusCode() < 500 || attempt == 9) {
          return answer;
        }
      } catch (java.io.IOException e) {
        last = e;
      }
      Thread.sleep(2000); // a service restarting
    }
    throw last;
  }
}
