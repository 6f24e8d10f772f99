package io.storystream.launcher;

import io.storystream.processor.ProcessorTopics;
import io.storystream.schemas.topics.TopicCatalogue;
import java.util.Map;
import java.util.concurrent.Callable;
import org.apache.kafka.clients.admin.Admin;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

/**
 * {@code storystream topics}: creates the catalogue's missing topics on a real cluster and reports drift. Exit code 0
 * when every topic matches the catalogue, 3 when some differ (they are never altered).
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

  @Override
  public Integer call() throws Exception {
    try (Admin admin = Admin.create(Map.of("bootstrap.servers", bootstrapServers))) {
      TopicCatalogue.Report report = ProcessorTopics.catalogue(partitions, replicationFactor).ensure(admin);
      System.out.println("created: " + report.created());
      System.out.println("existing: " + report.existing());
      report.drifts().forEach(d -> System.out.println("DRIFT " + d));
      return report.consistent() ? 0 : 3;
    }
  }
}
