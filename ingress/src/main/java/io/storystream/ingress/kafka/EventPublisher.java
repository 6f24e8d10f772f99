package io.storystream.ingress.kafka;

import io.storystream.common.kafka.KafkaSettings;
import io.storystream.schemas.registry.SchemaRegistryException;
import io.storystream.schemas.topics.Topic;
import io.storystream.schemas.topics.TopicSerdes;
import java.time.Duration;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import org.apache.avro.specific.SpecificRecord;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerConfig;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.clients.producer.RecordMetadata;
import org.apache.kafka.common.errors.SerializationException;

/**
 * Publishes the ingress's events (Avro in the Confluent wire format, string keys, the tenant partitioner, acks=all).
 * When a topic is mirrored locally, an acknowledged record is applied to the mirror at once, so this instance reads
 * its own writes.
 */
public final class EventPublisher implements AutoCloseable {
  private final KafkaProducer<String, byte[]> producer;
  private final TopicSerdes serdes;
  private final Map<String, TopicMirror> mirrors = new ConcurrentHashMap<>();

  public EventPublisher(KafkaSettings kafka, TopicSerdes serdes, String clientId) {
    var props = kafka.producer(clientId);
    props.put(ProducerConfig.DELIVERY_TIMEOUT_MS_CONFIG, 15_000);
    props.put(ProducerConfig.REQUEST_TIMEOUT_MS_CONFIG, 10_000);
    props.put(ProducerConfig.MAX_BLOCK_MS_CONFIG, 10_000);
    props.put(ProducerConfig.LINGER_MS_CONFIG, 1);
    this.producer = new KafkaProducer<>(props);
    this.serdes = serdes;
  }

  /** Binds the producer's metrics to the process's registry (closed with the returned binding). */
  public io.storystream.common.ops.KafkaMeters.Binding bindMetrics(io.micrometer.core.instrument.MeterRegistry registry) {
    return io.storystream.common.ops.KafkaMeters.bind(registry, producer);
  }

  /** The serdes the records are written with (for readers of the same topics). */
  public TopicSerdes serdes() {
    return serdes;
  }

  public void mirrorInto(Topic<?> topic, TopicMirror mirror) {
    mirrors.put(topic.name(), mirror);
  }

  /** Sends a record (or a tombstone when {@code value} is null); the future completes when the broker has it. */
  public <V extends SpecificRecord> CompletableFuture<RecordMetadata> send(Topic<V> topic, String key, V value) {
    byte[] bytes;
    try {
      bytes = serdes.value(topic).serializer().serialize(topic.name(), value);
    } catch (SerializationException e) {
      if (registryUnreachable(e)) {
        // a restarting registry is as unavailable as a broker: the caller answers 503 and the client retries
        // (it was a 500, seen by the fault campaign); any other serialization failure is a bug and stays one
        return CompletableFuture.failedFuture(e);
      }
      throw e;
    }
    CompletableFuture<RecordMetadata> acked = new CompletableFuture<>();
    producer.send(new ProducerRecord<>(topic.name(), key, bytes), (metadata, error) -> {
      if (error != null) {
        acked.completeExceptionally(error);
        return;
      }
      TopicMirror mirror = mirrors.get(topic.name());
      if (mirror != null) {
        mirror.applyOwn(topic.name(), key, bytes, metadata.offset());
      }
      acked.complete(metadata);
    });
    return acked;
  }

  private static boolean registryUnreachable(Throwable e) {
    for (Throwable t = e; t != null; t = t.getCause()) {
      if (t instanceof SchemaRegistryException) {
        return true;
      }
    }
    return false;
  }

  /** Sends and waits for the acknowledgement; a failure becomes {@link PublishFailedException}. */
  public <V extends SpecificRecord> RecordMetadata sendAndWait(Topic<V> topic, String key, V value) {
    return await(send(topic, key, value));
  }

  public static <T> T await(CompletableFuture<T> future) {
    try {
      return future.get(20, TimeUnit.SECONDS);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new PublishFailedException(e);
    } catch (ExecutionException e) {
      throw new PublishFailedException(e.getCause());
    } catch (TimeoutException e) {
      throw new PublishFailedException(e);
    }
  }

  /** True when the producer can reach the cluster (used by the readiness probe). */
  public boolean reachable(Topic<?> topic) {
    try {
      return !producer.partitionsFor(topic.name()).isEmpty();
    } catch (RuntimeException e) {
      return false;
    }
  }

  @Override
  public void close() {
    producer.close(Duration.ofSeconds(5));
  }

  /** The broker did not take a record; the request fails as retryable (503) and nothing is reported as done. */
  public static final class PublishFailedException extends RuntimeException {
    public PublishFailedException(Throwable cause) {
      super("event not published: " + cause, cause);
    }
  }
}
