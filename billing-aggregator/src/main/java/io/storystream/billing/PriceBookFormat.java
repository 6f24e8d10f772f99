package io.storystream.billing;

import com.fasterxml.jackson.core.JacksonException;
import com.fasterxml.jackson.databind.DeserializationFeature;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.dataformat.yaml.YAMLFactory;
import io.storystream.common.billing.api.PriceBookDocument;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;

/**
 * Reads a price-book document ({@link PriceBookDocument}, common's one definition of it) from the JSON or YAML an
 * operator writes. Unknown fields and nulls for numbers are refused rather than ignored, so a typo never passes; what
 * is read is then checked by {@link PriceBookValidator}.
 */
public final class PriceBookFormat {
  private static final ObjectMapper JSON = strict(new ObjectMapper());
  private static final ObjectMapper YAML = strict(new ObjectMapper(new YAMLFactory()));

  private PriceBookFormat() {}

  private static ObjectMapper strict(ObjectMapper mapper) {
    return mapper.enable(DeserializationFeature.FAIL_ON_UNKNOWN_PROPERTIES)
        .enable(DeserializationFeature.FAIL_ON_NULL_FOR_PRIMITIVES);
  }

  /** Parses JSON or YAML (JSON is YAML, so YAML is tried when the text does not start with '{'). */
  public static PriceBookDocument parse(String text) {
    String trimmed = text.strip();
    try {
      return (trimmed.startsWith("{") ? JSON : YAML).readValue(trimmed, PriceBookDocument.class);
    } catch (JacksonException e) {
      throw InvalidPriceBookException.of(List.of("not a price-book document: " + e.getOriginalMessage()));
    }
  }

  public static PriceBookDocument read(Path file) {
    try {
      return parse(Files.readString(file, StandardCharsets.UTF_8));
    } catch (IOException e) {
      throw new UncheckedIOException("cannot read " + file, e);
    }
  }
}
