package io.storystream.ingress.crypto;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.awaitility.Awaitility.await;

import io.storystream.common.crypto.Keyrings;
import io.storystream.common.crypto.MasterKeys;
import io.storystream.common.crypto.TenantContentSealing;
import io.storystream.common.crypto.TenantKeyring;
import io.storystream.common.kafka.KafkaSettings;
import io.storystream.embedded.EmbeddedKafka;
import io.storystream.embedded.registry.SchemaRegistryServer;
import io.storystream.schemas.AnalysisWork;
import io.storystream.schemas.AuditActor;
import io.storystream.schemas.AuditEvent;
import io.storystream.schemas.DeadLetter;
import io.storystream.schemas.FileRegistered;
import io.storystream.schemas.WebhookSubscription;
import io.storystream.schemas.registry.HttpSchemaRegistryClient;
import io.storystream.schemas.topics.TopicCatalogue;
import io.storystream.schemas.topics.TopicSerdes;
import io.storystream.schemas.topics.Topics;
import io.storystream.testsupport.RegistryAwayAtFirst;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import org.apache.kafka.clients.admin.Admin;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInstance;
import org.junit.jupiter.api.io.TempDir;

/**
 * The keyring and the sealing on a real broker and registry, as two service instances see them: content sealed by
 * one opens on the other; a destroyed key reaches the other instance and its content reads as erased (never an
 * error); a rotation re-wraps, and a service without the wrapping master key stops with a message naming it.
 */
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
class TenantKeyringTest {
  private static final String OLD = "11".repeat(32);
  private static final String NEW = "22".repeat(32);

  @TempDir static Path dir;
  private EmbeddedKafka kafka;
  private SchemaRegistryServer registry;
  private KafkaSettings settings;

  @BeforeAll
  void start() throws Exception {
    kafka = EmbeddedKafka.forTests(dir.resolve("kafka")).start();
    registry = new SchemaRegistryServer("127.0.0.1", 0, kafka.bootstrapServers(), (short) 1).start();
    settings = new KafkaSettings(kafka.bootstrapServers(), registry.url(), 3, (short) 1);
    try (Admin admin = Admin.create(settings.admin())) {
      TopicCatalogue.standard(3, (short) 1).ensure(admin);
    }
  }

  @AfterAll
  void stop() throws Exception {
    registry.close();
    kafka.close();
  }

  private TenantKeyring instance(String masterKeys) {
    return new TenantKeyring(settings, new HttpSchemaRegistryClient(registry.url()), MasterKeys.parse(masterKeys),
        Clock.systemUTC()).start();
  }

  @Test
  void sealedOnOneInstanceOpensOnAnotherAndReadsAsErasedOnceTheKeyIsDestroyed() {
    try (TenantKeyring writer = instance(OLD); TenantKeyring reader = instance(OLD)) {
      TenantContentSealing sealing = new TenantContentSealing(writer);
      TenantContentSealing opening = new TenantContentSealing(reader);
      AnalysisWork work = work("acme", "q3 churn by region", "sales-q3.csv");
      AnalysisWork sealed = (AnalysisWork) sealing.seal("analysis-work", work);
      assertThat(sealed.getSteeringPrompt()).startsWith("ssk1:").doesNotContain("churn");
      assertThat(sealed.getFileName()).startsWith("ssk1:").doesNotContain("sales");
      assertThat(work.getSteeringPrompt()).as("the caller's record is not changed").isEqualTo("q3 churn by region");
      AnalysisWork opened = (AnalysisWork) opening.open("analysis-work", AnalysisWork.newBuilder(sealed).build());
      assertThat(opened.getSteeringPrompt()).isEqualTo("q3 churn by region");
      assertThat(opened.getFileName()).isEqualTo("sales-q3.csv");

      FileRegistered file = (FileRegistered) sealing.seal("files", FileRegistered.newBuilder()
          .setFileId("file_1").setTenantId("acme").setName("sales-q3.csv").setObjectKey("tenants/acme/files/file_1")
          .setSizeBytes(10).setSha256("ab").setRows(1).setColumns(2).setColumnNames(List.of("region", "mrr_secret"))
          .setUploadedAt(Instant.now()).build());
      AuditEvent audit = (AuditEvent) sealing.seal("audit", AuditEvent.newBuilder().setEventId("aud_1")
          .setTenantId("acme").setActor(AuditActor.TENANT).setAction("file.upload").setResourceId("sales-q3.csv")
          .setOutcome("success").setOccurredAt(Instant.now()).build());
      DeadLetter dead = (DeadLetter) sealing.seal("dead-letter", DeadLetter.newBuilder().setSourceTopic("x")
          .setSourcePartition(0).setSourceOffset(1).setKey(ByteBuffer.wrap("acme".getBytes(StandardCharsets.UTF_8)))
          .setValue(ByteBuffer.wrap("raw prompt bytes".getBytes(StandardCharsets.UTF_8))).setApplication("a")
          .setReason("processing_failed").setFailedAt(Instant.now()).build());
      WebhookSubscription hook = (WebhookSubscription) sealing.seal("webhooks", WebhookSubscription.newBuilder()
          .setWebhookId("wh_1").setTenantId("acme").setUrl("https://hooks.acme.example/storystream")
          .setEvents(List.of("job.completed")).setSecret("whsec_c2VjcmV0").setCreatedAt(Instant.now()).build());
      assertThat(hook.getUrl()).startsWith("ssk1:").doesNotContain("acme.example");
      assertThat(hook.getSecret()).startsWith("ssk1:").doesNotContain("whsec_");
      WebhookSubscription openedHook = (WebhookSubscription) opening.open("webhooks",
          WebhookSubscription.newBuilder(hook).build());
      assertThat(openedHook.getUrl()).isEqualTo("https://hooks.acme.example/storystream");
      assertThat(openedHook.getSecret()).isEqualTo("whsec_c2VjcmV0");
      assertThat(StandardCharsets.UTF_8.decode(dead.getValue().duplicate()).toString()).doesNotContain("prompt");
      assertThat(file.getColumnNames()).noneMatch(c -> c.contains("mrr"));
      assertThat(audit.getResourceId()).doesNotContain("sales");

      long t0 = System.nanoTime();
      List<String> destroyed = writer.destroy("acme");
      assertThat(destroyed).hasSize(1);
      await().atMost(Duration.ofSeconds(10)).pollInterval(Duration.ofMillis(5)).until(() -> reader.isErased("acme"));
      System.out.println("the other instance learned of the destroyed key " + (System.nanoTime() - t0) / 1_000_000
          + " ms after destroy() began");

      AnalysisWork erased = (AnalysisWork) opening.open("analysis-work", AnalysisWork.newBuilder(sealed).build());
      assertThat(erased.getSteeringPrompt()).isNull();
      assertThat(erased.getFileName()).isEqualTo(TenantContentSealing.ERASED);
      FileRegistered erasedFile = (FileRegistered) opening.open("files", FileRegistered.newBuilder(file).build());
      assertThat(erasedFile.getName()).isEqualTo(TenantContentSealing.ERASED);
      assertThat(erasedFile.getColumnNames()).isEmpty();
      assertThat(((AuditEvent) opening.open("audit", AuditEvent.newBuilder(audit).build())).getResourceId()).isNull();
      assertThat(((DeadLetter) opening.open("dead-letter", DeadLetter.newBuilder(dead).build())).getValue()).isNull();
      WebhookSubscription erasedHook = (WebhookSubscription) opening.open("webhooks",
          WebhookSubscription.newBuilder(hook).build());
      assertThat(erasedHook.getUrl()).isEqualTo(TenantContentSealing.ERASED);
      assertThat(erasedHook.getSecret()).isEqualTo(TenantContentSealing.ERASED);
      // nothing new is sealed for an erased tenant, on either instance, nor by an instance started afterwards
      assertThat(((AnalysisWork) sealing.seal("analysis-work", work)).getSteeringPrompt()).isNull();
      try (TenantKeyring late = instance(OLD)) {
        assertThat(late.isErased("acme")).isTrue();
        assertThat(((AnalysisWork) new TenantContentSealing(late).seal("analysis-work", work)).getFileName())
            .isEqualTo(TenantContentSealing.ERASED);
      }
      // another tenant is untouched
      AnalysisWork other = (AnalysisWork) sealing.seal("analysis-work", work("globex", "margin", "globex.csv"));
      assertThat(((AnalysisWork) opening.open("analysis-work", other)).getSteeringPrompt()).isEqualTo("margin");
    }
  }

  @Test
  void aKeyringThatCouldNotReadTheTopicForAWhileKeepsFollowingItAndLearnsANewKey() {
    // every lookup of the data keys' schema times out at first, as while a broker is away
    RegistryAwayAtFirst away = new RegistryAwayAtFirst(new HttpSchemaRegistryClient(registry.url()),
        RegistryAwayAtFirst.ANY_ID, 4);
    try (TenantKeyring writer = instance(OLD);
         TenantKeyring reader = new TenantKeyring(settings, away, MasterKeys.parse(OLD), Clock.systemUTC()).start()) {
      AnalysisWork sealed = (AnalysisWork) new TenantContentSealing(writer).seal("analysis-work",
          work("keyring-away", "q4 retention", "retention.csv"));
      // the reader learns the key from the topic, where the writer put it, once its lookups answer again
      await().atMost(Duration.ofSeconds(30)).untilAsserted(() -> assertThat(((AnalysisWork) new TenantContentSealing(
          reader).open("analysis-work", AnalysisWork.newBuilder(sealed).build())).getSteeringPrompt())
          .isEqualTo("q4 retention"));
      assertThat(away.failed()).as("the reader met the outage").isEqualTo(4);
    }
  }

  @Test
  void aRotationReWrapsEveryKeyAndAServiceWithoutTheWrappingKeySaysWhichOneItLacks() {
    AnalysisWork sealed;
    try (TenantKeyring before = instance(OLD)) {
      sealed = (AnalysisWork) new TenantContentSealing(before).seal("analysis-work", work("rot-co", "p", "r.csv"));
    }
    // at start-up, not when the first such record reaches one of its threads
    assertThatThrownBy(() -> instance(NEW))
        .hasMessageContaining(MasterKeys.parse(OLD).currentId())
        .hasMessageContaining(MasterKeys.ENV);
    try (TenantKeyring rotating = instance(NEW + "," + OLD)) {
      assertThat(rotating.rewrap()).isPositive();
      assertThat(rotating.keysByMasterKey()).containsOnlyKeys(MasterKeys.parse(NEW).currentId());
    }
    try (TenantKeyring after = instance(NEW)) {
      assertThat(((AnalysisWork) new TenantContentSealing(after).open("analysis-work",
          AnalysisWork.newBuilder(sealed).build())).getSteeringPrompt()).isEqualTo("p");
    }
    // the other tests of this class share the topic and use OLD: rotate back so they start whatever the order
    try (TenantKeyring back = instance(OLD + "," + NEW)) {
      assertThat(back.rewrap()).isPositive();
    }
  }

  @Test
  void theCataloguesSerdesSealWhenAKeyringIsInstalledForTheirRegistry() {
    TopicSerdes serdes = new TopicSerdes(new HttpSchemaRegistryClient(registry.url()));
    AnalysisWork work = work("serde-co", "plain prompt", "plain.csv");
    byte[] unsealed = serdes.value(Topics.ANALYSIS_WORK).serializer().serialize("analysis-work", work);
    assertThat(new String(unsealed, StandardCharsets.ISO_8859_1)).contains("plain prompt");
    try (Keyrings.Lease lease = Keyrings.acquire(settings, () -> MasterKeys.parse(OLD))) {
      byte[] bytes = serdes.value(Topics.ANALYSIS_WORK).serializer().serialize("analysis-work", work);
      assertThat(new String(bytes, StandardCharsets.ISO_8859_1)).doesNotContain("plain");
      assertThat(serdes.value(Topics.ANALYSIS_WORK).deserializer().deserialize("analysis-work", bytes)
          .getSteeringPrompt()).isEqualTo("plain prompt");
      // written before sealing existed: read as it is
      assertThat(serdes.value(Topics.ANALYSIS_WORK).deserializer().deserialize("analysis-work", unsealed)
          .getSteeringPrompt()).isEqualTo("plain prompt");
    }
  }

  private static AnalysisWork work(String tenantId, String prompt, String fileName) {
    return AnalysisWork.newBuilder().setJobId("job_1").setTenantId(tenantId).setFileId("file_1")
        .setObjectKey("tenants/" + tenantId + "/files/file_1").setFileName(fileName).setFileSha256("ab")
        .setFileRows(1).setSteeringPrompt(prompt).setRefinementPrompt(null).setCacheKey(null).setConcurrentJobs(1)
        .setSubmittedAt(Instant.now()).setAdmittedAt(Instant.now()).build();
  }
}
