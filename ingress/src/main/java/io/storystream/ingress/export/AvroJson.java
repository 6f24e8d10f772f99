package io.storystream.ingress.export;

import java.nio.ByteBuffer;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Base64;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.apache.avro.Schema;
import org.apache.avro.generic.GenericEnumSymbol;
import org.apache.avro.generic.IndexedRecord;

/** An Avro record as plain JSON values (times as ISO-8601, bytes as base64, enums as their names), for the archive. */
final class AvroJson {
  private AvroJson() {}

  static Map<String, Object> of(IndexedRecord record) {
    Map<String, Object> out = new LinkedHashMap<>();
    for (Schema.Field field : record.getSchema().getFields()) {
      out.put(field.name(), value(record.get(field.pos())));
    }
    return out;
  }

  private static Object value(Object v) {
    if (v == null || v instanceof Number || v instanceof Boolean) {
      return v;
    }
    if (v instanceof CharSequence || v instanceof Instant || v instanceof Enum<?> || v instanceof GenericEnumSymbol<?>) {
      return v.toString();
    }
    if (v instanceof ByteBuffer b) {
      ByteBuffer copy = b.duplicate();
      byte[] bytes = new byte[copy.remaining()];
      copy.get(bytes);
      return Base64.getEncoder().encodeToString(bytes);
    }
    if (v instanceof IndexedRecord r) {
      return of(r);
    }
    if (v instanceof List<?> list) {
      List<Object> out = new ArrayList<>(list.size());
      list.forEach(item -> out.add(value(item)));
      return out;
    }
    if (v instanceof Map<?, ?> map) {
      Map<String, Object> out = new LinkedHashMap<>();
      map.forEach((k, item) -> out.put(String.valueOf(k), value(item)));
      return out;
    }
    return v.toString();
  }
}
