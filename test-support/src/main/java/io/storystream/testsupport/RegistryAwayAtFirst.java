package io.storystream.testsupport;

import io.storystream.schemas.registry.SchemaRegistryClient;
import java.util.List;
import java.util.concurrent.atomic.AtomicInteger;
import org.apache.avro.Schema;
import org.apache.kafka.common.errors.TimeoutException;

/**
 * A schema registry client as a reader sees it while a broker or the controller is away: its first lookups of a
 * schema by id time out (a Kafka {@link TimeoutException}, as a client call waiting for a broker does), then it
 * answers as the registry it wraps. Everything else goes straight through.
 */
public final class RegistryAwayAtFirst implements SchemaRegistryClient {
  /** Fails lookups of any schema id. */
  public static final int ANY_ID = -1;

  private final SchemaRegistryClient registry;
  private final int schemaId;
  private final int failures;
  private final AtomicInteger failed = new AtomicInteger();

  /** Fails the first {@code failures} lookups of {@code schemaId} ({@link #ANY_ID}: of any id). */
  public RegistryAwayAtFirst(SchemaRegistryClient registry, int schemaId, int failures) {
    this.registry = registry;
    this.schemaId = schemaId;
    this.failures = failures;
  }

  /** How many lookups failed so far: a test shows its reader met the outage. */
  public int failed() {
    return failed.get();
  }

  @Override
  public Schema schemaById(int id) {
    if ((schemaId == ANY_ID || id == schemaId) && failed.getAndUpdate(n -> n < failures ? n + 1 : n) < failures) {
      throw new TimeoutException("injected: the lookup of schema " + id + " timed out");
    }
    return registry.schemaById(id);
  }

  @Override
  public int register(String subject, Schema schema) {
    return registry.register(subject, schema);
  }

  @Override
  public List<String> subjects() {
    return registry.subjects();
  }

  @Override
  public List<Integer> versions(String subject) {
    return registry.versions(subject);
  }

  @Override
  public String compatibility(String subject) {
    return registry.compatibility(subject);
  }

  @Override
  public void setCompatibility(String subject, String level) {
    registry.setCompatibility(subject, level);
  }

  @Override
  public String sealingScope() {
    return registry.sealingScope();
  }
}
