package io.storystream.processor.admission;

import java.nio.ByteBuffer;
import java.util.Map;
import java.util.TreeMap;
import org.apache.kafka.common.serialization.Deserializer;
import org.apache.kafka.common.serialization.Serde;
import org.apache.kafka.common.serialization.Serdes;
import org.apache.kafka.common.serialization.Serializer;

/**
 * A tenant's requests over the last minute as a sliding window of one-second buckets: at most 60 (second, count)
 * pairs, read and written as one small value. A log of every request's time would be exact to the millisecond but
 * costs a scan of up to the whole limit per request; at one-second resolution the check is one read and one write.
 */
final class MinuteWindow {
  static final int SECONDS = 60;

  private final long[] seconds; // epoch seconds, ascending
  private final int[] counts;

  private MinuteWindow(long[] seconds, int[] counts) {
    this.seconds = seconds;
    this.counts = counts;
  }

  static MinuteWindow empty() {
    return new MinuteWindow(new long[0], new int[0]);
  }

  /** Requests in the sixty seconds ending with {@code atMillis}'s second. */
  long count(long atMillis) {
    long oldest = Math.floorDiv(atMillis, 1000) - SECONDS + 1;
    long total = 0;
    for (int i = 0; i < seconds.length; i++) {
      if (seconds[i] >= oldest) {
        total += counts[i];
      }
    }
    return total;
  }

  /** This window with one more request at {@code atMillis}, without the buckets that have left the minute. */
  MinuteWindow plusOne(long atMillis) {
    long second = Math.floorDiv(atMillis, 1000);
    long oldest = second - SECONDS + 1;
    TreeMap<Long, Integer> buckets = new TreeMap<>();
    for (int i = 0; i < seconds.length; i++) {
      if (seconds[i] >= oldest) {
        buckets.put(seconds[i], counts[i]);
      }
    }
    buckets.merge(second, 1, Integer::sum); // an out-of-order request still counts in its own second
    long[] newSeconds = new long[buckets.size()];
    int[] newCounts = new int[buckets.size()];
    int i = 0;
    for (Map.Entry<Long, Integer> bucket : buckets.entrySet()) {
      newSeconds[i] = bucket.getKey();
      newCounts[i++] = bucket.getValue();
    }
    return new MinuteWindow(newSeconds, newCounts);
  }

  static Serde<MinuteWindow> serde() {
    Serializer<MinuteWindow> serializer = (topic, window) -> {
      if (window == null) {
        return null;
      }
      ByteBuffer buffer = ByteBuffer.allocate(window.seconds.length * 12);
      for (int i = 0; i < window.seconds.length; i++) {
        buffer.putLong(window.seconds[i]).putInt(window.counts[i]);
      }
      return buffer.array();
    };
    Deserializer<MinuteWindow> deserializer = (topic, bytes) -> {
      if (bytes == null) {
        return null;
      }
      ByteBuffer buffer = ByteBuffer.wrap(bytes);
      int n = bytes.length / 12;
      long[] seconds = new long[n];
      int[] counts = new int[n];
      for (int i = 0; i < n; i++) {
        seconds[i] = buffer.getLong();
        counts[i] = buffer.getInt();
      }
      return new MinuteWindow(seconds, counts);
    };
    return Serdes.serdeFrom(serializer, deserializer);
  }
}
