package dev.millrace.cluster.testing;

import java.io.IOException;
import java.net.InetAddress;
import java.net.ServerSocket;

/** An address where no broker listens, for tests of a broker that is down. */
public final class NoBroker {
  private NoBroker() {}

  /** A loopback port just given by the system and closed again: nothing answers there. */
  public static String address() throws IOException {
    try (ServerSocket socket = new ServerSocket(0, 1, InetAddress.getLoopbackAddress())) {
      return "127.0.0.1:" + socket.getLocalPort();
    }
  }
}
