package dev.millrace.engine;

import static org.hamcrest.MatcherAssert.assertThat;
import static org.hamcrest.Matchers.empty;
import static org.hamcrest.Matchers.is;
import static org.hamcrest.Matchers.not;

import dev.millrace.engine.checkpoint.CheckpointStorage;
import dev.millrace.plan.Plan;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Set;
import java.util.TreeSet;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;

/**
 * The engine module builds and runs without Beam, protobuf, Joda, RocksDB or another Millrace
 * module: the enforcer rule in its POM fails the build when a dependency brings one in, and this
 * test fails when one is on the engine's class path all the same (a test-scoped dependency, a
 * rule switched off).
 */
class EngineIndependenceTest {
  /** One class of each library the engine must not see. */
  private static final List<String> FORBIDDEN =
      List.of(
          "org.apache.beam.sdk.Pipeline",
          "org.apache.beam.model.pipeline.v1.RunnerApi",
          "org.apache.beam.vendor.guava.v32_1_2_jre.com.google.common.base.Preconditions",
          "com.google.protobuf.Message",
          "org.joda.time.Instant",
          "org.rocksdb.RocksDB",
          "dev.millrace.state.RocksDbStateBackend",
          "dev.millrace.translation.TranslationContext");

  @Test
  void noForbiddenClassIsOnTheEnginesClassPath() {
    List<String> found = new ArrayList<>();
    for (String name : FORBIDDEN) {
      if (loadable(name)) {
        found.add(name);
      }
    }
    assertThat(found, is(empty()));
  }

  @Test
  void theCheckSeesWhatIsThere() {
    // The same lookup finds the engine's own classes and a library jar on its test class path.
    assertThat(loadable("dev.millrace.engine.JobExecution"), is(true));
    assertThat(loadable("com.google.common.hash.Hashing"), is(true));
  }

  /** engine/README.md's arrows inside this module: the two leaves refer to nothing else here. */
  @Test
  void theLeafPackagesReferToNoOtherEnginePackage() throws Exception {
    assertThat(references(Plan.class, "dev/millrace/engine/"), is(empty()));
    assertThat(references(CheckpointStorage.class, "dev/millrace/plan/"), is(empty()));
    List<String> toEngine = new ArrayList<>();
    for (String reference : references(CheckpointStorage.class, "dev/millrace/engine/")) {
      if (!reference.contains("dev/millrace/engine/checkpoint/")) {
        toEngine.add(reference);
      }
    }
    assertThat(toEngine, is(empty()));
  }

  @Test
  void theReferenceScanFindsReferences() throws Exception {
    assertThat(references(JobExecution.class, "dev/millrace/plan/"), is(not(empty())));
  }

  /**
   * The class names under {@code prefix} that the classes of {@code anchor}'s package refer to:
   * every class a compiled class refers to is named in its constant pool.
   */
  private static Set<String> references(Class<?> anchor, String prefix) throws Exception {
    Path dir = Path.of(anchor.getResource(anchor.getSimpleName() + ".class").toURI()).getParent();
    Pattern name = Pattern.compile(Pattern.quote(prefix) + "[\\w/$]*");
    Set<String> found = new TreeSet<>();
    try (Stream<Path> files = Files.list(dir)) {
      for (Path file : (Iterable<Path>) files::iterator) {
        if (file.toString().endsWith(".class")) {
          Matcher m = name.matcher(new String(Files.readAllBytes(file), StandardCharsets.ISO_8859_1));
          while (m.find()) {
            found.add(m.group());
          }
        }
      }
    }
    return found;
  }

  private static boolean loadable(String className) {
    try {
      Class.forName(className, false, EngineIndependenceTest.class.getClassLoader());
      return true;
    } catch (ClassNotFoundException e) {
      return false;
    }
  }
}
