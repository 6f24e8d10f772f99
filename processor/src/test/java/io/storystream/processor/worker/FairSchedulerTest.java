package io.storystream.processor.worker;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;

class FairSchedulerTest {

  @Test
  void aLateTenantGetsTheNextFreeSlotAheadOfAnotherTenantsBacklog() {
    FairScheduler<String> scheduler = new FairScheduler<>(2);
    for (int i = 0; i < 100; i++) {
      scheduler.offer("a", 10, "a" + i);
    }
    assertThat(scheduler.next()).isEqualTo("a0");
    assertThat(scheduler.next()).isEqualTo("a1");
    assertThat(scheduler.next()).as("every slot is taken").isNull();

    scheduler.offer("b", 10, "b0");
    scheduler.offer("b", 10, "b1");
    scheduler.release("a");
    assertThat(scheduler.next()).isEqualTo("b0");
    scheduler.release("a");
    assertThat(scheduler.next()).isEqualTo("a2");
    scheduler.release("b");
    assertThat(scheduler.next()).isEqualTo("b1");
  }

  @Test
  void slotsAlternateBetweenTenantsWithWorkWaiting() {
    FairScheduler<String> scheduler = new FairScheduler<>(1);
    for (int i = 0; i < 5; i++) {
      scheduler.offer("a", 5, "a" + i);
    }
    for (int i = 0; i < 2; i++) {
      scheduler.offer("b", 5, "b" + i);
    }
    List<String> order = new ArrayList<>();
    String job;
    while ((job = scheduler.next()) != null) {
      order.add(job);
      scheduler.release(job.substring(0, 1));
    }
    assertThat(order).containsExactly("a0", "b0", "a1", "b1", "a2", "a3", "a4");
  }

  @Test
  void aTenantNeverRunsMoreThanItsCapEvenWithFreeSlots() {
    FairScheduler<String> scheduler = new FairScheduler<>(10);
    for (int i = 0; i < 5; i++) {
      scheduler.offer("a", 2, "a" + i);
    }
    assertThat(scheduler.next()).isEqualTo("a0");
    assertThat(scheduler.next()).isEqualTo("a1");
    assertThat(scheduler.next()).isNull();
    assertThat(scheduler.running("a")).isEqualTo(2);
    scheduler.offer("b", 1, "b0");
    assertThat(scheduler.next()).isEqualTo("b0");
    scheduler.release("a");
    assertThat(scheduler.next()).isEqualTo("a2");
    assertThat(scheduler.waiting()).isEqualTo(2);
  }

  @Test
  void waitingJobsOfARevokedPartitionAreDropped() {
    FairScheduler<String> scheduler = new FairScheduler<>(1);
    scheduler.offer("a", 1, "p0-a");
    scheduler.offer("a", 1, "p1-a");
    scheduler.offer("b", 1, "p0-b");
    assertThat(scheduler.removeWaiting(j -> j.startsWith("p0"))).isEqualTo(2);
    assertThat(scheduler.waiting()).isEqualTo(1);
    assertThat(scheduler.next()).isEqualTo("p1-a");
    assertThat(scheduler.next()).isNull();
  }

  @Test
  void releasingATenantWithNothingRunningIsABug() {
    FairScheduler<String> scheduler = new FairScheduler<>(1);
    assertThatThrownBy(() -> scheduler.release("a")).isInstanceOf(IllegalStateException.class);
  }
}
