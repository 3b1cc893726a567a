package dev.millrace.benchmarks;

import java.io.File;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashSet;
import java.util.Set;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * The class path of in-process Millrace jobs: what a Java user of {@code millrace-runner} has (the
 * runner module writes it to {@code runner/target/runtime.classpath} at every build), this build's
 * Millrace modules in place of any installed copy, the benchmark's classes and its log binding. The
 * suite's own class path also holds the job server, Beam SQL, the DirectRunner and their Google
 * Cloud libraries; their options registrars alone made Beam's {@code PipelineOptionsFactory} take
 * 1.06 s to start instead of 0.52 s, a cost a Millrace user does not pay, as Flink's jobs get a
 * class path of their own ({@link FlinkClassPath}).
 */
final class MillraceClassPath {
  private static final Pattern MILLRACE_ARTIFACT =
      Pattern.compile("[/\\\\]dev[/\\\\]millrace[/\\\\]millrace-([a-z-]+)[/\\\\]");

  private static String cached;

  private MillraceClassPath() {}

  static synchronized String get() {
    if (cached == null) {
      cached = of(projectRoot(), System.getProperty("java.class.path"));
    }
    return cached;
  }

  /** The class path for the project in {@code root}, the suite running with {@code own}. */
  static String of(Path root, String own) {
    Path file = root.resolve("runner").resolve("target").resolve("runtime.classpath");
    String runtime;
    try {
      runtime = Files.readString(file, StandardCharsets.UTF_8).trim();
    } catch (IOException e) {
      throw new UncheckedIOException(
          "The runner's class path "
              + file
              + " is missing: build the runner module first (mvn -B package -DskipTests)",
          e);
    }
    Set<String> entries = new LinkedHashSet<>();
    entries.add(root.resolve("benchmarks").resolve("target").resolve("classes").toString());
    entries.add(root.resolve("runner").resolve("target").resolve("classes").toString());
    for (String entry : runtime.split(Pattern.quote(File.pathSeparator))) {
      entries.add(inThisBuild(root, entry));
    }
    for (String entry : own.split(Pattern.quote(File.pathSeparator))) {
      if (Path.of(entry).getFileName().toString().startsWith("slf4j-simple")) {
        entries.add(entry); // the log binding the other columns have
      }
    }
    return String.join(File.pathSeparator, new ArrayList<>(entries));
  }

  /** A Millrace module's jar (installed or in its target) as this build's classes. */
  private static String inThisBuild(Path root, String entry) {
    Matcher installed = MILLRACE_ARTIFACT.matcher(entry);
    if (installed.find()) {
      return moduleClasses(root, installed.group(1));
    }
    Path path = Path.of(entry).toAbsolutePath().normalize();
    Path normalizedRoot = root.toAbsolutePath().normalize();
    if (path.startsWith(normalizedRoot) && path.getNameCount() > normalizedRoot.getNameCount()) {
      String module = path.getName(normalizedRoot.getNameCount()).toString();
      return moduleClasses(root, module);
    }
    return entry;
  }

  private static String moduleClasses(Path root, String module) {
    if (module.equals("cluster")) {
      // Its Kafka clients are shaded into its jar, and the runner does not bring them otherwise.
      return shadedJar(root.resolve(module).resolve("target"));
    }
    Path classes = root.resolve(module).resolve("target").resolve("classes");
    if (!Files.isDirectory(classes)) {
      throw new IllegalStateException(
          "The runner needs module " + module + ", but " + classes + " is not built");
    }
    return classes.toString();
  }

  private static String shadedJar(Path target) {
    try (var files = Files.list(target)) {
      return files
          .map(Path::toString)
          .filter(n -> n.matches(".*[/\\\\]millrace-cluster-[^/\\\\]*\\.jar"))
          .filter(n -> !n.endsWith("-tests.jar") && !n.endsWith("-sources.jar"))
          .findFirst()
          .orElseThrow(
              () ->
                  new IllegalStateException(
                      "The runner needs module cluster's shaded jar, not built in " + target));
    } catch (IOException e) {
      throw new UncheckedIOException("The runner needs module cluster, not built in " + target, e);
    }
  }

  /** The benchmarks module's parent, from {@code bench.dir} or the working directory. */
  static Path projectRoot() {
    return Path.of(System.getProperty("bench.dir", ".")).toAbsolutePath().normalize().getParent();
  }
}
