package dev.millrace.benchmarks;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.concurrent.TimeUnit;

/**
 * The Kafka broker of the {@code millrace-cluster-1} column: Kafka's own KRaft broker from the
 * cluster module's test kit ({@code LocalBroker}), in a process of its own on this machine, started
 * once for the suite and stopped with it. Its class path is resolved by Maven on first use, as
 * {@code examples/cluster/wordcount-on-three-workers.sh} does.
 */
final class LocalKafka {
  private static String address;

  private LocalKafka() {}

  /** The broker's address, starting it on first use. */
  static synchronized String address() throws IOException, InterruptedException {
    if (address == null) {
      address = start();
    }
    return address;
  }

  private static String start() throws IOException, InterruptedException {
    Path root = MillraceClassPath.projectRoot();
    Path work = Files.createTempDirectory("millrace-bench-kafka-");
    Path classPathFile = work.resolve("broker.classpath");
    Process resolve =
        new ProcessBuilder(
                "mvn",
                "-B",
                "-q",
                "-f",
                root.resolve("pom.xml").toString(),
                "-pl",
                "cluster",
                "dependency:build-classpath",
                "-Dmdep.includeScope=test",
                "-Dmdep.outputFile=" + classPathFile)
            .redirectErrorStream(true)
            .redirectOutput(work.resolve("resolve.log").toFile())
            .start();
    if (!resolve.waitFor(10, TimeUnit.MINUTES) || resolve.exitValue() != 0) {
      throw new IllegalStateException(
          "could not resolve the test broker's class path: "
              + Files.readString(work.resolve("resolve.log")));
    }
    Path testClasses = root.resolve("cluster").resolve("target").resolve("test-classes");
    if (!Files.isDirectory(testClasses)) {
      throw new IllegalStateException(
          "the cluster column needs the cluster module's test classes: build it first ("
              + testClasses
              + ")");
    }
    String classPath =
        testClasses
            + java.io.File.pathSeparator
            + Files.readString(classPathFile, StandardCharsets.UTF_8).trim();
    Path addressFile = work.resolve("address");
    Process broker =
        new ProcessBuilder(
                List.of(
                    Path.of(System.getProperty("java.home"), "bin", "java").toString(),
                    "-Xmx1g",
                    "-Dorg.slf4j.simpleLogger.defaultLogLevel=warn",
                    "-cp",
                    classPath,
                    "dev.millrace.cluster.testing.LocalBroker",
                    addressFile.toString()))
            .redirectErrorStream(true)
            .redirectOutput(work.resolve("broker.log").toFile())
            .start();
    Runtime.getRuntime().addShutdownHook(new Thread(broker::destroy, "stop-local-kafka"));
    long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(120);
    while (!Files.exists(addressFile)) {
      if (!broker.isAlive() || System.nanoTime() > deadline) {
        broker.destroyForcibly();
        throw new IllegalStateException(
            "the test broker did not start: " + Files.readString(work.resolve("broker.log")));
      }
      Thread.sleep(100);
    }
    try {
      return Files.readString(addressFile, StandardCharsets.UTF_8).trim();
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }
}
