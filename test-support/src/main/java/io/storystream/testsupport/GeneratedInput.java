package io.storystream.testsupport;

import java.io.InputStream;
import java.nio.charset.StandardCharsets;

/**
 * A large input made as it is read, never held: {@code head}, then {@code fill} repeated, then {@code tail}, about
 * {@code size} bytes (the fill ends whole before the tail, so a file of rows ends on a whole row). CSV bombs of any
 * shape and size cost nothing to send; {@link #bytesRead()} tells how much of one a reader pulled before it refused.
 */
public final class GeneratedInput extends InputStream {
  private final byte[] head;
  private final byte[] fill;
  private final byte[] tail;
  private final long size;
  private long pos;

  public GeneratedInput(String head, String fill, String tail, long size) {
    this.head = head.getBytes(StandardCharsets.UTF_8);
    this.fill = fill.getBytes(StandardCharsets.UTF_8);
    this.tail = tail.getBytes(StandardCharsets.UTF_8);
    if (this.fill.length == 0) {
      throw new IllegalArgumentException("the fill must not be empty");
    }
    this.size = size - (size - this.head.length - this.tail.length) % this.fill.length;
  }

  /** The size actually generated (the requested size, less what keeps the last fill whole). */
  public long size() {
    return size;
  }

  public long bytesRead() {
    return pos;
  }

  @Override
  public int read() {
    byte[] one = new byte[1];
    return read(one, 0, 1) < 0 ? -1 : one[0] & 0xff;
  }

  @Override
  public int read(byte[] b, int off, int len) {
    if (pos >= size) {
      return -1;
    }
    int n = (int) Math.min(len, size - pos);
    for (int i = 0; i < n; i++) {
      long at = pos + i;
      b[off + i] = at < head.length ? head[(int) at]
          : at >= size - tail.length ? tail[(int) (at - (size - tail.length))]
          : fill[(int) ((at - head.length) % fill.length)];
    }
    pos += n;
    return n;
  }
}
