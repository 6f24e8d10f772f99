package io.storystream.common.crypto;

import io.storystream.common.kafka.KafkaSettings;
import io.storystream.schemas.registry.HttpSchemaRegistryClient;
import io.storystream.schemas.serde.RecordSealing;
import java.nio.file.Path;
import java.time.Clock;
import java.util.HashMap;
import java.util.Map;

/**
 * One {@link TenantKeyring} per cluster and process, shared by the services of the process (the embedded default runs
 * the ingress, admission and the worker in one JVM) and installed as the {@link RecordSealing} of the cluster's schema
 * registry, so every serde of the catalogue seals and opens tenant content with it. Each service holds a lease; the
 * keyring stops with the last one.
 */
public final class Keyrings {
  private static final Map<String, Shared> BY_SCOPE = new HashMap<>();

  private Keyrings() {}

  private static final class Shared {
    final TenantKeyring keyring;
    final TenantContentSealing sealing;
    int leases;

    Shared(TenantKeyring keyring) {
      this.keyring = keyring;
      this.sealing = new TenantContentSealing(keyring);
    }
  }

  /** A service's hold on the keyring of its cluster. */
  public static final class Lease implements AutoCloseable {
    private final String scope;
    private final Shared shared;
    private boolean closed;

    private Lease(String scope, Shared shared) {
      this.scope = scope;
      this.shared = shared;
    }

    public TenantKeyring keyring() {
      return shared.keyring;
    }

    @Override
    public void close() {
      synchronized (Keyrings.class) {
        if (closed) {
          return;
        }
        closed = true;
        if (--shared.leases == 0) {
          BY_SCOPE.remove(scope, shared);
          RecordSealing.Installed.uninstall(scope, shared.sealing);
          shared.keyring.close();
        }
      }
    }
  }

  /** The keyring of the cluster, with the master keys of the environment or the data folder. */
  public static Lease acquire(KafkaSettings kafka, Path dataDir) {
    return acquire(kafka, () -> MasterKeys.fromEnvironment(dataDir));
  }

  public static synchronized Lease acquire(KafkaSettings kafka, java.util.function.Supplier<MasterKeys> master) {
    String scope = HttpSchemaRegistryClient.scopeOf(kafka.registryUrl());
    Shared shared = BY_SCOPE.get(scope);
    if (shared == null) {
      TenantKeyring keyring = new TenantKeyring(kafka, new HttpSchemaRegistryClient(kafka.registryUrl()),
          master.get(), Clock.systemUTC()).start();
      shared = new Shared(keyring);
      BY_SCOPE.put(scope, shared);
      RecordSealing.Installed.install(scope, shared.sealing);
    }
    shared.leases++;
    return new Lease(scope, shared);
  }
}
