package dev.millrace.engine;

import static org.hamcrest.MatcherAssert.assertThat;
import static org.hamcrest.Matchers.empty;
import static org.hamcrest.Matchers.is;
import static org.hamcrest.Matchers.not;

import dev.millrace.engine.testing.PackageArrows;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;

/**
 * The engine module builds and runs without Beam, protobuf, Joda, RocksDB or another Millrace
 * module: the enforcer rule in its POM fails the build when a dependency brings one in, and this
 * test fails when one is on the engine's class path all the same (a test-scoped dependency, a rule
 * switched off).
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
    PackageArrows arrows = new PackageArrows(JobExecution.class, "dev/millrace/");
    assertThat(arrows.fromOnly("plan/", List.of("engine/")), is(empty()));
    assertThat(arrows.fromOnly("engine/checkpoint/", List.of("plan/", "engine/")), is(empty()));
    assertThat(
        "the scan sees references", arrows.fromOnly("engine/", List.of("plan/")), is(not(empty())));
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
