package io.storystream.processor.admission;

import static org.assertj.core.api.Assertions.assertThat;

import io.storystream.processor.ProcessorTopics;
import io.storystream.schemas.AnalysisRequest;
import io.storystream.schemas.AnalysisStatus;
import io.storystream.schemas.FileRegistered;
import io.storystream.schemas.JobState;
import io.storystream.schemas.PlanLimits;
import io.storystream.schemas.Tenant;
import io.storystream.schemas.TenantStatus;
import io.storystream.schemas.processor.CacheIndexEntry;
import io.storystream.schemas.registry.InMemorySchemaRegistryClient;
import io.storystream.schemas.topics.TenantKeys;
import io.storystream.schemas.topics.Topic;
import io.storystream.schemas.topics.TopicSerdes;
import io.storystream.schemas.topics.Topics;
import java.nio.file.Path;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.time.ZoneOffset;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Properties;
import org.apache.avro.specific.SpecificRecord;
import org.apache.kafka.streams.KeyValue;
import org.apache.kafka.streams.StreamsConfig;
import org.apache.kafka.streams.TestInputTopic;
import org.apache.kafka.streams.TestOutputTopic;
import org.apache.kafka.streams.TopologyTestDriver;
import org.apache.kafka.streams.processor.StateStore;
import org.apache.kafka.streams.state.KeyValueIterator;
import org.apache.kafka.streams.state.KeyValueStore;
import org.apache.kafka.streams.state.WindowStore;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Erasure in the admission topology: after a tenant's DELETED record (and the ingress's tombstones for its files and
 * cache entries), admission holds nothing about the tenant but its DELETED record; another tenant's state is the same
 * entry for entry.
 */
class ForgetErasedTenantTest {
  private static final Instant NOW = Instant.parse("2026-11-29T12:00:00Z");
  private static final String SHA = "ab".repeat(32);
  /** admission's own stores, and the tables it reads */
  private static final List<String> OWN_STORES = List.of(AdmissionTopology.JOB_IDS,
      AdmissionTopology.IDEMPOTENCY_KEYS, AdmissionTopology.REQUESTS_LAST_MINUTE,
      AdmissionTopology.ANALYSES_PER_MONTH, AdmissionTopology.JOBS_IN_FLIGHT);
  private static final List<String> TABLES = List.of(AdmissionTopology.FILES, AdmissionTopology.CACHE_INDEX);

  @TempDir Path stateDir;

  private final InMemorySchemaRegistryClient registry = new InMemorySchemaRegistryClient();
  private final TopicSerdes serdes = new TopicSerdes(registry);
  private TopologyTestDriver driver;
  private TestInputTopic<String, Tenant> tenants;
  private TestInputTopic<String, FileRegistered> files;
  private TestInputTopic<String, CacheIndexEntry> cacheIndex;
  private TestInputTopic<String, AnalysisRequest> requests;
  private TestInputTopic<String, AnalysisStatus> endingsIn;
  private TestOutputTopic<String, AnalysisStatus> status;
  private int jobs;

  @BeforeEach
  void start() {
    Properties props = new Properties();
    props.put(StreamsConfig.APPLICATION_ID_CONFIG, "admission-erasure-test");
    props.put(StreamsConfig.BOOTSTRAP_SERVERS_CONFIG, "unused:9092");
    props.put(StreamsConfig.PROCESSING_GUARANTEE_CONFIG, StreamsConfig.EXACTLY_ONCE_V2);
    props.put(StreamsConfig.STATE_DIR_CONFIG, stateDir.toString());
    props.putAll(DeadLetters.streamsConfig(registry));
    driver = new TopologyTestDriver(new AdmissionTopology(serdes, Clock.fixed(NOW, ZoneOffset.UTC),
        CacheKeys.DEFAULT_TTL, Duration.ofDays(7)).build(), props, NOW);
    tenants = input(Topics.TENANTS);
    files = input(Topics.FILES);
    cacheIndex = input(ProcessorTopics.CACHE_INDEX);
    requests = input(Topics.ANALYSIS_REQUESTS);
    endingsIn = input(ProcessorTopics.JOB_ENDINGS);
    status = driver.createOutputTopic(Topics.ANALYSIS_STATUS.name(), serdes.key().deserializer(),
        serdes.value(Topics.ANALYSIS_STATUS).deserializer());
  }

  @AfterEach
  void stop() {
    driver.close();
  }

  @Test
  void aDeletedTenantLeavesNothingInAdmissionsStateAndTheOtherTenantKeepsAll() {
    for (String tenant : List.of("acme", "globex")) {
      tenant(tenant, TenantStatus.ACTIVE);
      file(tenant, "file_1");
      cacheEntry(tenant, "c".repeat(64));
      String finished = submit(tenant, "idem-1", NOW.minusSeconds(30));
      submit(tenant, "idem-2", NOW.minusSeconds(20)); // stays in flight
      endingsIn.pipeInput(TenantKeys.of(tenant, finished), AnalysisStatus.newBuilder().setJobId(finished)
          .setTenantId(tenant).setFileId("file_1").setState(JobState.COMPLETED).setSequence(4)
          .setSubmittedAt(NOW).setUpdatedAt(NOW).build(), NOW.minusSeconds(10));
    }
    assertThat(status.readValuesToList()).filteredOn(s -> s.getSequence() == AdmissionTopology.DECISION_SEQUENCE)
        .extracting(AnalysisStatus::getState).containsOnly(JobState.ADMITTED).hasSize(4);
    // before: both tenants have entries in every store admission keeps (the counted job, the key, the window, …)
    Map<String, Map<String, Object>> before = snapshot();
    for (String store : OWN_STORES) {
      if (before.containsKey(store)) {
        assertThat(keysOf(before.get(store), "acme")).as(store).isNotEmpty();
        assertThat(keysOf(before.get(store), "globex")).as(store).isNotEmpty();
      }
    }

    // the ingress's erasure: DELETED on tenants, then tombstones for the tenant's files and cache entries
    tenant("acme", TenantStatus.DELETED);
    files.pipeInput(TenantKeys.of("acme", "file_1"), null, NOW);
    cacheIndex.pipeInput(CacheKeys.indexKey("acme", "c".repeat(64)), null, NOW);

    Map<String, Map<String, Object>> after = snapshot();
    for (String store : OWN_STORES) {
      if (after.containsKey(store)) {
        assertThat(keysOf(after.get(store), "acme")).as(store).isEmpty();
      } else {
        // before the rate window became a key-value store it was a window store keeping duplicates, which cannot
        // delete; its entries (job ids only) age out with its two-minute retention
        assertThat(driver.getAllStateStores().get(store)).as(store).isInstanceOf(WindowStore.class);
      }
    }
    for (String table : TABLES) {
      assertThat(keysOf(after.get(table), "acme")).as(table).isEmpty();
    }
    for (String store : after.keySet()) {
      assertThat(entriesOf(after.get(store), "globex")).as(store).usingRecursiveComparison()
          .isEqualTo(entriesOf(before.get(store), "globex"));
    }
    // the tenant record stays, DELETED, so a late request is turned away and the id is never reused
    KeyValueStore<String, Tenant> tenantTable = driver.getKeyValueStore(AdmissionTopology.TENANTS);
    assertThat(tenantTable.get("acme").getStatus()).isEqualTo(TenantStatus.DELETED);
    String late = submit("acme", null, NOW);
    AnalysisStatus rejected = status.readValuesToList().stream().filter(s -> s.getJobId().equals(late)).findFirst()
        .orElseThrow();
    assertThat(rejected.getState()).isEqualTo(JobState.REJECTED);
    assertThat(rejected.getReason()).isEqualTo(Rejection.TENANT_INACTIVE.reason);
  }

  @Test
  void anUpdateThatIsNotADeletionForgetsNothing() {
    tenant("acme", TenantStatus.ACTIVE);
    file("acme", "file_1");
    submit("acme", "idem-1", NOW.minusSeconds(5));
    Map<String, Map<String, Object>> before = snapshot();

    tenant("acme", TenantStatus.SUSPENDED);

    Map<String, Map<String, Object>> after = snapshot();
    for (String store : OWN_STORES) {
      if (before.containsKey(store)) {
        assertThat(entriesOf(after.get(store), "acme")).as(store).isNotEmpty().usingRecursiveComparison()
            .isEqualTo(entriesOf(before.get(store), "acme"));
      }
    }
  }

  @Test
  void aRepeatedDeletionIsHarmless() {
    tenant("acme", TenantStatus.ACTIVE);
    file("acme", "file_1");
    submit("acme", "idem-1", NOW.minusSeconds(5));
    tenant("acme", TenantStatus.DELETED);
    tenant("acme", TenantStatus.DELETED);
    Map<String, Map<String, Object>> after = snapshot();
    for (String store : OWN_STORES) {
      if (after.containsKey(store)) {
        assertThat(keysOf(after.get(store), "acme")).as(store).isEmpty();
      }
    }
  }

  // --- helpers -------------------------------------------------------------------------------------------------

  /** Every key-value store's content (values as read; snapshots are compared field by field). */
  private Map<String, Map<String, Object>> snapshot() {
    Map<String, Map<String, Object>> all = new LinkedHashMap<>();
    for (String name : concat(OWN_STORES, TABLES)) {
      StateStore raw = driver.getAllStateStores().get(name);
      if (!(raw instanceof KeyValueStore<?, ?>)) {
        continue;
      }
      KeyValueStore<String, Object> store = driver.getKeyValueStore(name);
      Map<String, Object> entries = new LinkedHashMap<>();
      try (KeyValueIterator<String, Object> it = store.all()) {
        while (it.hasNext()) {
          KeyValue<String, Object> next = it.next();
          entries.put(next.key, next.value);
        }
      }
      all.put(name, entries);
    }
    return all;
  }

  private static List<String> concat(List<String> a, List<String> b) {
    return java.util.stream.Stream.concat(a.stream(), b.stream()).toList();
  }

  private static List<String> keysOf(Map<String, Object> entries, String tenant) {
    return entries.keySet().stream().filter(k -> k.equals(tenant) || k.startsWith(tenant + ":")).toList();
  }

  private static Map<String, Object> entriesOf(Map<String, Object> entries, String tenant) {
    Map<String, Object> mine = new LinkedHashMap<>();
    keysOf(entries, tenant).forEach(k -> mine.put(k, entries.get(k)));
    return mine;
  }

  private void tenant(String id, TenantStatus tenantStatus) {
    tenants.pipeInput(id, Tenant.newBuilder().setTenantId(id).setName(id).setPlan("pro")
        .setLimits(new PlanLimits(10, 50L * 1024 * 1024, true, 10, 5, 30, 100)).setStatus(tenantStatus)
        .setCreatedAt(NOW).setUpdatedAt(NOW).setDeletedAt(tenantStatus == TenantStatus.DELETED ? NOW : null).build(),
        NOW.minusSeconds(tenantStatus == TenantStatus.ACTIVE ? 3600 : 1));
  }

  private void file(String tenantId, String fileId) {
    files.pipeInput(TenantKeys.of(tenantId, fileId), FileRegistered.newBuilder().setFileId(fileId)
        .setTenantId(tenantId).setName(fileId + ".csv").setObjectKey("tenants/" + tenantId + "/files/" + fileId)
        .setSizeBytes(1000).setSha256(SHA).setRows(42).setColumns(3).setUploadedAt(NOW).build(),
        NOW.minusSeconds(3600));
  }

  private void cacheEntry(String tenantId, String cacheKey) {
    cacheIndex.pipeInput(CacheKeys.indexKey(tenantId, cacheKey), CacheIndexEntry.newBuilder().setTenantId(tenantId)
        .setCacheKey(cacheKey).setJobId("job_cached").setResultPrefix("tenants/" + tenantId + "/results/job_cached/")
        .setCreatedAt(NOW.minusSeconds(600)).setExpiresAt(NOW.plusSeconds(3600)).build(), NOW.minusSeconds(600));
  }

  private String submit(String tenantId, String idem, Instant at) {
    String jobId = "job_" + (++jobs);
    requests.pipeInput(tenantId, AnalysisRequest.newBuilder().setJobId(jobId).setTenantId(tenantId)
        .setFileId("file_1").setSteeringPrompt("prompt " + jobId).setIdempotencyKey(idem)
        .setRequestHash("cd".repeat(32)).setSubmittedAt(at).build(), at);
    return jobId;
  }

  private <V extends SpecificRecord> TestInputTopic<String, V> input(Topic<V> topic) {
    return driver.createInputTopic(topic.name(), serdes.key().serializer(), serdes.value(topic).serializer());
  }
}
