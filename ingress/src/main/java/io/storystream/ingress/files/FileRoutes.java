package io.storystream.ingress.files;

import io.javalin.http.Context;
import io.storystream.common.Ids;
import io.storystream.common.blob.BlobStore;
import io.storystream.common.http.Problem;
import io.storystream.common.http.ProblemException;
import io.storystream.ingress.api.FileBodies;
import io.storystream.ingress.auth.Principal;
import io.storystream.ingress.auth.Scope;
import io.storystream.ingress.http.Attrs;
import io.storystream.ingress.http.Json;
import io.storystream.ingress.http.Route;
import io.storystream.ingress.kafka.EventPublisher;
import io.storystream.schemas.FileRegistered;
import io.storystream.schemas.UsageEvent;
import io.storystream.schemas.UsageType;
import io.storystream.schemas.topics.TenantKeys;
import io.storystream.schemas.topics.Topics;
import java.io.IOException;
import java.io.InputStream;
import java.time.Clock;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Set;
import org.apache.commons.fileupload2.core.FileItemInput;
import org.apache.commons.fileupload2.core.FileItemInputIterator;
import org.apache.commons.fileupload2.core.FileUploadException;
import org.apache.commons.fileupload2.jakarta.servlet6.JakartaServletFileUpload;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * {@code /v1/files}: a CSV upload streams straight to S3 under {@code tenants/{tenantId}/files/{fileId}} while its
 * size, SHA-256 and CSV shape are worked out; only a file that passes every check is registered (a {@code files}
 * event and a {@code FILE_UPLOAD} usage event). Anything rejected leaves no object and no event.
 */
public final class FileRoutes {
  private static final Logger log = LoggerFactory.getLogger(FileRoutes.class);
  private static final Set<String> CSV_MEDIA = Set.of("text/csv", "application/csv", "text/plain",
      "application/vnd.ms-excel", "application/octet-stream");
  private static final int MAX_NAME = 255;
  private static final long DISCARD_LIMIT = 64L * 1024 * 1024;
  /** Parts of one multipart body (the file and a few form fields); more is not an upload but an attack. */
  static final int MAX_PARTS = 8;
  /** Bytes of one part other than the file (form fields are read and dropped). */
  static final int MAX_FIELD_BYTES = 64 * 1024;
  /** Bytes of a multipart body beyond the file itself (boundaries, part headers, small fields). */
  static final long MULTIPART_OVERHEAD = 64 * 1024;

  private final FileCatalog catalog;
  private final BlobStore blobs;
  private final EventPublisher publisher;
  private final Clock clock;

  public FileRoutes(FileCatalog catalog, BlobStore blobs, EventPublisher publisher, Clock clock) {
    this.catalog = catalog;
    this.blobs = blobs;
    this.publisher = publisher;
    this.clock = clock;
  }

  public List<Route> routes() {
    return List.of(
        Route.post("/v1/files").tenant(Scope.FILES_WRITE).audit("file.upload", null)
            .doc("uploadFile", "Upload a CSV file (multipart field 'file', or a text/csv body with ?name=)")
            .consumes("multipart/form-data", "text/csv").query("name", "string", "file name for a text/csv body")
            .returns(201, "the registered file", FileBodies.FileInfo.class)
            .reply(400, "the body could not be read").problems(400, "malformed-multipart", "upload-interrupted")
            .reply(408, "the body arrived slower than the minimum data rate").problems(408, "request-too-slow")
            .reply(413, "larger than the plan allows").problems(413, "file-too-large", "part-too-large",
                "too-many-parts")
            .reply(415, "not a CSV upload").problems(415, "unsupported-media-type", "unsupported-file-type")
            .reply(422, "not a valid CSV file").problems(422, "unknown-field", "missing-file", "invalid-file-name")
            .problems(422, CsvInspector.PROBLEMS.toArray(String[]::new))
            .reply(429, "rate limit, or the tenant's concurrent uploads")
            .reply(503, "storage unavailable").problems(503, "unavailable")
            .handle(this::upload),
        Route.get("/v1/files").tenant(Scope.FILES_WRITE, Scope.ANALYSES_WRITE).audit("file.list", null)
            .doc("listFiles", "The tenant's files, newest first").returns(200, "the files", FileBodies.FileList.class)
            .handle(this::list),
        Route.get("/v1/files/{fileId}").tenant(Scope.FILES_WRITE, Scope.ANALYSES_WRITE).audit("file.read", "fileId")
            .doc("getFile", "One file's metadata").returns(200, "the file", FileBodies.FileInfo.class)
            .reply(404, "no such file").problems(404, "not-found")
            .handle(this::get),
        Route.delete("/v1/files/{fileId}").tenant(Scope.FILES_WRITE).audit("file.delete", "fileId")
            .doc("deleteFile", "Delete a file and its object").reply(204, "deleted", null)
            .reply(404, "no such file").problems(404, "not-found")
            .handle(this::delete));
  }

  private void upload(Context ctx) throws Exception {
    try {
      receive(ctx);
    } catch (org.eclipse.jetty.http.HttpException.RuntimeException e) {
      // Jetty refused the body while it was read: below the minimum data rate (408), or malformed framing
      ctx.header("Connection", "close");
      if (e.getCode() == 408) {
        throw tooSlow();
      }
      throw new ProblemException(400, "upload-interrupted", "Upload interrupted", "the upload body could not be read");
    } catch (ProblemException e) {
      if (e.problem().status() == 413) {
        discardRest(ctx);
      }
      throw e;
    }
  }

  /**
   * Reads and drops what is left of a refused body (up to 64 MiB), so the client, still sending, reads the 413
   * instead of a reset connection. Nothing of it is stored.
   */
  private static void discardRest(Context ctx) {
    long declared = ctx.req().getContentLengthLong();
    if (declared > DISCARD_LIMIT) {
      ctx.header("Connection", "close");
      return;
    }
    try {
      InputStream in = ctx.req().getInputStream();
      byte[] buffer = new byte[64 * 1024];
      long dropped = 0;
      int n;
      while (dropped < DISCARD_LIMIT && (n = in.read(buffer)) >= 0) {
        dropped += n;
      }
      if (dropped >= DISCARD_LIMIT) {
        ctx.header("Connection", "close");
      }
    } catch (IOException | IllegalStateException gone) {
      ctx.header("Connection", "close");
    }
  }

  private void receive(Context ctx) throws Exception {
    Principal principal = Attrs.principal(ctx);
    long maxBytes = principal.limits().getMaxFileBytes();
    String contentType = ctx.contentType() == null ? "" : ctx.contentType().toLowerCase(Locale.ROOT);
    long declared = ctx.req().getContentLengthLong();
    if (contentType.startsWith("multipart/form-data")) {
      if (declared > maxBytes + MULTIPART_OVERHEAD) {
        throw tooLarge(maxBytes);
      }
      // every part is bounded: the whole body (a chunked one too), the number of parts, each field; part headers
      // are bounded by commons-fileupload itself (10 KiB); the file part by MeteredInput
      JakartaServletFileUpload<?, ?> upload = new JakartaServletFileUpload<>();
      upload.setSizeMax(maxBytes + MULTIPART_OVERHEAD);
      FileItemInputIterator parts;
      int seen = 0;
      try {
        parts = upload.getItemIterator(ctx.req());
        while (parts.hasNext()) {
          FileItemInput part = parts.next();
          if (++seen > MAX_PARTS) {
            throw new ProblemException(413, "too-many-parts", "Too many parts",
                "a multipart upload has at most " + MAX_PARTS + " parts");
          }
          if (part.isFormField() || part.getName() == null) {
            dropField(part);
            continue;
          }
          if (!"file".equals(part.getFieldName())) {
            throw new ProblemException(422, "unknown-field", "Unknown field",
                "the file must be sent in the multipart field 'file'");
          }
          checkMedia(part.getContentType());
          try (InputStream in = part.getInputStream()) {
            store(ctx, principal, cleanName(part.getName()), in, maxBytes);
          }
          return;
        }
      } catch (FileUploadException e) {
        if (e.getCause() instanceof MeteredInput.TooLarge || sizeLimit(e)) {
          throw tooLarge(maxBytes);
        }
        if (e.getCause() instanceof MeteredInput.TooSlow) {
          ctx.header("Connection", "close");
          throw tooSlow();
        }
        throw new ProblemException(400, "malformed-multipart", "Malformed multipart body",
            "the multipart body could not be read");
      }
      throw new ProblemException(422, "missing-file", "Missing file",
          "the multipart body has no file part named 'file'");
    }
    String media = contentType.contains(";") ? contentType.substring(0, contentType.indexOf(';')).trim() : contentType.trim();
    if (!media.equals("text/csv") && !media.equals("application/csv")) {
      throw new ProblemException(415, "unsupported-media-type", "Unsupported media type",
          "send multipart/form-data with a 'file' part, or a text/csv body");
    }
    if (declared > maxBytes) {
      throw tooLarge(maxBytes);
    }
    String name = ctx.queryParam("name");
    store(ctx, principal, cleanName(name == null || name.isBlank() ? "upload.csv" : name),
        ctx.req().getInputStream(), maxBytes);
  }

  private void store(Context ctx, Principal principal, String name, InputStream body, long maxBytes)
      throws IOException {
    String tenantId = principal.tenantId();
    String fileId = Ids.newId("file");
    String objectKey = "tenants/" + tenantId + "/files/" + fileId;
    ObjectUpload object = new ObjectUpload(blobs, objectKey, "text/csv");
    MeteredInput metered = new MeteredInput(body, maxBytes, object);
    CsvInspector.Shape shape;
    boolean registered = false;
    try {
      shape = CsvInspector.inspect(metered);
      metered.drain();
      object.complete();
      FileRegistered file = FileRegistered.newBuilder()
          .setFileId(fileId).setTenantId(tenantId).setName(name).setObjectKey(objectKey)
          .setSizeBytes(metered.size()).setSha256(metered.sha256Hex()).setRows(shape.rows())
          .setColumns(shape.columns()).setColumnNames(shape.columnNames()).setContentType("text/csv")
          .setUploadedAt(clock.instant()).setKeyId(principal.keyId()).build();
      UsageEvent usage = UsageEvent.newBuilder()
          .setEventId("file_upload:" + fileId).setTenantId(tenantId).setType(UsageType.FILE_UPLOAD)
          .setQuantity(1).setRows(shape.rows()).setBytes(metered.size()).setFileId(fileId)
          .setPlan(principal.plan()).setOccurredAt(file.getUploadedAt()).build();
      EventPublisher.await(publisher.send(Topics.FILES, TenantKeys.of(tenantId, fileId), file)
          .thenCombine(publisher.send(Topics.USAGE_EVENTS, tenantId, usage), (a, b) -> a));
      registered = true;
      Attrs.auditResource(ctx, fileId);
      log.info("file {} registered for tenant {} by key {} ({} bytes, {} rows)", fileId, tenantId,
          principal.keyId(), file.getSizeBytes(), file.getRows());
      ctx.header("Location", "/v1/files/" + fileId);
      Json.write(ctx, 201, view(file));
    } catch (MeteredInput.TooLarge e) {
      throw tooLarge(maxBytes);
    } catch (MeteredInput.TooSlow e) {
      ctx.header("Connection", "close");
      throw tooSlow();
    } catch (IOException e) {
      if (sizeLimit(e)) {
        throw tooLarge(maxBytes); // the multipart body as a whole passed its bound
      }
      throw new ProblemException(400, "upload-interrupted", "Upload interrupted", "the upload body could not be read");
    } catch (EventPublisher.PublishFailedException e) {
      // the file event may have landed while the usage event did not: withdraw it so nothing is half-registered
      publisher.send(Topics.FILES, TenantKeys.of(tenantId, fileId), null);
      throw new ProblemException(503, "unavailable", "Service unavailable", "the upload could not be recorded; retry");
    } finally {
      if (!registered) {
        object.abort();
      }
    }
  }

  /** Reads a form field to its end, refusing one larger than {@link #MAX_FIELD_BYTES}; its content is dropped. */
  private static void dropField(FileItemInput part) throws IOException {
    try (InputStream in = part.getInputStream()) {
      byte[] buffer = new byte[8192];
      long total = 0;
      int n;
      while ((n = in.read(buffer)) >= 0) {
        total += n;
        if (total > MAX_FIELD_BYTES) {
          throw new ProblemException(413, "part-too-large", "Part too large",
              "a multipart field other than the file has at most " + MAX_FIELD_BYTES + " bytes");
        }
      }
    }
  }

  /** Whether commons-fileupload refused the body for its size (somewhere in the cause chain). */
  private static boolean sizeLimit(Throwable e) {
    for (Throwable t = e; t != null; t = t.getCause()) {
      if (t instanceof org.apache.commons.fileupload2.core.FileUploadSizeException) {
        return true;
      }
    }
    return false;
  }

  private void list(Context ctx) {
    Principal principal = Attrs.principal(ctx);
    Json.write(ctx, 200, new FileBodies.FileList(catalog.list(principal.tenantId()).stream().map(FileRoutes::view).toList()));
  }

  private void get(Context ctx) {
    Principal principal = Attrs.principal(ctx);
    FileRegistered file = catalog.find(principal.tenantId(), ctx.pathParam("fileId")).orElseThrow(FileRoutes::notFound);
    Json.write(ctx, 200, view(file));
  }

  private void delete(Context ctx) {
    Principal principal = Attrs.principal(ctx);
    FileRegistered file = catalog.find(principal.tenantId(), ctx.pathParam("fileId")).orElseThrow(FileRoutes::notFound);
    publisher.sendAndWait(Topics.FILES, TenantKeys.of(principal.tenantId(), file.getFileId()), null);
    blobs.delete(file.getObjectKey());
    log.info("file {} of tenant {} deleted by key {}", file.getFileId(), principal.tenantId(), principal.keyId());
    ctx.status(204);
  }

  static FileBodies.FileInfo view(FileRegistered f) {
    return new FileBodies.FileInfo(f.getFileId(), f.getName(), f.getSizeBytes(), f.getRows(), f.getColumns(),
        f.getColumnNames(), f.getSha256(), f.getUploadedAt());
  }

  static ProblemException notFound() {
    return new ProblemException(404, "not-found", "Not found", "no such file");
  }

  private static ProblemException tooSlow() {
    return new ProblemException(408, "request-too-slow", "Request too slow", "the upload arrived slower than "
        + MeteredInput.MIN_BYTES_PER_SECOND + " bytes per second; it was not stored");
  }

  private static ProblemException tooLarge(long maxBytes) {
    return new ProblemException(Problem.of(413, "file-too-large", "File too large",
        "the plan allows files of at most " + maxBytes + " bytes").with("maxBytes", maxBytes));
  }

  private static void checkMedia(String partType) {
    if (partType == null) {
      return;
    }
    String media = partType.toLowerCase(Locale.ROOT);
    media = media.contains(";") ? media.substring(0, media.indexOf(';')).trim() : media.trim();
    if (!CSV_MEDIA.contains(media)) {
      throw new ProblemException(415, "unsupported-file-type", "Unsupported file type",
          "the file part must be CSV (text/csv), not " + media.replaceAll("[^a-z0-9/+.-]", ""));
    }
  }

  /**
   * The file name as stored and shown: the last path segment, at most 255 characters, ending in .csv, free of control
   * and bidirectional-override characters (which make a name display as something it is not).
   */
  static String cleanName(String raw) {
    String name = raw.replace('\\', '/');
    name = name.substring(name.lastIndexOf('/') + 1).strip();
    if (name.isEmpty() || name.length() > MAX_NAME) {
      throw new ProblemException(422, "invalid-file-name", "Invalid file name", "the file name must have 1–255 characters");
    }
    if (name.codePoints().anyMatch(FileRoutes::unsafeInName)) {
      throw new ProblemException(422, "invalid-file-name", "Invalid file name",
          "the file name contains control or bidirectional formatting characters");
    }
    if (!name.toLowerCase(Locale.ROOT).endsWith(".csv")) {
      throw new ProblemException(415, "unsupported-file-type", "Unsupported file type",
          "only .csv files can be uploaded");
    }
    return name;
  }

  static boolean unsafeInName(int cp) {
    int type = Character.getType(cp);
    return type == Character.CONTROL || type == Character.FORMAT || type == Character.LINE_SEPARATOR
        || type == Character.PARAGRAPH_SEPARATOR || type == Character.UNASSIGNED || type == Character.PRIVATE_USE
        || type == Character.SURROGATE;
  }
}
