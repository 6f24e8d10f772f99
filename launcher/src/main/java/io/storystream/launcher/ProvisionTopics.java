package io.storystream.launcher;

import io.storystream.common.kafka.ClientProperties;
import io.storystream.common.kafka.KafkaPreflight;
import io.storystream.common.kafka.KafkaSettings;
import io.storystream.processor.ProcessorTopics;
import io.storystream.schemas.topics.TopicCatalogue;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.concurrent.Callable;
import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.admin.ScramCredentialInfo;
import org.apache.kafka.clients.admin.ScramMechanism;
import org.apache.kafka.clients.admin.UserScramCredentialAlteration;
import org.apache.kafka.clients.admin.UserScramCredentialUpsertion;
import org.apache.kafka.common.acl.AclBinding;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

/**
 * {@code storystream topics}: creates the catalogue's missing topics on a real cluster and reports drift. Exit code 0
 * when every topic matches the catalogue, 3 when some differ (they are never altered), 2 when Kafka cannot be used.
 *
 * <p>On a cluster with SASL/SCRAM and an authorizer it runs as the administrator (client properties from
 * {@code --kafka-properties-file} or {@code STORYSTREAM_KAFKA_*}) and also sets up the services' principals:
 * {@code --scram-users ingress,processor,…} creates or updates each user's SCRAM-SHA-512 credential with the password
 * in {@code STORYSTREAM_SCRAM_PASSWORD_<USER>} ({@code schema-registry} → {@code …_SCHEMA_REGISTRY}), and
 * {@code --acls ingress=User:ingress,…} grants each principal its {@link ServiceAcls}.
 */
@Command(name = "topics", mixinStandardHelpOptions = true,
    description = "Creates missing topics of the catalogue on a cluster and reports those that differ.")
final class ProvisionTopics implements Callable<Integer> {

  @Option(names = "--bootstrap-servers", required = true, defaultValue = "${env:STORYSTREAM_BOOTSTRAP_SERVERS}")
  String bootstrapServers;

  @Option(names = "--partitions", defaultValue = "${env:STORYSTREAM_PARTITIONS:-6}")
  int partitions;

  @Option(names = "--replication-factor", defaultValue = "${env:STORYSTREAM_REPLICATION_FACTOR:-3}")
  short replicationFactor;

  @Option(names = "--kafka-properties-file", defaultValue = "${env:STORYSTREAM_KAFKA_PROPERTIES_FILE}",
      description = "Kafka client properties (SASL, SSL…); STORYSTREAM_KAFKA_<NAME> variables add or override.")
  Path kafkaPropertiesFile;

  @Option(names = "--kafka-connect-timeout", defaultValue = "${env:STORYSTREAM_KAFKA_CONNECT_TIMEOUT:-PT30S}",
      converter = io.storystream.common.config.Durations.Converter.class)
  Duration connectTimeout;

  @Option(names = "--scram-users", defaultValue = "${env:STORYSTREAM_SCRAM_USERS}", split = ",",
      description = "SCRAM-SHA-512 users to create or update, passwords from STORYSTREAM_SCRAM_PASSWORD_<USER>.")
  List<String> scramUsers;

  @Option(names = "--acls", defaultValue = "${env:STORYSTREAM_ACLS}",
      description = "role=User:name pairs (roles: ingress, processor, billing, billing-sink, schema-registry) to grant "
          + "ACLs to.")
  String acls;

  @Override
  public Integer call() throws Exception {
    KafkaSettings kafka = new KafkaSettings(bootstrapServers, "http://unused", partitions, replicationFactor,
        ClientProperties.load(kafkaPropertiesFile, System.getenv()));
    try {
      KafkaPreflight.check(kafka, connectTimeout);
    } catch (KafkaPreflight.KafkaUnavailableException e) {
      System.err.println("topics not provisioned: " + e.getMessage());
      return 2;
    }
    try (Admin admin = Admin.create(kafka.admin())) {
      TopicCatalogue.Report report = ProcessorTopics.catalogue(partitions, replicationFactor).ensure(admin);
      System.out.println("created: " + report.created());
      System.out.println("existing: " + report.existing());
      report.drifts().forEach(d -> System.out.println("DRIFT " + d));
      if (scramUsers != null && !scramUsers.isEmpty()) {
        List<UserScramCredentialAlteration> users = new ArrayList<>();
        for (String user : scramUsers) {
          String variable = "STORYSTREAM_SCRAM_PASSWORD_" + user.trim().toUpperCase(Locale.ROOT).replace('-', '_');
          String password = System.getenv(variable);
          if (password == null || password.length() < 16) {
            System.err.println("topics: " + variable + " must hold the password of " + user + " (16+ characters)");
            return 2;
          }
          users.add(new UserScramCredentialUpsertion(user.trim(),
              new ScramCredentialInfo(ScramMechanism.SCRAM_SHA_512, 8192), password));
        }
        admin.alterUserScramCredentials(users).all().get();
        System.out.println("SCRAM users: " + scramUsers);
      }
      if (acls != null && !acls.isBlank()) {
        List<AclBinding> bindings = new ArrayList<>();
        ServiceAcls.parse(acls).forEach((role, principal) -> bindings.addAll(ServiceAcls.bindings(role, principal)));
        admin.createAcls(bindings).all().get();
        System.out.println("ACLs: " + bindings.size() + " bindings for " + ServiceAcls.parse(acls).values());
      }
      return report.consistent() ? 0 : 3;
    }
  }
}
