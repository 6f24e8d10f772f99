package io.storystream.processor.worker;

import java.util.ArrayDeque;
import java.util.HashMap;
import java.util.Iterator;
import java.util.Map;
import java.util.function.Predicate;

/**
 * Decides which waiting job runs next: a free slot goes to the waiting tenant with the fewest jobs running (ties in
 * round-robin order), each tenant held to its plan's cap on jobs running at once, all tenants together held to the
 * worker's slot count. One tenant's burst only
 * lengthens its own queue: whenever a slot frees up, the next tenant in the ring with room under its cap gets it, so
 * a tenant with a single job waits for at most one turn of the ring, not behind the other tenant's backlog.
 *
 * <p>Not thread-safe: the worker's loop thread is its only user.
 */
public final class FairScheduler<J> {

  private static final class TenantQueue<J> {
    final ArrayDeque<J> waiting = new ArrayDeque<>();
    int running;
    int cap = 1;
  }

  private final int slots;
  private final Map<String, TenantQueue<J>> tenants = new HashMap<>();
  /** Tenants with at least one waiting job, in the order they get their next turn. */
  private final ArrayDeque<String> ring = new ArrayDeque<>();
  private int running;
  private int waiting;

  /** @param slots how many jobs may run at once across all tenants */
  public FairScheduler(int slots) {
    if (slots < 1) {
      throw new IllegalArgumentException("slots must be at least 1");
    }
    this.slots = slots;
  }

  /** Queues a job; {@code cap} is the tenant's current limit on jobs running at once (the newest value wins). */
  public void offer(String tenant, int cap, J job) {
    TenantQueue<J> queue = tenants.computeIfAbsent(tenant, t -> new TenantQueue<>());
    queue.cap = Math.max(1, cap);
    if (queue.waiting.isEmpty()) {
      ring.addLast(tenant);
    }
    queue.waiting.addLast(job);
    waiting++;
  }

  /**
   * The next job to start, or null when every slot is taken or every waiting tenant is at its cap. The caller
   * must {@link #release} the job's tenant when the job ends.
   */
  public J next() {
    if (running >= slots) {
      return null;
    }
    // the waiting tenant with room under its cap and the fewest jobs running gets the slot; ties go to the one
    // that waited longest (ring order), so a newcomer is served before a tenant that just took a turn
    String chosen = null;
    int fewest = Integer.MAX_VALUE;
    for (String tenant : ring) {
      TenantQueue<J> queue = tenants.get(tenant);
      if (queue.running < queue.cap && queue.running < fewest) {
        chosen = tenant;
        fewest = queue.running;
      }
    }
    if (chosen != null) {
      TenantQueue<J> queue = tenants.get(chosen);
      J job = queue.waiting.pollFirst();
      queue.running++;
      running++;
      waiting--;
      ring.remove(chosen);
      if (!queue.waiting.isEmpty()) {
        ring.addLast(chosen);
      }
      return job;
    }
    return null;
  }

  /** A job of {@code tenant} ended (completed, failed or abandoned). */
  public void release(String tenant) {
    TenantQueue<J> queue = tenants.get(tenant);
    if (queue == null || queue.running == 0) {
      throw new IllegalStateException("release without a running job for tenant " + tenant);
    }
    queue.running--;
    running--;
    if (queue.running == 0 && queue.waiting.isEmpty()) {
      tenants.remove(tenant);
    }
  }

  /** Drops waiting jobs that match (their partition was taken away); returns how many. */
  public int removeWaiting(Predicate<J> filter) {
    int removed = 0;
    for (Iterator<Map.Entry<String, TenantQueue<J>>> it = tenants.entrySet().iterator(); it.hasNext(); ) {
      Map.Entry<String, TenantQueue<J>> entry = it.next();
      TenantQueue<J> queue = entry.getValue();
      int before = queue.waiting.size();
      queue.waiting.removeIf(filter);
      removed += before - queue.waiting.size();
      if (queue.waiting.isEmpty()) {
        ring.remove(entry.getKey());
        if (queue.running == 0) {
          it.remove();
        }
      }
    }
    waiting -= removed;
    return removed;
  }

  public int running() {
    return running;
  }

  public int waiting() {
    return waiting;
  }

  public int running(String tenant) {
    TenantQueue<J> queue = tenants.get(tenant);
    return queue == null ? 0 : queue.running;
  }
}
