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

  public FileCatalog(TopicSerdes serdes) {
    this.reader = serdes.value(Topics.FILES).deserializer();
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
