package io.storystream.processor.admission;

import static org.assertj.core.api.Assertions.assertThat;

import org.junit.jupiter.api.Test;

class MinuteWindowTest {
  private static final long T = 1_800_000_000_000L; // a whole second

  @Test
  void countsTheSixtySecondsEndingWithTheCurrentSecond() {
    MinuteWindow window = MinuteWindow.empty().plusOne(T).plusOne(T + 999).plusOne(T + 30_000);

    assertThat(window.count(T + 30_000)).isEqualTo(3);
    assertThat(window.count(T + 59_999)).isEqualTo(3);
    assertThat(window.count(T + 60_000)).isEqualTo(1); // second T has left the minute
    assertThat(window.count(T + 90_000)).isZero();
  }

  @Test
  void dropsBucketsThatLeftTheMinuteAndKeepsOutOfOrderRequests() {
    MinuteWindow window = MinuteWindow.empty().plusOne(T).plusOne(T + 61_000).plusOne(T + 50_000);

    assertThat(window.count(T + 61_000)).isEqualTo(2);
    byte[] bytes = MinuteWindow.serde().serializer().serialize("t", window);
    assertThat(bytes).hasSize(2 * 12); // the bucket of second T is gone
    assertThat(MinuteWindow.serde().deserializer().deserialize("t", bytes).count(T + 61_000)).isEqualTo(2);
  }
}
