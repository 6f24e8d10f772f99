package io.storystream.processor.webhooks;

import com.fasterxml.jackson.databind.ObjectMapper;
import io.storystream.common.crypto.TenantContentSealing;
import io.storystream.common.http.JsonMapper;
import io.storystream.common.kafka.KafkaSettings;
import io.storystream.common.webhooks.WebhookSignature;
import io.storystream.common.webhooks.WebhookTargets;
import io.storystream.processor.ProcessorTopics;
import io.storystream.schemas.AnalysisStatus;
import io.storystream.schemas.DeliveryStatus;
import io.storystream.schemas.JobState;
import io.storystream.schemas.QuotaUsage;
import io.storystream.schemas.Statement;
import io.storystream.schemas.StatementStatus;
import io.storystream.schemas.WebhookDelivery;
import io.storystream.schemas.WebhookSubscription;
import io.storystream.schemas.registry.SchemaRegistryClient;
import io.storystream.schemas.serde.AvroDeserializer;
import io.storystream.schemas.serde.AvroSerializer;
import io.storystream.schemas.topics.TenantKeys;
import io.storystream.schemas.topics.Topics;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Collection;
import java.util.HashMap;
import java.util.HexFormat;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.PriorityQueue;
import java.util.Properties;
import java.util.Set;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.TimeUnit;
import org.apache.avro.specific.SpecificRecordBase;
import org.apache.kafka.clients.consumer.ConsumerRebalanceListener;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.clients.consumer.RangeAssignor;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.common.errors.WakeupException;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Delivers webhooks from Kafka, at least once, per the Standard Webhooks specification.
 *
 * <p>One consumer group reads topics partitioned alike by tenant — {@code webhooks} (subscriptions),
 * {@code webhook-deliveries} (each event for each endpoint and where its delivery stands) and the event sources
 * {@code analysis-status} (job endings), {@code quota-usage} (80 % and 100 % of the monthly quota) and
 * {@code billing-statements} (a statement turning FINAL) — with the range assignor, so an instance owns the same
 * tenants on all of them. On
 * assignment it reads its partitions of the two compacted topics from the beginning (their whole state) before it
 * reads further statuses. A job's ending becomes one PENDING delivery per subscribed endpoint (its id derived from
 * the job, the event and the endpoint, so a repeated ending adds nothing), written before the status offset is
 * committed. Every attempt rewrites the delivery record: a restarted or rebalanced instance resumes each pending
 * delivery where the last attempt left it, and a delivery in flight at a crash is sent again (receivers dedupe on
 * {@code webhook-id}, which stays the same).
 *
 * <p>Retries follow {@link #STANDARD_SCHEDULE} (about 27 hours in all); then the delivery is FAILED. Each tenant
 * has at most {@link Config#perTenantInFlight} attempts in flight and the due deliveries are taken round-robin
 * across tenants, so one tenant's slow or dead endpoint never delays another's. The target address is checked
 * ({@link WebhookTargets}) before every attempt, not only at registration.
 */
public final class WebhookDispatcher implements AutoCloseable {
  private static final Logger log = LoggerFactory.getLogger(WebhookDispatcher.class);
  private static final ObjectMapper JSON = JsonMapper.shared();
  public static final String GROUP = "storystream-webhooks";

  /** Standard Webhooks' schedule: at once, then after 5 s, 5 min, 30 min, 2 h, 5 h, 10 h and 10 h. */
  public static final List<Duration> STANDARD_SCHEDULE = List.of(Duration.ZERO, Duration.ofSeconds(5),
      Duration.ofMinutes(5), Duration.ofMinutes(30), Duration.ofHours(2), Duration.ofHours(5), Duration.ofHours(10),
      Duration.ofHours(10));

  /** Topics whose records become events; read from the committed offsets, after the state topics caught up. */
  static final List<String> EVENT_SOURCES = List.of(Topics.ANALYSIS_STATUS.name(), Topics.QUOTA_USAGE.name(),
      Topics.BILLING_STATEMENTS.name());

  /** Shares of the monthly quota (used + reserved) that raise {@code quota.threshold}, once each per month. */
  static final List<Integer> QUOTA_THRESHOLDS = List.of(80, 100);

  static final Map<JobState, String> EVENTS = Map.of(JobState.COMPLETED, "job.completed",
      JobState.FAILED, "job.failed", JobState.REJECTED, "job.rejected", JobState.CANCELLED, "job.cancelled");

  /**
   * @param retrySchedule the wait before each attempt (the first is usually zero); after the last, FAILED
   * @param perTenantInFlight attempts one tenant may have in flight at once
   * @param attemptTimeout how long one attempt may take
   */
  public record Config(KafkaSettings kafka, String instanceId, List<Duration> retrySchedule, int perTenantInFlight,
                       int totalInFlight, Duration attemptTimeout) {
    public static Config of(KafkaSettings kafka, String instanceId) {
      return new Config(kafka, instanceId, STANDARD_SCHEDULE, 4, 256, Duration.ofSeconds(15));
    }

    public Config withRetrySchedule(List<Duration> schedule) {
      return new Config(kafka, instanceId, schedule, perTenantInFlight, totalInFlight, attemptTimeout);
    }

    public Config withInFlight(int perTenant, int total) {
      return new Config(kafka, instanceId, retrySchedule, perTenant, total, attemptTimeout);
    }
  }

  private final Config config;
  private final WebhookTargets targets;
  private final Clock clock;
  private final AvroDeserializer<AnalysisStatus> statuses;
  private final AvroDeserializer<WebhookSubscription> subscriptions;
  private final AvroDeserializer<WebhookDelivery> deliveries;
  private final AvroDeserializer<QuotaUsage> quotas;
  private final AvroDeserializer<Statement> statements;
  private final AvroSerializer<SpecificRecordBase> serializer;
  private final HttpClient http;
  private final ConcurrentLinkedQueue<Attempted> finished = new ConcurrentLinkedQueue<>();
  private volatile boolean running;
  private volatile KafkaConsumer<String, byte[]> consumer;
  private KafkaProducer<String, byte[]> producer;
  private Thread loop;

  // loop-thread state, per owned partition
  // written by the loop thread only; concurrent so {@link #knows} may look from outside
  private final Map<String, WebhookSubscription> webhooks = new java.util.concurrent.ConcurrentHashMap<>();
  private final Map<String, WebhookDelivery> known = new HashMap<>(); // tenantId:deliveryId
  private final PriorityQueue<WebhookDelivery> due = new PriorityQueue<>(
      (a, b) -> Long.compare(a.getNextAttemptAt().toEpochMilli(), b.getNextAttemptAt().toEpochMilli()));
  private final Map<String, Integer> inFlightByTenant = new HashMap<>();
  private final Set<String> inFlight = new java.util.HashSet<>();
  private final Map<TopicPartition, Long> catchUpTo = new HashMap<>();
  private int generation;

  private record Attempted(WebhookDelivery delivery, Integer statusCode, String error, long at, int generation) {}

  public WebhookDispatcher(Config config, SchemaRegistryClient registry, WebhookTargets targets, Clock clock) {
    this.config = config;
    this.targets = targets;
    this.clock = clock;
    this.statuses = new AvroDeserializer<>(registry, AnalysisStatus.class);
    this.subscriptions = new AvroDeserializer<>(registry, WebhookSubscription.class);
    this.deliveries = new AvroDeserializer<>(registry, WebhookDelivery.class);
    this.quotas = new AvroDeserializer<>(registry, QuotaUsage.class);
    this.statements = new AvroDeserializer<>(registry, Statement.class);
    this.serializer = new AvroSerializer<>(registry, false);
    this.http = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(5))
        .followRedirects(HttpClient.Redirect.NEVER).build();
  }

  private io.storystream.processor.ProcessorMetrics metrics = io.storystream.processor.ProcessorMetrics.none();
  private final List<io.storystream.common.ops.KafkaMeters.Binding> clientMeters = new ArrayList<>();

  /** Where delivery counts and client metrics go (the process's management registry); call before {@link #start()}. */
  public WebhookDispatcher withMetrics(io.storystream.processor.ProcessorMetrics processMetrics) {
    this.metrics = processMetrics;
    return this;
  }

  public synchronized WebhookDispatcher start() {
    try (var admin = org.apache.kafka.clients.admin.Admin.create(config.kafka().admin())) {
      ProcessorTopics.catalogue(config.kafka().tenantPartitions(), config.kafka().replicationFactor()).ensure(admin);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new IllegalStateException(e);
    }
    Properties props = config.kafka().consumer(GROUP);
    props.put("client.id", "storystream-webhooks-" + config.instanceId());
    props.put("group.protocol", "classic");
    // static membership, as the worker's: a restart after kill -9 takes its partitions back at once
    props.put("group.instance.id", "storystream-webhooks-" + config.instanceId());
    props.put("session.timeout.ms", (int) io.storystream.common.kafka.StaticMembership.SESSION_TIMEOUT.toMillis());
    // the same tenants on all three topics: range assignment over topics with equal partition counts
    props.put("partition.assignment.strategy", RangeAssignor.class.getName());
    props.put("max.poll.records", 500);
    consumer = new KafkaConsumer<>(props);
    producer = new KafkaProducer<>(config.kafka().producer("storystream-webhooks-" + config.instanceId()));
    clientMeters.add(io.storystream.common.ops.KafkaMeters.bind(metrics.registry(), consumer));
    clientMeters.add(io.storystream.common.ops.KafkaMeters.bind(metrics.registry(), producer));
    running = true;
    List<String> topics = new ArrayList<>(List.of(Topics.WEBHOOKS.name(), Topics.WEBHOOK_DELIVERIES.name()));
    topics.addAll(EVENT_SOURCES);
    consumer.subscribe(topics, new Rebalance());
    loop = new Thread(this::run, "webhooks-" + config.instanceId());
    loop.start();
    log.info("webhook dispatcher {} started", config.instanceId());
    return this;
  }

  private void run() {
    try {
      while (running) {
        var records = consumer.poll(Duration.ofMillis(50)); // short: finished attempts are recorded each turn
        boolean statusesRead = false;
        for (ConsumerRecord<String, byte[]> record : records) {
          statusesRead |= accept(record);
        }
        resumeCaughtUp();
        if (statusesRead) {
          producer.flush(); // the deliveries are durable before the statuses that caused them are committed
          consumer.commitSync();
        }
        takeFinished();
        startDue();
      }
    } catch (WakeupException closing) {
      // close() was called
    } catch (RuntimeException e) {
      log.error("webhook dispatcher {} stopped: {}", config.instanceId(), e.toString());
    } finally {
      try {
        // a static member leaves the group when it stops cleanly, so its tenants' deliveries move at once
        consumer.close(org.apache.kafka.clients.consumer.CloseOptions.groupMembershipOperation(
            org.apache.kafka.clients.consumer.CloseOptions.GroupMembershipOperation.LEAVE_GROUP)
            .withTimeout(Duration.ofSeconds(5)));
      } catch (RuntimeException ignored) {
        // closing anyway
      }
    }
  }

  /** Applies one record; true when it was a status (whose offset is committed after the turn). */
  private boolean accept(ConsumerRecord<String, byte[]> record) {
    String topic = record.topic();
    try {
      if (topic.equals(Topics.WEBHOOKS.name())) {
        if (record.value() == null) {
          webhooks.remove(record.key());
        } else {
          WebhookSubscription sub = subscriptions.deserialize(topic, record.value());
          if (TenantContentSealing.ERASED.equals(sub.getUrl())) {
            webhooks.remove(record.key()); // its tenant's key is destroyed: the endpoint is gone with it
          } else if (TenantKeys.of(sub.getTenantId(), sub.getWebhookId()).equals(record.key())) {
            webhooks.put(record.key(), sub);
          }
        }
        return false;
      }
      if (topic.equals(Topics.WEBHOOK_DELIVERIES.name())) {
        if (record.value() == null) {
          known.remove(record.key());
          return false;
        }
        WebhookDelivery delivery = deliveries.deserialize(topic, record.value());
        WebhookDelivery held = known.get(record.key());
        boolean stale = held != null && (delivery.getAttempts() < held.getAttempts()
            || (delivery.getAttempts() == held.getAttempts() && delivery.getStatus() == DeliveryStatus.PENDING
                && held.getStatus() != DeliveryStatus.PENDING));
        if (!stale && !inFlight.contains(record.key())) {
          remember(delivery); // our own writes come back too; an older one never undoes a newer state
        }
        return false;
      }
      if (record.value() == null) {
        return true;
      }
      Instant now = clock.instant();
      if (topic.equals(Topics.ANALYSIS_STATUS.name())) {
        AnalysisStatus status = statuses.deserialize(topic, record.value());
        String event = EVENTS.get(status.getState());
        if (event != null && record.key().equals(TenantKeys.of(status.getTenantId(), status.getJobId()))) {
          announce(status.getTenantId(), event, status.getJobId(), jobPayload(event, status, now));
        }
      } else if (topic.equals(Topics.QUOTA_USAGE.name())) {
        QuotaUsage quota = quotas.deserialize(topic, record.value());
        if (record.key().equals(TenantKeys.of(quota.getTenantId(), quota.getMonth())) && quota.getAnalysesPerMonth() > 0) {
          long counted = quota.getUsed() + quota.getReserved();
          for (int threshold : QUOTA_THRESHOLDS) {
            if (counted * 100 >= (long) threshold * quota.getAnalysesPerMonth()) {
              announce(quota.getTenantId(), "quota.threshold", quota.getMonth() + "@" + threshold,
                  quotaPayload(quota, threshold, now));
            }
          }
        }
      } else if (topic.equals(Topics.BILLING_STATEMENTS.name())) {
        Statement statement = statements.deserialize(topic, record.value());
        if (statement.getStatus() == StatementStatus.FINAL
            && record.key().equals(TenantKeys.of(statement.getTenantId(), statement.getMonth()))) {
          announce(statement.getTenantId(), "statement.finalized",
              statement.getMonth() + "#" + statement.getRevision(), statementPayload(statement, now));
        }
      }
      return true;
    } catch (RuntimeException unreadable) {
      log.warn("{}-{}@{} unreadable, skipped: {}", topic, record.partition(), record.offset(),
          unreadable.getClass().getSimpleName());
      return EVENT_SOURCES.contains(topic);
    }
  }

  private void remember(WebhookDelivery delivery) {
    String key = TenantKeys.of(delivery.getTenantId(), delivery.getDeliveryId());
    WebhookDelivery before = known.put(key, delivery);
    if (before != null) {
      due.remove(before);
    }
    if (delivery.getStatus() == DeliveryStatus.PENDING && delivery.getNextAttemptAt() != null) {
      due.add(delivery);
    }
  }

  /**
   * One PENDING delivery per endpoint of the tenant that wants the event; {@code subject} names what the event is
   * about (a job, a quota month and threshold, a statement revision), so the same event twice adds nothing.
   */
  private void announce(String tenantId, String event, String subject, String payload) {
    for (WebhookSubscription sub : webhooks.values()) {
      if (!sub.getTenantId().equals(tenantId) || !sub.getEvents().contains(event)) {
        continue;
      }
      String deliveryId = deliveryId(sub.getWebhookId(), subject, event);
      String key = TenantKeys.of(tenantId, deliveryId);
      if (known.containsKey(key)) {
        continue; // the same ending again (a redone job, a replay): announced already
      }
      Instant now = clock.instant();
      WebhookDelivery delivery = WebhookDelivery.newBuilder()
          .setDeliveryId(deliveryId).setTenantId(tenantId).setWebhookId(sub.getWebhookId()).setEventType(event)
          .setPayload(payload).setStatus(DeliveryStatus.PENDING).setAttempts(0)
          .setCreatedAt(now).setNextAttemptAt(now.plus(config.retrySchedule().get(0))).build();
      write(delivery);
      remember(delivery);
    }
  }

  static String quotaPayload(QuotaUsage q, int threshold, Instant at) {
    Map<String, Object> data = new LinkedHashMap<>();
    data.put("month", q.getMonth());
    data.put("threshold", threshold);
    data.put("analysesPerMonth", q.getAnalysesPerMonth());
    data.put("analysesUsed", q.getUsed());
    data.put("analysesReserved", q.getReserved());
    data.put("analysesRemaining", Math.max(0, q.getAnalysesPerMonth() - q.getUsed() - q.getReserved()));
    return envelope("quota.threshold", at, data);
  }

  static String statementPayload(Statement st, Instant at) {
    Map<String, Object> data = new LinkedHashMap<>();
    data.put("month", st.getMonth());
    data.put("revision", st.getRevision());
    data.put("status", st.getStatus().name().toLowerCase(Locale.ROOT));
    data.put("currency", st.getCurrency());
    data.put("totalMicros", st.getTotalMicros());
    data.put("links", Map.of("self", "/v1/statements/" + st.getMonth()));
    return envelope("statement.finalized", at, data);
  }

  private static String envelope(String event, Instant at, Map<String, Object> data) {
    Map<String, Object> body = new LinkedHashMap<>();
    body.put("type", event);
    body.put("timestamp", at.toString());
    body.put("data", data);
    try {
      return JSON.writeValueAsString(body);
    } catch (com.fasterxml.jackson.core.JsonProcessingException e) {
      throw new IllegalStateException(e);
    }
  }

  static String deliveryId(String webhookId, String jobId, String event) {
    try {
      byte[] digest = MessageDigest.getInstance("SHA-256")
          .digest((webhookId + "|" + jobId + "|" + event).getBytes(StandardCharsets.UTF_8));
      return "msg_" + HexFormat.of().formatHex(digest, 0, 16);
    } catch (java.security.NoSuchAlgorithmException e) {
      throw new IllegalStateException(e);
    }
  }

  /** {@code {"type","timestamp","data":{…the job view…}}}: the job as GET /v1/analyses/{jobId} shows it. */
  static String jobPayload(String event, AnalysisStatus s, Instant at) {
    Map<String, Object> data = new LinkedHashMap<>();
    data.put("jobId", s.getJobId());
    data.put("fileId", s.getFileId());
    data.put("state", s.getState().name().toLowerCase(Locale.ROOT));
    if (s.getReason() != null) {
      data.put("reason", s.getReason());
    }
    if (s.getMessage() != null) {
      data.put("message", s.getMessage());
    }
    if (s.getRetryable() != null) {
      data.put("retryable", s.getRetryable());
    }
    data.put("fromCache", s.getFromCache());
    data.put("submittedAt", s.getSubmittedAt().toString());
    data.put("updatedAt", s.getUpdatedAt().toString());
    if (s.getStartedAt() != null) {
      data.put("startedAt", s.getStartedAt().toString());
    }
    if (s.getCompletedAt() != null) {
      data.put("completedAt", s.getCompletedAt().toString());
    }
    Map<String, String> links = new LinkedHashMap<>();
    links.put("self", "/v1/analyses/" + s.getJobId());
    if (s.getState() == JobState.COMPLETED) {
      links.put("result", "/v1/analyses/" + s.getJobId() + "/result");
      links.put("dataset", "/v1/analyses/" + s.getJobId() + "/dataset");
    }
    data.put("links", links);
    return envelope(event, at, data);
  }

  /** Starts due attempts: round-robin over tenants, each held to its own share of attempts in flight. */
  private void startDue() {
    long now = clock.millis();
    Map<String, java.util.ArrayDeque<WebhookDelivery>> byTenant = new LinkedHashMap<>();
    while (!due.isEmpty() && due.peek().getNextAttemptAt().toEpochMilli() <= now) {
      WebhookDelivery next = due.poll();
      byTenant.computeIfAbsent(next.getTenantId(), t -> new java.util.ArrayDeque<>()).add(next);
    }
    boolean started = true;
    while (started && inFlight.size() < config.totalInFlight()) {
      started = false;
      for (var entry : byTenant.entrySet()) {
        if (!entry.getValue().isEmpty() && inFlight.size() < config.totalInFlight()
            && inFlightByTenant.getOrDefault(entry.getKey(), 0) < config.perTenantInFlight()) {
          attempt(entry.getValue().poll());
          started = true;
        }
      }
    }
    byTenant.values().forEach(due::addAll); // waiting for their tenant's share, or for room
  }

  private void attempt(WebhookDelivery delivery) {
    String key = TenantKeys.of(delivery.getTenantId(), delivery.getDeliveryId());
    WebhookSubscription sub = webhooks.get(TenantKeys.of(delivery.getTenantId(), delivery.getWebhookId()));
    long now = clock.millis();
    int gen = generation;
    if (sub == null) {
      finished.add(new Attempted(delivery, null, "webhook_deleted", now, gen));
      inFlight.add(key);
      inFlightByTenant.merge(delivery.getTenantId(), 1, Integer::sum);
      return;
    }
    URI target;
    try {
      target = targets.check(sub.getUrl()); // again now: the name may point elsewhere than at registration
    } catch (WebhookTargets.Refused refused) {
      finished.add(new Attempted(delivery, null, refused.reason(), now, gen));
      inFlight.add(key);
      inFlightByTenant.merge(delivery.getTenantId(), 1, Integer::sum);
      return;
    }
    long timestamp = TimeUnit.MILLISECONDS.toSeconds(now);
    HttpRequest request = HttpRequest.newBuilder(target).timeout(config.attemptTimeout())
        .header("Content-Type", "application/json")
        .header("User-Agent", "storystream-webhooks")
        .header("webhook-id", delivery.getDeliveryId())
        .header("webhook-timestamp", Long.toString(timestamp))
        .header("webhook-signature", WebhookSignature.sign(sub.getSecret(), delivery.getDeliveryId(), timestamp,
            delivery.getPayload()))
        .POST(HttpRequest.BodyPublishers.ofString(delivery.getPayload(), StandardCharsets.UTF_8)).build();
    inFlight.add(key);
    inFlightByTenant.merge(delivery.getTenantId(), 1, Integer::sum);
    http.sendAsync(request, HttpResponse.BodyHandlers.discarding()).whenComplete((response, error) -> {
      long at = clock.millis();
      if (error != null) {
        Throwable cause = error.getCause() != null ? error.getCause() : error;
        finished.add(new Attempted(delivery, null, cause.getClass().getSimpleName(), at, gen));
      } else {
        finished.add(new Attempted(delivery, response.statusCode(),
            response.statusCode() / 100 == 2 ? null : "HTTP " + response.statusCode(), at, gen));
      }
    });
  }

  /** Records each finished attempt: delivered, rescheduled, or failed for good after the schedule ran out. */
  private void takeFinished() {
    Attempted done;
    while ((done = finished.poll()) != null) {
      if (done.generation() != generation) {
        continue; // its partition was taken away meanwhile; the new owner sends it again
      }
      WebhookDelivery d = done.delivery();
      String key = TenantKeys.of(d.getTenantId(), d.getDeliveryId());
      inFlight.remove(key);
      inFlightByTenant.computeIfPresent(d.getTenantId(), (t, n) -> n <= 1 ? null : n - 1);
      int attempts = d.getAttempts() + 1;
      WebhookDelivery.Builder next = WebhookDelivery.newBuilder(d).setAttempts(attempts)
          .setLastAttemptAt(Instant.ofEpochMilli(done.at())).setLastStatusCode(done.statusCode())
          .setLastError(done.error());
      if (done.error() == null) {
        next.setStatus(DeliveryStatus.DELIVERED).setNextAttemptAt(null);
        metrics.webhookDelivery("delivered");
      } else if (attempts >= config.retrySchedule().size() || "webhook_deleted".equals(done.error())) {
        next.setStatus(DeliveryStatus.FAILED).setNextAttemptAt(null);
        metrics.webhookDelivery("failed");
        try (io.storystream.common.logging.LogContext ids = io.storystream.common.logging.LogContext.of(
            io.storystream.common.logging.LogContext.TENANT_ID, d.getTenantId(),
            io.storystream.common.logging.LogContext.DELIVERY_ID, d.getDeliveryId())) {
          log.info("webhook delivery {} of tenant {} failed for good after {} attempts: {}", d.getDeliveryId(),
            d.getTenantId(), attempts, done.error());
        }
      } else {
        metrics.webhookDelivery("retrying");
        next.setNextAttemptAt(Instant.ofEpochMilli(done.at()).plus(config.retrySchedule().get(attempts)));
      }
      WebhookDelivery updated = next.build();
      write(updated);
      remember(updated);
    }
  }

  private void write(WebhookDelivery delivery) {
    String key = TenantKeys.of(delivery.getTenantId(), delivery.getDeliveryId());
    producer.send(new ProducerRecord<>(Topics.WEBHOOK_DELIVERIES.name(), key,
        serializer.serialize(Topics.WEBHOOK_DELIVERIES.name(), delivery)));
  }

  /** Statuses of a newly owned partition wait until its subscriptions and deliveries are read to their end. */
  private void resumeCaughtUp() {
    if (consumer.paused().isEmpty()) {
      return;
    }
    catchUpTo.entrySet().removeIf(e -> consumer.position(e.getKey()) >= e.getValue());
    Set<Integer> pending = new java.util.HashSet<>();
    catchUpTo.keySet().forEach(tp -> pending.add(tp.partition()));
    List<TopicPartition> ready = consumer.paused().stream()
        .filter(tp -> EVENT_SOURCES.contains(tp.topic()) && !pending.contains(tp.partition()))
        .toList();
    if (!ready.isEmpty()) {
      consumer.resume(ready);
    }
  }

  private final class Rebalance implements ConsumerRebalanceListener {
    @Override
    public void onPartitionsRevoked(Collection<TopicPartition> partitions) {
      forget(partitions);
    }

    @Override
    public void onPartitionsLost(Collection<TopicPartition> partitions) {
      forget(partitions);
    }

    @Override
    public void onPartitionsAssigned(Collection<TopicPartition> partitions) {
      List<TopicPartition> state = partitions.stream().filter(tp -> !EVENT_SOURCES.contains(tp.topic())).toList();
      if (state.isEmpty()) {
        return;
      }
      consumer.seekToBeginning(state); // the whole state of these tenants, whatever was committed
      consumer.endOffsets(state).forEach((tp, end) -> {
        if (end > 0) {
          catchUpTo.put(tp, end);
        }
      });
      List<TopicPartition> statusPartitions = partitions.stream()
          .filter(tp -> EVENT_SOURCES.contains(tp.topic())).toList();
      consumer.pause(statusPartitions);
    }

    private void forget(Collection<TopicPartition> partitions) {
      if (partitions.isEmpty()) {
        return;
      }
      generation++;
      Set<Integer> gone = new java.util.HashSet<>();
      partitions.forEach(tp -> gone.add(tp.partition()));
      int n = config.kafka().tenantPartitions();
      java.util.function.Predicate<String> goneTenant = tenantId ->
          gone.contains(io.storystream.schemas.topics.TenantPartitioner.partition(tenantId, n));
      webhooks.values().removeIf(sub -> goneTenant.test(sub.getTenantId()));
      known.values().removeIf(d -> goneTenant.test(d.getTenantId()));
      due.removeIf(d -> goneTenant.test(d.getTenantId()));
      inFlight.removeIf(key -> goneTenant.test(TenantKeys.tenantOf(key)));
      inFlightByTenant.keySet().removeIf(goneTenant);
      catchUpTo.keySet().removeIf(partitions::contains);
    }
  }

  /** Whether this instance holds the subscription (it owns the tenant and has read it). */
  public boolean knows(String tenantId, String webhookId) {
    return webhooks.containsKey(TenantKeys.of(tenantId, webhookId));
  }

  @Override
  public synchronized void close() {
    if (!running) {
      return;
    }
    running = false;
    KafkaConsumer<String, byte[]> current = consumer;
    if (current != null) {
      try {
        current.wakeup();
      } catch (RuntimeException ignored) {
        // closing anyway
      }
    }
    try {
      loop.join(10_000);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
    }
    clientMeters.forEach(io.storystream.common.ops.KafkaMeters.Binding::close);
    clientMeters.clear();
    producer.close(Duration.ofSeconds(5));
    log.info("webhook dispatcher {} stopped", config.instanceId());
  }
}
