package io.storystream.ingress.files;

import io.storystream.common.blob.BlobStore;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.OutputStream;
import java.util.ArrayList;
import java.util.List;
import software.amazon.awssdk.core.sync.RequestBody;
import software.amazon.awssdk.services.s3.S3Client;
import software.amazon.awssdk.services.s3.model.CompletedPart;

/**
 * An object written as the bytes arrive: up to one part is held in memory; a larger object becomes an S3 multipart
 * upload, so an upload of any size is never held whole. {@link #abort()} removes whatever was written.
 */
final class ObjectUpload extends OutputStream {
  static final int PART_BYTES = 5 * 1024 * 1024; // S3's smallest part

  private final BlobStore blobs;
  private final String key;
  private final String contentType;
  private final ByteArrayOutputStream part = new ByteArrayOutputStream();
  private final List<CompletedPart> parts = new ArrayList<>();
  private String uploadId;
  private boolean completed;

  ObjectUpload(BlobStore blobs, String key, String contentType) {
    this.blobs = blobs;
    this.key = key;
    this.contentType = contentType;
  }

  @Override
  public void write(int b) throws IOException {
    write(new byte[] {(byte) b}, 0, 1);
  }

  @Override
  public void write(byte[] b, int off, int len) throws IOException {
    while (len > 0) {
      int room = PART_BYTES - part.size();
      int n = Math.min(room, len);
      part.write(b, off, n);
      off += n;
      len -= n;
      if (part.size() == PART_BYTES) {
        flushPart();
      }
    }
  }

  private void flushPart() {
    S3Client s3 = blobs.client();
    if (uploadId == null) {
      uploadId = s3.createMultipartUpload(c -> c.bucket(blobs.bucket()).key(key).contentType(contentType)).uploadId();
    }
    int number = parts.size() + 1;
    String etag = s3.uploadPart(u -> u.bucket(blobs.bucket()).key(key).uploadId(uploadId).partNumber(number)
        .contentLength((long) part.size()), RequestBody.fromBytes(part.toByteArray())).eTag();
    parts.add(CompletedPart.builder().partNumber(number).eTag(etag).build());
    part.reset();
  }

  /** Makes the object visible under its key. */
  void complete() {
    if (uploadId == null) {
      blobs.put(key, part.toByteArray(), contentType);
    } else {
      if (part.size() > 0) {
        flushPart();
      }
      blobs.client().completeMultipartUpload(c -> c.bucket(blobs.bucket()).key(key).uploadId(uploadId)
          .multipartUpload(m -> m.parts(parts)));
    }
    completed = true;
  }

  /** Removes every byte written: the pending multipart upload, or the object when it was completed. */
  void abort() {
    try {
      if (uploadId != null && !completed) {
        blobs.client().abortMultipartUpload(a -> a.bucket(blobs.bucket()).key(key).uploadId(uploadId));
      }
      if (completed) {
        blobs.delete(key);
      }
    } catch (RuntimeException e) {
      // best effort; the object key is random and unregistered, so a leftover is never served
      org.slf4j.LoggerFactory.getLogger(ObjectUpload.class).warn("could not remove partial object {}: {}", key,
          e.toString());
    }
  }
}
