package io.storystream.billing;

import io.storystream.common.billing.api.PriceBookDocument;
import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.storystream.common.kafka.KafkaSettings;
import io.storystream.embedded.EmbeddedKafka;
import io.storystream.embedded.registry.SchemaRegistryServer;
import io.storystream.schemas.DeadLetter;
import io.storystream.schemas.Statement;
import io.storystream.schemas.registry.HttpSchemaRegistryClient;
import io.storystream.schemas.topics.TopicCatalogue;
import io.storystream.schemas.topics.TopicSerdes;
import io.storystream.schemas.topics.Topics;
import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.TreeSet;
import org.apache.kafka.clients.admin.Admin;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.MethodOrderer;
import org.junit.jupiter.api.Order;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInstance;
import org.junit.jupiter.api.TestMethodOrder;
import org.junit.jupiter.api.io.TempDir;

/**
 * The aggregator on a real broker and schema registry: synthetic usage of three tenants over two months with 5%
 * duplicates must come out as statements equal to an independent calculation; a full replay must be identical; a
 * price change must move exactly the expected amounts. The suite runs 100k events; the 1M-event run is
 * {@link BillingMillionEventsTest}, tagged benchmark ({@code -Dsurefire.excludedGroups= -Dgroups=benchmark}).
 */
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
@TestMethodOrder(MethodOrderer.OrderAnnotation.class)
class BillingIntegrationTest {
  static final int SUITE_EVENTS = 100_000;

  @TempDir static Path dir;
  private EmbeddedKafka broker;
  private SchemaRegistryServer registryServer;
  private KafkaSettings kafka;
  private TopicSerdes serdes;
  private SyntheticUsage usage;
  private BillingAggregator aggregator;
  private final Clock clock = io.storystream.testsupport.TestClock.ticking();
  private static final String RELAY_TOKEN = "ssb_4f6a8c0e2b4d6f8a1c3e5b7d9f0a2c4e6b8d1f3a5c7e9b0d2f4a6c8e1b3d5f7a";
  private static final String OPERATOR_TOKEN = "sso_b2d4f6a8c0e1b3d5f7a9c2e4b6d8f0a1c3e5b7d9f2a4c6e8b0d1f3a5c7e9b2d4";
  private final HttpClient http = HttpClient.newHttpClient();
  private final ObjectMapper json = new ObjectMapper();

  protected int events() {
    return SUITE_EVENTS;
  }

  /** How long the aggregator may take to catch up: generous, the machine is shared (not a timing assertion). */
  private Duration patience() {
    return Duration.ofSeconds(Math.max(300, events() / 1_000));
  }

  @BeforeAll
  void startStack() throws Exception {
    broker = EmbeddedKafka.forTests(dir.resolve("kafka")).start();
    registryServer = new SchemaRegistryServer("127.0.0.1", 0, broker.bootstrapServers(), (short) 1).start();
    kafka = new KafkaSettings(broker.bootstrapServers(), registryServer.url(), 3, (short) 1);
    serdes = new TopicSerdes(new HttpSchemaRegistryClient(registryServer.url()));
    try (Admin admin = Admin.create(kafka.admin())) {
      TopicCatalogue.standard(3, (short) 1).ensure(admin);
      // the dedup changelog as a deployment made before 2026-12-03 has it; the aggregator's start changes its policy
      admin.createTopics(List.of(new org.apache.kafka.clients.admin.NewTopic(
          DedupChangelogPolicy.topic(BillingConfig.DEFAULT_APPLICATION_ID), 3, (short) 1).configs(Map.of(
              "cleanup.policy", "compact,delete", "retention.ms", Long.toString(Duration.ofDays(35 + 1).toMillis())))))
          .all().get();
      await().atMost(patience()).pollInterval(Duration.ofMillis(100)).untilAsserted(() -> assertThat(
          admin.listTopics().names().get()).contains(DedupChangelogPolicy.topic(BillingConfig.DEFAULT_APPLICATION_ID)));
    }
    try (PriceBookPublisher publisher = new PriceBookPublisher(kafka)) {
      assertThat(publisher.publishDefaultIfNone()).isTrue();
      assertThat(publisher.publishDefaultIfNone()).isFalse();
    }
    Instant now = clock.instant();
    SyntheticUsage.produceTenants(kafka, serdes, now);
    usage = SyntheticUsage.generate(42, events(), now);
    usage.produce(kafka, serdes, 0, usage.log.size());
    aggregator = new BillingAggregator(BillingConfig.of(kafka, dir.resolve("billing")).withHttpPort(0)
        .withStatementInterval(Duration.ofMillis(500)).withClock(clock))
        .withAccess(new BillingAccess(RELAY_TOKEN, OPERATOR_TOKEN)).start();
  }

  @AfterAll
  void stopStack() throws Exception {
    if (aggregator != null) {
      aggregator.close();
    }
    if (registryServer != null) {
      registryServer.close();
    }
    if (broker != null) {
      broker.close();
    }
  }

  @Test
  @Order(1)
  void statementsEqualAnIndependentCalculation() {
    assertThat(usage.duplicates()).as("5%% duplicates").isBetween(events() * 4L / 100, events() * 6L / 100);
    Map<String, SyntheticUsage.Expected> expected = usage.expected(500_000L, 1, clock.instant());
    assertThat(expected).hasSize(6);
    await().atMost(patience()).pollInterval(Duration.ofMillis(500)).untilAsserted(() ->
        assertThat(mismatches(expected, liveStatements())).isEmpty());

    List<DeadLetter> letters = new ArrayList<>();
    TopicReader.readAll(kafka, Topics.DEAD_LETTER.name(), serdes.value(Topics.DEAD_LETTER).deserializer(),
        (k, v) -> letters.add(v));
    assertThat(usage.tooLate()).as("the generator always logs some usage late").isPositive();
    assertThat(letters.size()).isEqualTo(usage.tooLate());
    // how many events are too late depends on the day the test runs (none on the first two days of a month)
    assertThat(letters).extracting(DeadLetter::getReason).allSatisfy(r -> assertThat(r).isEqualTo("too_late"));
  }

  @Test
  @Order(1)
  void theDedupChangelogIsDeletedByAgeAndTheAccountsCompacted() throws Exception {
    String prefix = BillingConfig.DEFAULT_APPLICATION_ID + "-";
    try (Admin admin = Admin.create(kafka.admin())) {
      Map<String, String> seen = topicConfig(admin, prefix + BillingTopology.SEEN_EVENT_IDS + "-changelog");
      Map<String, String> accounts = topicConfig(admin, prefix + BillingTopology.MONTH_ACCOUNTS + "-changelog");
      // every key is written once, so compaction would only re-read the topic; the window plus Streams' extra day
      // (created compact,delete above, as an older deployment has it: the aggregator's start changed it)
      assertThat(seen).containsEntry("cleanup.policy", "delete")
          .containsEntry("retention.ms", Long.toString(Duration.ofDays(35 + 1).toMillis()));
      assertThat(accounts).containsEntry("cleanup.policy", "compact");
    }
  }

  @Test
  @Order(1)
  void theDedupChangelogPolicyChangesOnlyWhereItCompactsAndOnlyOnce() throws Exception {
    try (Admin admin = Admin.create(kafka.admin())) {
      admin.createTopics(List.of(
          new org.apache.kafka.clients.admin.NewTopic(DedupChangelogPolicy.topic("older"), 1, (short) 1)
              .configs(Map.of("cleanup.policy", "compact")),
          new org.apache.kafka.clients.admin.NewTopic(DedupChangelogPolicy.topic("newer"), 1, (short) 1)
              .configs(Map.of("cleanup.policy", "delete", "retention.ms", "1000")))).all().get();
      // the broker's metadata, which answers describeConfigs, learns of new topics after the controller
      await().atMost(patience()).pollInterval(Duration.ofMillis(100)).untilAsserted(() ->
          assertThat(admin.listTopics().names().get())
              .contains(DedupChangelogPolicy.topic("older"), DedupChangelogPolicy.topic("newer")));
      assertThat(DedupChangelogPolicy.apply(admin, "older")).isTrue();
      assertThat(topicConfig(admin, DedupChangelogPolicy.topic("older"))).containsEntry("cleanup.policy", "delete");
      assertThat(DedupChangelogPolicy.apply(admin, "older")).as("a second start").isFalse();
      assertThat(DedupChangelogPolicy.apply(admin, "newer")).isFalse();
      assertThat(topicConfig(admin, DedupChangelogPolicy.topic("newer"))).containsEntry("cleanup.policy", "delete")
          .containsEntry("retention.ms", "1000");
      assertThat(DedupChangelogPolicy.apply(admin, "never-started")).isFalse();
      assertThat(admin.listTopics().names().get()).doesNotContain(DedupChangelogPolicy.topic("never-started"));
    }
  }

  private static Map<String, String> topicConfig(Admin admin, String topic) throws Exception {
    var resource = new org.apache.kafka.common.config.ConfigResource(
        org.apache.kafka.common.config.ConfigResource.Type.TOPIC, topic);
    Map<String, String> config = new java.util.HashMap<>();
    admin.describeConfigs(List.of(resource)).all().get().get(resource).entries()
        .forEach(e -> config.put(e.name(), e.value()));
    return config;
  }

  @Test
  @Order(2)
  void theReadApiServesUsageQuotaStatementsAndTheExplainView() throws Exception {
    String base = "http://127.0.0.1:" + aggregator.port();
    String acmeNow = "acme:" + usage.current;
    SyntheticUsage.Expected expected = usage.expected(500_000L, 1, clock.instant()).get(acmeNow);

    JsonNode current = get(base + "/tenants/acme/usage", 200);
    assertThat(current.get("month").asText()).isEqualTo(usage.current.toString());
    assertThat(current.at("/usage/analyses").asLong()).isEqualTo(expected.quantities().getAnalyses());
    assertThat(current.at("/quota/analysesRemaining").asLong())
        .isEqualTo(SyntheticUsage.QUOTAS.get("acme") - expected.quantities().getAnalyses());

    JsonNode statement = get(base + "/tenants/acme/statements/" + usage.current, 200);
    assertThat(statement.get("totalMicros").asLong()).isEqualTo(expected.totalMicros());
    assertThat(statement.get("status").asText()).isEqualTo("OPEN");
    assertThat(get(base + "/tenants/acme/statements", 200).get("statements")).hasSize(2);
    JsonNode month = get(base + "/months/" + usage.previous + "/statements", 200);
    assertThat(month.get("statements")).extracting(s -> s.get("tenantId").asText())
        .containsExactly("acme", "globex", "initech");

    JsonNode explain = get(base + "/tenants/globex/months/" + usage.previous + "/explain", 200);
    long countedGlobex = usage.expected(500_000L, 1, clock.instant()).get("globex:" + usage.previous)
        .quantities().getAnalyses();
    assertThat(explain.get("eventsCounted").asLong()).isGreaterThanOrEqualTo(countedGlobex);
    assertThat(explain.get("duplicatesDropped").asLong()).isPositive();
    assertThat(explain.get("priceBookInForce").asInt()).isEqualTo(1);

    JsonNode unknown = get(base + "/tenants/hooli/statements/" + usage.current, 404);
    assertThat(unknown.get("type").asText()).isEqualTo("https://storystream.dev/problems/statement-not-found");
    assertThat(get(base + "/tenants/hooli/usage", 404).get("type").asText()).endsWith("/tenant-not-found");
    assertThat(get(base + "/tenants/acme/statements/2026-13", 400).get("type").asText()).endsWith("/invalid-month");
  }

  @Test
  @Order(2)
  void theDownstreamTailPrintsOneLinePerRevision() {
    ByteArrayOutputStream out = new ByteArrayOutputStream();
    new StatementTail(kafka, serdes).run(true, 3, new PrintStream(out, true, StandardCharsets.UTF_8));
    assertThat(out.toString(StandardCharsets.UTF_8).lines().toList()).hasSize(3)
        .allMatch(l -> l.matches("(acme|globex|initech) \\d{4}-\\d{2} rev \\d+ (OPEN|FINAL) \\w+ v1 USD \\d+\\.\\d{6}.*"));
  }

  @Test
  @Order(3)
  void aReplayFromAFreshApplicationIdRebuildsEveryStatementByteForByte() throws Exception {
    BillingReplay.Result result = new BillingReplay(kafka, dir.resolve("replay"),
        new HttpSchemaRegistryClient(registryServer.url()), Duration.ofHours(48), clock).run(Duration.ofSeconds(30), true);
    ByteArrayOutputStream printed = new ByteArrayOutputStream();
    result.print(new PrintStream(printed, true, StandardCharsets.UTF_8));
    System.out.print(printed.toString(StandardCharsets.UTF_8)); // the figures, for the record
    assertThat(result.differences()).isEmpty();
    assertThat(result.statements()).isEqualTo(6);
    assertThat(result.events()).isEqualTo(usage.log.size());
    assertThat(printed.toString(StandardCharsets.UTF_8)).contains("identical", "byte for byte");

    // checked here too, apart from the replay's own comparison: the kept output's records against the live ones
    String replayTopic = "billing-statements-" + result.runId();
    Map<String, StatementLog.Serialized> live = StatementLog.latestSerialized(kafka, serdes,
        Topics.BILLING_STATEMENTS.name());
    Map<String, StatementLog.Serialized> replayed = StatementLog.latestSerialized(kafka, serdes, replayTopic);
    assertThat(replayed.keySet()).isEqualTo(live.keySet()).hasSize(6);
    for (String key : live.keySet()) {
      assertThat(replayed.get(key).value()).as(key).isEqualTo(live.get(key).value());
      assertThat(replayed.get(key).timestamp()).as(key).isEqualTo(live.get(key).timestamp());
      assertThat(replayed.get(key).revision()).as("%s: the same revision number", key)
          .isEqualTo(live.get(key).revision());
    }
    try (Admin admin = Admin.create(kafka.admin())) {
      admin.deleteTopics(List.of(replayTopic)).all().get();
      // the controller acknowledges a deletion before the broker's metadata cache, which answers listTopics, applies it
      await().atMost(patience()).pollInterval(Duration.ofMillis(100)).untilAsserted(() ->
          assertThat(admin.listTopics().names().get()).noneMatch(t -> t.contains(result.runId())));
    }
  }

  @Test
  @Order(4)
  void aPriceChangeMovesExactlyTheExpectedDifference() throws Exception {
    Map<String, Statement> before = liveStatements();
    PriceBookDocument cheaperStarter = PriceBooks.defaultDocument().withVersion(2)
        .withMonths(usage.previous.toString(), null)
        .withPlan("starter", new PriceBookDocument.Plan(0L, 0L, 400_000L, 0L, 0L, 50_000L, 0L, 0L));
    try (PriceBookPublisher publisher = new PriceBookPublisher(kafka, new HttpSchemaRegistryClient(registryServer.url()),
        PriceBookValidator.standard(), clock)) {
      ReRatingReport report = ReRatingReport.of(before, publisher.published(),
          cheaperStarter.toPriceBook(clock.instant()));
      assertThat(report.rows()).hasSize(6);
      for (ReRatingReport.Row row : report.rows()) {
        long analyses = before.get(row.tenantId() + ":" + row.month()).getQuantities().getAnalyses();
        assertThat(row.differenceMicros()).as(row.toString())
            .isEqualTo(row.plan().equals("starter") ? -100_000L * analyses : 0L);
      }
      ByteArrayOutputStream table = new ByteArrayOutputStream();
      report.print(new PrintStream(table, true, StandardCharsets.UTF_8), "USD");
      assertThat(table.toString(StandardCharsets.UTF_8)).contains("acme", "v1", "→", "v2");
      publisher.publish(cheaperStarter);
    }

    Map<String, SyntheticUsage.Expected> expected = usage.expected(400_000L, 2, clock.instant());
    await().atMost(patience()).pollInterval(Duration.ofMillis(500)).untilAsserted(() ->
        assertThat(mismatches(expected, liveStatements())).isEmpty());
    Map<String, Statement> after = liveStatements();
    for (String key : before.keySet()) {
      Statement old = before.get(key);
      Statement now = after.get(key);
      assertThat(now.getRevision()).isEqualTo(old.getRevision() + 1);
      assertThat(now.getPreviousTotalMicros()).isEqualTo(old.getTotalMicros());
      assertThat(now.getQuantities()).isEqualTo(old.getQuantities());
      long difference = key.startsWith("acme:") ? -100_000L * old.getQuantities().getAnalyses() : 0L;
      assertThat(now.getTotalMicros() - old.getTotalMicros()).as(key).isEqualTo(difference);
    }
    theRevisionHistoryShowsTheReRatingOnTopOfTheRevisionBefore(before, after);
  }

  /** The read API's history of a month: the re-rated revision first, with its difference to the one before. */
  private void theRevisionHistoryShowsTheReRatingOnTopOfTheRevisionBefore(Map<String, Statement> before,
                                                                          Map<String, Statement> after) throws Exception {
    String base = "http://127.0.0.1:" + aggregator.port();
    Statement old = before.get("acme:" + usage.current);
    Statement now = after.get("acme:" + usage.current);
    JsonNode history = get(base + "/tenants/acme/statements/" + usage.current + "/revisions", 200);
    assertThat(history.get("tenantId").asText()).isEqualTo("acme");
    assertThat(history.get("latestRevision").asInt()).isEqualTo(now.getRevision());
    List<Integer> numbers = new ArrayList<>();
    history.get("revisions").forEach(r -> numbers.add(r.get("revision").asInt()));
    assertThat(numbers).as("newest first, one per revision issued").isSortedAccordingTo(java.util.Comparator.reverseOrder())
        .first().isEqualTo(now.getRevision());
    assertThat(numbers).hasSize(Math.min(now.getRevision(), BillingHttpApi.DEFAULT_REVISIONS));
    JsonNode newest = history.get("revisions").get(0);
    JsonNode prior = history.get("revisions").get(1);
    assertThat(newest.get("priceBookVersion").asInt()).isEqualTo(2);
    assertThat(newest.get("previousPriceBookVersion").asInt()).isEqualTo(1);
    assertThat(newest.get("previousTotalMicros").asLong()).isEqualTo(old.getTotalMicros());
    assertThat(newest.get("differenceMicros").asLong()).isEqualTo(now.getTotalMicros() - old.getTotalMicros());
    assertThat(newest.get("lineChanges")).singleElement().satisfies(c -> {
      assertThat(c.get("code").asText()).isEqualTo("analyses");
      assertThat(c.get("previousUnitPriceMicros").asLong()).isEqualTo(500_000L);
      assertThat(c.get("unitPriceMicros").asLong()).isEqualTo(400_000L);
      assertThat(c.get("differenceMicros").asLong()).isEqualTo(-100_000L * old.getQuantities().getAnalyses());
    });
    assertThat(prior.get("revision").asInt()).isEqualTo(old.getRevision());
    assertThat(prior.get("totalMicros").asLong()).isEqualTo(old.getTotalMicros());
    assertThat(prior.get("generatedAt").asText()).isEqualTo(old.getGeneratedAt().toString());

    JsonNode one = get(base + "/tenants/acme/statements/" + usage.current + "/revisions?limit=1", 200);
    assertThat(one.get("revisions")).hasSize(1);
    assertThat(one.get("truncated").asBoolean()).isTrue();
    assertThat(get(base + "/tenants/acme/statements/" + usage.current + "/revisions?limit=0", 400)
        .get("type").asText()).endsWith("/invalid-limit");
    // a tenant without that month (whatever another tenant has) gets the same 404 as for a month nobody has
    assertThat(get(base + "/tenants/hooli/statements/" + usage.current + "/revisions", 404)
        .get("type").asText()).endsWith("/statement-not-found");
    assertThat(get(base + "/tenants/acme/statements/1999-01/revisions", 404)
        .get("type").asText()).endsWith("/statement-not-found");
  }

  // ---- helpers ------------------------------------------------------------------------------------------------

  Map<String, Statement> liveStatements() {
    return StatementLog.latest(kafka, serdes, Topics.BILLING_STATEMENTS.name());
  }

  static List<String> mismatches(Map<String, SyntheticUsage.Expected> expected, Map<String, Statement> actual) {
    List<String> problems = new ArrayList<>();
    TreeSet<String> keys = new TreeSet<>(expected.keySet());
    keys.addAll(actual.keySet());
    for (String key : keys) {
      SyntheticUsage.Expected e = expected.get(key);
      Statement a = actual.get(key);
      if (e == null || a == null) {
        problems.add(key + ": expected " + e + ", statement " + (a == null ? null : StatementTail.line(a)));
      } else if (!e.quantities().equals(a.getQuantities()) || e.totalMicros() != a.getTotalMicros()
          || e.status() != a.getStatus() || e.priceBookVersion() != a.getPriceBookVersion()) {
        problems.add(key + ": expected " + e + ", statement " + StatementTail.line(a) + " " + a.getQuantities());
      }
    }
    return problems;
  }

  @Test
  @Order(5)
  void theReadApiAnswersOnlyTheRelayAndTheOperator() throws Exception {
    String base = "http://127.0.0.1:" + aggregator.port();
    String month = usage.current.toString();
    for (String path : List.of("/months/" + month + "/statements", "/tenants/acme/usage",
        "/tenants/acme/statements", "/tenants/acme/statements/" + month,
        "/tenants/acme/months/" + month + "/explain")) {
      for (String authorization : java.util.Arrays.asList(null, "Bearer wrong", "Bearer " + RELAY_TOKEN + "x",
          "Basic " + RELAY_TOKEN)) {
        HttpRequest.Builder request = HttpRequest.newBuilder(URI.create(base + path)).GET();
        if (authorization != null) {
          request.header("Authorization", authorization);
        }
        HttpResponse<String> refused = http.send(request.build(), HttpResponse.BodyHandlers.ofString());
        assertThat(refused.statusCode()).as("%s with %s", path, authorization).isEqualTo(401);
        assertThat(refused.body()).as(path).contains("problems/unauthenticated").doesNotContain("totalMicros")
            .doesNotContain("analyses");
      }
    }
    JsonNode monthView = getAs(base + "/months/" + month + "/statements", OPERATOR_TOKEN, 200);
    assertThat(monthView.path("statements").size()).isPositive();
    assertThat(getAs(base + "/tenants/acme/usage", RELAY_TOKEN, 200).path("tenantId").asText()).isEqualTo("acme");
  }

  /**
   * Bad usage records and refused callers, with unique strings planted in the record bytes and the presented
   * token: every line the aggregator logs meanwhile (the JSON a log pipeline receives, our code at every level)
   * names the tenant it concerns, and none holds a planted string or a token.
   */
  @Test
  @Order(6)
  void logsCarryTenantIdsButNoRecordContentOrTokens() throws Exception {
    String planted = "PlantedUsagePayloadRt4";
    String wrongToken = "ssb_PlantedWrongTokenVb70000000000000000000000000000000000000000000";
    String base = "http://127.0.0.1:" + aggregator.port();
    try (io.storystream.testsupport.LogCapture logs = io.storystream.testsupport.LogCapture.start();
         org.apache.kafka.clients.producer.KafkaProducer<String, byte[]> raw = new org.apache.kafka.clients.producer
             .KafkaProducer<>(kafka.producer("planted-usage"), new org.apache.kafka.common.serialization.StringSerializer(),
             new org.apache.kafka.common.serialization.ByteArraySerializer())) {
      raw.send(new org.apache.kafka.clients.producer.ProducerRecord<>(Topics.USAGE_EVENTS.name(), "acme",
          ("\0\0\0\0" + planted).getBytes(java.nio.charset.StandardCharsets.UTF_8))).get();
      getAs(base + "/tenants/acme/usage", wrongToken, 401);
      getAs(base + "/tenants/acme/usage", RELAY_TOKEN, 200);
      getAs(base + "/tenants/acme/statements/" + planted, RELAY_TOKEN, 400);
      await().atMost(patience()).untilAsserted(() -> assertThat(logs.lines())
          .anySatisfy(line -> assertThat(line).contains("dead-lettered")));

      List<String> lines = logs.lines();
      assertThat(lines).allSatisfy(line -> assertThat(line).doesNotContain(planted, "PlantedWrongToken", RELAY_TOKEN,
          OPERATOR_TOKEN));
      assertThat(lines).as("the dead letter's line names its tenant")
          .anySatisfy(line -> assertThat(line).contains("dead-lettered", "\"tenant.id\":\"acme\""));
      System.out.printf("billing: %d log lines checked%n", lines.size());
    }
  }

  private JsonNode get(String url, int status) throws Exception {
    return getAs(url, RELAY_TOKEN, status);
  }

  private JsonNode getAs(String url, String token, int status) throws Exception {
    HttpResponse<String> response = http.send(HttpRequest.newBuilder(URI.create(url))
            .header("Authorization", "Bearer " + token).GET().build(),
        HttpResponse.BodyHandlers.ofString());
    assertThat(response.statusCode()).as(url + " → " + response.body()).isEqualTo(status);
    if (status >= 400) {
      assertThat(response.headers().firstValue("Content-Type")).hasValueSatisfying(
          v -> assertThat(v).startsWith("application/problem+json"));
    }
    return json.readTree(response.body());
  }
}
