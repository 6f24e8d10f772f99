package io.storystream.common;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import org.junit.jupiter.api.Test;

class IdsTest {

  @Test
  void anIdIsItsPrefixAnd26CrockfordCharacters() {
    String id = Ids.newId("job");
    assertThat(id).matches("job_[0-9a-hjkmnp-tv-z]{26}");
    assertThat(Ids.looksLike("job", id)).isTrue();
    assertThat(Ids.looksLike("file", id)).isFalse();
    assertThat(Ids.looksLike("job", id.substring(0, id.length() - 1))).isFalse();
    assertThat(Ids.looksLike("job", id.substring(0, id.length() - 1) + "u")).isFalse();
  }

  @Test
  void threadsWithGeneratorsOfTheirOwnNeverRepeatAnId() throws Exception {
    // each thread draws from a generator of its own: a seed shared by mistake would repeat ids across threads
    Set<String> seen = ConcurrentHashMap.newKeySet();
    int threads = 8;
    int perThread = 5_000;
    ExecutorService pool = Executors.newFixedThreadPool(threads);
    try {
      java.util.List<Future<?>> done = new java.util.ArrayList<>();
      for (int t = 0; t < threads; t++) {
        done.add(pool.submit(() -> {
          for (int i = 0; i < perThread; i++) {
            seen.add(Ids.newId("req"));
          }
        }));
      }
      for (Future<?> f : done) {
        f.get();
      }
    } finally {
      pool.shutdown();
    }
    assertThat(seen).hasSize(threads * perThread);
  }
}
