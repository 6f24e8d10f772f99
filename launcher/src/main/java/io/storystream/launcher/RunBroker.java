package io.storystream.launcher;

import io.storystream.embedded.EmbeddedKafka;
import java.nio.file.Path;
import java.util.Map;
import java.util.concurrent.Callable;
import java.util.concurrent.CountDownLatch;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

/**
 * {@code storystream broker}: one node of a multi-node KRaft cluster, for running a small real cluster on one machine
 * without containers (the multi-process test starts three of these). Production clusters run Apache Kafka itself.
 */
@Command(name = "broker", mixinStandardHelpOptions = true,
    description = "Runs one combined broker+controller node of a KRaft cluster with a static quorum.")
final class RunBroker implements Callable<Integer> {

  @Option(names = "--node-id", required = true, defaultValue = "${env:STORYSTREAM_NODE_ID}")
  int nodeId;

  @Option(names = "--kafka-port", required = true, defaultValue = "${env:STORYSTREAM_KAFKA_PORT}")
  int port;

  @Option(names = "--kafka-controller-port", required = true, defaultValue = "${env:STORYSTREAM_KAFKA_CONTROLLER_PORT}")
  int controllerPort;

  @Option(names = "--voters", required = true, defaultValue = "${env:STORYSTREAM_VOTERS}",
      description = "id@host:controllerPort of every node, comma-separated, identical on every node.")
  String voters;

  @Option(names = "--cluster-id", required = true, defaultValue = "${env:STORYSTREAM_CLUSTER_ID}",
      description = "The cluster id every node is formatted with (base64 UUID).")
  String clusterId;

  @Option(names = "--data-dir", defaultValue = "${env:STORYSTREAM_DATA_DIR:-data}")
  Path dataDir;

  @Override
  public Integer call() throws Exception {
    EmbeddedKafka node = new EmbeddedKafka(dataDir.resolve("kafka-" + nodeId), port, controllerPort,
        new EmbeddedKafka.Quorum(nodeId, voters, clusterId), Map.of()).start();
    CountDownLatch stopped = new CountDownLatch(1);
    Runtime.getRuntime().addShutdownHook(new Thread(() -> {
      node.close();
      stopped.countDown();
    }, "broker-shutdown"));
    System.out.println("broker " + nodeId + " is up on " + node.bootstrapServers());
    System.out.flush();
    stopped.await();
    return 0;
  }
}
