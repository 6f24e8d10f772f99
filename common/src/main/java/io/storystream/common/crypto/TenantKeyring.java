package io.storystream.common.crypto;

import io.storystream.common.kafka.KafkaSettings;
import io.storystream.schemas.TenantDataKey;
import io.storystream.schemas.registry.SchemaRegistryClient;
import io.storystream.schemas.serde.AvroDeserializer;
import io.storystream.schemas.serde.AvroSerializer;
import io.storystream.schemas.serde.ReadAgainLater;
import io.storystream.schemas.topics.TenantKeys;
import io.storystream.schemas.topics.Topics;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.security.GeneralSecurityException;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.HexFormat;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Properties;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import javax.crypto.SecretKey;
import javax.crypto.spec.SecretKeySpec;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.clients.producer.RecordMetadata;
import org.apache.kafka.common.PartitionInfo;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.common.errors.WakeupException;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Every tenant's data keys, as the compacted {@code tenant-keys} topic holds them, wrapped by the master keys. Each
 * service keeps a copy: one thread reads the topic from the beginning and then follows it with short polls, so a
 * destroyed key (a tombstone and the tenant's erasure marker) is dropped by every instance within one fetch of the
 * erasure, and the instance that erases drops it at once.
 *
 * <p>A tenant may have several data keys: an instance that needs one and finds none makes one and publishes it
 * before using it, and two instances doing so at the same moment both succeed — every ciphertext names its key.
 * A reader that meets a key id it has not seen yet first catches up with the topic's end; a key still unknown then,
 * or one of an erased tenant, is destroyed: its ciphertexts read as erased.
 */
public final class TenantKeyring implements AutoCloseable {
  private static final Logger log = LoggerFactory.getLogger(TenantKeyring.class);
  static final Duration CATCH_UP = Duration.ofSeconds(15);
  private static final long FOLLOW_BACKOFF_MIN_MS = 100;
  private static final long FOLLOW_BACKOFF_MAX_MS = 5_000;

  private final KafkaSettings kafka;
  private final MasterKeys master;
  private final Clock clock;
  private final AvroSerializer<TenantDataKey> serializer;
  private final AvroDeserializer<TenantDataKey> deserializer;
  private final Map<String, TenantState> tenants = new ConcurrentHashMap<>();
  private final Map<TopicPartition, Long> positions = new ConcurrentHashMap<>();
  private final Object progress = new Object();
  private KafkaConsumer<String, byte[]> follower;
  private KafkaConsumer<String, byte[]> offsets;
  private KafkaProducer<String, byte[]> producer;
  private List<TopicPartition> partitions;
  private Thread thread;
  private volatile boolean running;
  private volatile boolean started; // caught up and checked: later keys are other instances' new ones

  /** What this instance knows of one tenant's keys. */
  private static final class TenantState {
    final Map<String, TenantDataKey> wrapped = new ConcurrentHashMap<>();
    final Map<String, SecretKey> unwrapped = new ConcurrentHashMap<>();
    volatile boolean erased;
    volatile String current;
  }

  public TenantKeyring(KafkaSettings kafka, SchemaRegistryClient registry, MasterKeys master, Clock clock) {
    this.kafka = kafka;
    this.master = master;
    this.clock = clock;
    this.serializer = new AvroSerializer<>(registry, false);
    this.deserializer = new AvroDeserializer<>(registry, TenantDataKey.class);
  }

  /** Reads the topic up to its end (so every existing key is known) and keeps following it. */
  public synchronized TenantKeyring start() {
    if (running) {
      return this;
    }
    Properties props = kafka.consumer(null);
    props.put("client.id", "storystream-keyring");
    props.put("fetch.max.wait.ms", "50"); // a destroyed key reaches every instance within one short fetch
    follower = new KafkaConsumer<>(props);
    Properties offsetProps = kafka.consumer(null);
    offsetProps.put("client.id", "storystream-keyring-offsets");
    // only end offsets are asked of it, without an assignment; the keys are written without transactions
    offsetProps.put("isolation.level", "read_uncommitted");
    offsets = new KafkaConsumer<>(offsetProps);
    Properties producerProps = kafka.producer("storystream-keyring");
    producerProps.put("linger.ms", "0");
    producer = new KafkaProducer<>(producerProps);
    partitions = partitions(follower);
    follower.assign(partitions);
    follower.seekToBeginning(partitions);
    running = true;
    thread = new Thread(this::follow, "tenant-keyring");
    thread.setDaemon(true);
    thread.start();
    catchUp();
    try {
      requireEveryWrappingMasterKey();
    } catch (IllegalStateException e) {
      close();
      throw e;
    }
    started = true;
    log.info("tenant keyring ready: {} tenants, master keys {}", tenants.size(), master);
    return this;
  }

  /**
   * Refuses to start when the topic holds data keys wrapped by a master key this service was not given. Without this
   * check such a service starts, and the first record of one of those tenants it reads kills the thread reading it
   * (a stream thread, a worker's poll loop) long after start-up. The usual cause: services on separate data folders
   * without {@code STORYSTREAM_MASTER_KEYS}, each of which generated its own {@code <data>/master-keys}, or a data
   * folder replaced while the cluster kept its topics.
   */
  private void requireEveryWrappingMasterKey() {
    Map<String, String> lacking = new java.util.TreeMap<>(); // master key id -> one tenant it wraps a key of
    tenants.forEach((tenantId, state) -> state.wrapped.values().forEach(key -> {
      if (!master.ids().contains(key.getMasterKeyId())) {
        lacking.putIfAbsent(key.getMasterKeyId(), tenantId);
      }
    }));
    if (!lacking.isEmpty()) {
      throw new IllegalStateException(Topics.TENANT_KEYS.name() + " holds data keys wrapped by master keys "
          + lacking.keySet() + " (of tenants such as " + lacking.values() + "), which this service does not have (it "
          + "has " + master.ids() + "): give every service the same " + MasterKeys.ENV + " (or the same "
          + MasterKeys.FILE_ENV + "); a service that generated its own " + MasterKeys.DEFAULT_FILE
          + " in its data folder cannot read the others' data");
    }
  }

  private static List<TopicPartition> partitions(KafkaConsumer<String, byte[]> consumer) {
    long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(60);
    while (true) {
      List<PartitionInfo> infos = consumer.partitionsFor(Topics.TENANT_KEYS.name(), Duration.ofSeconds(10));
      if (infos != null && !infos.isEmpty()) {
        return infos.stream().map(p -> new TopicPartition(p.topic(), p.partition())).toList();
      }
      if (System.nanoTime() > deadline) {
        throw new IllegalStateException("topic " + Topics.TENANT_KEYS.name() + " does not exist; run `storystream topics`");
      }
      try {
        Thread.sleep(200); // the topics job may still be creating it
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
        throw new IllegalStateException(e);
      }
    }
  }

  /**
   * Follows the topic for as long as the keyring runs. A failure (a key whose schema the registry could not give, a
   * broker away) does not end it: a keyring that stopped following would never learn a new tenant's key or an
   * erasure, and every record sealed under a key it lacks would wait for it in vain. It goes back to the first record
   * it had not applied and tries again a moment later.
   */
  private void follow() {
    long backoffMs = FOLLOW_BACKOFF_MIN_MS;
    try {
      while (running) {
        try {
          for (ConsumerRecord<String, byte[]> record : follower.poll(Duration.ofMillis(100))) {
            apply(record.key(), record.value() == null ? null
                : deserializer.deserialize(record.topic(), record.value()));
            positions.put(new TopicPartition(record.topic(), record.partition()), record.offset() + 1);
          }
          for (TopicPartition tp : partitions) {
            positions.put(tp, follower.position(tp));
          }
          backoffMs = FOLLOW_BACKOFF_MIN_MS;
        } catch (WakeupException closing) {
          throw closing;
        } catch (RuntimeException e) {
          if (!running) {
            return; // closing: the interrupt or the wake-up of close()
          }
          log.warn("tenant keyring could not read {} ({}); reading again in {} ms", Topics.TENANT_KEYS.name(),
              e.toString(), backoffMs);
          rewindToUnapplied();
          Thread.sleep(backoffMs); // the registry or a broker coming back
          backoffMs = Math.min(FOLLOW_BACKOFF_MAX_MS, backoffMs * 2);
        }
        synchronized (progress) {
          progress.notifyAll();
        }
      }
    } catch (WakeupException | InterruptedException closing) {
      // close() wakes the poll
    } finally {
      Thread.interrupted(); // close()'s interrupt has done its work; the consumer's close must not see it
      follower.close(Duration.ZERO);
    }
  }

  /** After a failed read: back to the first record of each partition that was not applied. */
  private void rewindToUnapplied() {
    for (TopicPartition tp : partitions) {
      Long next = positions.get(tp);
      if (next == null) {
        follower.seekToBeginning(List.of(tp));
      } else {
        follower.seek(tp, next);
      }
    }
  }

  private void apply(String key, TenantDataKey value) {
    if (key == null) {
      return;
    }
    String tenantId = TenantKeys.tenantOf(key);
    TenantState state = tenants.computeIfAbsent(tenantId, t -> new TenantState());
    boolean marker = key.indexOf(TenantKeys.SEPARATOR) < 0;
    if (marker) {
      if (value != null && value.getErasedAt() != null) {
        erase(state);
      }
      return;
    }
    String dataKeyId = TenantKeys.resourceOf(key);
    if (value == null) {
      state.wrapped.remove(dataKeyId);
      state.unwrapped.remove(dataKeyId);
      if (dataKeyId.equals(state.current)) {
        state.current = null;
      }
      return;
    }
    if (state.erased) {
      return;
    }
    if (started && !master.ids().contains(value.getMasterKeyId())) {
      // made by an instance with other master keys after this one started: its readers will fail on this tenant
      log.error("data key {} of tenant {} is wrapped by master key {}, which this service does not have ({}): give "
          + "every service the same {}", dataKeyId, tenantId, value.getMasterKeyId(), master.ids(), MasterKeys.ENV);
    }
    state.wrapped.put(dataKeyId, value);
    state.unwrapped.remove(dataKeyId); // re-wrapped: unwrap the new form next time
    if (state.current == null) {
      state.current = dataKeyId;
    }
  }

  private static void erase(TenantState state) {
    state.erased = true;
    state.current = null;
    state.wrapped.clear();
    state.unwrapped.clear();
  }

  /** True once this instance has seen the tenant's key destroyed. */
  public boolean isErased(String tenantId) {
    TenantState state = tenants.get(tenantId);
    return state != null && state.erased;
  }

  /** The key new content of the tenant is sealed with: its id and key; empty for an erased tenant. */
  Optional<Map.Entry<String, SecretKey>> sealingKey(String tenantId) {
    TenantState state = tenants.computeIfAbsent(tenantId, t -> new TenantState());
    if (state.erased) {
      return Optional.empty();
    }
    String id = state.current;
    if (id == null) {
      synchronized (state) {
        if (state.erased) {
          return Optional.empty();
        }
        if (state.current == null) {
          catchUp(); // another instance's key, or the tenant's erasure marker, may be on its way
          if (!state.erased && state.current == null) {
            create(tenantId, state);
          }
        }
        id = state.current;
      }
    }
    String chosen = id;
    return chosen == null ? Optional.empty() : unwrap(tenantId, state, chosen).map(k -> Map.entry(chosen, k));
  }

  /** The data key a ciphertext names; empty when it was destroyed (or never existed). */
  Optional<SecretKey> openingKey(String tenantId, String dataKeyId) {
    TenantState state = tenants.get(tenantId);
    if (state == null || (!state.erased && !state.wrapped.containsKey(dataKeyId))) {
      catchUp(); // made a moment ago by another instance: read the topic to its end first
      state = tenants.get(tenantId);
    }
    if (state == null || state.erased || !state.wrapped.containsKey(dataKeyId)) {
      return Optional.empty();
    }
    return unwrap(tenantId, state, dataKeyId);
  }

  private Optional<SecretKey> unwrap(String tenantId, TenantState state, String dataKeyId) {
    SecretKey cached = state.unwrapped.get(dataKeyId);
    if (cached != null) {
      return Optional.of(cached);
    }
    TenantDataKey wrapped = state.wrapped.get(dataKeyId);
    if (wrapped == null) {
      return Optional.empty();
    }
    SecretKey masterKey = master.byId(wrapped.getMasterKeyId()).orElseThrow(() -> new IllegalStateException(
        "the data key " + dataKeyId + " of tenant " + tenantId + " is wrapped by master key "
            + wrapped.getMasterKeyId() + ", which this service does not have (it has " + master.ids()
            + "): give every service the same " + MasterKeys.ENV));
    try {
      byte[] raw = Aead.decrypt(masterKey, bytes(wrapped.getWrappedKey()), aad(tenantId, dataKeyId));
      SecretKey key = new SecretKeySpec(raw, "AES");
      if (!state.erased) {
        state.unwrapped.put(dataKeyId, key);
      }
      return state.erased ? Optional.empty() : Optional.of(key);
    } catch (GeneralSecurityException e) {
      throw new IllegalStateException("the data key " + dataKeyId + " of tenant " + tenantId
          + " does not unwrap with master key " + wrapped.getMasterKeyId() + ": a different key under that id?");
    }
  }

  private void create(String tenantId, TenantState state) {
    String dataKeyId = "dk_" + HexFormat.of().formatHex(Aead.randomKey(), 0, 8);
    byte[] raw = Aead.randomKey();
    TenantDataKey record = wrap(tenantId, dataKeyId, raw);
    await(producer.send(new ProducerRecord<>(Topics.TENANT_KEYS.name(), TenantKeys.of(tenantId, dataKeyId),
        serializer.serialize(Topics.TENANT_KEYS.name(), record))));
    state.wrapped.put(dataKeyId, record);
    state.unwrapped.put(dataKeyId, new SecretKeySpec(raw, "AES"));
    state.current = dataKeyId;
    log.info("made data key {} for tenant {} (wrapped by {})", dataKeyId, tenantId, master.currentId());
  }

  private TenantDataKey wrap(String tenantId, String dataKeyId, byte[] raw) {
    return TenantDataKey.newBuilder().setTenantId(tenantId).setDataKeyId(dataKeyId)
        .setMasterKeyId(master.currentId())
        .setWrappedKey(ByteBuffer.wrap(Aead.encrypt(master.current(), raw, aad(tenantId, dataKeyId))))
        .setCreatedAt(clock.instant()).setErasedAt(null).build();
  }

  /**
   * Destroys every data key of the tenant: the erasure marker first (no instance makes a new key after reading it),
   * then a tombstone for each key, both acknowledged by the cluster before this returns; this instance forgets the
   * keys at once. Returns the destroyed key ids.
   */
  public List<String> destroy(String tenantId) {
    catchUp();
    TenantState state = tenants.computeIfAbsent(tenantId, t -> new TenantState());
    List<String> destroyed;
    synchronized (state) {
      destroyed = new ArrayList<>(state.wrapped.keySet());
      Instant now = clock.instant();
      TenantDataKey marker = TenantDataKey.newBuilder().setTenantId(tenantId).setCreatedAt(now).setErasedAt(now)
          .build();
      List<Future<RecordMetadata>> acks = new ArrayList<>();
      acks.add(producer.send(new ProducerRecord<>(Topics.TENANT_KEYS.name(), tenantId,
          serializer.serialize(Topics.TENANT_KEYS.name(), marker))));
      for (String id : destroyed) {
        acks.add(producer.send(new ProducerRecord<>(Topics.TENANT_KEYS.name(), TenantKeys.of(tenantId, id), null)));
      }
      acks.forEach(TenantKeyring::await);
      erase(state);
    }
    log.info("tenant {}: {} data keys destroyed", tenantId, destroyed.size());
    return destroyed;
  }

  /**
   * Re-wraps every data key not wrapped by the current master key with it (after a rotation put a new key first);
   * the old master key can be dropped once every service has read the result. Returns how many were re-wrapped.
   */
  public int rewrap() {
    catchUp();
    int count = 0;
    for (Map.Entry<String, TenantState> tenant : tenants.entrySet()) {
      TenantState state = tenant.getValue();
      for (Map.Entry<String, TenantDataKey> entry : Map.copyOf(state.wrapped).entrySet()) {
        if (master.currentId().equals(entry.getValue().getMasterKeyId())) {
          continue;
        }
        Optional<SecretKey> key = unwrap(tenant.getKey(), state, entry.getKey());
        if (key.isEmpty()) {
          continue;
        }
        TenantDataKey record = TenantDataKey.newBuilder(wrap(tenant.getKey(), entry.getKey(), key.get().getEncoded()))
            .setCreatedAt(entry.getValue().getCreatedAt()).build();
        await(producer.send(new ProducerRecord<>(Topics.TENANT_KEYS.name(),
            TenantKeys.of(tenant.getKey(), entry.getKey()), serializer.serialize(Topics.TENANT_KEYS.name(), record))));
        state.wrapped.put(entry.getKey(), record);
        count++;
      }
    }
    log.info("re-wrapped {} data keys with master key {}", count, master.currentId());
    return count;
  }

  /** How many data keys this instance holds per master key id (for the rotation's progress). */
  public Map<String, Integer> keysByMasterKey() {
    Map<String, Integer> counts = new java.util.TreeMap<>();
    tenants.values().forEach(s -> s.wrapped.values().forEach(k -> counts.merge(k.getMasterKeyId(), 1, Integer::sum)));
    return counts;
  }

  /**
   * Waits until this instance has read the topic up to the end it has now. Fails with {@link ReadAgainLater} when it
   * cannot tell in time (a broker or the controller away): a record whose sealed fields wait for a key is not
   * unreadable, and its reader must read it again rather than dead-letter it (a job would never end).
   */
  public void catchUp() {
    Map<TopicPartition, Long> end;
    try {
      synchronized (offsets) {
        end = offsets.endOffsets(partitions, Duration.ofSeconds(10));
      }
    } catch (org.apache.kafka.common.errors.TimeoutException e) {
      throw new ReadAgainLater("the end of " + Topics.TENANT_KEYS.name() + " could not be asked", e);
    }
    long deadline = System.nanoTime() + CATCH_UP.toNanos();
    synchronized (progress) {
      while (!reached(end)) {
        long left = deadline - System.nanoTime();
        if (left <= 0 || !running) {
          throw new ReadAgainLater("the tenant keyring did not catch up with " + Topics.TENANT_KEYS.name());
        }
        try {
          progress.wait(Math.max(1, TimeUnit.NANOSECONDS.toMillis(left)));
        } catch (InterruptedException e) {
          Thread.currentThread().interrupt();
          throw new IllegalStateException(e);
        }
      }
    }
  }

  private boolean reached(Map<TopicPartition, Long> end) {
    for (Map.Entry<TopicPartition, Long> e : end.entrySet()) {
      if (positions.getOrDefault(e.getKey(), 0L) < e.getValue()) {
        return false;
      }
    }
    return true;
  }

  /** Tenants this instance knows as erased (for tests and the operator). */
  public Set<String> erasedTenants() {
    Set<String> erased = new java.util.TreeSet<>();
    tenants.forEach((t, s) -> {
      if (s.erased) {
        erased.add(t);
      }
    });
    return erased;
  }

  static byte[] aad(String tenantId, String dataKeyId) {
    return (tenantId + TenantKeys.SEPARATOR + dataKeyId).getBytes(StandardCharsets.UTF_8);
  }

  private static byte[] bytes(ByteBuffer buffer) {
    ByteBuffer copy = buffer.duplicate();
    byte[] out = new byte[copy.remaining()];
    copy.get(out);
    return out;
  }

  private static void await(Future<RecordMetadata> ack) {
    try {
      ack.get(30, TimeUnit.SECONDS);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new IllegalStateException(e);
    } catch (ExecutionException | TimeoutException e) {
      throw new IllegalStateException("could not write to " + Topics.TENANT_KEYS.name() + ": " + e, e);
    }
  }

  @Override
  public synchronized void close() {
    if (!running) {
      return;
    }
    running = false;
    follower.wakeup();
    thread.interrupt(); // a follower waiting to read again after a failure
    try {
      thread.join(5000);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
    }
    synchronized (offsets) {
      offsets.close(Duration.ZERO);
    }
    producer.close(Duration.ofSeconds(5));
  }
}
