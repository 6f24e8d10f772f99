package io.storystream.ingress.jobs;

import com.fasterxml.jackson.databind.ObjectMapper;
import io.storystream.common.http.JsonMapper;
import java.io.IOException;
import java.io.UncheckedIOException;
import org.apache.kafka.common.serialization.Deserializer;
import org.apache.kafka.common.serialization.Serde;
import org.apache.kafka.common.serialization.Serdes;
import org.apache.kafka.common.serialization.Serializer;

/** JSON for the ingress's own {@code jobs} store (and its changelog); no other service reads it. */
final class JobViewSerde {
  private static final ObjectMapper JSON = JsonMapper.create()
      .disable(com.fasterxml.jackson.databind.DeserializationFeature.FAIL_ON_UNKNOWN_PROPERTIES);

  private JobViewSerde() {}

  static Serde<JobView> serde() {
    Serializer<JobView> serializer = (topic, view) -> {
      try {
        return view == null ? null : JSON.writeValueAsBytes(view);
      } catch (IOException e) {
        throw new UncheckedIOException(e);
      }
    };
    Deserializer<JobView> deserializer = (topic, bytes) -> {
      try {
        return bytes == null ? null : JSON.readValue(bytes, JobView.class);
      } catch (IOException e) {
        throw new UncheckedIOException(e);
      }
    };
    return Serdes.serdeFrom(serializer, deserializer);
  }
}
