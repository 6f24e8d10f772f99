package io.storystream.ingress.kafka;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.storystream.common.kafka.KafkaSettings;
import io.storystream.embedded.FreePorts;
import io.storystream.schemas.FileRegistered;
import io.storystream.schemas.registry.HttpSchemaRegistryClient;
import io.storystream.schemas.registry.SchemaRegistryException;
import io.storystream.schemas.topics.TopicSerdes;
import io.storystream.schemas.topics.Topics;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import org.apache.kafka.common.errors.SerializationException;
import org.junit.jupiter.api.Test;

/**
 * A record that cannot be serialized because the schema registry is down (restarting) fails the send as an
 * unavailable dependency — {@link EventPublisher.PublishFailedException}, which routes answer 503 — rather than
 * escaping as a 500.
 */
class EventPublisherRegistryDownTest {
  @Test
  void aRegistryThatDoesNotAnswerFailsThePublishLikeAnUnavailableBroker() throws Exception {
    int closed = FreePorts.pick(); // nothing listens there
    String registry = "http://127.0.0.1:" + closed;
    TopicSerdes serdes = new TopicSerdes(new HttpSchemaRegistryClient(registry, Duration.ofSeconds(2)));
    try (EventPublisher publisher = new EventPublisher(new KafkaSettings("127.0.0.1:" + FreePorts.pick(), registry,
        2, (short) 1), serdes, "registry-down-test")) {
      FileRegistered file = FileRegistered.newBuilder().setFileId("file_1").setTenantId("acme").setName("a.csv")
          .setObjectKey("tenants/acme/files/file_1").setSizeBytes(1).setSha256("ab").setRows(1).setColumns(1)
          .setColumnNames(List.of("a")).setUploadedAt(Instant.now()).build();
      assertThatThrownBy(() -> EventPublisher.await(publisher.send(Topics.FILES, "acme:file_1", file)))
          .isInstanceOf(EventPublisher.PublishFailedException.class)
          .hasCauseInstanceOf(SerializationException.class)
          .satisfies(e -> assertThat(causes(e)).hasAtLeastOneElementOfType(SchemaRegistryException.class));
    }
  }

  private static List<Throwable> causes(Throwable e) {
    List<Throwable> chain = new java.util.ArrayList<>();
    for (Throwable t = e; t != null; t = t.getCause()) {
      chain.add(t);
    }
    return chain;
  }
}
