package io.storystream.common.billing.api;

import com.fasterxml.jackson.annotation.JsonClassDescription;
import com.fasterxml.jackson.annotation.JsonIgnore;
import com.fasterxml.jackson.annotation.JsonPropertyDescription;
import com.fasterxml.jackson.core.JacksonException;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.storystream.common.http.OptionalField;
import io.storystream.schemas.PlanPrice;
import io.storystream.schemas.PriceBook;
import java.time.Instant;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.TreeMap;

/**
 * A price book as an operator writes it, in JSON or YAML: the one definition of the document. The billing aggregator
 * parses ({@code PriceBookFormat}), validates ({@code PriceBookValidator}) and serves it ({@code GET
 * /admin/price-books/current}); the ingress relays it and declares it in its OpenAPI document (the answer of that
 * route, the body of {@code PUT /admin/price-books/{version}} and of {@code POST /admin/price-books/simulate}) from
 * this record. Amounts are integer micro-units of the currency, named like the Avro fields ({@code baseFeeMicros:
 * 29000000} is 29.00). Every field is boxed so that a missing one is reported by the validator by name instead of
 * silently becoming 0.
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
@JsonClassDescription("A price book: the prices of every plan, in integer micro-units of one currency, for a range "
    + "of months. Published versions are immutable; a newer version takes over the months it covers")
public record PriceBookDocument(
    @JsonPropertyDescription("1 or more. PUT takes it from the path (a version here must be the same); simulate "
        + "without one simulates the next version") @OptionalField Integer version,
    @JsonPropertyDescription("ISO 4217 code, three capital letters, e.g. USD") String currency,
    @JsonPropertyDescription("the first month it prices, yyyy-MM, inclusive") String effectiveFrom,
    @JsonPropertyDescription("the last month it prices, yyyy-MM, inclusive; absent or null: open-ended")
    @OptionalField String effectiveTo,
    @JsonPropertyDescription("free text for people, e.g. why the prices changed") @OptionalField String note,
    @JsonPropertyDescription("the prices of each plan, by plan name (every plan a tenant is on needs one)")
    Map<String, Plan> plans) {

  /** One plan's prices. {@code includedRows} may be left out (0). */
  @JsonClassDescription("One plan's prices; every amount in integer micro-units of the book's currency "
      + "(1000000 = 1.00), every count a whole number, none negative")
  public record Plan(
      @JsonPropertyDescription("monthly base fee, micro-units") Long baseFeeMicros,
      @JsonPropertyDescription("analyses a month included in the base fee") Long includedAnalyses,
      @JsonPropertyDescription("price of each analysis beyond the included ones, micro-units") Long perAnalysisMicros,
      @JsonPropertyDescription("price per 1000 rows analyzed beyond the included rows, micro-units")
      Long perThousandRowsMicros,
      @JsonPropertyDescription("rows a month included before perThousandRowsMicros applies (absent: 0)")
      @OptionalField Long includedRows,
      @JsonPropertyDescription("price of an analysis answered from the cache, micro-units") Long cacheHitMicros,
      @JsonPropertyDescription("price of each upload, micro-units") Long perUploadMicros,
      @JsonPropertyDescription("price of each chart or dataset download, micro-units") Long perDownloadMicros) {

    /** Every price by its field name, {@code includedRows} defaulted to 0 (the validator checks each one). */
    @JsonIgnore
    public Map<String, Long> fields() {
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

  private static final ObjectMapper JSON = new ObjectMapper();

  /** The document as JSON, pretty-printed (what {@code GET /admin/price-books/current} answers). */
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
