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

  /** A statement record as it lies on the topic: key, value bytes and timestamp, for byte-for-byte comparison. */
  public record Serialized(String key, byte[] value, long timestamp, int revision) {
    /** Null when equal, else where the two part (record timestamp, value length or first differing byte). */
    public String differenceFrom(Serialized other) {
      if (timestamp != other.timestamp) {
        return "record timestamps " + timestamp + " and " + other.timestamp;
      }
      int mismatch = java.util.Arrays.mismatch(value, other.value);
      return mismatch < 0 ? null : "value bytes differ from byte " + mismatch + " (lengths " + value.length + " and "
          + other.value.length + ")";
    }

    public Statement decode(org.apache.kafka.common.serialization.Deserializer<Statement> values) {
      return values.deserialize(Topics.BILLING_STATEMENTS.name(), value);
    }
  }

  /** The latest record of every tenant-month as it lies on the topic (the highest revision wins, as in {@link #latest}). */
  public static Map<String, Serialized> latestSerialized(KafkaSettings kafka, TopicSerdes serdes, String topic) {
    var values = serdes.value(Topics.BILLING_STATEMENTS).deserializer();
    Map<String, Serialized> latest = new TreeMap<>();
    TopicReader.readRecords(kafka, topic, r -> {
      if (r.value() == null) {
        latest.remove(r.key());
        return;
      }
      Serialized s = new Serialized(r.key(), r.value(), r.timestamp(), values.deserialize(topic, r.value()).getRevision());
      latest.merge(r.key(), s, (a, b) -> b.revision() >= a.revision() ? b : a);
    });
    return latest;
  }

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
