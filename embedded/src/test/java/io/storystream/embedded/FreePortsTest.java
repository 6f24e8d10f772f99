package io.storystream.embedded;

import static org.assertj.core.api.Assertions.assertThat;

import java.net.InetAddress;
import java.net.ServerSocket;
import java.util.HashSet;
import java.util.Set;
import org.junit.jupiter.api.Test;

class FreePortsTest {
  @Test
  void picksDistinctBindablePortsBelowTheEphemeralRange() throws Exception {
    Set<Integer> picked = new HashSet<>();
    for (int i = 0; i < 200; i++) {
      int port = FreePorts.pick();
      assertThat(port).isBetween(FreePorts.LOWEST, FreePorts.HIGHEST);
      assertThat(picked.add(port)).as("port %d handed out twice", port).isTrue();
    }
    int port = FreePorts.pick();
    try (ServerSocket bound = new ServerSocket(port, 1, InetAddress.getLoopbackAddress())) {
      assertThat(bound.getLocalPort()).isEqualTo(port);
    }
  }

  @Test
  void aGivenPortIsKept() {
    assertThat(FreePorts.orPick(4711)).isEqualTo(4711);
    assertThat(FreePorts.orPick(0)).isBetween(FreePorts.LOWEST, FreePorts.HIGHEST);
  }
}
