package io.storystream.billing;

import io.storystream.common.kafka.KafkaSettings;
import io.storystream.schemas.Statement;
import io.storystream.schemas.topics.TopicSerdes;
import io.storystream.schemas.topics.Topics;
import java.util.Map;
import java.util.TreeMap;

/** The latest statement revision of every tenant-month on a statements topic, as a consumer of it would see them. */
public final class StatementLog {
  private StatementLog() {}

  public static Map<String, Statement> latest(KafkaSettings kafka, TopicSerdes serdes, String topic) {
    Map<String, Statement> latest = new TreeMap<>();
    TopicReader.readAll(kafka, topic, serdes.value(Topics.BILLING_STATEMENTS).deserializer(), (key, statement) -> {
      if (statement == null) {
        latest.remove(key);
      } else {
        latest.merge(key, statement, (a, b) -> b.getRevision() >= a.getRevision() ? b : a);
      }
    });
    return latest;
  }
}
