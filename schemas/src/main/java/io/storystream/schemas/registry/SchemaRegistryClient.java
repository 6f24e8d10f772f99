package io.storystream.schemas.registry;

import java.util.List;
import org.apache.avro.Schema;

/**
 * The part of Confluent's schema-registry REST API that storystream uses. Implementations cache ids both ways,
 * because a serde asks on every record.
 */
public interface SchemaRegistryClient extends AutoCloseable {

  /** Registers {@code schema} under {@code subject} (or finds it there) and returns its global id. */
  int register(String subject, Schema schema);

  /** The schema with this global id. Throws {@link SchemaNotFoundException} when the registry has none. */
  Schema schemaById(int id);

  /** Every subject the registry holds. */
  List<String> subjects();

  /** The version numbers registered under a subject, oldest first. */
  List<Integer> versions(String subject);

  /** The compatibility level of a subject, or the global level when {@code subject} is null. */
  String compatibility(String subject);

  /** Sets the compatibility level of a subject, or the global level when {@code subject} is null. */
  void setCompatibility(String subject, String level);

  @Override
  default void close() {}

  /**
   * Which installed {@link io.storystream.schemas.serde.RecordSealing} serdes of this registry use: the registry's
   * address without credentials; null (no sealing) for a registry that is not a shared service.
   */
  default String sealingScope() {
    return null;
  }

  /** Confluent's TopicNameStrategy: the subject of a topic's keys or values. */
  static String subject(String topic, boolean isKey) {
    return topic + (isKey ? "-key" : "-value");
  }
}
