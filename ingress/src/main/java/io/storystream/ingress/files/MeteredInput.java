package io.storystream.ingress.files;

import java.io.FilterInputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.HexFormat;
import java.util.function.LongSupplier;

/**
 * The upload body as the CSV check reads it: every byte read is counted, hashed (SHA-256) and copied to the object
 * being written. Reading past the plan's size limit throws {@link TooLarge} at once, so an oversize upload is cut off
 * while streaming. A body that arrives slower than {@link #MIN_BYTES_PER_SECOND} on average, once
 * {@link #GRACE_NANOS} have passed, throws {@link TooSlow}: a trickling upload cannot hold its thread, its S3
 * upload and its part buffer for hours. (A body that stops altogether is ended by the server's idle timeout.)
 */
final class MeteredInput extends FilterInputStream {
  private final long maxBytes;
  private final OutputStream copy;
  private final MessageDigest sha256;
  /** 16 KiB/s: a 48 MB upload may take 50 minutes. */
  static final long MIN_BYTES_PER_SECOND = 16 * 1024;
  static final long GRACE_NANOS = 5_000_000_000L;

  private final LongSupplier nanoTime;
  private final long startNanos;
  private long size;

  MeteredInput(InputStream in, long maxBytes, OutputStream copy) {
    this(in, maxBytes, copy, System::nanoTime);
  }

  /** With the time source that paces the minimum rate (tests drive it by hand). */
  MeteredInput(InputStream in, long maxBytes, OutputStream copy, LongSupplier nanoTime) {
    super(in);
    this.nanoTime = nanoTime;
    this.startNanos = nanoTime.getAsLong();
    this.maxBytes = maxBytes;
    this.copy = copy;
    try {
      this.sha256 = MessageDigest.getInstance("SHA-256");
    } catch (NoSuchAlgorithmException e) {
      throw new IllegalStateException(e);
    }
  }

  static final class TooLarge extends IOException {
    TooLarge(long maxBytes) {
      super("more than " + maxBytes + " bytes");
    }
  }

  static final class TooSlow extends IOException {
    TooSlow() {
      super("below " + MIN_BYTES_PER_SECOND + " bytes per second");
    }
  }

  @Override
  public int read() throws IOException {
    byte[] one = new byte[1];
    int n = read(one, 0, 1);
    return n < 0 ? -1 : one[0] & 0xff;
  }

  @Override
  public int read(byte[] b, int off, int len) throws IOException {
    int n = super.read(b, off, len);
    long elapsed = nanoTime.getAsLong() - startNanos;
    if (n >= 0 && elapsed > GRACE_NANOS
        && (size + n) < MIN_BYTES_PER_SECOND * ((elapsed - GRACE_NANOS) / 1_000_000L) / 1000L) {
      throw new TooSlow();
    }
    if (n > 0) {
      size += n;
      if (size > maxBytes) {
        throw new TooLarge(maxBytes);
      }
      sha256.update(b, off, n);
      copy.write(b, off, n);
    }
    return n;
  }

  @Override
  public long skip(long n) throws IOException {
    byte[] buffer = new byte[8192];
    long skipped = 0;
    while (skipped < n) {
      int r = read(buffer, 0, (int) Math.min(buffer.length, n - skipped));
      if (r < 0) {
        break;
      }
      skipped += r;
    }
    return skipped;
  }

  /** Reads what the CSV check left unread, so the size, hash and object cover the whole body. */
  void drain() throws IOException {
    byte[] buffer = new byte[64 * 1024];
    while (read(buffer, 0, buffer.length) >= 0) {
      // counted, hashed and copied by read()
    }
  }

  long size() {
    return size;
  }

  String sha256Hex() {
    return HexFormat.of().formatHex(sha256.digest());
  }

  @Override
  public void close() {
    // the servlet container owns the request stream
  }
}
