package dev.millrace.benchmarks;

import java.io.File;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;

/**
 * The class path of Flink runner jobs: the benchmark's own classes plus what {@code
 * flink-classpath/pom.xml} resolves to (Beam's Flink runner, Flink, its RocksDB backend). Resolved
 * once with Maven and kept in {@code target/flink.classpath} until that pom changes.
 */
final class FlinkClassPath {
  private static String cached;

  private FlinkClassPath() {}

  static synchronized String get() throws IOException, InterruptedException {
    if (cached == null) {
      Path module = moduleDirectory();
      Path pom = module.resolve("flink-classpath").resolve("pom.xml");
      Path resolved = module.resolve("target").resolve("flink.classpath");
      if (!Files.exists(resolved)
          || Files.getLastModifiedTime(resolved).compareTo(Files.getLastModifiedTime(pom)) < 0) {
        resolve(pom, resolved);
      }
      String dependencies = Files.readString(resolved, StandardCharsets.UTF_8).trim();
      cached = module.resolve("target").resolve("classes") + File.pathSeparator + dependencies;
    }
    return cached;
  }

  /** Set by the exec plugin to the benchmarks module; else the working directory. */
  private static Path moduleDirectory() {
    return Path.of(System.getProperty("bench.dir", ".")).toAbsolutePath();
  }

  private static void resolve(Path pom, Path output) throws IOException, InterruptedException {
    String mavenHome = System.getProperty("maven.home");
    String mvn = mavenHome == null ? "mvn" : Path.of(mavenHome, "bin", "mvn").toString();
    List<String> command =
        List.of(
            mvn,
            "-B",
            "-q",
            "-f",
            pom.toString(),
            "dependency:build-classpath",
            "-Dmdep.outputFile=" + output);
    System.err.println("Resolving the Flink runner's class path: " + String.join(" ", command));
    Process process = new ProcessBuilder(command).inheritIO().start();
    if (process.waitFor() != 0 || !Files.exists(output)) {
      throw new UncheckedIOException(
          new IOException("Could not resolve " + pom + " (exit " + process.exitValue() + ")"));
    }
  }
}
