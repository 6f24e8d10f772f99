package io.storystream.billing;

import io.storystream.common.kafka.ClockTime;
import io.storystream.common.kafka.CrashedStreamsState;
import io.storystream.common.kafka.KafkaSettings;
import io.storystream.common.kafka.SkipUndecodableOnly;
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
        SkipUndecodableOnly.class.getName());
    props.put("processing.exception.handler.global.enabled", "true");
    latencySettings(props);
    if (applicationServer != null) {
      props.put(StreamsConfig.APPLICATION_SERVER_CONFIG, applicationServer);
    }
    return props;
  }

  /**
   * A statement follows its usage event through two commits (the tick's, then the statement's) and one read of the
   * tick from the usage log; the defaults would add up to 100 ms of poll wait and 500 ms of fetch wait to each step.
   * <ul>
   *   <li>{@code poll.ms} 10: an idle thread returns from {@code poll} every 10 ms, so a due commit or punctuation
   *       waits at most that long;</li>
   *   <li>{@code fetch.max.wait.ms} 20 (main consumer): the broker answers a parked fetch as soon as the tick's
   *       transaction makes it readable, so this is for throughput: while Streams has paused the partitions that
   *       hold data (their buffers full), the one fetch in flight is parked for the whole wait, and at Kafka's
   *       500 ms that stalled admission's benchmark to a fifth of its rate (see {@code AdmissionService}); about 50
   *       small requests a second per idle thread;</li>
   *   <li>{@code commit.interval.ms} stays 100 ms: billing counts into stores whose changelog writes the commit waits
   *       for, so a shorter interval would cost throughput, and the count baseline of the benchmark uses these same
   *       properties.</li>
   * </ul>
   */
  static void latencySettings(Properties props) {
    props.put(StreamsConfig.POLL_MS_CONFIG, 10);
    props.put(StreamsConfig.mainConsumerPrefix(org.apache.kafka.clients.consumer.ConsumerConfig.FETCH_MAX_WAIT_MS_CONFIG),
        20);
  }

  /**
   * Starts the topology and waits until it runs; a failed stream thread is replaced (its task restarts from the last
   * commit), except in a run without changelogs, which stops ({@link ReplayInterrupted}).
   */
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
      if (ReplayInterrupted.isCause(e)) {
        // a replacement thread would meet the same refusal: the run stops and is started again from the beginning
        log.error("billing run without changelogs interrupted; stopping it: {}", e.getMessage());
        return StreamsUncaughtExceptionHandler.StreamThreadExceptionResponse.SHUTDOWN_CLIENT;
      }
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
