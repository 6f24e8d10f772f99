package io.storystream.ingress.files;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.io.ByteArrayInputStream;
import java.io.OutputStream;
import java.util.concurrent.atomic.AtomicLong;
import org.junit.jupiter.api.Test;

class MeteredInputTest {
  private static final long SECOND = 1_000_000_000L;

  @Test
  void aBodyBelowTheMinimumRateIsRefusedOnceTheGraceIsOver() throws Exception {
    AtomicLong now = new AtomicLong();
    MeteredInput in = new MeteredInput(new ByteArrayInputStream(new byte[1 << 20]), Long.MAX_VALUE,
        OutputStream.nullOutputStream(), now::get);
    byte[] buffer = new byte[1024];
    // within the grace any pace is fine
    now.set(4 * SECOND);
    assertThat(in.read(buffer, 0, 1024)).isEqualTo(1024);
    // 6 s in: 1 s past the grace, 16 KiB due; 2 KiB would have been read
    now.set(6 * SECOND);
    assertThatThrownBy(() -> in.read(buffer, 0, 1024)).isInstanceOf(MeteredInput.TooSlow.class);
  }

  @Test
  void aBodyAtTheMinimumRateGoesThrough() throws Exception {
    AtomicLong now = new AtomicLong();
    MeteredInput in = new MeteredInput(new ByteArrayInputStream(new byte[1 << 20]), Long.MAX_VALUE,
        OutputStream.nullOutputStream(), now::get);
    byte[] buffer = new byte[(int) MeteredInput.MIN_BYTES_PER_SECOND];
    for (int second = 1; second <= 60; second++) {
      now.set((5 + second) * SECOND);
      assertThat(in.read(buffer, 0, buffer.length)).isEqualTo(buffer.length);
    }
    assertThat(in.size()).isEqualTo(60 * MeteredInput.MIN_BYTES_PER_SECOND);
  }
}
