package io.storystream.ingress.files;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import io.storystream.schemas.FileRegistered;
import io.storystream.schemas.registry.InMemorySchemaRegistryClient;
import io.storystream.schemas.topics.TopicSerdes;
import io.storystream.schemas.topics.Topics;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

/**
 * A submit's file lookup across instances: a file this copy does not hold yet is looked up again once the copy is
 * current (then its absence is certain), uncertain when the copy cannot catch up in time, and one tenant's lookups of
 * missing files hold at most a few waits, never another tenant's.
 */
class FileCatalogFreshTest {
  private final TopicSerdes serdes = new TopicSerdes(new InMemorySchemaRegistryClient());
  private final List<CompletableFuture<Boolean>> questions = new CopyOnWriteArrayList<>();
  private final ExecutorService callers = Executors.newCachedThreadPool();

  @AfterEach
  void release() {
    questions.forEach(q -> q.complete(true));
    callers.shutdownNow();
  }

  private FileCatalog catalog(Duration limit) {
    return new FileCatalog(serdes, limit).followedBy(() -> {
      CompletableFuture<Boolean> asked = new CompletableFuture<>();
      questions.add(asked);
      return asked;
    });
  }

  private void register(FileCatalog catalog, String tenant, String fileId) {
    FileRegistered file = FileRegistered.newBuilder().setFileId(fileId).setTenantId(tenant).setName("a.csv")
        .setObjectKey("tenants/" + tenant + "/files/" + fileId).setSizeBytes(1).setSha256("ab").setRows(1)
        .setColumns(1).setColumnNames(List.of("a")).setUploadedAt(Instant.parse("2026-12-02T12:00:00Z")).build();
    catalog.apply(Topics.FILES.name(), tenant + ":" + fileId,
        serdes.value(Topics.FILES).serializer().serialize(Topics.FILES.name(), file));
  }

  @Test
  void aFileHeldIsFoundWithoutAskingTheMirror() throws Exception {
    FileCatalog catalog = catalog(Duration.ofMinutes(1));
    register(catalog, "acme", "file_1");
    FileCatalog.Lookup found = catalog.findFresh("acme", "file_1");
    assertThat(found.file()).isPresent();
    assertThat(found.certain()).isTrue();
    assertThat(questions).isEmpty();
  }

  @Test
  void aFileThatArrivesWhileTheCopyCatchesUpIsFoundAndOneThatDoesNotIsCertainlyAbsent() throws Exception {
    FileCatalog catalog = catalog(Duration.ofMinutes(1));
    Future<FileCatalog.Lookup> uploadedElsewhere = callers.submit(() -> catalog.findFresh("acme", "file_2"));
    await().atMost(Duration.ofSeconds(30)).until(() -> questions.size() == 1);
    register(catalog, "acme", "file_2"); // the mirror applies the other instance's record, then is current
    questions.get(0).complete(true);
    assertThat(uploadedElsewhere.get().file()).isPresent();

    Future<FileCatalog.Lookup> missing = callers.submit(() -> catalog.findFresh("acme", "file_missing"));
    await().atMost(Duration.ofSeconds(30)).until(() -> questions.size() == 2);
    questions.get(1).complete(true);
    assertThat(missing.get().file()).isEmpty();
    assertThat(missing.get().certain()).as("absent once the copy is current: a 404").isTrue();
  }

  @Test
  void aCopyThatCannotCatchUpInTimeGivesNoCertainAnswer() throws Exception {
    FileCatalog catalog = catalog(Duration.ofMillis(50)); // the mirror never answers here
    FileCatalog.Lookup lookup = catalog.findFresh("acme", "file_3");
    assertThat(lookup.file()).isEmpty();
    assertThat(lookup.certain()).as("uncertain: a 503 to retry, never a 404").isFalse();
    assertThat(catalog.waitingFor("acme")).isZero();
  }

  @Test
  void oneTenantsLookupsOfMissingFilesHoldAtMostFourWaitsAndNeverAnotherTenants() throws Exception {
    FileCatalog catalog = catalog(Duration.ofMinutes(1));
    List<Future<FileCatalog.Lookup>> attacker = new ArrayList<>();
    for (int i = 0; i < FileCatalog.FRESH_LOOKUPS_PER_TENANT; i++) {
      String fileId = "file_probe_" + i;
      attacker.add(callers.submit(() -> catalog.findFresh("mallory", fileId)));
    }
    await().atMost(Duration.ofSeconds(30)).until(() -> catalog.waitingFor("mallory") == 4);

    FileCatalog.Lookup fifth = catalog.findFresh("mallory", "file_probe_5");
    assertThat(fifth.certain()).as("the fifth wait is refused at once: uncertain, a 503").isFalse();

    Future<FileCatalog.Lookup> neighbour = callers.submit(() -> catalog.findFresh("acme", "file_4"));
    await().atMost(Duration.ofSeconds(30)).until(() -> catalog.waitingFor("acme") == 1);
    register(catalog, "acme", "file_4");
    questions.forEach(q -> q.complete(true));
    assertThat(neighbour.get().file()).as("the neighbour's own wait, untouched by the attacker's").isPresent();
    for (Future<FileCatalog.Lookup> probe : attacker) {
      assertThat(probe.get().certain()).isTrue();
      assertThat(probe.get().file()).isEmpty();
    }
  }
}
