package dev.millrace.state;

import static org.hamcrest.MatcherAssert.assertThat;
import static org.hamcrest.Matchers.empty;
import static org.hamcrest.Matchers.is;
import static org.hamcrest.Matchers.not;

import dev.millrace.engine.testing.PackageArrows;
import java.util.List;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * The arrows between this module's packages that its README allows, on the compiled classes: the
 * RocksDB backend knows nothing of keyed state, keyed state nothing of its heap implementation or
 * of the backend choice, and the heap backend nothing of the choice.
 */
class PackageArrowsTest {
  private static PackageArrows arrows;

  @BeforeAll
  static void read() throws Exception {
    arrows = new PackageArrows(RocksDbStateBackend.class, "dev/millrace/state/");
  }

  @Test
  void theRocksDbBackendIsALeaf() {
    assertThat(arrows.fromOnly("", List.of("keyed/", "heap/", "backend/")), is(empty()));
  }

  @Test
  void keyedStateKnowsNoImplementationChoice() {
    assertThat(arrows.from("keyed/", List.of("heap/", "backend/"), false), is(empty()));
    assertThat(arrows.from("heap/", List.of("backend/"), false), is(empty()));
  }

  @Test
  void theScanSeesReferences() {
    assertThat(arrows.from("backend/", List.of("keyed/"), false), is(not(empty())));
  }
}
