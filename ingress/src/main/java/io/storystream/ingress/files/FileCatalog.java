package io.storystream.ingress.files;

import io.storystream.ingress.kafka.TopicMirror;
import io.storystream.schemas.FileRegistered;
import io.storystream.schemas.topics.TenantKeys;
import io.storystream.schemas.topics.TopicSerdes;
import io.storystream.schemas.topics.Topics;
import java.util.Comparator;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.ConcurrentHashMap;
import org.apache.kafka.common.serialization.Deserializer;

/** Every registered file, by tenant, from the compacted {@code files} topic (key tenantId:fileId, tombstone = gone). */
public final class FileCatalog implements TopicMirror.Sink {
  private final Map<String, Map<String, FileRegistered>> byTenant = new ConcurrentHashMap<>();
  private final Deserializer<FileRegistered> reader;
  /** Asks the mirror that fills this catalogue whether it is current (see {@link TopicMirror#awaitCurrent}). */
  private volatile java.util.function.Supplier<java.util.concurrent.CompletableFuture<Boolean>> currency;
  private final java.time.Duration freshLookupLimit;
  /** Fresh lookups waiting per tenant: a tenant asking for files that do not exist holds at most this many threads. */
  static final int FRESH_LOOKUPS_PER_TENANT = 4;
  /** How long a fresh lookup waits for this copy to catch up before it says it cannot tell. */
  public static final java.time.Duration FRESH_LOOKUP_LIMIT = java.time.Duration.ofSeconds(3);
  private final Map<String, java.util.concurrent.Semaphore> freshLookups = new ConcurrentHashMap<>();

  /** What a fresh lookup found: the file, its absence (certain), or neither (this copy is not current). */
  public record Lookup(Optional<FileRegistered> file, boolean certain) {}

  public FileCatalog(TopicSerdes serdes) {
    this(serdes, FRESH_LOOKUP_LIMIT);
  }

  FileCatalog(TopicSerdes serdes, java.time.Duration freshLookupLimit) {
    this.reader = serdes.value(Topics.FILES).deserializer();
    this.freshLookupLimit = freshLookupLimit;
  }

  @Override
  public void apply(String topic, String key, byte[] value) {
    String tenantId = TenantKeys.tenantOf(key);
    String fileId = TenantKeys.resourceOf(key);
    if (fileId == null) {
      return;
    }
    if (value == null) {
      byTenant.computeIfPresent(tenantId, (t, files) -> {
        files.remove(fileId);
        return files.isEmpty() ? null : files;
      });
      return;
    }
    FileRegistered file = reader.deserialize(topic, value);
    if (!file.getTenantId().equals(tenantId) || !file.getFileId().equals(fileId)) {
      return; // key and body disagree: never file a record under another tenant
    }
    byTenant.computeIfAbsent(tenantId, t -> new ConcurrentHashMap<>()).put(fileId, file);
  }

  /** The mirror that fills this catalogue, for {@link #findFresh}. */
  public FileCatalog followedBy(TopicMirror filled) {
    return followedBy(filled::awaitCurrent);
  }

  FileCatalog followedBy(java.util.function.Supplier<java.util.concurrent.CompletableFuture<Boolean>> asked) {
    this.currency = asked;
    return this;
  }

  /** Fresh lookups of the tenant waiting now (for tests). */
  int waitingFor(String tenantId) {
    java.util.concurrent.Semaphore slots = freshLookups.get(tenantId);
    return slots == null ? 0 : FRESH_LOOKUPS_PER_TENANT - slots.availablePermits();
  }

  /**
   * The file as registered anywhere before this call. A file uploaded through another instance a moment ago may not
   * have reached this copy yet: a miss waits (up to {@link #FRESH_LOOKUP_LIMIT}, 3 s) for the copy to apply every record
   * the topic held at the question, and only then is the absence certain. When it cannot catch up in time (the
   * registry or the broker away) or the tenant already has {@link #FRESH_LOOKUPS_PER_TENANT} such waits, the answer is
   * uncertain and the caller says "retry" rather than "no such file".
   */
  public Lookup findFresh(String tenantId, String fileId) throws InterruptedException {
    Optional<FileRegistered> held = find(tenantId, fileId);
    var asked = currency;
    if (held.isPresent() || asked == null) {
      return new Lookup(held, true);
    }
    java.util.concurrent.Semaphore slots = freshLookups.computeIfAbsent(tenantId,
        t -> new java.util.concurrent.Semaphore(FRESH_LOOKUPS_PER_TENANT));
    if (!slots.tryAcquire()) {
      return new Lookup(Optional.empty(), false);
    }
    try {
      boolean current;
      try {
        current = asked.get().get(freshLookupLimit.toMillis(), java.util.concurrent.TimeUnit.MILLISECONDS);
      } catch (java.util.concurrent.TimeoutException | java.util.concurrent.ExecutionException notInTime) {
        current = false;
      }
      Optional<FileRegistered> now = find(tenantId, fileId);
      return new Lookup(now, now.isPresent() || current);
    } finally {
      slots.release();
    }
  }

  public Optional<FileRegistered> find(String tenantId, String fileId) {
    Map<String, FileRegistered> files = byTenant.get(tenantId);
    return files == null || fileId == null ? Optional.empty() : Optional.ofNullable(files.get(fileId));
  }

  /** The tenant's files, newest first. */
  public List<FileRegistered> list(String tenantId) {
    Map<String, FileRegistered> files = byTenant.get(tenantId);
    if (files == null) {
      return List.of();
    }
    return files.values().stream()
        .sorted(Comparator.comparing(FileRegistered::getUploadedAt).reversed()
            .thenComparing(FileRegistered::getFileId, Comparator.reverseOrder()))
        .toList();
  }
}
