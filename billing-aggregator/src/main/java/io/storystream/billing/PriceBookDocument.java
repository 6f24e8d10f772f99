package io.storystream.billing;

import com.fasterxml.jackson.core.JacksonException;
import com.fasterxml.jackson.databind.DeserializationFeature;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.dataformat.yaml.YAMLFactory;
import io.storystream.schemas.PlanPrice;
import io.storystream.schemas.PriceBook;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Instant;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;

/**
 * A price book as an operator writes it, in JSON or YAML. Amounts are integer micro-units of the currency, named
 * like the Avro fields ({@code baseFeeMicros: 29000000} is 29.00). Every field is boxed so that a missing one is
 * reported by {@link PriceBookValidator} by name instead of silently becoming 0.
 *
 * <pre>
 * version: 2
 * currency: USD
 * effectiveFrom: 2026-10      # first month, inclusive
 * effectiveTo: null           # last month, inclusive; absent = open-ended
 * plans:
 *   starter: {baseFeeMicros: 0, includedAnalyses: 0, perAnalysisMicros: 500000, perThousandRowsMicros: 0,
 *             cacheHitMicros: 50000, perUploadMicros: 0, perDownloadMicros: 0}
 * </pre>
 */
public record PriceBookDocument(Integer version, String currency, String effectiveFrom, String effectiveTo, String note,
                                Map<String, Plan> plans) {

  /** One plan's prices. {@code includedRows} may be left out (0). */
  public record Plan(Long baseFeeMicros, Long includedAnalyses, Long perAnalysisMicros, Long perThousandRowsMicros,
                     Long includedRows, Long cacheHitMicros, Long perUploadMicros, Long perDownloadMicros) {

    Map<String, Long> fields() {
      Map<String, Long> f = new LinkedHashMap<>();
      f.put("baseFeeMicros", baseFeeMicros);
      f.put("includedAnalyses", includedAnalyses);
      f.put("perAnalysisMicros", perAnalysisMicros);
      f.put("perThousandRowsMicros", perThousandRowsMicros);
      f.put("includedRows", includedRows == null ? 0L : includedRows);
      f.put("cacheHitMicros", cacheHitMicros);
      f.put("perUploadMicros", perUploadMicros);
      f.put("perDownloadMicros", perDownloadMicros);
      return f;
    }
  }

  private static final ObjectMapper JSON = configure(new ObjectMapper());
  private static final ObjectMapper YAML = configure(new ObjectMapper(new YAMLFactory()));

  private static ObjectMapper configure(ObjectMapper mapper) {
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

  public String toJson() {
    try {
      return JSON.writerWithDefaultPrettyPrinter().writeValueAsString(this);
    } catch (JacksonException e) {
      throw new IllegalStateException(e);
    }
  }

  /** The Avro record for the {@code price-books} topic; call only on a validated document. */
  public PriceBook toPriceBook(Instant publishedAt) {
    Map<String, PlanPrice> prices = new TreeMap<>();
    plans.forEach((name, p) -> {
      Map<String, Long> f = p.fields();
      prices.put(name, PlanPrice.newBuilder()
          .setBaseFeeMicros(f.get("baseFeeMicros")).setIncludedAnalyses(f.get("includedAnalyses"))
          .setPerAnalysisMicros(f.get("perAnalysisMicros")).setPerThousandRowsMicros(f.get("perThousandRowsMicros"))
          .setIncludedRows(f.get("includedRows")).setCacheHitMicros(f.get("cacheHitMicros"))
          .setPerUploadMicros(f.get("perUploadMicros")).setPerDownloadMicros(f.get("perDownloadMicros")).build());
    });
    return PriceBook.newBuilder().setVersion(version).setCurrency(currency).setEffectiveFrom(effectiveFrom)
        .setEffectiveTo(effectiveTo).setPlans(prices).setPublishedAt(publishedAt).setNote(note).build();
  }

  public PriceBookDocument withVersion(int newVersion) {
    return new PriceBookDocument(newVersion, currency, effectiveFrom, effectiveTo, note, plans);
  }

  public PriceBookDocument withMonths(String from, String to) {
    return new PriceBookDocument(version, currency, from, to, note, plans);
  }

  public PriceBookDocument withPlan(String name, Plan plan) {
    Map<String, Plan> more = new TreeMap<>(plans);
    more.put(name, plan);
    return new PriceBookDocument(version, currency, effectiveFrom, effectiveTo, note, more);
  }
}
