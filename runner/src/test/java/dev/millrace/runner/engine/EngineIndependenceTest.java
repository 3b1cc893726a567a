package dev.millrace.runner.engine;

import static org.hamcrest.MatcherAssert.assertThat;
import static org.hamcrest.Matchers.empty;
import static org.hamcrest.Matchers.greaterThan;
import static org.hamcrest.Matchers.is;

import dev.millrace.plan.Plan;
import java.io.IOException;
import java.io.InputStream;
import java.net.URISyntaxException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Enumeration;
import java.util.List;
import java.util.jar.JarEntry;
import java.util.jar.JarFile;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;

/**
 * The engine core (this package) and the plan it runs ({@code dev.millrace.plan}) know nothing of
 * Beam or protobuf: every class name a compiled class refers to is in its constant pool, so none
 * of them may mention Beam's packages (vendored ones included) or protobuf's.
 */
class EngineIndependenceTest {
  private static final List<String> FORBIDDEN = List.of("org/apache/beam/", "com/google/protobuf/", "org/joda/");

  /** The .class files of {@code pkg} wherever {@code anchor} was loaded from (directory or jar). */
  private static List<NamedBytes> classesOf(Class<?> anchor) throws IOException, URISyntaxException {
    Path location = Path.of(anchor.getProtectionDomain().getCodeSource().getLocation().toURI());
    String pkg = anchor.getPackageName().replace('.', '/') + "/";
    List<NamedBytes> classes = new ArrayList<>();
    if (Files.isDirectory(location)) {
      try (Stream<Path> files = Files.list(location.resolve(pkg))) {
        for (Path file : (Iterable<Path>) files::iterator) {
          if (file.toString().endsWith(".class")) {
            classes.add(new NamedBytes(pkg + file.getFileName(), Files.readAllBytes(file)));
          }
        }
      }
    } else {
      try (JarFile jar = new JarFile(location.toFile())) {
        Enumeration<JarEntry> entries = jar.entries();
        while (entries.hasMoreElements()) {
          JarEntry entry = entries.nextElement();
          String name = entry.getName();
          if (name.startsWith(pkg) && name.endsWith(".class") && name.indexOf('/', pkg.length()) < 0) {
            try (InputStream in = jar.getInputStream(entry)) {
              classes.add(new NamedBytes(name, in.readAllBytes()));
            }
          }
        }
      }
    }
    return classes;
  }

  private record NamedBytes(String name, byte[] bytes) {}

  private static List<String> violations(Class<?> anchor) throws Exception {
    List<NamedBytes> classes = classesOf(anchor);
    assertThat(anchor.getPackageName() + " has classes", classes.size(), greaterThan(3));
    List<String> violations = new ArrayList<>();
    for (NamedBytes c : classes) {
      // Class names in the constant pool are modified-UTF-8, which is plain ASCII for these.
      String text = new String(c.bytes(), StandardCharsets.ISO_8859_1);
      for (String forbidden : FORBIDDEN) {
        if (text.contains(forbidden)) {
          violations.add(c.name() + " refers to " + forbidden);
        }
      }
    }
    return violations;
  }

  @Test
  void theEngineRefersToNoBeamProtobufOrJodaClass() throws Exception {
    assertThat(violations(JobExecution.class), is(empty()));
  }

  @Test
  void thePlanRefersToNoBeamProtobufOrJodaClass() throws Exception {
    assertThat(violations(Plan.class), is(empty()));
  }

  @Test
  void theCheckSeesAReference() throws Exception {
    // The scan does find references where there are some: translation uses Beam throughout.
    List<NamedBytes> translation = classesOf(dev.millrace.translation.TranslatedJob.class);
    boolean found = false;
    for (NamedBytes c : translation) {
      found |= new String(c.bytes(), StandardCharsets.ISO_8859_1).contains("org/apache/beam/");
    }
    assertThat(found, is(true));
  }
}
