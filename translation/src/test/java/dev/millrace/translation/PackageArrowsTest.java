package dev.millrace.translation;

import static org.hamcrest.MatcherAssert.assertThat;
import static org.hamcrest.Matchers.empty;
import static org.hamcrest.Matchers.is;
import static org.hamcrest.Matchers.not;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;

/**
 * The arrows between this module's packages that its README allows, checked on the compiled
 * classes: every class a class refers to is named in its constant pool.
 */
class PackageArrowsTest {
  private static final String ROOT = "dev/millrace/translation/";
  private static final Pattern REFERENCE = Pattern.compile(Pattern.quote(ROOT) + "[\\w/$]*");

  /** Each class file of the module (by package path) with the translation classes it names. */
  private record Refs(String pkg, String clazz, List<String> targets) {}

  private static List<Refs> all() throws Exception {
    Path classes =
        Path.of(TranslationContext.class.getResource("TranslationContext.class").toURI()).getParent().getParent().getParent().getParent();
    List<Refs> result = new ArrayList<>();
    try (Stream<Path> files = Files.walk(classes.resolve(ROOT))) {
      for (Path file : (Iterable<Path>) files::iterator) {
        if (file.toString().endsWith(".class")) {
          result.add(refs(classes, file));
        }
      }
    }
    return result;
  }

  private static Refs refs(Path classes, Path file) throws IOException {
    String name = classes.relativize(file).toString().replace('\\', '/');
    String pkg = name.substring(0, name.lastIndexOf('/') + 1);
    List<String> targets = new ArrayList<>();
    Matcher m = REFERENCE.matcher(new String(Files.readAllBytes(file), StandardCharsets.ISO_8859_1));
    while (m.find()) {
      targets.add(m.group());
    }
    return new Refs(pkg, name, targets);
  }

  private static String packageOf(String className) {
    return className.substring(0, className.lastIndexOf('/') + 1);
  }

  /** The references from classes of packages starting with {@code from} into {@code forbidden}. */
  private static List<String> violations(String from, List<String> forbidden, boolean exact) throws Exception {
    List<String> found = new ArrayList<>();
    for (Refs refs : all()) {
      if (!refs.pkg().startsWith(ROOT + from)) {
        continue;
      }
      for (String target : refs.targets()) {
        String targetPkg = packageOf(target);
        for (String f : forbidden) {
          boolean hit = exact ? targetPkg.equals(ROOT + f) : targetPkg.startsWith(ROOT + f);
          if (hit && !targetPkg.equals(refs.pkg())) {
            found.add(refs.clazz() + " -> " + target);
          }
        }
      }
    }
    return found;
  }

  @Test
  void operatorsKnowNoTranslator() throws Exception {
    assertThat(violations("operators/", List.of("java/", "portable/"), false), is(empty()));
    assertThat(violations("operators/", List.of(""), true), is(empty()));
  }

  @Test
  void theJavaAndPortablePathsKnowNothingOfEachOther() throws Exception {
    assertThat(violations("java/", List.of("portable/"), false), is(empty()));
    assertThat(violations("portable/", List.of("java/"), false), is(empty()));
    assertThat(violations("java/overrides/", List.of("java/"), true), is(empty()));
  }

  @Test
  void keyedStateAndMetricsAreLeaves() throws Exception {
    assertThat(
        violations("operators/keyed/", List.of("", "java/", "portable/", "metrics/", "operators/"), false),
        is(empty()));
    assertThat(violations("metrics/", List.of("", "java/", "portable/", "operators/"), false), is(empty()));
  }

  @Test
  void theScanSeesReferences() throws Exception {
    assertThat(violations("java/", List.of("operators/"), false), is(not(empty())));
  }
}
