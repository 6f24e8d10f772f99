package io.storystream.embedded;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ThreadLocalRandom;

/**
 * Picks a port that was free a moment ago, for components that must know their port before they bind it.
 *
 * <p>Ports come from below Linux's default ephemeral range (32768–60999), where the kernel hands out the local ports
 * of outgoing connections: a port picked there can be taken by any client connection (a Kafka client's, a test's
 * HTTP call) between the pick and the bind, which failed a child's start with "Address already in use" when tests ran
 * side by side. This process never hands out the same port twice.
 */
public final class FreePorts {
  static final int LOWEST = 20_000;
  static final int HIGHEST = 32_767;
  private static final Set<Integer> handedOut = ConcurrentHashMap.newKeySet();

  private FreePorts() {}

  public static int pick() {
    for (int attempt = 0; attempt < 1_000; attempt++) {
      int port = ThreadLocalRandom.current().nextInt(LOWEST, HIGHEST + 1);
      if (handedOut.contains(port)) {
        continue;
      }
      try (ServerSocket socket = new ServerSocket()) {
        socket.bind(new InetSocketAddress(InetAddress.getLoopbackAddress(), port), 1);
      } catch (IOException taken) {
        continue;
      }
      if (handedOut.add(port)) {
        return port;
      }
    }
    // nearly all of the range taken: any port the kernel has free
    try (ServerSocket socket = new ServerSocket(0, 1, InetAddress.getLoopbackAddress())) {
      return socket.getLocalPort();
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }

  public static int orPick(int port) {
    return port == 0 ? pick() : port;
  }
}
