package dev.millrace.cluster.testing;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.concurrent.CountDownLatch;

/**
 * Kafka's own in-process KRaft broker, for trying a job on several workers on one machine without a
 * Kafka installation: {@code LocalBroker <address file>} starts it, writes its bootstrap address to
 * the file and prints it, and runs until the JVM is stopped (its data goes with it).
 */
public final class LocalBroker {
  private LocalBroker() {}

  public static void main(String[] args) throws Exception {
    if (args.length != 1) {
      System.err.println("usage: LocalBroker <file to write the broker's address to>");
      System.exit(2);
    }
    Path data = Files.createTempDirectory("millrace-local-broker");
    TestBroker broker = TestBroker.start(data);
    Runtime.getRuntime()
        .addShutdownHook(
            new Thread(
                () -> {
                  try {
                    broker.close();
                  } catch (Exception e) {
                    // Stopping anyway.
                  }
                }));
    Path address = Path.of(args[0]);
    Files.writeString(
        address.resolveSibling(address.getFileName() + ".tmp"), broker.bootstrapServers());
    Files.move(
        address.resolveSibling(address.getFileName() + ".tmp"),
        address,
        java.nio.file.StandardCopyOption.REPLACE_EXISTING,
        java.nio.file.StandardCopyOption.ATOMIC_MOVE);
    System.out.println("Kafka broker at " + broker.bootstrapServers() + " (data in " + data + ")");
    new CountDownLatch(1).await();
  }
}
