package io.storystream.billing;

import io.storystream.common.http.ProblemException;
import io.storystream.schemas.PriceBook;
import io.storystream.schemas.Statement;
import io.storystream.schemas.Tenant;
import io.storystream.schemas.topics.TenantKeys;
import java.time.Duration;
import java.time.YearMonth;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import org.apache.kafka.common.serialization.StringSerializer;
import io.storystream.schemas.topics.TenantPartitioner;
import java.util.Set;
import org.apache.kafka.streams.KafkaStreams;
import org.apache.kafka.streams.KeyQueryMetadata;
import org.apache.kafka.streams.StoreQueryParameters;
import org.apache.kafka.streams.errors.InvalidStateStoreException;
import org.apache.kafka.streams.state.KeyValueIterator;
import org.apache.kafka.streams.state.HostInfo;
import org.apache.kafka.streams.state.QueryableStoreTypes;
import org.apache.kafka.streams.state.ReadOnlyKeyValueStore;

/**
 * Interactive queries over the aggregator's stores on this instance. Every tenant's data lives with its usage
 * partition; the embedded default runs one instance, which holds them all. With several instances a tenant's calls
 * are redirected to its owner ({@link #ownerElsewhere}); the operator's month view covers this instance's tenants. While the stores are being restored or
 * rebalanced the answer is a 503 problem the caller may retry.
 */
public final class BillingQueries {
  private final KafkaStreams streams;
  private final Duration grace;
  private final HostInfo self;

  public BillingQueries(KafkaStreams streams, Duration grace, HostInfo self) {
    this.streams = streams;
    this.grace = grace;
    this.self = self;
  }

  /**
   * The instance that holds a tenant's billing data when it is not this one (several aggregator instances share
   * the partitions); the API then redirects there.
   */
  public Optional<HostInfo> ownerElsewhere(String tenantId) {
    KeyQueryMetadata owner;
    try {
      owner = streams.queryMetadataForKey(BillingTopology.MONTH_ACCOUNTS, tenantId,
          (topic, key, value, partitions) -> Optional.of(Set.of(TenantPartitioner.partition(key, partitions))));
    } catch (RuntimeException notRunning) {
      return Optional.empty(); // answered locally: a 503 if the stores are not ready
    }
    if (owner == null || owner.equals(KeyQueryMetadata.NOT_AVAILABLE) || owner.activeHost().equals(self)) {
      return Optional.empty();
    }
    return Optional.of(owner.activeHost());
  }

  public Duration grace() {
    return grace;
  }

  public Optional<MonthAccount> account(String tenantId, YearMonth month) {
    return Optional.ofNullable(store(BillingTopology.MONTH_ACCOUNTS, MonthAccount.class)
        .get(TenantKeys.of(tenantId, month.toString())));
  }

  public Optional<Statement> statement(String tenantId, YearMonth month) {
    return Optional.ofNullable(store(BillingTopology.STATEMENTS, Statement.class)
        .get(TenantKeys.of(tenantId, month.toString())));
  }

  /**
   * The kept revisions of a tenant's month (the newest {@value BillingTopology#KEPT_REVISIONS}), oldest first: the
   * aggregator's own history, restored from its changelog like every store (the compacted statements topic keeps
   * only the latest revision of each month).
   */
  public List<Statement> revisions(String tenantId, YearMonth month) {
    List<Statement> list = new ArrayList<>();
    String prefix = TenantKeys.of(tenantId, month.toString()) + TenantKeys.SEPARATOR;
    try (KeyValueIterator<String, Statement> it = store(BillingTopology.STATEMENT_REVISIONS, Statement.class)
        .prefixScan(prefix, new StringSerializer())) {
      it.forEachRemaining(kv -> list.add(kv.value));
    }
    return list;
  }

  public boolean unsettled(String tenantId, YearMonth month) {
    return store(BillingTopology.UNSETTLED_MONTHS, Long.class).get(TenantKeys.of(tenantId, month.toString())) != null;
  }

  /** The tenant's statements, oldest month first. */
  public List<Statement> statements(String tenantId) {
    List<Statement> list = new ArrayList<>();
    try (KeyValueIterator<String, Statement> it = store(BillingTopology.STATEMENTS, Statement.class)
        .prefixScan(tenantId + TenantKeys.SEPARATOR, new StringSerializer())) {
      it.forEachRemaining(kv -> list.add(kv.value));
    }
    list.sort(Comparator.comparing(Statement::getMonth));
    return list;
  }

  /** The windows (month start → stored value) in which a window store holds the key. */
  public <V> Map<Long, V> windows(String storeName, String key) {
    Map<Long, V> found = new java.util.TreeMap<>();
    org.apache.kafka.streams.state.ReadOnlyWindowStore<String, V> store;
    try {
      store = streams.store(StoreQueryParameters.fromNameAndType(storeName,
          QueryableStoreTypes.<String, V>windowStore()));
    } catch (InvalidStateStoreException e) {
      throw notReady();
    }
    try (org.apache.kafka.streams.state.WindowStoreIterator<V> it =
             store.fetch(key, java.time.Instant.EPOCH, java.time.Instant.ofEpochMilli(Long.MAX_VALUE / 2))) {
      it.forEachRemaining(kv -> found.put(kv.key, kv.value));
    }
    return found;
  }

  /** The latest statement of every tenant-month this instance holds, by key {@code tenantId:yyyy-MM}. */
  public Map<String, Statement> latestStatements() {
    Map<String, Statement> all = new java.util.TreeMap<>();
    try (KeyValueIterator<String, Statement> it = store(BillingTopology.STATEMENTS, Statement.class).all()) {
      it.forEachRemaining(kv -> all.put(kv.key, kv.value));
    }
    return all;
  }

  /** Every tenant's statement of a month (operator view), by tenant. */
  public List<Statement> statementsOfMonth(YearMonth month) {
    List<Statement> list = new ArrayList<>();
    String suffix = TenantKeys.SEPARATOR + month.toString();
    try (KeyValueIterator<String, Statement> it = store(BillingTopology.STATEMENTS, Statement.class).all()) {
      it.forEachRemaining(kv -> {
        if (kv.key.endsWith(suffix)) {
          list.add(kv.value);
        }
      });
    }
    list.sort(Comparator.comparing(Statement::getTenantId));
    return list;
  }

  public Optional<Tenant> tenant(String tenantId) {
    return Optional.ofNullable(store(BillingTopology.TENANTS, Tenant.class).get(tenantId));
  }

  public List<PriceBook> priceBooks() {
    List<PriceBook> books = new ArrayList<>();
    try (KeyValueIterator<String, PriceBook> it = store(BillingTopology.PRICE_BOOKS, PriceBook.class).all()) {
      it.forEachRemaining(kv -> books.add(kv.value));
    }
    return books;
  }

  public String state() {
    return streams.state().name();
  }

  private <V> ReadOnlyKeyValueStore<String, V> store(String name, Class<V> type) {
    try {
      return streams.store(StoreQueryParameters.fromNameAndType(name, QueryableStoreTypes.<String, V>keyValueStore()));
    } catch (InvalidStateStoreException e) {
      throw notReady();
    }
  }

  static ProblemException notReady() {
    return new ProblemException(io.storystream.common.http.Problem.of(503, "billing-not-ready",
        "Billing is not ready", "the billing stores are being restored or rebalanced; retry shortly")
        .with("retryAfterSeconds", 2));
  }
}
