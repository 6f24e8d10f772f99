package io.storystream.billing;

import io.storystream.common.kafka.KafkaSettings;
import io.storystream.schemas.Statement;
import io.storystream.schemas.topics.TopicSerdes;
import io.storystream.schemas.topics.Topics;
import java.io.PrintStream;
import java.time.Duration;
import java.util.List;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.common.errors.WakeupException;

/**
 * The downstream consumer example: reads {@code billing-statements} (committed records only, as a finance job
 * would) and prints one line per new revision. It needs nothing but the topic, the Avro schema and the registry.
 */
public final class StatementTail {
  private final KafkaSettings kafka;
  private final TopicSerdes serdes;
  private volatile KafkaConsumer<String, byte[]> consumer;
  private volatile boolean stopped;

  public StatementTail(KafkaSettings kafka, TopicSerdes serdes) {
    this.kafka = kafka;
    this.serdes = serdes;
  }

  public static String line(Statement s) {
    String was = s.getPreviousTotalMicros() == null ? ""
        : " (was " + StatementJson.money(s.getPreviousTotalMicros()) + ")";
    return String.format("%s %s rev %d %s %s v%d %s %s%s", s.getTenantId(), s.getMonth(), s.getRevision(),
        s.getStatus(), s.getPlan(), s.getPriceBookVersion(), s.getCurrency(), StatementJson.money(s.getTotalMicros()),
        was);
  }

  /** Prints lines until stopped, or until {@code max} lines when max > 0. */
  public void run(boolean fromBeginning, long max, PrintStream out) {
    String topic = Topics.BILLING_STATEMENTS.name();
    long printed = 0;
    try (KafkaConsumer<String, byte[]> c = new KafkaConsumer<>(kafka.consumer(null))) {
      consumer = c;
      List<TopicPartition> partitions = c.partitionsFor(topic, Duration.ofSeconds(30)).stream()
          .map(p -> new TopicPartition(topic, p.partition())).toList();
      c.assign(partitions);
      if (fromBeginning) {
        c.seekToBeginning(partitions);
      } else {
        c.seekToEnd(partitions);
      }
      while (!stopped) {
        for (ConsumerRecord<String, byte[]> r : c.poll(Duration.ofMillis(500))) {
          if (r.value() == null) {
            continue;
          }
          out.println(line(serdes.value(Topics.BILLING_STATEMENTS).deserializer().deserialize(topic, r.value())));
          out.flush();
          if (max > 0 && ++printed >= max) {
            return;
          }
        }
      }
    } catch (WakeupException e) {
      // stopped
    } finally {
      consumer = null;
    }
  }

  public void stop() {
    stopped = true;
    KafkaConsumer<String, byte[]> c = consumer;
    if (c != null) {
      c.wakeup();
    }
  }
}
