package io.storystream.launcher;

import io.storystream.billing.BillingConfig;
import io.storystream.ingress.jobs.JobStatusView;
import io.storystream.processor.ProcessorTopics;
import io.storystream.processor.admission.AdmissionTopology;
import io.storystream.processor.worker.WorkerConfig;
import io.storystream.schemas.topics.Topic;
import io.storystream.schemas.topics.Topics;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.apache.kafka.common.acl.AccessControlEntry;
import org.apache.kafka.common.acl.AclBinding;
import org.apache.kafka.common.acl.AclOperation;
import org.apache.kafka.common.acl.AclPermissionType;
import org.apache.kafka.common.resource.PatternType;
import org.apache.kafka.common.resource.ResourcePattern;
import org.apache.kafka.common.resource.ResourceType;

/**
 * The ACLs of each service principal on a cluster that authorizes ({@code StandardAuthorizer}, no access without an
 * ACL). A service may read, write and describe the catalogue's topics, and owns everything named after its own
 * Kafka Streams application id, consumer group or transactional ids (internal topics, groups, transactions) — and
 * nothing of another service's. It cannot create or delete catalogue topics (the topics job does) or change ACLs.
 * The schema registry principal owns {@code _schemas} and its group only. The billing sink's principal may only
 * read {@code billing-statements}: it assigns the partitions itself and keeps its offsets in PostgreSQL, in the
 * transaction that writes the rows, so it has no consumer group, no transaction and nothing to write.
 */
public final class ServiceAcls {
  /** The roles a principal can be given with {@code storystream topics --acls role=User:name,…}. */
  public static final List<String> ROLES = List.of("ingress", "processor", "billing", "billing-sink",
      "schema-registry");

  private ServiceAcls() {}

  /** Parses {@code ingress=User:ingress,processor=User:processor,…}. */
  public static Map<String, String> parse(String spec) {
    Map<String, String> principals = new LinkedHashMap<>();
    for (String part : spec.split(",")) {
      String p = part.trim();
      if (p.isEmpty()) {
        continue;
      }
      int eq = p.indexOf('=');
      if (eq <= 0 || !ROLES.contains(p.substring(0, eq)) || !p.substring(eq + 1).startsWith("User:")) {
        throw new IllegalArgumentException("--acls takes role=User:name pairs with roles " + ROLES + "; got " + p);
      }
      principals.put(p.substring(0, eq), p.substring(eq + 1));
    }
    return principals;
  }

  public static List<AclBinding> bindings(String role, String principal) {
    List<AclBinding> acls = new ArrayList<>();
    if (role.equals("schema-registry")) {
      literalTopic(acls, principal, "_schemas", AclOperation.ALL);
      allow(acls, principal, ResourceType.GROUP, "schema-registry", PatternType.PREFIXED, AclOperation.ALL);
      allow(acls, principal, ResourceType.CLUSTER, "kafka-cluster", PatternType.LITERAL, AclOperation.DESCRIBE_CONFIGS);
      return acls;
    }
    if (role.equals("billing-sink")) {
      literalTopic(acls, principal, Topics.BILLING_STATEMENTS.name(), AclOperation.READ);
      literalTopic(acls, principal, Topics.BILLING_STATEMENTS.name(), AclOperation.DESCRIBE);
      return acls;
    }
    for (Topic<?> topic : ProcessorTopics.all()) {
      for (AclOperation op : List.of(AclOperation.READ, AclOperation.WRITE, AclOperation.DESCRIBE,
          AclOperation.DESCRIBE_CONFIGS)) {
        literalTopic(acls, principal, topic.name(), op);
      }
    }
    allow(acls, principal, ResourceType.CLUSTER, "kafka-cluster", PatternType.LITERAL, AclOperation.IDEMPOTENT_WRITE);
    for (String own : ownNames(role)) {
      // a Streams application's internal topics, its group and its transactional ids all start with its id
      allow(acls, principal, ResourceType.TOPIC, own, PatternType.PREFIXED, AclOperation.ALL);
      allow(acls, principal, ResourceType.GROUP, own, PatternType.PREFIXED, AclOperation.ALL);
      allow(acls, principal, ResourceType.TRANSACTIONAL_ID, own, PatternType.PREFIXED, AclOperation.ALL);
    }
    return acls;
  }

  private static List<String> ownNames(String role) {
    return switch (role) {
      case "ingress" -> List.of(JobStatusView.APPLICATION_ID);
      case "processor" -> List.of(AdmissionTopology.APPLICATION_ID, WorkerConfig.DEFAULT_GROUP);
      case "billing" -> List.of(BillingConfig.DEFAULT_APPLICATION_ID);
      default -> throw new IllegalArgumentException("unknown role " + role);
    };
  }

  private static void literalTopic(List<AclBinding> acls, String principal, String topic, AclOperation op) {
    allow(acls, principal, ResourceType.TOPIC, topic, PatternType.LITERAL, op);
  }

  private static void allow(List<AclBinding> acls, String principal, ResourceType type, String name,
                            PatternType pattern, AclOperation op) {
    acls.add(new AclBinding(new ResourcePattern(type, name, pattern),
        new AccessControlEntry(principal, "*", op, AclPermissionType.ALLOW)));
  }
}
