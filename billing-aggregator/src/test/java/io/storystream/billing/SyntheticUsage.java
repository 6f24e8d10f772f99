package io.storystream.billing;

import io.storystream.common.kafka.KafkaSettings;
import io.storystream.schemas.MeterQuantities;
import io.storystream.schemas.PlanLimits;
import io.storystream.schemas.StatementStatus;
import io.storystream.schemas.Tenant;
import io.storystream.schemas.TenantStatus;
import io.storystream.schemas.UsageEvent;
import io.storystream.schemas.UsageType;
import io.storystream.schemas.topics.TopicSerdes;
import io.storystream.schemas.topics.Topics;
import java.time.Duration;
import java.time.Instant;
import java.time.YearMonth;
import java.time.ZoneOffset;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.Set;
import java.util.TreeMap;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.Future;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerRecord;

/**
 * Synthetic usage of three tenants (one per plan) over the previous and the current month, with 5% duplicates (re-sent
 * up to two hours later) and some usage logged after its month's grace period, in the order it is logged.
 * {@link #expected} is the independent calculation the aggregator's statements must equal: its own dedup, lateness
 * rule and prices written out by hand from the default price book.
 */
final class SyntheticUsage {
  static final Map<String, String> PLANS = Map.of("acme", "starter", "globex", "pro", "initech", "enterprise");
  static final Map<String, Integer> QUOTAS = Map.of("acme", 100_000, "globex", 200_000, "initech", 300_000);
  private static final Duration GRACE = Duration.ofHours(48);

  /** A usage event and when it was logged (its record timestamp). */
  record Logged(UsageEvent event, long loggedAt) {}

  /** What a statement must say, written independently of the aggregator's code. */
  record Expected(MeterQuantities quantities, long totalMicros, StatementStatus status, int priceBookVersion) {}

  final List<Logged> log;
  final YearMonth previous;
  final YearMonth current;
  final Instant now;

  private SyntheticUsage(List<Logged> log, YearMonth previous, YearMonth current, Instant now) {
    this.log = log;
    this.previous = previous;
    this.current = current;
    this.now = now;
  }

  /**
   * Every case the tests assert on is there whatever {@code now} is (a month's first millisecond, the grace boundary,
   * 29 February, a year's end; {@link SyntheticUsageTest} checks a table of such instants): half the events in the
   * current month and half in the previous one, for each tenant; about 5% re-sent copies; and every 500th event
   * logged after its month closed — of the previous month when it closed more than two hours ago, else of the month
   * before, which has always closed. Nothing is logged after {@code now}, and late records are logged within
   * the last three days, well inside the dead-letter topic's retention.
   */
  static SyntheticUsage generate(long seed, int events, Instant now) {
    Random random = new Random(seed);
    long nowMs = now.toEpochMilli();
    YearMonth current = YearMonth.from(now.atOffset(ZoneOffset.UTC));
    YearMonth previous = current.minusMonths(1);
    long currentStart = BillingMonth.startOf(current);
    long previousStart = BillingMonth.startOf(previous);
    long previousCloses = BillingMonth.closesAt(previous, GRACE);
    boolean previousClosedLongAgo = nowMs - previousCloses > Duration.ofHours(2).toMillis();
    List<Logged> log = new ArrayList<>(events + events / 10);
    String[] tenants = {"acme", "acme", "acme", "acme", "acme", "globex", "globex", "globex", "initech", "initech"};
    for (int i = 0; i < events; i++) {
      String tenant = tenants[random.nextInt(tenants.length)];
      long occurredAt;
      long loggedAt;
      if (i % 500 == 7) { // usage logged after its month closed
        YearMonth late = previousClosedLongAgo && (i / 500) % 2 == 0 ? previous : previous.minusMonths(1);
        long lateStart = BillingMonth.startOf(late);
        occurredAt = lateStart + (long) (random.nextDouble() * (BillingMonth.endOf(late) - lateStart));
        long earliest = Math.max(BillingMonth.closesAt(late, GRACE) + Duration.ofHours(1).toMillis(),
            nowMs - Duration.ofDays(3).toMillis());
        long latest = nowMs - Duration.ofHours(1).toMillis();
        loggedAt = earliest + (long) (random.nextDouble() * (latest - earliest));
      } else {
        long from = i % 2 == 0 ? previousStart : currentStart;
        long to = i % 2 == 0 ? currentStart : nowMs;
        occurredAt = from + (long) (random.nextDouble() * (to - from));
        loggedAt = Math.min(occurredAt + random.nextInt(5_000), nowMs);
      }
      UsageEvent event = event(random, i, tenant, occurredAt);
      log.add(new Logged(event, loggedAt));
      if (random.nextInt(100) < 5) { // a retried delivery of the same fact
        long again = Math.min(loggedAt + random.nextInt(7_200_000), nowMs);
        log.add(new Logged(event, again));
      }
    }
    log.sort(Comparator.comparingLong(Logged::loggedAt));
    return new SyntheticUsage(List.copyOf(log), previous, current, now);
  }

  /**
   * For tests that produce usage while the aggregator runs (ticks carry the aggregator's wall clock). Once the previous
   * month has closed (from the third of a month on), a tick written between two chunks closes it before the later
   * chunks' usage of that month is read, though that usage was logged before the close: dead-lettered as too late,
   * which is right by the log's clock (no real producer logs hours in the past) but not what the independent
   * calculation expects, since it judges each record by its own logged time. So such a test runs as if it were six
   * hours before that close (a past instant, which the broker accepts), as on the first two days of every month.
   */
  static io.storystream.testsupport.TestClock beforeThePreviousMonthCloses(
      io.storystream.testsupport.TestClock clock) {
    java.time.YearMonth previous = java.time.YearMonth.from(clock.instant().atOffset(java.time.ZoneOffset.UTC))
        .minusMonths(1);
    Instant closes = Instant.ofEpochMilli(BillingMonth.closesAt(previous, BillingTopology.Settings.DEFAULT_GRACE));
    if (clock.instant().isAfter(closes.minus(Duration.ofHours(2)))) {
      clock.advance(Duration.between(clock.instant(), closes.minus(Duration.ofHours(6))));
    }
    return clock;
  }

  private static UsageEvent event(Random random, int i, String tenant, long occurredAt) {
    int dice = random.nextInt(100);
    UsageType type = dice < 60 ? UsageType.ANALYSIS_COMPLETE : dice < 65 ? UsageType.ANALYSIS_FAILED
        : dice < 80 ? UsageType.CACHE_HIT : dice < 90 ? UsageType.FILE_UPLOAD : UsageType.FILE_DOWNLOAD;
    String job = "job_" + tenant + "_" + i;
    return UsageEvent.newBuilder().setEventId(job + ":" + type).setTenantId(tenant).setType(type).setQuantity(1)
        .setRows(type == UsageType.ANALYSIS_COMPLETE ? 10 + random.nextInt(50_000) : 0)
        .setBytes(type == UsageType.FILE_UPLOAD ? 1_000 + random.nextInt(5_000_000) : 0)
        .setJobId(job).setFileId(null).setPlan(PLANS.get(tenant)).setOccurredAt(Instant.ofEpochMilli(occurredAt))
        .build();
  }

  /** How many of the log's records are copies of an event seen before. */
  long duplicates() {
    Set<String> seen = new HashSet<>();
    return log.stream().filter(l -> !seen.add(l.event().getTenantId() + ":" + l.event().getEventId())).count();
  }

  /** Records logged after their month's grace period (copies included: lateness is judged first). */
  long tooLate() {
    return log.stream().filter(l -> l.loggedAt() >= BillingMonth.closesAt(BillingMonth.monthOf(l.event().getOccurredAt().toEpochMilli()), GRACE))
        .count();
  }

  /**
   * The statements, by key, under the default prices with the given starter price per analysis (the price change
   * test lowers it) and price-book version. The log is in logged order, so each record's billing clock is its own
   * logged time.
   */
  Map<String, Expected> expected(long starterPerAnalysisMicros, int version, Instant wallClock) {
    Set<String> seen = new HashSet<>();
    Map<String, long[]> meters = new TreeMap<>();
    for (Logged l : log) {
      UsageEvent e = l.event();
      YearMonth month = BillingMonth.monthOf(e.getOccurredAt().toEpochMilli());
      if (l.loggedAt() >= BillingMonth.closesAt(month, GRACE)) {
        continue; // too late: dead-lettered, never remembered as seen
      }
      if (!seen.add(e.getTenantId() + ":" + e.getEventId())) {
        continue;
      }
      long[] m = meters.computeIfAbsent(e.getTenantId() + ":" + month, k -> new long[7]);
      switch (e.getType()) {
        case ANALYSIS_COMPLETE -> {
          m[0]++;
          m[3] += e.getRows();
        }
        case ANALYSIS_FAILED -> m[1]++;
        case CACHE_HIT -> m[2]++;
        case FILE_UPLOAD -> {
          m[4]++;
          m[5] += e.getBytes();
        }
        case FILE_DOWNLOAD -> m[6]++;
        default -> throw new IllegalStateException();
      }
    }
    Map<String, Expected> expected = new TreeMap<>();
    meters.forEach((key, m) -> {
      String tenant = key.substring(0, key.indexOf(':'));
      YearMonth month = YearMonth.parse(key.substring(key.indexOf(':') + 1));
      long total = switch (PLANS.get(tenant)) {
        case "starter" -> m[0] * starterPerAnalysisMicros + m[2] * 50_000L;
        case "pro" -> 29_000_000L + (Math.max(0, m[3] - 100_000) + 999) / 1000 * 20_000L + m[2] * 10_000L
            + m[6] * 1_000L;
        case "enterprise" -> 499_000_000L + Math.max(0, m[0] - 1000) * 300_000L;
        default -> throw new IllegalStateException();
      };
      MeterQuantities q = MeterQuantities.newBuilder().setAnalyses(m[0]).setFailedAnalyses(m[1]).setCacheHits(m[2])
          .setRowsAnalyzed(m[3]).setUploads(m[4]).setBytesUploaded(m[5]).setDownloads(m[6]).build();
      StatementStatus status = wallClock.toEpochMilli() >= BillingMonth.closesAt(month, GRACE)
          ? StatementStatus.FINAL : StatementStatus.OPEN;
      expected.put(key, new Expected(q, total, status, version));
    });
    return expected;
  }

  /** Sends the log's records from {@code from} (inclusive) to {@code to} (exclusive), in order. */
  void produce(KafkaSettings kafka, TopicSerdes serdes, int from, int to) {
    try (KafkaProducer<String, byte[]> producer = new KafkaProducer<>(kafka.producer("synthetic-usage"))) {
      Future<?> last = null;
      for (int i = from; i < to; i++) {
        Logged l = log.get(i);
        byte[] value = serdes.value(Topics.USAGE_EVENTS).serializer().serialize(Topics.USAGE_EVENTS.name(), l.event());
        last = producer.send(new ProducerRecord<>(Topics.USAGE_EVENTS.name(), null, l.loggedAt(),
            l.event().getTenantId(), value));
      }
      producer.flush();
      if (last != null) {
        last.get();
      }
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new IllegalStateException(e);
    } catch (ExecutionException e) {
      throw new IllegalStateException(e.getCause());
    }
  }

  static void produceTenants(KafkaSettings kafka, TopicSerdes serdes, Instant now) {
    try (KafkaProducer<String, byte[]> producer = new KafkaProducer<>(kafka.producer("synthetic-tenants"))) {
      for (String tenant : PLANS.keySet()) {
        Tenant t = Tenant.newBuilder().setTenantId(tenant).setName(tenant).setPlan(PLANS.get(tenant))
            .setLimits(PlanLimits.newBuilder().setAnalysesPerMonth(QUOTAS.get(tenant)).setMaxFileBytes(1L << 24)
                .setCacheEnabled(true).setRequestsPerMinute(600).setConcurrentJobs(4).setRetentionDays(30).build())
            .setStatus(TenantStatus.ACTIVE).setCreatedAt(now).setUpdatedAt(now).build();
        producer.send(new ProducerRecord<>(Topics.TENANTS.name(), tenant,
            serdes.value(Topics.TENANTS).serializer().serialize(Topics.TENANTS.name(), t)));
      }
      producer.flush();
    }
  }
}
