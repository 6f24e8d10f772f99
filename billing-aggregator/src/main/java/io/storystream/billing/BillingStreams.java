package io.storystream.billing;

import io.storystream.common.kafka.ClockTime;
import io.storystream.common.kafka.CrashedStreamsState;
import io.storystream.common.kafka.KafkaSettings;
import io.storystream.common.kafka.SkipUndecodableUnlessRegistryDown;
import java.nio.file.Path;
import java.time.Clock;
import java.time.Duration;
import java.util.Properties;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import org.apache.kafka.streams.KafkaStreams;
import org.apache.kafka.streams.StreamsConfig;
import org.apache.kafka.streams.Topology;
import org.apache.kafka.streams.errors.StreamsUncaughtExceptionHandler;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/** Starting a billing topology the same way for the live aggregator, a replay and the benchmark. */
final class BillingStreams {
  private static final Logger log = LoggerFactory.getLogger(BillingStreams.class);

  private BillingStreams() {}

  static Properties properties(KafkaSettings kafka, String applicationId, Path dataDir, String applicationServer) {
    Properties props = kafka.streams(applicationId, dataDir);
    // usage events are read as bytes and judged by the topology; this only guards the global price-book and
    // tenant stores against a record nobody can decode
    props.put(StreamsConfig.DEFAULT_DESERIALIZATION_EXCEPTION_HANDLER_CLASS_CONFIG,
        SkipUndecodableUnlessRegistryDown.class.getName());
    props.put("processing.exception.handler.global.enabled", "true");
    if (applicationServer != null) {
      props.put(StreamsConfig.APPLICATION_SERVER_CONFIG, applicationServer);
    }
    return props;
  }

  /** Starts the topology and waits until it runs; a failed stream thread is replaced (its task restarts from the last commit). */
  static KafkaStreams start(Topology topology, Properties props, Clock clock, Duration timeout) {
    // after kill -9: the crash's uncheckpointed task state, which exactly-once would open, find corrupted and wipe
    // (then rebalance a second time), goes first; a folder a live instance holds is left alone
    CrashedStreamsState.discardUnlessInUse(props);
    KafkaStreams streams = new KafkaStreams(topology, props, ClockTime.of(clock));
    CountDownLatch running = new CountDownLatch(1);
    streams.setStateListener((now, before) -> {
      if (now == KafkaStreams.State.RUNNING) {
        running.countDown();
      }
    });
    streams.setUncaughtExceptionHandler(e -> {
      log.error("billing stream thread failed; replacing it", e);
      return StreamsUncaughtExceptionHandler.StreamThreadExceptionResponse.REPLACE_THREAD;
    });
    streams.start();
    try {
      if (!running.await(timeout.toMillis(), TimeUnit.MILLISECONDS)) {
        log.warn("{} not running after {}; serving 503 until it is", props.get(StreamsConfig.APPLICATION_ID_CONFIG),
            timeout);
      }
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
    }
    return streams;
  }
}
