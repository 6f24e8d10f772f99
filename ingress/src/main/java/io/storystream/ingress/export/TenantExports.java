package io.storystream.ingress.export;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.SerializationFeature;
import io.storystream.common.Ids;
import io.storystream.common.blob.BlobStore;
import io.storystream.common.http.JsonMapper;
import io.storystream.common.kafka.KafkaSettings;
import io.storystream.schemas.registry.HttpSchemaRegistryClient;
import io.storystream.schemas.topics.Topic;
import io.storystream.schemas.topics.TopicSerdes;
import io.storystream.schemas.topics.Topics;
import java.io.BufferedOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.DigestOutputStream;
import java.security.MessageDigest;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.HexFormat;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.TreeMap;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.TimeUnit;
import org.apache.avro.specific.SpecificRecord;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import software.amazon.awssdk.services.s3.model.S3Object;

/**
 * A tenant's data, taken with it: one zip per export in S3 under {@code tenants/{tenantId}/exports/{exportId}/}, with
 * every object under the tenant's prefix (uploaded files, results: narratives, charts, datasets), its file records,
 * job history (statuses and the requests with their prompts), usage events, statements and audit trail, and a
 * {@code manifest.json} listing every entry's size and SHA-256. The export's state sits next to it
 * ({@code state.json}), so any instance answers for it, and it goes with the tenant at erasure.
 *
 * <p>The archive is written entry by entry through a temporary file of the data folder and streamed to S3 from
 * there: memory stays bounded whatever the tenant holds. One export per tenant runs at a time; a handful run per
 * process ({@link #WORKERS}), the others wait their turn.
 */
public final class TenantExports implements AutoCloseable {
  private static final Logger log = LoggerFactory.getLogger(TenantExports.class);
  static final int WORKERS = 2;
  static final Duration READ_TIMEOUT = Duration.ofSeconds(60);
  /** A running export older than this was lost with its instance: another may start. */
  static final Duration STALE = Duration.ofHours(1);
  private static final ObjectMapper JSON = JsonMapper.shared().copy().enable(SerializationFeature.INDENT_OUTPUT);

  private final KafkaSettings kafka;
  private final BlobStore blobs;
  private final Clock clock;
  private final Path tmpDir;
  private final TopicSerdes serdes;
  private final ExecutorService workers = Executors.newFixedThreadPool(WORKERS, r -> {
    Thread t = new Thread(r, "tenant-export");
    t.setDaemon(true);
    return t;
  });
  private final Map<String, String> running = new ConcurrentHashMap<>();

  /** Where an export stands; {@code archiveKey} once completed. */
  public record ExportState(String exportId, String tenantId, String state, Instant requestedAt, Instant completedAt,
                            Long bytes, String sha256, Integer entries, String error) {
    public boolean active() {
      return "running".equals(state);
    }
  }

  public TenantExports(KafkaSettings kafka, BlobStore blobs, Clock clock, Path tmpDir) {
    this.kafka = kafka;
    this.blobs = blobs;
    this.clock = clock;
    this.tmpDir = tmpDir;
    this.serdes = new TopicSerdes(new HttpSchemaRegistryClient(kafka.registryUrl()));
  }

  static String prefix(String tenantId, String exportId) {
    return "tenants/" + tenantId + "/exports/" + exportId + "/";
  }

  /** Starts an export, or answers the one of the tenant still running (empty: started; present: the running one). */
  public synchronized Map.Entry<ExportState, Boolean> start(String tenantId) {
    Optional<ExportState> inFlight = inFlight(tenantId);
    if (inFlight.isPresent()) {
      return Map.entry(inFlight.get(), false);
    }
    String exportId = Ids.newId("exp");
    ExportState state = new ExportState(exportId, tenantId, "running", clock.instant(), null, null, null, null, null);
    save(state);
    running.put(tenantId, exportId);
    workers.submit(() -> run(state));
    return Map.entry(state, true);
  }

  private Optional<ExportState> inFlight(String tenantId) {
    String local = running.get(tenantId);
    if (local != null) {
      return state(tenantId, local);
    }
    for (S3Object object : blobs.list("tenants/" + tenantId + "/exports/")) {
      if (object.key().endsWith("/state.json")) {
        Optional<ExportState> s = read(object.key());
        if (s.isPresent() && s.get().active() && s.get().requestedAt().isAfter(clock.instant().minus(STALE))) {
          return s; // running on another instance
        }
      }
    }
    return Optional.empty();
  }

  public Optional<ExportState> state(String tenantId, String exportId) {
    if (!exportId.matches("exp_[a-z0-9]{1,40}")) {
      return Optional.empty();
    }
    return read(prefix(tenantId, exportId) + "state.json").filter(s -> s.tenantId().equals(tenantId));
  }

  /** The archive of a completed export, streamed from S3. */
  public Optional<InputStream> archive(String tenantId, String exportId) {
    return state(tenantId, exportId).filter(s -> "completed".equals(s.state()))
        .flatMap(s -> blobs.open(prefix(tenantId, exportId) + "archive.zip").map(in -> (InputStream) in));
  }

  private Optional<ExportState> read(String key) {
    return blobs.get(key).map(bytes -> {
      try {
        return JSON.readValue(bytes, ExportState.class);
      } catch (IOException e) {
        return null;
      }
    });
  }

  private void save(ExportState state) {
    try {
      blobs.put(prefix(state.tenantId(), state.exportId()) + "state.json", JSON.writeValueAsBytes(state),
          "application/json");
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }

  private void run(ExportState state) {
    String tenantId = state.tenantId();
    Path tmp = null;
    try {
      Files.createDirectories(tmpDir);
      tmp = Files.createTempFile(tmpDir, state.exportId(), ".zip");
      MessageDigest whole = ChecksummedZip.sha256();
      List<ChecksummedZip.Entry> entries;
      try (OutputStream file = new DigestOutputStream(new BufferedOutputStream(Files.newOutputStream(tmp)), whole);
           ChecksummedZip zip = new ChecksummedZip(file)) {
        write(zip, state);
        entries = zip.entries();
      }
      long bytes = Files.size(tmp);
      try (InputStream in = Files.newInputStream(tmp)) {
        blobs.put(prefix(tenantId, state.exportId()) + "archive.zip", in, bytes, "application/zip");
      }
      save(new ExportState(state.exportId(), tenantId, "completed", state.requestedAt(), clock.instant(), bytes,
          HexFormat.of().formatHex(whole.digest()), entries.size() + 1, null));
      log.info("export {} of tenant {}: {} entries, {} bytes", state.exportId(), tenantId, entries.size() + 1, bytes);
    } catch (BlobStore.WriteFencedException erased) {
      log.info("export {} of tenant {} stopped: the tenant was erased", state.exportId(), tenantId);
    } catch (Exception e) {
      log.warn("export {} of tenant {} failed: {}", state.exportId(), tenantId, e.getClass().getSimpleName());
      try {
        save(new ExportState(state.exportId(), tenantId, "failed", state.requestedAt(), clock.instant(), null, null,
            null, e.getClass().getSimpleName()));
      } catch (RuntimeException ignored) {
        // the state stays "running" and turns stale; the tenant may start another one
      }
    } finally {
      running.remove(tenantId, state.exportId());
      if (tmp != null) {
        try {
          Files.deleteIfExists(tmp);
        } catch (IOException ignored) {
          // the data folder's temp file is overwritten by nothing; removed on the next start of this export id
        }
      }
    }
  }

  /** Every part of the archive, the manifest last. */
  private void write(ChecksummedZip zip, ExportState state) throws IOException {
    String tenantId = state.tenantId();
    String tenantPrefix = "tenants/" + tenantId + "/";
    Map<String, Integer> counts = new LinkedHashMap<>();
    int objects = 0;
    for (S3Object object : blobs.list(tenantPrefix)) {
      String rest = object.key().substring(tenantPrefix.length());
      if (rest.startsWith("exports/")) {
        continue; // earlier exports are not part of the tenant's data
      }
      Optional<? extends InputStream> in = blobs.open(object.key());
      if (in.isPresent()) {
        try (InputStream content = in.get()) {
          zip.add("objects/" + rest, content);
        }
        objects++;
      }
    }
    counts.put("objects", objects);
    counts.put("files", latest(zip, "files.json", Topics.FILES, tenantId));
    counts.put("jobs", latest(zip, "jobs.json", Topics.ANALYSIS_STATUS, tenantId));
    counts.put("requests", lines(zip, "requests.jsonl", Topics.ANALYSIS_REQUESTS, tenantId));
    counts.put("usageEvents", lines(zip, "usage-events.jsonl", Topics.USAGE_EVENTS, tenantId));
    counts.put("statements", latest(zip, "statements.json", Topics.BILLING_STATEMENTS, tenantId));
    counts.put("auditEvents", lines(zip, "audit.jsonl", Topics.AUDIT, tenantId));

    Map<String, Object> manifest = new LinkedHashMap<>();
    manifest.put("tenantId", tenantId);
    manifest.put("exportId", state.exportId());
    manifest.put("requestedAt", state.requestedAt().toString());
    manifest.put("createdAt", clock.instant().toString());
    manifest.put("counts", counts);
    manifest.put("entries", zip.entries().stream().map(ChecksummedZip.Entry::view).toList());
    zip.add("manifest.json", JSON.writeValueAsBytes(manifest));
  }

  /** The latest record per key of a compacted topic, without the deleted ones, as one JSON array. */
  private <V extends SpecificRecord> int latest(ChecksummedZip zip, String path, Topic<V> topic, String tenantId)
      throws IOException {
    Map<String, Map<String, Object>> latest = new TreeMap<>();
    TenantRecords.read(kafka, serdes, topic, tenantId, READ_TIMEOUT, (key, value) -> {
      if (value == null) {
        latest.remove(key);
      } else {
        latest.put(key, AvroJson.of(value));
      }
    });
    zip.add(path, JSON.writeValueAsBytes(new ArrayList<>(latest.values())));
    return latest.size();
  }

  /** Every record of an append-only topic, one JSON object a line, streamed through a temporary file. */
  private <V extends SpecificRecord> int lines(ChecksummedZip zip, String path, Topic<V> topic, String tenantId)
      throws IOException {
    Path part = Files.createTempFile(tmpDir, "export-part", ".jsonl");
    int[] count = {0};
    ObjectMapper compact = JsonMapper.shared();
    try {
      try (OutputStream out = new BufferedOutputStream(Files.newOutputStream(part))) {
        TenantRecords.read(kafka, serdes, topic, tenantId, READ_TIMEOUT, (key, value) -> {
          if (value == null) {
            return;
          }
          try {
            out.write(compact.writeValueAsBytes(AvroJson.of(value)));
            out.write('\n');
            count[0]++;
          } catch (IOException e) {
            throw new UncheckedIOException(e);
          }
        });
      }
      try (InputStream in = Files.newInputStream(part)) {
        zip.add(path, in);
      }
    } finally {
      Files.deleteIfExists(part);
    }
    return count[0];
  }

  @Override
  public void close() {
    workers.shutdownNow();
    try {
      workers.awaitTermination(10, TimeUnit.SECONDS);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
    }
  }
}
