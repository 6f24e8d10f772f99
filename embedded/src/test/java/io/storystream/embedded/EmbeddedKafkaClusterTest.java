package io.storystream.embedded;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.stream.IntStream;
import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.admin.NewTopic;
import org.apache.kafka.clients.admin.TopicDescription;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.common.Uuid;
import org.apache.kafka.common.serialization.StringSerializer;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Three {@link EmbeddedKafka} nodes form one replicated cluster that keeps accepting writes with one node down. */
class EmbeddedKafkaClusterTest {
  @TempDir Path data;

  @Test
  void threeNodesReplicateAndSurviveTheLossOfOne() throws Exception {
    int[] ports = {FreePorts.pick(), FreePorts.pick(), FreePorts.pick()};
    int[] controllerPorts = {FreePorts.pick(), FreePorts.pick(), FreePorts.pick()};
    String voters = String.join(",", IntStream.range(0, 3)
        .mapToObj(i -> (i + 1) + "@127.0.0.1:" + controllerPorts[i]).toList());
    String clusterId = Uuid.randomUuid().toString();
    List<EmbeddedKafka> nodes = new ArrayList<>();
    for (int i = 0; i < 3; i++) {
      nodes.add(new EmbeddedKafka(data.resolve("node-" + (i + 1)), ports[i], controllerPorts[i],
          new EmbeddedKafka.Quorum(i + 1, voters, clusterId), Map.of()));
    }
    // a node waits for a controller majority, so the three must start together
    CompletableFuture.allOf(nodes.stream().map(n -> CompletableFuture.runAsync(n::start)).toArray(CompletableFuture[]::new)).join();
    String bootstrap = nodes.stream().map(EmbeddedKafka::bootstrapServers).reduce((a, b) -> a + "," + b).orElseThrow();
    try (Admin admin = Admin.create(Map.of("bootstrap.servers", bootstrap))) {
      assertThat(admin.describeCluster().nodes().get()).hasSize(3);
      admin.createTopics(List.of(new NewTopic("replicated", 3, (short) 3))).all().get();
      // the node answering may learn of the new topic a moment after the controller created it
      TopicDescription description = await().atMost(Duration.ofSeconds(30)).ignoreExceptions()
          .until(() -> admin.describeTopics(List.of("replicated")).allTopicNames().get().get("replicated"),
              d -> d.partitions().size() == 3);
      assertThat(description.partitions()).allSatisfy(p -> assertThat(p.replicas()).hasSize(3));

      nodes.get(2).close();
      try (KafkaProducer<String, String> producer = new KafkaProducer<>(Map.of("bootstrap.servers", bootstrap,
          "acks", "all", "enable.idempotence", true), new StringSerializer(), new StringSerializer())) {
        for (int i = 0; i < 30; i++) {
          // min.insync.replicas=2: acknowledged with two of three nodes alive
          assertThat(producer.send(new ProducerRecord<>("replicated", "k" + i, "v")).get().offset()).isNotNegative();
        }
      }
    } finally {
      // together: a node that shuts down alone waits for a controller majority that is already gone
      CompletableFuture.allOf(nodes.stream().map(n -> CompletableFuture.runAsync(n::close)).toArray(CompletableFuture[]::new)).join();
    }
  }
}
