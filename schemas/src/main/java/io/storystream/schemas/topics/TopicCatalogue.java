package io.storystream.schemas.topics;

import java.util.ArrayList;
import java.util.Collection;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.ExecutionException;
import java.util.stream.Collectors;
import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.admin.Config;
import org.apache.kafka.clients.admin.ConfigEntry;
import org.apache.kafka.clients.admin.NewTopic;
import org.apache.kafka.clients.admin.OffsetSpec;
import org.apache.kafka.clients.admin.TopicDescription;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.common.config.ConfigResource;
import org.apache.kafka.common.config.TopicConfig;
import org.apache.kafka.common.errors.TopicExistsException;
import org.apache.kafka.common.errors.UnknownTopicOrPartitionException;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Creates the catalogue's missing topics and reports the ones whose partition count or configuration differs from
 * the catalogue. Safe to run at every start of every service, concurrently: a topic another instance created a
 * moment ago counts as existing. It never alters an existing topic; a drift is reported for an operator to decide.
 */
public final class TopicCatalogue {
  private static final Logger log = LoggerFactory.getLogger(TopicCatalogue.class);

  private final Collection<Topic<?>> topics;
  private final int tenantPartitions;
  private final short replicationFactor;

  public TopicCatalogue(Collection<Topic<?>> topics, int tenantPartitions, short replicationFactor) {
    this.topics = topics;
    this.tenantPartitions = tenantPartitions;
    this.replicationFactor = replicationFactor;
  }

  public static TopicCatalogue standard(int tenantPartitions, short replicationFactor) {
    return new TopicCatalogue(Topics.all(), tenantPartitions, replicationFactor);
  }

  /** What {@link #ensure} found and did. */
  public record Report(List<String> created, List<String> existing, List<Drift> drifts) {
    public boolean consistent() {
      return drifts.isEmpty();
    }
  }

  /** One difference between a live topic and the catalogue. */
  public record Drift(String topic, String setting, String expected, String actual) {
    @Override
    public String toString() {
      return topic + ": " + setting + " is " + actual + ", the catalogue says " + expected;
    }
  }

  public Report ensure(Admin admin) throws InterruptedException {
    try {
      Set<String> live = admin.listTopics().names().get();
      List<NewTopic> missing = topics.stream().filter(t -> !live.contains(t.name())).map(this::newTopic).toList();
      List<String> created = new ArrayList<>();
      if (!missing.isEmpty()) {
        var results = admin.createTopics(missing).values();
        for (var entry : results.entrySet()) {
          try {
            entry.getValue().get();
            created.add(entry.getKey());
          } catch (ExecutionException e) {
            if (!(e.getCause() instanceof TopicExistsException)) {
              throw e;
            }
          }
        }
      }
      awaitLeaders(admin, created);
      List<String> existing = topics.stream().map(Topic::name).filter(n -> !created.contains(n)).toList();
      List<Drift> drifts = drifts(admin, existing);
      drifts.forEach(d -> log.warn("topic drift: {}", d));
      if (!created.isEmpty()) {
        log.info("created topics {}", created);
      }
      return new Report(created, existing, drifts);
    } catch (ExecutionException e) {
      throw new IllegalStateException("could not provision topics: " + e.getCause().getMessage(), e.getCause());
    }
  }

  private static final int METADATA_ATTEMPTS = 300;
  private static final java.time.Duration METADATA_RETRY = java.time.Duration.ofMillis(100);

  /**
   * Returns once every partition of the new topics answers a ListOffsets on its leader. CreateTopics returns when the
   * controller has the topic, but a leader can still answer NOT_LEADER_OR_FOLLOWER for a moment; an idempotent
   * producer whose first batch meets that window was seen retrying it forever with OUT_OF_ORDER_SEQUENCE_NUMBER
   * (Kafka 4.3.1, in-process broker), so nothing may produce before the leaders are really serving.
   */
  private void awaitLeaders(Admin admin, List<String> created) throws InterruptedException, ExecutionException {
    if (created.isEmpty()) {
      return;
    }
    Map<TopicPartition, OffsetSpec> partitions = new HashMap<>();
    for (Topic<?> topic : topics) {
      if (created.contains(topic.name())) {
        for (int p = 0; p < topic.partitions(tenantPartitions); p++) {
          partitions.put(new TopicPartition(topic.name(), p), OffsetSpec.latest());
        }
      }
    }
    // The admin client retries a not-yet-leader itself, but not a broker whose metadata has not caught up with the
    // controller yet (UNKNOWN_TOPIC_OR_PARTITION right after CreateTopics, seen on a loaded machine): ask again.
    for (int attempt = 1; ; attempt++) {
      try {
        admin.listOffsets(partitions).all().get();
        return;
      } catch (ExecutionException e) {
        if (!(e.getCause() instanceof UnknownTopicOrPartitionException) || attempt == METADATA_ATTEMPTS) {
          throw e;
        }
        Thread.sleep(METADATA_RETRY.toMillis());
      }
    }
  }

  private NewTopic newTopic(Topic<?> topic) {
    Map<String, String> configs = new HashMap<>(topic.configs());
    if (replicationFactor >= 3) {
      configs.put(TopicConfig.MIN_IN_SYNC_REPLICAS_CONFIG, "2");
    }
    return new NewTopic(topic.name(), topic.partitions(tenantPartitions), replicationFactor).configs(configs);
  }

  private List<Drift> drifts(Admin admin, List<String> names) throws InterruptedException, ExecutionException {
    if (names.isEmpty()) {
      return List.of();
    }
    Map<String, TopicDescription> descriptions = admin.describeTopics(names).allTopicNames().get();
    List<ConfigResource> resources = names.stream()
        .map(n -> new ConfigResource(ConfigResource.Type.TOPIC, n)).toList();
    Map<ConfigResource, Config> configs = admin.describeConfigs(resources).all().get();
    Map<String, Topic<?>> byName = topics.stream().collect(Collectors.toMap(Topic::name, t -> t));
    List<Drift> drifts = new ArrayList<>();
    for (String name : names) {
      Topic<?> topic = byName.get(name);
      int expectedPartitions = topic.partitions(tenantPartitions);
      int actualPartitions = descriptions.get(name).partitions().size();
      if (expectedPartitions != actualPartitions) {
        drifts.add(new Drift(name, "partitions", Integer.toString(expectedPartitions), Integer.toString(actualPartitions)));
      }
      Config live = configs.get(new ConfigResource(ConfigResource.Type.TOPIC, name));
      topic.configs().forEach((key, expected) -> {
        ConfigEntry entry = live.get(key);
        String actual = entry == null ? null : entry.value();
        if (!expected.equals(actual)) {
          drifts.add(new Drift(name, key, expected, actual));
        }
      });
    }
    return drifts;
  }
}
