package io.storystream.schemas.topics;

import io.storystream.schemas.registry.SchemaRegistryClient;
import io.storystream.schemas.serde.AvroSerde;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import org.apache.avro.specific.SpecificRecord;
import org.apache.kafka.common.serialization.Serde;
import org.apache.kafka.common.serialization.Serdes;
import org.apache.kafka.streams.kstream.Consumed;
import org.apache.kafka.streams.kstream.Produced;

/** Serdes for the catalogue's topics, bound to one schema registry. One instance per service. */
public final class TopicSerdes {
  private final SchemaRegistryClient registry;
  private final Map<String, Serde<?>> valueSerdes = new ConcurrentHashMap<>();

  public TopicSerdes(SchemaRegistryClient registry) {
    this.registry = registry;
  }

  public SchemaRegistryClient registry() {
    return registry;
  }

  public Serde<String> key() {
    return Serdes.String();
  }

  @SuppressWarnings("unchecked")
  public <V extends SpecificRecord> Serde<V> value(Topic<V> topic) {
    return (Serde<V>) valueSerdes.computeIfAbsent(topic.name(),
        name -> new AvroSerde<>(registry, (Class) topic.valueType(), false));
  }

  public <V extends SpecificRecord> Consumed<String, V> consumed(Topic<V> topic) {
    return Consumed.with(key(), value(topic));
  }

  /** Produced with the tenant partitioner, so Streams outputs land where producers' records of the tenant do. */
  public <V extends SpecificRecord> Produced<String, V> produced(Topic<V> topic) {
    return Produced.with(key(), value(topic)).withStreamPartitioner(TenantPartitioner.streams());
  }
}
