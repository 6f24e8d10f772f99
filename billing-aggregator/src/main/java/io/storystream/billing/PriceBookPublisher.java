package io.storystream.billing;

import io.storystream.common.billing.api.PriceBookDocument;
import io.storystream.common.kafka.KafkaSettings;
import io.storystream.schemas.PriceBook;
import io.storystream.schemas.registry.HttpSchemaRegistryClient;
import io.storystream.schemas.registry.SchemaRegistryClient;
import io.storystream.schemas.topics.TopicSerdes;
import io.storystream.schemas.topics.Topics;
import java.time.Clock;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.concurrent.ExecutionException;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Publishes price books to the compacted {@code price-books} topic (key = version), after validating them against
 * themselves and against the versions already published. Nothing is written when the book is invalid: the
 * {@link InvalidPriceBookException} is a 422 (or 409 for a changed version) problem the operator API can return
 * as is. Publishing a version that covers past months makes the aggregator re-rate them.
 */
public final class PriceBookPublisher implements AutoCloseable {
  private static final Logger log = LoggerFactory.getLogger(PriceBookPublisher.class);

  /** What was published. {@code alreadyPublished}: the same version with the same prices was there already. */
  public record Published(PriceBook book, boolean alreadyPublished) {}

  private final KafkaSettings kafka;
  private final TopicSerdes serdes;
  private final PriceBookValidator validator;
  private final Clock clock;
  // made on the first publish: an aggregator restarting after a crash serves its read API without waiting for a
  // producer it may never use (price books are published rarely, by an operator)
  private KafkaProducer<String, byte[]> producer;

  public PriceBookPublisher(KafkaSettings kafka) {
    this(kafka, new HttpSchemaRegistryClient(kafka.registryUrl()), PriceBookValidator.standard(), Clock.systemUTC());
  }

  public PriceBookPublisher(KafkaSettings kafka, SchemaRegistryClient registry, PriceBookValidator validator,
                            Clock clock) {
    this.kafka = kafka;
    this.serdes = new TopicSerdes(registry);
    this.validator = validator;
    this.clock = clock;
  }

  /** Validates the document, then writes it; throws {@link InvalidPriceBookException} (nothing written) when invalid. */
  public synchronized Published publish(PriceBookDocument document) {
    List<PriceBook> published = published();
    Map<Integer, PriceBook> byVersion = new TreeMap<>();
    published.forEach(b -> byVersion.put(b.getVersion(), b));
    if (validator.check(document, published)) {
      return new Published(byVersion.get(document.version()), true);
    }
    PriceBook book = document.toPriceBook(clock.instant());
    if (producer == null) {
      producer = new KafkaProducer<>(kafka.producer("price-book-publisher"));
    }
    try {
      producer.send(new ProducerRecord<>(Topics.PRICE_BOOKS.name(), Integer.toString(book.getVersion()),
          serdes.value(Topics.PRICE_BOOKS).serializer().serialize(Topics.PRICE_BOOKS.name(), book))).get();
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new IllegalStateException("interrupted while publishing price book v" + book.getVersion(), e);
    } catch (ExecutionException e) {
      throw new IllegalStateException("could not publish price book v" + book.getVersion() + ": "
          + e.getCause().getMessage(), e.getCause());
    }
    log.info("published price book v{} ({}..{})", book.getVersion(), book.getEffectiveFrom(), book.getEffectiveTo());
    return new Published(book, false);
  }

  /**
   * For {@code PUT /admin/price-books/{version}}: the version in the path must be the document's (or the document
   * may leave it out).
   */
  public Published publish(int pathVersion, PriceBookDocument document) {
    if (document.version() != null && document.version() != pathVersion) {
      throw InvalidPriceBookException.of(List.of("the document's version " + document.version()
          + " differs from the version " + pathVersion + " in the path"));
    }
    return publish(document.withVersion(pathVersion));
  }

  /** The latest record of every version on the topic, by version. */
  public List<PriceBook> published() {
    Map<String, PriceBook> latest = new TreeMap<>();
    TopicReader.readAll(kafka, Topics.PRICE_BOOKS.name(), serdes.value(Topics.PRICE_BOOKS).deserializer(),
        (key, book) -> {
          if (book == null) {
            latest.remove(key);
          } else {
            latest.put(key, book);
          }
        });
    List<PriceBook> books = new ArrayList<>(latest.values());
    books.sort(java.util.Comparator.comparingInt(PriceBook::getVersion));
    return books;
  }

  /** Publishes the default price book when no price book exists yet (the launcher's first start). */
  public boolean publishDefaultIfNone() {
    if (!published().isEmpty()) {
      return false;
    }
    publish(PriceBooks.defaultDocument());
    return true;
  }

  @Override
  public synchronized void close() {
    if (producer != null) {
      producer.close();
      producer = null;
    }
  }
}
