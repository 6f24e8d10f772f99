package io.storystream.common.kafka;

import java.io.BufferedReader;
import java.io.InputStreamReader;
import java.nio.charset.StandardCharsets;
import java.util.Properties;
import org.apache.kafka.streams.KafkaStreams;
import org.apache.kafka.streams.StreamsBuilder;
import org.apache.kafka.streams.StreamsConfig;
import org.apache.kafka.streams.kstream.Materialized;
import org.apache.kafka.streams.state.Stores;

/**
 * A Kafka Streams instance with a persistent store on a state folder, in a process of its own, as a second service
 * started on the same data folder would be: made (which takes Streams' lock on the application's folder), it prints
 * {@code holding} and keeps the folder until its standard input ends. It never starts, so it needs no broker.
 * Arguments: the state folder and the application id.
 */
public final class StreamsInstanceOnFolder {
  private StreamsInstanceOnFolder() {}

  /** The instance on {@code stateDir} for {@code applicationId}, made but not started. */
  static KafkaStreams make(String stateDir, String applicationId) {
    Properties props = new Properties();
    props.put(StreamsConfig.APPLICATION_ID_CONFIG, applicationId);
    props.put(StreamsConfig.BOOTSTRAP_SERVERS_CONFIG, "127.0.0.1:9"); // never contacted: the instance never starts
    props.put(StreamsConfig.STATE_DIR_CONFIG, stateDir);
    props.put(StreamsConfig.PROCESSING_GUARANTEE_CONFIG, StreamsConfig.EXACTLY_ONCE_V2);
    StreamsBuilder builder = new StreamsBuilder();
    builder.table("crash-test", Materialized.as(Stores.persistentKeyValueStore("crash-test-store")));
    return new KafkaStreams(builder.build(), props);
  }

  public static void main(String[] args) throws Exception {
    try (KafkaStreams streams = make(args[0], args[1])) {
      System.out.println("holding");
      System.out.flush();
      BufferedReader in = new BufferedReader(new InputStreamReader(System.in, StandardCharsets.UTF_8));
      while (in.readLine() != null) {
        // held until the test closes our input
      }
    }
  }
}
