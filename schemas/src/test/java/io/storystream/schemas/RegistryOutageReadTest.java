package io.storystream.schemas;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.storystream.schemas.registry.InMemorySchemaRegistryClient;
import io.storystream.schemas.registry.SchemaRegistryClient;
import io.storystream.schemas.registry.SchemaRegistryException;
import io.storystream.schemas.serde.AvroDeserializer;
import io.storystream.schemas.serde.AvroSerializer;
import io.storystream.schemas.serde.UnknownSchemaIdException;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.atomic.AtomicInteger;
import org.apache.avro.Schema;
import org.junit.jupiter.api.Test;

/**
 * A record read while the schema registry restarts (the fault campaign lost a job this way: admission dead-lettered
 * a valid request whose writer schema it could not fetch). An unavailable registry is waited for; an unknown id is a
 * verdict at once; past the wait the failure still says "unavailable", so no handler takes it for a bad record.
 */
class RegistryOutageReadTest {
  private final InMemorySchemaRegistryClient schemas = new InMemorySchemaRegistryClient();
  private final Tenant tenant = (Tenant) SampleRecords.all().get(0);
  private final byte[] bytes = new AvroSerializer<Tenant>(schemas, false).serialize("tenants", tenant);

  @Test
  void aReadWaitsOutARegistryThatIsDownOrAnswers5xx() {
    // not reached twice (a restart: connection refused), then a 503, then the schema
    FlakyRegistry registry = new FlakyRegistry(schemas, List.of(
        new SchemaRegistryException("unreachable", new IOException("Connection refused")),
        new SchemaRegistryException("unreachable", new IOException("Connection refused")),
        new SchemaRegistryException("registry refused GET /schemas/ids/1: 503", 503, -1)));

    Tenant read = new AvroDeserializer<>(registry, Tenant.class, Duration.ofSeconds(30)).deserialize("tenants", bytes);

    assertThat(read).isEqualTo(tenant);
    assertThat(registry.calls.get()).isEqualTo(4);
  }

  @Test
  void anUnknownSchemaIdIsAVerdictAtOnce() {
    FlakyRegistry registry = new FlakyRegistry(schemas, List.of());
    byte[] unknown = bytes.clone();
    ByteBuffer.wrap(unknown).putInt(1, 4711);

    assertThatThrownBy(() -> new AvroDeserializer<>(registry, Tenant.class, Duration.ofSeconds(30))
        .deserialize("tenants", unknown))
        .isInstanceOf(UnknownSchemaIdException.class)
        .satisfies(e -> assertThat(SchemaRegistryException.isUnavailable(e)).isFalse());
    assertThat(registry.calls.get()).isEqualTo(1);
  }

  @Test
  void pastTheWaitTheFailureStillSaysUnavailable() {
    FlakyRegistry registry = new FlakyRegistry(schemas, List.of(
        new SchemaRegistryException("unreachable", new IOException("Connection refused"))));

    assertThatThrownBy(() -> new AvroDeserializer<>(registry, Tenant.class, Duration.ZERO)
        .deserialize("tenants", bytes))
        .isInstanceOf(SchemaRegistryException.class)
        .isNotInstanceOf(UnknownSchemaIdException.class)
        .satisfies(e -> assertThat(SchemaRegistryException.isUnavailable(e)).isTrue());
  }

  @Test
  void whichFailuresAreAnOutage() {
    assertThat(new SchemaRegistryException("x", new IOException("refused")).unavailable()).isTrue();
    assertThat(new SchemaRegistryException("x", 500, -1).unavailable()).isTrue();
    assertThat(new SchemaRegistryException("x", 503, -1).unavailable()).isTrue();
    assertThat(new SchemaRegistryException("x", 404, 40403).unavailable()).isFalse();
    assertThat(new SchemaRegistryException("x", 409, 409).unavailable()).isFalse();
    assertThat(new SchemaRegistryException("x", 401, -1).unavailable()).isFalse();
    assertThat(SchemaRegistryException.isUnavailable(
        new RuntimeException("wrapped", new SchemaRegistryException("x", 502, -1)))).isTrue();
    assertThat(SchemaRegistryException.isUnavailable(new IllegalStateException("no registry in it"))).isFalse();
  }

  /** The in-memory registry behind a list of failures its first calls of schemaById throw, in order. */
  private static final class FlakyRegistry implements SchemaRegistryClient {
    private final InMemorySchemaRegistryClient delegate;
    private final List<SchemaRegistryException> failures;
    final AtomicInteger calls = new AtomicInteger();

    FlakyRegistry(InMemorySchemaRegistryClient delegate, List<SchemaRegistryException> failures) {
      this.delegate = delegate;
      this.failures = failures;
    }

    @Override
    public Schema schemaById(int id) {
      int call = calls.getAndIncrement();
      if (call < failures.size()) {
        throw failures.get(call);
      }
      return delegate.schemaById(id);
    }

    @Override
    public int register(String subject, Schema schema) {
      return delegate.register(subject, schema);
    }

    @Override
    public List<String> subjects() {
      return delegate.subjects();
    }

    @Override
    public List<Integer> versions(String subject) {
      return delegate.versions(subject);
    }

    @Override
    public String compatibility(String subject) {
      return delegate.compatibility(subject);
    }

    @Override
    public void setCompatibility(String subject, String level) {
      delegate.setCompatibility(subject, level);
    }
  }
}
