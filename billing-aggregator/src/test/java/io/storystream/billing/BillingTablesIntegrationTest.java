package io.storystream.billing;

import io.storystream.common.billing.api.PriceBookDocument;
import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.storystream.billing.tables.PostgresConnection;
import io.storystream.billing.tables.PostgresServer;
import io.storystream.common.kafka.KafkaSettings;
import io.storystream.embedded.EmbeddedKafka;
import io.storystream.embedded.registry.SchemaRegistryServer;
import io.storystream.schemas.Statement;
import io.storystream.schemas.registry.HttpSchemaRegistryClient;
import io.storystream.schemas.topics.TopicCatalogue;
import io.storystream.schemas.topics.TopicSerdes;
import io.storystream.schemas.topics.Topics;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.sql.Connection;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.TreeSet;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
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
 * The billing tables on a real broker, schema registry and PostgreSQL: 100k usage events of three tenants over two
 * months with 5% duplicates; the sink runs in a child JVM ({@code BillingCommand sink}) and is killed with kill -9
 * after its first committed batch, while statements keep coming; restarted, the tables equal the independent
 * calculation, every revision on the topic is in the revisions table exactly once, and no row was ever seen to go
 * back to an older revision. Then a price-book change re-rates: the tables move to the new revisions and keep the
 * old ones in {@code billing_statement_revisions}.
 */
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
@TestMethodOrder(MethodOrderer.OrderAnnotation.class)
class BillingTablesIntegrationTest {
  private static final String OPERATOR_TOKEN = "sso_7c1e9a3f5b2d8e4a6c0f1b3d5e7a9c2e4f6b8d0a1c3e5f7b9d2a4c6e8f0b1d3a";
  private static final int EVENTS = 100_000;
  private static final Duration PATIENCE = Duration.ofSeconds(480); // a loaded shared machine, not a threshold

  @TempDir static Path dir;
  private EmbeddedKafka broker;
  private SchemaRegistryServer registryServer;
  private PostgresServer postgres;
  private KafkaSettings kafka;
  private TopicSerdes serdes;
  private SyntheticUsage usage;
  private BillingAggregator aggregator;
  private Process sink;
  // usage is produced while the aggregator runs: see SyntheticUsage.beforeThePreviousMonthCloses
  private final Clock clock =
      SyntheticUsage.beforeThePreviousMonthCloses(io.storystream.testsupport.TestClock.ticking());
  private final HttpClient http = HttpClient.newHttpClient();
  private final ObjectMapper json = new ObjectMapper();

  @BeforeAll
  void startStack() throws Exception {
    broker = EmbeddedKafka.forTests(dir.resolve("kafka")).start();
    registryServer = new SchemaRegistryServer("127.0.0.1", 0, broker.bootstrapServers(), (short) 1).start();
    kafka = new KafkaSettings(broker.bootstrapServers(), registryServer.url(), 3, (short) 1);
    serdes = new TopicSerdes(new HttpSchemaRegistryClient(registryServer.url()));
    // run as root, PostgreSQL runs as the postgres user, which must be able to pass through the test's folder
    Files.setPosixFilePermissions(dir, PosixFilePermissions.fromString("rwx--x--x"));
    postgres = new PostgresServer(dir.resolve("pg"), io.storystream.embedded.FreePorts.pick()).start();
    try (Admin admin = Admin.create(kafka.admin())) {
      TopicCatalogue.standard(3, (short) 1).ensure(admin);
    }
    try (PriceBookPublisher publisher = new PriceBookPublisher(kafka)) {
      publisher.publishDefaultIfNone();
    }
    Instant now = clock.instant();
    SyntheticUsage.produceTenants(kafka, serdes, now);
    usage = SyntheticUsage.generate(17, EVENTS, now);
  }

  @AfterAll
  void stopStack() throws Exception {
    if (sink != null) {
      stop(sink);
    }
    for (AutoCloseable c : new AutoCloseable[] {aggregator, registryServer, broker, postgres}) {
      if (c != null) {
        c.close();
      }
    }
  }

  @Test
  @Order(1)
  void tablesEqualAnIndependentCalculationThroughAKillNineOfTheSink() throws Exception {
    // the first 40% of the usage, the aggregator and the sink start together: statements keep coming while it runs
    int firstPart = usage.log.size() * 4 / 10;
    usage.produce(kafka, serdes, 0, firstPart);
    aggregator = new BillingAggregator(BillingConfig.of(kafka, dir.resolve("billing")).withHttpPort(0)
        .withStatementInterval(Duration.ofMillis(200)).withClock(clock))
        .withAccess(new BillingAccess(null, OPERATOR_TOKEN)).start();
    Process first = launchSink("sink-1");
    long atKill;
    try {
      await().atMost(PATIENCE).pollInterval(Duration.ofMillis(20))
          .until(() -> !first.isAlive() || sinkOffsets() > 0);
      assertThat(first.isAlive()).as("sink alive; see %s", dir.resolve("sink-1.log")).isTrue();
    } finally {
      first.destroyForcibly(); // SIGKILL: no shutdown hook, no last batch
    }
    assertThat(first.waitFor(30, TimeUnit.SECONDS)).isTrue();
    atKill = sinkOffsets();
    int rowsAtKill = count("SELECT count(*) FROM billing_statement_revisions");
    System.out.printf("sink killed at offsets summing to %d (%d revisions in the table)%n", atKill, rowsAtKill);
    assertThat(rowsAtKill).isPositive();
    assertThat(count("SELECT count(*) FROM billing_statement_revisions r JOIN billing_sink_offsets o"
        + " ON o.partition = r.source_partition WHERE r.source_offset >= o.next_offset"))
        .as("rows and the offsets after them commit together: no row beyond the stored offsets").isZero();

    // the rest of the usage arrives while the sink is down; a watcher samples the table through the restart
    usage.produce(kafka, serdes, firstPart, usage.log.size());
    RevisionWatcher watcher = new RevisionWatcher();
    Thread watching = new Thread(watcher, "revision-watcher");
    watching.start();
    sink = launchSink("sink-2");
    try {
      Map<String, SyntheticUsage.Expected> expected = usage.expected(500_000L, 1, clock.instant());
      assertThat(expected).hasSize(6);
      await().atMost(PATIENCE).pollInterval(Duration.ofMillis(500)).untilAsserted(() -> {
        assertThat(sink.isAlive()).as("sink alive; see %s", dir.resolve("sink-2.log")).isTrue();
        assertThat(mismatches(expected, 1)).isEmpty();
        assertThat(tableEqualsTopic()).isEmpty();
      });
    } finally {
      watcher.stop.set(true);
      watching.join(10_000);
    }
    long statementRecords = statementRecords();
    assertThat((long) rowsAtKill).as("killed mid-stream").isLessThan(statementRecords);
    assertThat(count("SELECT count(*) FROM billing_statement_revisions")).as("every revision once")
        .isEqualTo((int) statementRecords);
    assertThat(watcher.samples.get()).isPositive();
    assertThat(watcher.wentBack).as("a row went back to an older revision").isEmpty();
  }

  @Test
  @Order(2)
  void aSimulatedPriceBookDoublingEveryPriceAnswersTwiceTheTotalsAndPublishesNothing() throws Exception {
    Map<String, Integer> revisionsBefore = currentRevisions();
    int revisionRowsBefore = count("SELECT count(*) FROM billing_statement_revisions");
    long priceBookRecordsBefore = priceBookRecords();
    PriceBookDocument doubled = doubled(PriceBooks.defaultDocument()).withVersion(2);

    HttpResponse<String> response = send("POST", "/admin/price-books/simulate", doubled.toJson());
    assertThat(response.statusCode()).as(response.body()).isEqualTo(200);
    JsonNode body = json.readTree(response.body());
    Map<String, Long> tableTotals = tableTotals();
    assertThat(body.get("tenants")).hasSize(6);
    for (JsonNode t : body.get("tenants")) {
      String key = t.get("tenantId").asText() + ":" + t.get("month").asText();
      long current = t.get("currentTotalMicros").asLong();
      assertThat(current).as(key).isEqualTo(tableTotals.get(key)).isPositive();
      assertThat(t.get("simulatedTotalMicros").asLong()).as(key).isEqualTo(2 * current);
      long lines = 0;
      for (JsonNode line : t.get("lines")) {
        lines += line.get("amountMicros").asLong();
      }
      assertThat(lines).as(key).isEqualTo(2 * current);
    }
    assertThat(body.get("simulatedTotalMicros").asLong()).isEqualTo(2 * body.get("currentTotalMicros").asLong());

    assertThat(priceBookRecords()).as("nothing published").isEqualTo(priceBookRecordsBefore);
    assertThat(currentRevisions()).isEqualTo(revisionsBefore);
    assertThat(count("SELECT count(*) FROM billing_statement_revisions")).isEqualTo(revisionRowsBefore);

    HttpResponse<String> invalid = send("POST", "/admin/price-books/simulate", "{\"version\": 3, \"plans\": {}}");
    assertThat(invalid.statusCode()).isEqualTo(422);
    assertThat(invalid.headers().firstValue("Content-Type")).hasValueSatisfying(
        v -> assertThat(v).startsWith("application/problem+json"));
  }

  @Test
  @Order(3)
  void aPriceBookChangeReRatesAndTheOldRevisionsStayInTheRevisionsTable() throws Exception {
    Map<String, Integer> before = currentRevisions();
    int revisionsBefore = count("SELECT count(*) FROM billing_statement_revisions");
    PriceBookDocument cheaperStarter = PriceBooks.defaultDocument().withVersion(2)
        .withMonths(usage.previous.toString(), null)
        .withPlan("starter", new PriceBookDocument.Plan(0L, 0L, 400_000L, 0L, 0L, 50_000L, 0L, 0L));
    HttpResponse<String> put = send("PUT", "/admin/price-books/2", cheaperStarter.toJson());
    assertThat(put.statusCode()).as(put.body()).isEqualTo(200);
    JsonNode report = json.readTree(put.body());
    assertThat(report.get("reRated")).hasSize(6);
    for (JsonNode row : report.get("reRated")) {
      long difference = row.get("tenantId").asText().equals("acme") ? -100_000L * analyses(row) : 0L;
      assertThat(row.get("differenceMicros").asLong()).as(row.toString()).isEqualTo(difference);
    }
    HttpResponse<String> changed = send("PUT", "/admin/price-books/2", doubled(cheaperStarter).toJson());
    assertThat(changed.statusCode()).as("a published version is immutable").isEqualTo(409);
    HttpResponse<String> current = send("GET", "/admin/price-books/current", null);
    assertThat(PriceBookFormat.parse(current.body())).isEqualTo(cheaperStarter);
    JsonNode listed = json.readTree(send("GET", "/admin/price-books", null).body());
    assertThat(listed.get("priceBooks")).extracting(b -> b.get("version").asInt()).containsExactly(2, 1);
    Map<String, SyntheticUsage.Expected> expected = usage.expected(400_000L, 2, clock.instant());
    await().atMost(PATIENCE).pollInterval(Duration.ofMillis(500)).untilAsserted(() -> {
      assertThat(mismatches(expected, 2)).isEmpty();
      assertThat(tableEqualsTopic()).isEmpty();
    });
    Map<String, Integer> after = currentRevisions();
    for (Map.Entry<String, Integer> e : before.entrySet()) {
      assertThat(after.get(e.getKey())).as(e.getKey()).isEqualTo(e.getValue() + 1);
      String[] key = e.getKey().split(":");
      assertThat(count("SELECT count(*) FROM billing_statement_revisions WHERE tenant_id = '" + key[0]
          + "' AND month = '" + key[1] + "' AND revision = " + e.getValue() + " AND price_book_version = 1"))
          .as("the old revision of %s is kept", e.getKey()).isEqualTo(1);
    }
    assertThat(count("SELECT count(*) FROM billing_statement_revisions")).isEqualTo(revisionsBefore + before.size());
  }

  @Test
  @Order(4)
  void aMonthsStatementsAsCsvEqualTheBillingTable() throws Exception {
    String month = usage.previous.toString();
    HttpResponse<String> csv = send("GET", "/admin/statements/" + month + ".csv", null);
    assertThat(csv.statusCode()).isEqualTo(200);
    assertThat(csv.headers().firstValue("Content-Type")).hasValueSatisfying(v -> assertThat(v).startsWith("text/csv"));
    List<String> lines = csv.body().lines().toList();
    assertThat(lines.get(0)).isEqualTo(StatementCsv.HEADER);
    List<String> rows = new ArrayList<>();
    try (Connection c = db().open(); ResultSet rs = c.createStatement().executeQuery(
        "SELECT tenant_id, month, revision, status, plan, currency, price_book_version, total_micros"
            + " FROM billing_statements WHERE month = '" + month + "' ORDER BY tenant_id")) {
      while (rs.next()) {
        rows.add(String.join(",", rs.getString(1), rs.getString(2), rs.getString(3), rs.getString(4),
            rs.getString(5), rs.getString(6), rs.getString(7), rs.getString(8)));
      }
    }
    assertThat(rows).hasSize(3);
    assertThat(lines.subList(1, lines.size())).extracting(l -> String.join(",", List.of(l.split(",")).subList(0, 8)))
        .containsExactlyElementsOf(rows);
    assertThat(send("GET", "/admin/statements/2026-13.csv", null).statusCode()).isEqualTo(400);
  }

  @Test
  @Order(5)
  void theOperatorCanAskWhatHappenedToOneUsageEvent() throws Exception {
    Map<String, Integer> copies = new TreeMap<>();
    usage.log.forEach(l -> copies.merge(l.event().getTenantId() + "|" + l.event().getEventId(), 1, Integer::sum));
    SyntheticUsage.Logged duplicated = usage.log.stream()
        .filter(l -> copies.get(l.event().getTenantId() + "|" + l.event().getEventId()) > 1)
        .filter(l -> l.loggedAt() < BillingMonth.closesAt(BillingMonth.monthOf(l.event().getOccurredAt().toEpochMilli()),
            Duration.ofHours(48)))
        .findFirst().orElseThrow();
    JsonNode counted = json.readTree(send("GET", "/admin/tenants/" + duplicated.event().getTenantId()
        + "/usage-events/" + duplicated.event().getEventId(), null).body());
    assertThat(counted.get("counted").asBoolean()).isTrue();
    assertThat(counted.at("/countedIn/month").asText())
        .isEqualTo(BillingMonth.monthOf(duplicated.event().getOccurredAt().toEpochMilli()).toString());
    assertThat(counted.at("/countedIn/includedInStatementRevision").asBoolean()).isTrue();
    assertThat(counted.at("/countedIn/statementRevision").asInt()).isEqualTo(currentRevisions()
        .get(duplicated.event().getTenantId() + ":" + counted.at("/countedIn/month").asText()));
    assertThat(counted.at("/copiesNotCounted/duplicate").asLong())
        .isEqualTo(copies.get(duplicated.event().getTenantId() + "|" + duplicated.event().getEventId()) - 1L);

    SyntheticUsage.Logged late = usage.log.stream()
        .filter(l -> l.loggedAt() >= BillingMonth.closesAt(BillingMonth.monthOf(l.event().getOccurredAt().toEpochMilli()),
            Duration.ofHours(48)))
        .findFirst().orElseThrow();
    HttpResponse<String> lateReply = send("GET", "/admin/tenants/" + late.event().getTenantId() + "/usage-events/"
        + late.event().getEventId(), null);
    JsonNode tooLate = json.readTree(lateReply.body());
    assertThat(tooLate.get("counted").asBoolean()).as(lateReply.body()).isFalse();
    assertThat(tooLate.get("notCounted")).isNotEmpty().allSatisfy(n ->
        assertThat(n.get("reason").asText()).isEqualTo("too_late"));

    String other = duplicated.event().getTenantId().equals("acme") ? "globex" : "acme";
    HttpResponse<String> foreign = send("GET", "/admin/tenants/" + other + "/usage-events/"
        + duplicated.event().getEventId(), null);
    assertThat(foreign.statusCode()).as("another tenant's event is not found").isEqualTo(404);
  }

  // ---- helpers ------------------------------------------------------------------------------------------------

  /** The same book with every price (not the included quantities) doubled. */
  private static PriceBookDocument doubled(PriceBookDocument book) {
    PriceBookDocument result = book;
    for (Map.Entry<String, PriceBookDocument.Plan> e : book.plans().entrySet()) {
      PriceBookDocument.Plan p = e.getValue();
      result = result.withPlan(e.getKey(), new PriceBookDocument.Plan(2 * p.baseFeeMicros(), p.includedAnalyses(),
          2 * p.perAnalysisMicros(), 2 * p.perThousandRowsMicros(), p.includedRows(), 2 * p.cacheHitMicros(),
          2 * p.perUploadMicros(), 2 * p.perDownloadMicros()));
    }
    return result;
  }

  private long analyses(JsonNode row) throws SQLException {
    String key = row.get("tenantId").asText() + ":" + row.get("month").asText();
    return StatementLog.latest(kafka, serdes, Topics.BILLING_STATEMENTS.name()).get(key).getQuantities().getAnalyses();
  }

  private Map<String, Long> tableTotals() throws SQLException {
    Map<String, Long> totals = new TreeMap<>();
    try (Connection c = db().open(); ResultSet rs = c.createStatement().executeQuery(
        "SELECT tenant_id, month, total_micros FROM billing_statements")) {
      while (rs.next()) {
        totals.put(rs.getString(1) + ":" + rs.getString(2), rs.getLong(3));
      }
    }
    return totals;
  }

  private long priceBookRecords() {
    long[] records = {0};
    TopicReader.readAll(kafka, Topics.PRICE_BOOKS.name(), serdes.value(Topics.PRICE_BOOKS).deserializer(),
        (k, v) -> records[0]++);
    return records[0];
  }

  /** A call to the aggregator's HTTP API (the operator API relays /admin/price-books… there as it is). */
  private HttpResponse<String> send(String method, String path, String body) throws Exception {
    HttpRequest.Builder request = HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + aggregator.port() + path));
    request.method(method, body == null ? HttpRequest.BodyPublishers.noBody() : HttpRequest.BodyPublishers.ofString(body));
    if (body != null) {
      request.header("Content-Type", "application/json");
    }
    request.header("Authorization", "Bearer " + OPERATOR_TOKEN);
    return http.send(request.build(), HttpResponse.BodyHandlers.ofString());
  }

  /** Differences between the tables (current revision and its lines) and the independent calculation. */
  private List<String> mismatches(Map<String, SyntheticUsage.Expected> expected, int version) throws SQLException {
    List<String> problems = new ArrayList<>();
    Map<String, long[]> rows = new TreeMap<>();
    try (Connection c = db().open(); ResultSet rs = c.createStatement().executeQuery("""
        SELECT s.tenant_id, s.month, s.total_micros, s.price_book_version, s.status,
               (SELECT coalesce(sum(l.amount_micros), 0) FROM billing_statement_lines l WHERE l.tenant_id = s.tenant_id
                  AND l.month = s.month AND l.revision = s.revision) AS lines_total
        FROM billing_statements s""")) {
      while (rs.next()) {
        rows.put(rs.getString(1) + ":" + rs.getString(2), new long[] {rs.getLong(3), rs.getInt(4),
            rs.getString(5).equals("FINAL") ? 1 : 0, rs.getLong(6)});
      }
    }
    TreeSet<String> keys = new TreeSet<>(expected.keySet());
    keys.addAll(rows.keySet());
    for (String key : keys) {
      SyntheticUsage.Expected e = expected.get(key);
      long[] r = rows.get(key);
      if (e == null || r == null) {
        problems.add(key + ": expected " + e + ", row " + (r == null ? null : List.of(r[0], r[1])));
        continue;
      }
      long finalFlag = e.status().name().equals("FINAL") ? 1 : 0;
      if (r[0] != e.totalMicros() || r[1] != version || r[2] != finalFlag || r[3] != e.totalMicros()) {
        problems.add(key + ": expected total " + e.totalMicros() + " v" + version + " " + e.status() + ", row total "
            + r[0] + " v" + r[1] + " final=" + r[2] + " lines total " + r[3]);
      }
    }
    return problems;
  }

  /** Differences between the table's rows and the latest statement of every key on the topic (all columns). */
  private List<String> tableEqualsTopic() throws SQLException {
    Map<String, Statement> latest = StatementLog.latest(kafka, serdes, Topics.BILLING_STATEMENTS.name());
    Map<String, String> rows = new TreeMap<>();
    try (Connection c = db().open(); ResultSet rs = c.createStatement().executeQuery("""
        SELECT tenant_id, month, revision, status, plan, currency, price_book_version, total_micros,
               previous_total_micros, updated_at FROM billing_statements""")) {
      while (rs.next()) {
        long previous = rs.getLong(9);
        // wasNull speaks of the column read last: ask it before reading any other
        String previousText = rs.wasNull() ? "-" : Long.toString(previous);
        rows.put(rs.getString(1) + ":" + rs.getString(2), String.join("|", rs.getString(3), rs.getString(4),
            rs.getString(5), rs.getString(6), rs.getString(7), rs.getString(8), previousText,
            rs.getTimestamp(10).toInstant().toString()));
      }
    }
    Map<String, String> topic = new TreeMap<>();
    latest.forEach((k, s) -> topic.put(k, String.join("|", Integer.toString(s.getRevision()), s.getStatus().name(),
        s.getPlan(), s.getCurrency(), Integer.toString(s.getPriceBookVersion()), Long.toString(s.getTotalMicros()),
        s.getPreviousTotalMicros() == null ? "-" : s.getPreviousTotalMicros().toString(),
        s.getGeneratedAt().toString())));
    List<String> problems = new ArrayList<>();
    TreeSet<String> keys = new TreeSet<>(topic.keySet());
    keys.addAll(rows.keySet());
    for (String key : keys) {
      if (!String.valueOf(topic.get(key)).equals(String.valueOf(rows.get(key)))) {
        problems.add(key + ": topic " + topic.get(key) + " table " + rows.get(key));
      }
    }
    return problems;
  }

  private Map<String, Integer> currentRevisions() throws SQLException {
    Map<String, Integer> revisions = new TreeMap<>();
    try (Connection c = db().open();
         ResultSet rs = c.createStatement().executeQuery("SELECT tenant_id, month, revision FROM billing_statements")) {
      while (rs.next()) {
        revisions.put(rs.getString(1) + ":" + rs.getString(2), rs.getInt(3));
      }
    }
    return revisions;
  }

  /** Samples billing_statements until stopped, noting any row seen at a lower revision than before. */
  private final class RevisionWatcher implements Runnable {
    final AtomicBoolean stop = new AtomicBoolean();
    final Map<String, Integer> highest = new ConcurrentHashMap<>();
    final List<String> wentBack = new CopyOnWriteArrayList<>();
    final java.util.concurrent.atomic.AtomicLong samples = new java.util.concurrent.atomic.AtomicLong();

    @Override
    public void run() {
      while (!stop.get()) {
        try {
          currentRevisions().forEach((key, revision) -> {
            Integer seen = highest.merge(key, revision, Math::max);
            if (revision < seen) {
              wentBack.add(key + " at revision " + revision + " after " + seen);
            }
          });
          samples.incrementAndGet();
          Thread.sleep(50); // sampling pace, not a synchronization
        } catch (SQLException e) {
          wentBack.add("could not sample: " + e.getMessage());
          return;
        } catch (InterruptedException e) {
          return;
        }
      }
    }
  }

  private int count(String sql) throws SQLException {
    try (Connection c = db().open(); ResultSet rs = c.createStatement().executeQuery(sql)) {
      rs.next();
      return rs.getInt(1);
    }
  }

  /** The statement records the sink has committed, over all partitions (0 before its first batch). */
  private long sinkOffsets() {
    try (Connection c = db().open(); ResultSet rs = c.createStatement().executeQuery(
        "SELECT coalesce(sum(next_offset), 0) FROM billing_sink_offsets")) {
      rs.next();
      return rs.getLong(1);
    } catch (SQLException e) {
      return 0; // the sink has not created the tables yet
    }
  }

  /** Statement records on the topic: each is one revision the revisions table must hold exactly once. */
  private long statementRecords() {
    long[] records = {0};
    TopicReader.readAll(kafka, Topics.BILLING_STATEMENTS.name(), serdes.value(Topics.BILLING_STATEMENTS).deserializer(),
        (k, v) -> records[0]++);
    return records[0];
  }

  private PostgresConnection db() {
    return postgres.connection();
  }

  private Process launchSink(String name) throws Exception {
    List<String> command = List.of(
        Path.of(System.getProperty("java.home"), "bin", "java").toString(),
        "-Dorg.apache.avro.SERIALIZABLE_PACKAGES=io.storystream.schemas", "-Xmx256m", "-XX:+UseSerialGC",
        "-cp", System.getProperty("java.class.path"),
        BillingCommand.class.getName(), "sink",
        "--bootstrap-servers", kafka.bootstrapServers(),
        "--registry-url", kafka.registryUrl(),
        "--data-dir", dir.resolve("sink-data").toString(),
        "--management-port", "0");
    Files.createDirectories(dir);
    ProcessBuilder builder = new ProcessBuilder(command).redirectErrorStream(true)
        .redirectOutput(dir.resolve(name + ".log").toFile());
    builder.environment().put("STORYSTREAM_POSTGRES_URL", postgres.jdbcUrl());
    builder.environment().put("STORYSTREAM_POSTGRES_USER", postgres.user());
    builder.environment().put("STORYSTREAM_POSTGRES_PASSWORD", postgres.password());
    return builder.start();
  }

  private static void stop(Process p) throws InterruptedException {
    p.toHandle().destroy();
    if (!p.waitFor(60, TimeUnit.SECONDS)) {
      p.destroyForcibly();
    }
  }
}
