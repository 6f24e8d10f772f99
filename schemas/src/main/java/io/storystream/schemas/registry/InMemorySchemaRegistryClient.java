package io.storystream.schemas.registry;

import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;

/**
 * A registry held in memory, for unit tests of one topology or serde (TopologyTestDriver runs without a network).
 * Ids are global and reused when the same schema is registered under another subject, as Confluent's are.
 */
public final class InMemorySchemaRegistryClient implements SchemaRegistryClient {
  private final Map<Integer, org.apache.avro.Schema> byId = new TreeMap<>();
  private final Map<String, List<Integer>> idsBySubject = new TreeMap<>();
  private final Map<String, String> compatibility = new TreeMap<>();
  private String globalCompatibility = "BACKWARD";
  private int lookupsToFail;
  private int failedLookups;

  @Override
  public synchronized int register(String subject, org.apache.avro.Schema schema) {
    Integer id = byId.entrySet().stream().filter(e -> e.getValue().equals(schema)).map(Map.Entry::getKey)
        .findFirst().orElse(null);
    if (id == null) {
      id = byId.size() + 1;
      byId.put(id, schema);
    }
    List<Integer> ids = idsBySubject.computeIfAbsent(subject, s -> new ArrayList<>());
    if (!ids.contains(id)) {
      ids.add(id);
    }
    return id;
  }

  /**
   * The next {@code n} calls of {@link #schemaById} fail as an unreachable registry does (connection refused): a
   * restart, for tests of how readers wait it out instead of taking a valid record for a bad one.
   */
  public synchronized void failNextLookups(int n) {
    lookupsToFail = n;
  }

  /** How many lookups failed so far because of {@link #failNextLookups}. */
  public synchronized int failedLookups() {
    return failedLookups;
  }

  @Override
  public synchronized org.apache.avro.Schema schemaById(int id) {
    if (lookupsToFail > 0) {
      lookupsToFail--;
      failedLookups++;
      throw new SchemaRegistryException("schema registry unreachable (restarting)",
          new java.io.IOException("Connection refused"));
    }
    org.apache.avro.Schema schema = byId.get(id);
    if (schema == null) {
      throw new SchemaNotFoundException(id);
    }
    return schema;
  }

  @Override
  public synchronized List<String> subjects() {
    return new ArrayList<>(idsBySubject.keySet());
  }

  @Override
  public synchronized List<Integer> versions(String subject) {
    List<Integer> ids = idsBySubject.getOrDefault(subject, List.of());
    List<Integer> versions = new ArrayList<>();
    for (int i = 1; i <= ids.size(); i++) {
      versions.add(i);
    }
    return versions;
  }

  @Override
  public synchronized String compatibility(String subject) {
    return subject == null ? globalCompatibility : compatibility.getOrDefault(subject, globalCompatibility);
  }

  @Override
  public synchronized void setCompatibility(String subject, String level) {
    if (subject == null) {
      globalCompatibility = level;
    } else {
      compatibility.put(subject, level);
    }
  }
}
