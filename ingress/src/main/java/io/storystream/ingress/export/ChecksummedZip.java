package io.storystream.ingress.export;

import java.io.FilterOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.security.DigestOutputStream;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.ArrayList;
import java.util.HexFormat;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.zip.ZipEntry;
import java.util.zip.ZipOutputStream;

/**
 * A zip written entry by entry, each one streamed through SHA-256 as it goes (nothing held whole in memory), and
 * listed with its size and checksum for the manifest.
 */
final class ChecksummedZip implements AutoCloseable {
  record Entry(String path, long bytes, String sha256) {
    Map<String, Object> view() {
      Map<String, Object> m = new LinkedHashMap<>();
      m.put("path", path);
      m.put("bytes", bytes);
      m.put("sha256", sha256);
      return m;
    }
  }

  private final ZipOutputStream zip;
  private final List<Entry> entries = new ArrayList<>();

  ChecksummedZip(OutputStream out) {
    this.zip = new ZipOutputStream(out);
  }

  void add(String path, InputStream content) throws IOException {
    MessageDigest sha = sha256();
    zip.putNextEntry(new ZipEntry(path));
    long[] count = {0};
    OutputStream entry = new DigestOutputStream(new FilterOutputStream(zip) {
      @Override
      public void write(byte[] b, int off, int len) throws IOException {
        zip.write(b, off, len);
        count[0] += len;
      }

      @Override
      public void write(int b) throws IOException {
        zip.write(b);
        count[0]++;
      }

      @Override
      public void close() {
        // the zip stays open for the next entry
      }
    }, sha);
    content.transferTo(entry);
    entry.flush();
    zip.closeEntry();
    entries.add(new Entry(path, count[0], HexFormat.of().formatHex(sha.digest())));
  }

  void add(String path, byte[] content) throws IOException {
    add(path, new java.io.ByteArrayInputStream(content));
  }

  List<Entry> entries() {
    return List.copyOf(entries);
  }

  static MessageDigest sha256() {
    try {
      return MessageDigest.getInstance("SHA-256");
    } catch (NoSuchAlgorithmException e) {
      throw new IllegalStateException(e);
    }
  }

  @Override
  public void close() throws IOException {
    zip.close();
  }
}
