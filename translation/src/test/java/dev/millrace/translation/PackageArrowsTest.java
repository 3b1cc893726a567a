package dev.millrace.translation;

import static org.hamcrest.MatcherAssert.assertThat;
import static org.hamcrest.Matchers.empty;
import static org.hamcrest.Matchers.is;
import static org.hamcrest.Matchers.not;

import dev.millrace.engine.testing.PackageArrows;
import java.util.List;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * The arrows between this module's packages that its README allows, checked on the compiled
 * classes.
 */
class PackageArrowsTest {
  private static PackageArrows arrows;

  @BeforeAll
  static void read() throws Exception {
    arrows = new PackageArrows(TranslationContext.class, "dev/millrace/translation/");
  }

  @Test
  void operatorsKnowNoTranslator() {
    assertThat(arrows.from("operators/", List.of("java/", "portable/"), false), is(empty()));
    assertThat(arrows.from("operators/", List.of(""), true), is(empty()));
  }

  @Test
  void theJavaAndPortablePathsKnowNothingOfEachOther() {
    assertThat(arrows.from("java/", List.of("portable/"), false), is(empty()));
    assertThat(arrows.from("portable/", List.of("java/"), false), is(empty()));
    assertThat(arrows.from("java/overrides/", List.of("java/"), true), is(empty()));
  }

  @Test
  void metricsAreALeaf() {
    assertThat(
        arrows.from("metrics/", List.of("", "java/", "portable/", "operators/"), false),
        is(empty()));
  }

  @Test
  void theScanSeesReferences() {
    assertThat(arrows.from("java/", List.of("operators/"), false), is(not(empty())));
  }
}
