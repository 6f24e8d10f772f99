package io.storystream.schemas.serde;

import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;

/**
 * Encrypts a record's tenant content just before it is serialized and decrypts it just after it is deserialized, so
 * what rests in Kafka (topics, changelogs, backups) is ciphertext under the tenant's own data key while every service
 * keeps working with plain records. Implemented in common ({@code TenantContentSealing}); this module only knows the
 * hook, so every serde of the catalogue uses it without its call sites changing.
 *
 * <p>A sealing is installed for a schema registry's address: every serde talking to that registry (the registry
 * identifies the cluster's data) seals and opens with it. Services sharing one JVM (the embedded default, tests)
 * share the installed sealing; a serde of a registry without one (TopologyTestDriver tests, the billing
 * aggregator, which handles no tenant content) leaves records as they are.
 */
public interface RecordSealing {

  /** A copy of {@code record} with its tenant content encrypted (the record itself is not changed). */
  Object seal(String topic, Object record);

  /** {@code record} with its tenant content decrypted; content whose key was destroyed reads as erased. */
  Object open(String topic, Object record);

  RecordSealing NONE = new RecordSealing() {
    @Override
    public Object seal(String topic, Object record) {
      return record;
    }

    @Override
    public Object open(String topic, Object record) {
      return record;
    }
  };

  /** Installed sealings by registry scope ({@link io.storystream.schemas.registry.SchemaRegistryClient#sealingScope}). */
  final class Installed {
    private static final Map<String, RecordSealing> BY_SCOPE = new ConcurrentHashMap<>();

    private Installed() {}

    public static void install(String scope, RecordSealing sealing) {
      BY_SCOPE.put(scope, sealing);
    }

    /** Removes the sealing if it is still the one installed for the scope. */
    public static void uninstall(String scope, RecordSealing sealing) {
      BY_SCOPE.remove(scope, sealing);
    }

    public static RecordSealing forScope(String scope) {
      return scope == null ? NONE : BY_SCOPE.getOrDefault(scope, NONE);
    }
  }
}
