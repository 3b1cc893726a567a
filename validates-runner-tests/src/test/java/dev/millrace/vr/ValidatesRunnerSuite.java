package dev.millrace.vr;

import java.io.File;
import java.lang.annotation.ElementType;
import java.lang.annotation.Retention;
import java.lang.annotation.RetentionPolicy;
import java.lang.annotation.Target;
import java.lang.reflect.Method;
import java.lang.reflect.Modifier;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Enumeration;
import java.util.HashSet;
import java.util.List;
import java.util.Set;
import java.util.jar.JarEntry;
import java.util.jar.JarFile;
import org.apache.beam.sdk.testing.ValidatesRunner;
import org.junit.experimental.categories.Category;
import org.junit.experimental.runners.Enclosed;
import org.junit.runner.Description;
import org.junit.runner.RunWith;
import org.junit.runner.manipulation.Filter;
import org.junit.runner.manipulation.NoTestsRemainException;
import org.junit.runners.Suite;
import org.junit.runners.model.InitializationError;
import org.junit.runners.model.RunnerBuilder;

/**
 * Runs every ValidatesRunner test of Beam's core tests jar (or, in a needs-runner mode, every
 * NeedsRunner test that is not also ValidatesRunner), less the exclusions of one mode. The classes
 * are found by scanning the jar, so nested classes and new tests are never missed. The suite fails
 * to start, loudly, when a class of the jar cannot be loaded (a missing test dependency would
 * silently drop its tests) or when an exclusion line matches no test (a stale line hides nothing
 * but reads like a debt).
 */
public final class ValidatesRunnerSuite extends Suite {

  /** Names the mode: its exclusions are {@code vr-exclusions/<mode>.txt}. */
  @Retention(RetentionPolicy.RUNTIME)
  @Target(ElementType.TYPE)
  public @interface Mode {
    String value();

    /** Which of Beam's tests the mode runs: those of this category or of a subtype. */
    Class<?> category() default ValidatesRunner.class;

    /** Tests of this category (or a subtype) are left to another mode; Void skips none. */
    Class<?> skipping() default Void.class;
  }

  public ValidatesRunnerSuite(Class<?> klass, RunnerBuilder builder) throws InitializationError {
    this(klass, builder, modeOf(klass));
  }

  private ValidatesRunnerSuite(Class<?> klass, RunnerBuilder builder, Mode mode)
      throws InitializationError {
    super(builder, klass, discover(mode.category()));
    VrExclusions exclusions = VrExclusions.load(mode.value());
    Set<String> matched = new HashSet<>();
    try {
      filter(new ModeFilter(mode, exclusions, matched));
    } catch (NoTestsRemainException e) {
      throw new InitializationError(e);
    }
    // -Dvr.only=<substring of Class#method>[|<another>...] narrows a run to the tests a developer
    // is chasing.
    if (ONLY.isEmpty()) {
      List<String> unmatched = new ArrayList<>();
      for (Class<?> category : exclusions.categories) {
        if (!matched.contains(category.getName())) {
          unmatched.add(category.getName());
        }
      }
      for (String test : exclusions.tests) {
        if (!matched.contains(test)) {
          unmatched.add(test);
        }
      }
      if (!unmatched.isEmpty()) {
        throw new InitializationError(
            "vr-exclusions/"
                + mode.value()
                + ".txt: these lines match no test of the mode: "
                + unmatched);
      }
    }
  }

  private static Mode modeOf(Class<?> klass) throws InitializationError {
    Mode mode = klass.getAnnotation(Mode.class);
    if (mode == null) {
      throw new InitializationError(klass.getName() + " needs @ValidatesRunnerSuite.Mode");
    }
    return mode;
  }

  private static final String ONLY = System.getProperty("vr.only", "");

  /**
   * Writes a line per finished test (outcome, seconds, name) to {@code -Dvr.progress=<file>} as the
   * run goes: Surefire writes its report only once the whole suite has ended, which for a long
   * mode, or one whose JVM dies, is too late to see where it stands.
   */
  @Override
  public void run(org.junit.runner.notification.RunNotifier notifier) {
    String progress = System.getProperty("vr.progress", "");
    if (!progress.isEmpty()) {
      notifier.addListener(new ProgressLog(new File(progress)));
    }
    // -Dvr.repeat=N runs the selection N times in this JVM, to measure how often a flaky test
    // fails (with -Dvr.only); every run's outcomes are reported.
    int repeat = Integer.getInteger("vr.repeat", 1);
    for (int i = 0; i < repeat; i++) {
      super.run(notifier);
    }
  }

  private static final class ProgressLog extends org.junit.runner.notification.RunListener {
    private final File file;
    private final java.util.Map<Description, Long> started =
        new java.util.concurrent.ConcurrentHashMap<>();
    private final Set<Description> failed = java.util.concurrent.ConcurrentHashMap.newKeySet();

    ProgressLog(File file) {
      this.file = file;
      file.getParentFile().mkdirs();
      file.delete();
    }

    @Override
    public void testStarted(Description description) {
      started.put(description, System.nanoTime());
    }

    @Override
    public void testFailure(org.junit.runner.notification.Failure failure) {
      failed.add(failure.getDescription());
    }

    @Override
    public void testIgnored(Description description) {
      write("SKIP 0.0 " + description.getClassName() + "#" + description.getMethodName());
    }

    @Override
    public void testFinished(Description description) {
      Long start = started.remove(description);
      double seconds = start == null ? 0 : (System.nanoTime() - start) / 1e9;
      write(
          (failed.remove(description) ? "FAIL " : "PASS ")
              + String.format(java.util.Locale.ROOT, "%.1f ", seconds)
              + description.getClassName()
              + "#"
              + description.getMethodName());
    }

    private synchronized void write(String line) {
      try {
        java.nio.file.Files.writeString(
            file.toPath(),
            line + "\n",
            java.nio.file.StandardOpenOption.CREATE,
            java.nio.file.StandardOpenOption.APPEND);
      } catch (java.io.IOException e) {
        // Progress is a convenience; the Surefire report is the record.
      }
    }
  }

  /**
   * Keeps the mode's tests that no exclusion names (a category excludes its subtypes), and records
   * which exclusions matched something.
   */
  private static final class ModeFilter extends Filter {
    private final Mode mode;
    private final VrExclusions exclusions;
    private final Set<String> matched;

    ModeFilter(Mode mode, VrExclusions exclusions, Set<String> matched) {
      this.mode = mode;
      this.exclusions = exclusions;
      this.matched = matched;
    }

    @Override
    public boolean shouldRun(Description description) {
      if (description.getMethodName() == null) {
        return true; // a class: decided by its methods
      }
      Set<Class<?>> categories = categoriesOf(description);
      if (categories.stream().noneMatch(mode.category()::isAssignableFrom)
          || categories.stream().anyMatch(mode.skipping()::isAssignableFrom)) {
        return false;
      }
      String method = description.getMethodName();
      int bracket = method.indexOf('[');
      if (bracket > 0) {
        method = method.substring(0, bracket);
      }
      String name = description.getClassName() + "#" + method;
      boolean excluded = false;
      if (exclusions.tests.contains(name)) {
        matched.add(name);
        excluded = true;
      }
      for (Class<?> excludedCategory : exclusions.categories) {
        if (categories.stream().anyMatch(excludedCategory::isAssignableFrom)) {
          matched.add(excludedCategory.getName());
          excluded = true;
        }
      }
      return !excluded
          && (ONLY.isEmpty() || Arrays.stream(ONLY.split("\\|")).anyMatch(name::contains));
    }

    private static Set<Class<?>> categoriesOf(Description description) {
      Set<Class<?>> categories = new HashSet<>();
      Category onMethod = description.getAnnotation(Category.class);
      if (onMethod != null) {
        categories.addAll(Arrays.asList(onMethod.value()));
      }
      for (Class<?> c = description.getTestClass(); c != null; c = c.getSuperclass()) {
        Category onClass = c.getAnnotation(Category.class);
        if (onClass != null) {
          categories.addAll(Arrays.asList(onClass.value()));
        }
      }
      return categories;
    }

    @Override
    public String describe() {
      return mode.category().getSimpleName() + " of mode " + mode.value() + ", not excluded";
    }
  }

  private static Class<?>[] discover(Class<?> category) throws InitializationError {
    List<Class<?>> classes = new ArrayList<>();
    try {
      File jar =
          new File(
              ValidatesRunner.class.getProtectionDomain().getCodeSource().getLocation().toURI());
      if (!jar.getName().endsWith("-tests.jar")) {
        // ValidatesRunner lives in the main jar; find the tests jar beside the class of a VR test.
        jar =
            new File(
                org.apache.beam.sdk.testing.PAssertTest.class
                    .getProtectionDomain()
                    .getCodeSource()
                    .getLocation()
                    .toURI());
      }
      try (JarFile file = new JarFile(jar)) {
        Enumeration<JarEntry> entries = file.entries();
        while (entries.hasMoreElements()) {
          String name = entries.nextElement().getName();
          if (!name.startsWith("org/apache/beam/sdk/") || !name.endsWith(".class")) {
            continue;
          }
          String className = name.substring(0, name.length() - ".class".length()).replace('/', '.');
          Class<?> c;
          try {
            c = Class.forName(className, false, ValidatesRunnerSuite.class.getClassLoader());
          } catch (Throwable missingDependency) {
            throw new InitializationError(
                "cannot load "
                    + className
                    + " from Beam's tests jar (a test dependency is missing?): "
                    + missingDependency);
          }
          if (isSuiteClass(c, category)) {
            classes.add(c);
          }
        }
      }
    } catch (InitializationError e) {
      throw e;
    } catch (Exception e) {
      throw new InitializationError(e);
    }
    classes.sort(java.util.Comparator.comparing(Class::getName));
    return classes.toArray(new Class<?>[0]);
  }

  private static boolean isSuiteClass(Class<?> c, Class<?> category) {
    if (Modifier.isAbstract(c.getModifiers()) || !Modifier.isPublic(c.getModifiers())) {
      return false;
    }
    if (c.isMemberClass() && !Modifier.isStatic(c.getModifiers())) {
      return false;
    }
    RunWith runWith = c.getAnnotation(RunWith.class);
    if (runWith != null && runWith.value() == Enclosed.class) {
      return false; // its nested classes are found on their own
    }
    if (has(c.getAnnotation(Category.class), category)) {
      return true;
    }
    for (Method m : c.getMethods()) {
      if (has(m.getAnnotation(Category.class), category)) {
        return true;
      }
    }
    return false;
  }

  private static boolean has(Category annotation, Class<?> category) {
    if (annotation == null) {
      return false;
    }
    for (Class<?> c : annotation.value()) {
      if (category.isAssignableFrom(c)) {
        return true;
      }
    }
    return false;
  }
}
