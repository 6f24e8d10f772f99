package io.storystream.processor.worker;

import io.storystream.datastorybot.standin.Endpoint;
import io.storystream.datastorybot.standin.StandInConfig;
import io.storystream.datastorybot.standin.StandInServer;
import java.net.URI;
import java.time.Duration;

/** The DataStoryBot stand-in over real HTTP on a free port, with a fixed latency added to every call. */
final class StandIn implements AutoCloseable {
  private final StandInServer server;

  private StandIn(StandInServer server) {
    this.server = server;
  }

  static StandIn start(Duration latency) {
    return new StandIn(StandInServer.start(StandInConfig.forTests().withLatency(latency)));
  }

  URI baseUri() {
    return server.baseUri();
  }

  /** Analyses DataStoryBot was asked for: the counter that proves a job did (not) call it. */
  long analyzeCalls() {
    return server.stats().requests(Endpoint.ANALYZE);
  }

  StandInServer server() {
    return server;
  }

  @Override
  public void close() {
    server.close();
  }
}
