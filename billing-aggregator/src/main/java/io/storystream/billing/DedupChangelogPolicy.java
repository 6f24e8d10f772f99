package io.storystream.billing;

import java.util.List;
import java.util.Map;
import java.util.concurrent.ExecutionException;
import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.admin.AlterConfigOp;
import org.apache.kafka.clients.admin.ConfigEntry;
import org.apache.kafka.common.config.ConfigResource;
import org.apache.kafka.common.config.TopicConfig;
import org.apache.kafka.common.errors.AuthorizationException;
import org.apache.kafka.common.errors.UnknownTopicOrPartitionException;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Brings the dedup changelog of a deployment created before it was declared {@code cleanup.policy=delete} to that
 * policy. Kafka Streams creates a changelog with its store's configuration but never alters one it finds, so an
 * older deployment would keep {@code compact,delete}, and the broker's log cleaner would keep re-reading a topic in
 * which every key is written once (a sixth of the machine during a 10M-event replay). Retention is left as it is.
 */
final class DedupChangelogPolicy {
  private static final Logger log = LoggerFactory.getLogger(DedupChangelogPolicy.class);

  private DedupChangelogPolicy() {}

  static String topic(String applicationId) {
    return applicationId + "-" + BillingTopology.SEEN_EVENT_IDS + "-changelog";
  }

  /** True when the topic existed with compaction and now has {@code delete} only. */
  static boolean apply(Admin admin, String applicationId) throws InterruptedException {
    String topic = topic(applicationId);
    ConfigResource resource = new ConfigResource(ConfigResource.Type.TOPIC, topic);
    try {
      ConfigEntry policy = admin.describeConfigs(List.of(resource)).all().get().get(resource)
          .get(TopicConfig.CLEANUP_POLICY_CONFIG);
      if (policy == null || !policy.value().contains(TopicConfig.CLEANUP_POLICY_COMPACT)) {
        return false;
      }
      admin.incrementalAlterConfigs(Map.of(resource, List.of(new AlterConfigOp(
          new ConfigEntry(TopicConfig.CLEANUP_POLICY_CONFIG, TopicConfig.CLEANUP_POLICY_DELETE),
          AlterConfigOp.OpType.SET)))).all().get();
      log.info("{}: cleanup.policy {} -> delete (every key is written once; compaction never removed a record)",
          topic, policy.value());
      return true;
    } catch (ExecutionException e) {
      if (e.getCause() instanceof UnknownTopicOrPartitionException) {
        return false; // a first start: Kafka Streams creates it with the declared policy
      }
      if (e.getCause() instanceof AuthorizationException) {
        log.warn("{}: may not read or alter its configuration ({}); set cleanup.policy=delete with kafka-configs",
            topic, e.getCause().getClass().getSimpleName());
        return false;
      }
      throw new IllegalStateException("could not check the configuration of " + topic, e.getCause());
    }
  }
}
