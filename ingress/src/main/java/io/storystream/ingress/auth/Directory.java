package io.storystream.ingress.auth;

import io.storystream.schemas.ApiKey;
import io.storystream.schemas.ApiKeyStatus;
import io.storystream.schemas.Tenant;
import io.storystream.schemas.TenantStatus;
import io.storystream.schemas.topics.TopicSerdes;
import io.storystream.schemas.topics.Topics;
import io.storystream.ingress.kafka.TopicMirror;
import java.time.Clock;
import java.util.Comparator;
import java.util.EnumSet;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import org.apache.kafka.common.serialization.Deserializer;

/**
 * Every tenant and API key, held in memory on each instance from the compacted {@code tenants} and {@code api-keys}
 * topics, so authentication is a map lookup and an HMAC: no network call on the request path. A revocation published
 * by any instance reaches this one with the next poll of its mirror.
 */
public final class Directory implements TopicMirror.Sink {
  private final Map<String, Tenant> tenants = new ConcurrentHashMap<>();
  private final Map<String, ApiKey> keys = new ConcurrentHashMap<>();
  private final Deserializer<Tenant> tenantReader;
  private final Deserializer<ApiKey> keyReader;
  private final ApiKeyCodec codec;
  private final Clock clock;

  public Directory(TopicSerdes serdes, ApiKeyCodec codec, Clock clock) {
    this.tenantReader = serdes.value(Topics.TENANTS).deserializer();
    this.keyReader = serdes.value(Topics.API_KEYS).deserializer();
    this.codec = codec;
    this.clock = clock;
  }

  @Override
  public void apply(String topic, String key, byte[] value) {
    if (Topics.TENANTS.name().equals(topic)) {
      if (value == null) {
        tenants.remove(key);
      } else {
        tenants.put(key, tenantReader.deserialize(topic, value));
      }
    } else if (Topics.API_KEYS.name().equals(topic)) {
      if (value == null) {
        keys.remove(key);
      } else {
        keys.put(key, keyReader.deserialize(topic, value));
      }
    }
  }

  /** Why a presented key was refused; each maps to a 401 with its own problem type. */
  public enum Refusal { MALFORMED, UNKNOWN, REVOKED, EXPIRED, TENANT_INACTIVE }

  /** The outcome of authentication: a principal, or a refusal with the key id when one was readable. */
  public record Verdict(Principal principal, Refusal refusal, String keyId, String tenantId) {
    public boolean accepted() {
      return principal != null;
    }
  }

  public Verdict authenticate(String presentedKey) {
    Optional<ApiKeyCodec.Presented> parsed = ApiKeyCodec.parse(presentedKey);
    if (parsed.isEmpty()) {
      return new Verdict(null, Refusal.MALFORMED, null, null);
    }
    ApiKeyCodec.Presented presented = parsed.get();
    ApiKey key = keys.get(presented.keyId());
    if (key == null || !codec.matches(presented.secret(), bytes(key.getSecretHash()))) {
      // an unknown key id and a wrong secret are the same refusal: nothing tells a guesser which part was wrong
      return new Verdict(null, Refusal.UNKNOWN, null, null);
    }
    String tenantId = key.getTenantId();
    if (key.getStatus() == ApiKeyStatus.REVOKED) {
      return new Verdict(null, Refusal.REVOKED, key.getKeyId(), tenantId);
    }
    if (key.getExpiresAt() != null && !key.getExpiresAt().isAfter(clock.instant())) {
      return new Verdict(null, Refusal.EXPIRED, key.getKeyId(), tenantId);
    }
    Tenant tenant = tenants.get(tenantId);
    if (tenant == null || tenant.getStatus() != TenantStatus.ACTIVE) {
      return new Verdict(null, Refusal.TENANT_INACTIVE, key.getKeyId(), tenantId);
    }
    Set<Scope> scopes = EnumSet.noneOf(Scope.class);
    key.getScopes().forEach(s -> Scope.parse(s).ifPresent(scopes::add));
    return new Verdict(new Principal(tenantId, key.getKeyId(), scopes, tenant.getPlan(), tenant.getLimits()),
        null, key.getKeyId(), tenantId);
  }

  private static byte[] bytes(java.nio.ByteBuffer buffer) {
    byte[] copy = new byte[buffer.remaining()];
    buffer.duplicate().get(copy);
    return copy;
  }

  public Optional<Tenant> tenant(String tenantId) {
    return Optional.ofNullable(tenants.get(tenantId));
  }

  public Optional<ApiKey> key(String keyId) {
    return Optional.ofNullable(keys.get(keyId));
  }

  public List<ApiKey> keysOf(String tenantId) {
    return keys.values().stream().filter(k -> k.getTenantId().equals(tenantId))
        .sorted(Comparator.comparing(ApiKey::getCreatedAt).thenComparing(ApiKey::getKeyId)).toList();
  }

  public List<Tenant> tenants() {
    return tenants.values().stream().sorted(Comparator.comparing(Tenant::getTenantId)).toList();
  }
}
