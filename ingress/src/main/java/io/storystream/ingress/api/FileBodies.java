package io.storystream.ingress.api;

import com.fasterxml.jackson.annotation.JsonClassDescription;
import com.fasterxml.jackson.annotation.JsonPropertyDescription;
import java.time.Instant;
import java.util.List;

/** The bodies of {@code /v1/files}. */
public final class FileBodies {
  private FileBodies() {}

  @JsonClassDescription("An uploaded CSV file")
  public record FileInfo(
      @JsonPropertyDescription("file_…") String id,
      String name,
      @JsonPropertyDescription("bytes") long size,
      @JsonPropertyDescription("data rows, without the header") long rows,
      int columns,
      List<String> columnNames,
      @JsonPropertyDescription("hex SHA-256 of the bytes") String sha256,
      Instant uploadedAt) {}

  public record FileList(List<FileInfo> files) {}

  @JsonClassDescription("A multipart upload: one part named file")
  public record FileUpload(@JsonPropertyDescription("the CSV") byte[] file) {}
}
