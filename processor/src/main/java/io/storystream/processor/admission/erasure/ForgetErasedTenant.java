package io.storystream.processor.admission.erasure;

import io.storystream.schemas.Tenant;
import io.storystream.schemas.TenantStatus;
import io.storystream.schemas.topics.TenantKeys;
import java.util.ArrayList;
import java.util.List;
import org.apache.kafka.common.serialization.StringSerializer;
import org.apache.kafka.streams.processor.StateStore;
import org.apache.kafka.streams.processor.api.Processor;
import org.apache.kafka.streams.processor.api.ProcessorContext;
import org.apache.kafka.streams.processor.api.Record;
import org.apache.kafka.streams.state.KeyValueIterator;
import org.apache.kafka.streams.state.KeyValueStore;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Erasure inside admission: when a tenant's record on {@code tenants} turns DELETED, every entry admission keeps about
 * that tenant — job ids, idempotency keys, the request-rate window, monthly counters, jobs in flight — is deleted from
 * its stores, and so from their changelogs. It runs in the task that owns the tenant's partition, in the same
 * exactly-once transaction as the tenant change, after every request of the tenant that came before it.
 *
 * <p>What it leaves on purpose: the tenant record itself (DELETED, so a late request is rejected as
 * {@code tenant_inactive} and the id is never reused), and the files and cache-index tables, which are tables of their
 * topics: the ingress's erasure writes tombstones there and the tables follow. Entries are found by key: exactly the
 * tenant id, or the {@code tenantId:} prefix ({@link TenantKeys}); another tenant's keys never match.
 */
public final class ForgetErasedTenant implements Processor<String, Tenant, Void, Void> {
  private static final Logger log = LoggerFactory.getLogger(ForgetErasedTenant.class);

  private final List<String> storeNames;
  private final List<KeyValueStore<String, ?>> stores = new ArrayList<>();

  /** @param storeNames admission's own stores (connected to this processor), keyed by tenant id or tenantId:… */
  public ForgetErasedTenant(String... storeNames) {
    this.storeNames = List.of(storeNames);
  }

  @Override
  @SuppressWarnings("unchecked")
  public void init(ProcessorContext<Void, Void> context) {
    for (String name : storeNames) {
      StateStore store = context.getStateStore(name);
      if (store instanceof KeyValueStore<?, ?> kv) {
        stores.add((KeyValueStore<String, ?>) kv);
      } else {
        // a window store that keeps duplicates cannot delete entries; they age out with its retention (minutes)
        log.info("store {} is not a key-value store; an erased tenant's entries in it age out with its retention",
            name);
      }
    }
  }

  @Override
  public void process(Record<String, Tenant> record) {
    Tenant tenant = record.value();
    if (record.key() == null || tenant == null || tenant.getStatus() != TenantStatus.DELETED
        || !record.key().equals(tenant.getTenantId())) {
      return;
    }
    String tenantId = record.key();
    int forgotten = 0;
    for (KeyValueStore<String, ?> store : stores) {
      forgotten += forget(store, tenantId);
    }
    log.info("tenant {} erased from admission's state: {} entries deleted", tenantId, forgotten);
  }

  /** Deletes the entry keyed by the tenant id and every entry keyed {@code tenantId:…}; returns how many. */
  static int forget(KeyValueStore<String, ?> store, String tenantId) {
    List<String> keys = new ArrayList<>();
    if (store.get(tenantId) != null) {
      keys.add(tenantId);
    }
    // collect first, delete after: deleting under an open iterator is not safe with every store (caching layers)
    try (KeyValueIterator<String, ?> it = store.prefixScan(TenantKeys.of(tenantId, ""), new StringSerializer())) {
      while (it.hasNext()) {
        keys.add(it.next().key);
      }
    }
    keys.forEach(store::delete);
    return keys.size();
  }
}
