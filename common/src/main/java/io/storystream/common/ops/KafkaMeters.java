package io.storystream.common.ops;

import io.micrometer.core.instrument.MeterRegistry;
import io.micrometer.core.instrument.binder.kafka.KafkaClientMetrics;
import io.micrometer.core.instrument.binder.kafka.KafkaStreamsMetrics;
import org.apache.kafka.clients.consumer.Consumer;
import org.apache.kafka.clients.producer.Producer;
import org.apache.kafka.streams.KafkaStreams;

/**
 * Binds Kafka's own metrics to the process's registry with Micrometer's binders: every Streams application
 * ({@code kafka_stream_*}, with its embedded clients) and every plain producer and consumer ({@code kafka_producer_*},
 * {@code kafka_consumer_*}), labelled by {@code client_id} (and by topic and partition where Kafka measures them,
 * which the topic catalogue bounds). Each binding is closed with the client, so a closed client leaves no stale
 * series.
 */
public final class KafkaMeters {
  private KafkaMeters() {}

  /** A binding that ends with its client; closing it removes the client's series. */
  public interface Binding extends AutoCloseable {
    @Override
    void close();
  }

  public static Binding bind(MeterRegistry registry, KafkaStreams streams) {
    KafkaStreamsMetrics metrics = new KafkaStreamsMetrics(streams);
    metrics.bindTo(registry);
    return metrics::close;
  }

  public static Binding bind(MeterRegistry registry, Producer<?, ?> producer) {
    KafkaClientMetrics metrics = new KafkaClientMetrics(producer);
    metrics.bindTo(registry);
    return metrics::close;
  }

  public static Binding bind(MeterRegistry registry, Consumer<?, ?> consumer) {
    KafkaClientMetrics metrics = new KafkaClientMetrics(consumer);
    metrics.bindTo(registry);
    return metrics::close;
  }
}
