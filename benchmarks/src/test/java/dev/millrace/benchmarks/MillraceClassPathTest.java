package dev.millrace.benchmarks;

import static org.hamcrest.MatcherAssert.assertThat;
import static org.hamcrest.Matchers.contains;
import static org.hamcrest.Matchers.containsString;
import static org.hamcrest.Matchers.hasItem;
import static org.hamcrest.Matchers.not;
import static org.junit.jupiter.api.Assertions.assertThrows;

import java.io.File;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class MillraceClassPathTest {
  @TempDir Path root;

  private static List<String> entries(String classPath) {
    return List.of(classPath.split(File.pathSeparator));
  }

  @Test
  void millraceModulesComeFromThisBuildAndThirdPartyJarsStay() throws Exception {
    for (String module : List.of("engine", "state", "runner", "benchmarks")) {
      Files.createDirectories(root.resolve(module).resolve("target").resolve("classes"));
    }
    String repo = "/home/u/.m2/repository/";
    Files.writeString(
        root.resolve("runner").resolve("target").resolve("runtime.classpath"),
        String.join(
            File.pathSeparator,
            repo + "dev/millrace/millrace-engine/0.1.0-SNAPSHOT/millrace-engine-0.1.0-SNAPSHOT.jar",
            root.resolve("state").resolve("target").resolve("millrace-state.jar").toString(),
            repo + "org/apache/beam/beam-sdks-java-core/2.62.0/beam-sdks-java-core-2.62.0.jar"));
    String own =
        String.join(
            File.pathSeparator,
            repo + "org/apache/beam/beam-runners-direct-java/2.62.0/direct.jar",
            repo + "org/slf4j/slf4j-simple/2.0.16/slf4j-simple-2.0.16.jar");

    List<String> classPath = entries(MillraceClassPath.of(root, own));

    String classes = File.separator + "target" + File.separator + "classes";
    assertThat(
        classPath,
        contains(
            root.resolve("benchmarks") + classes,
            root.resolve("runner") + classes,
            root.resolve("engine") + classes,
            root.resolve("state") + classes,
            repo + "org/apache/beam/beam-sdks-java-core/2.62.0/beam-sdks-java-core-2.62.0.jar",
            repo + "org/slf4j/slf4j-simple/2.0.16/slf4j-simple-2.0.16.jar"));
  }

  @Test
  void theSuitesOwnClassPathIsNarrowedToTheRunners() {
    Path project = Path.of(System.getProperty("user.dir")).toAbsolutePath().getParent();
    List<String> classPath =
        entries(MillraceClassPath.of(project, System.getProperty("java.class.path")));
    assertThat(classPath, hasItem(containsString("beam-sdks-java-core")));
    assertThat(classPath, not(hasItem(containsString("beam-runners-direct-java"))));
    assertThat(classPath, not(hasItem(containsString("beam-sdks-java-extensions-sql"))));
    assertThat(classPath, not(hasItem(containsString("millrace-job-server"))));
  }

  @Test
  void theClusterModuleIsItsShadedJarWhichCarriesItsKafkaClients() throws Exception {
    for (String module : List.of("runner", "benchmarks")) {
      Files.createDirectories(root.resolve(module).resolve("target").resolve("classes"));
    }
    Path target = Files.createDirectories(root.resolve("cluster").resolve("target"));
    Files.createDirectories(target.resolve("classes"));
    for (String jar :
        List.of(
            "original-millrace-cluster-0.1.0-SNAPSHOT.jar",
            "millrace-cluster-0.1.0-SNAPSHOT-tests.jar",
            "millrace-cluster-0.1.0-SNAPSHOT.jar")) {
      Files.createFile(target.resolve(jar));
    }
    String repo = "/home/u/.m2/repository/";
    Files.writeString(
        root.resolve("runner").resolve("target").resolve("runtime.classpath"),
        repo + "dev/millrace/millrace-cluster/0.1.0-SNAPSHOT/millrace-cluster-0.1.0-SNAPSHOT.jar");

    assertThat(
        entries(MillraceClassPath.of(root, "")),
        hasItem(target.resolve("millrace-cluster-0.1.0-SNAPSHOT.jar").toString()));
    assertThat(
        entries(MillraceClassPath.of(root, "")),
        not(hasItem(target.resolve("classes").toString())));
  }

  @Test
  void aRunnerNotBuiltIsNamed() {
    UncheckedIOException missing =
        assertThrows(UncheckedIOException.class, () -> MillraceClassPath.of(root, ""));
    assertThat(missing.getMessage(), containsString("runtime.classpath"));
  }
}
