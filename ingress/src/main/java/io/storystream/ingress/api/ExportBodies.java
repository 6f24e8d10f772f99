package io.storystream.ingress.api;

import com.fasterxml.jackson.annotation.JsonClassDescription;
import com.fasterxml.jackson.annotation.JsonInclude;
import com.fasterxml.jackson.annotation.JsonPropertyDescription;
import io.storystream.common.http.OptionalField;
import java.time.Instant;
import java.util.Map;

/** The bodies of the tenant export routes and of the operator's master-key re-wrap. */
public final class ExportBodies {
  private ExportBodies() {}

  @JsonClassDescription("An export of a tenant's data; size, checksum, entries and the download link once completed")
  public record Export(String exportId,
                       @JsonPropertyDescription("running, completed or failed") String state,
                       Instant requestedAt,
                       @OptionalField @JsonInclude(JsonInclude.Include.NON_NULL) Instant completedAt,
                       @OptionalField @JsonInclude(JsonInclude.Include.NON_NULL)
                       @JsonPropertyDescription("the archive's size in bytes") Long bytes,
                       @OptionalField @JsonInclude(JsonInclude.Include.NON_NULL)
                       @JsonPropertyDescription("hex SHA-256 of the archive") String sha256,
                       @OptionalField @JsonInclude(JsonInclude.Include.NON_NULL)
                       @JsonPropertyDescription("entries in the zip, the manifest included") Integer entries,
                       @OptionalField @JsonInclude(JsonInclude.Include.NON_NULL) String error,
                       ExportLinks links) {}

  public record ExportLinks(String self,
                            @OptionalField @JsonInclude(JsonInclude.Include.NON_NULL) String download) {}

  @JsonClassDescription("The data keys re-wrapped with the current master key, and the data keys per master key id")
  public record Rewrap(int rewrapped, Map<String, Integer> keysByMasterKey) {}
}
