package io.storystream.processor.worker;

import java.net.URI;
import java.time.Duration;

/** The DataStoryBot stand-in over real HTTP, with a fixed latency per analysis. */
final class StandIn implements AutoCloseable {
  static StandIn start(Duration latency) {
    throw new UnsupportedOperationException("the stand-in server is not merged yet");
  }

  URI baseUri() {
    throw new UnsupportedOperationException();
  }

  long analyzeCalls() {
    throw new UnsupportedOperationException();
  }

  @Override
  public void close() {}
}
