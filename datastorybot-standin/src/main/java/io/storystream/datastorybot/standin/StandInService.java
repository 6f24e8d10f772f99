package io.storystream.datastorybot.standin;

/**
 * Lifecycle wrapper for the launcher's ordered start and stop: {@code new StandInService(config).start()}, then
 * {@link #close()}. The server itself is {@link StandInServer}.
 */
public final class StandInService implements AutoCloseable {
  private final StandInConfig config;
  private StandInServer server;

  public StandInService(StandInConfig config) {
    this.config = config;
  }

  public synchronized StandInService start() {
    if (server == null) {
      server = StandInServer.start(config);
    }
    return this;
  }

  /** The running server (faults, stats, base URI); null before {@link #start()}. */
  public synchronized StandInServer server() {
    return server;
  }

  @Override
  public synchronized void close() {
    if (server != null) {
      server.close();
      server = null;
    }
  }
}
