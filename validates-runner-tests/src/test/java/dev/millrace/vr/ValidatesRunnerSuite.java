package dev.millrace.vr;

import java.io.File;
import java.lang.annotation.ElementType;
import java.lang.annotation.Retention;
import java.lang.annotation.RetentionPolicy;
import java.lang.annotation.Target;
import java.lang.reflect.Method;
import java.lang.reflect.Modifier;
import java.util.ArrayList;
import java.util.Enumeration;
import java.util.List;
import java.util.jar.JarEntry;
import java.util.jar.JarFile;
import org.apache.beam.sdk.testing.ValidatesRunner;
import org.junit.experimental.categories.Categories;
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
 * Runs every ValidatesRunner test of Beam's core tests jar, less the exclusions of one mode. The
 * classes are found by scanning the jar, so nested classes and new tests are never missed.
 */
public final class ValidatesRunnerSuite extends Suite {

  /** Names the mode: its exclusions are {@code vr-exclusions/<mode>.txt}. */
  @Retention(RetentionPolicy.RUNTIME)
  @Target(ElementType.TYPE)
  public @interface Mode {
    String value();
  }

  public ValidatesRunnerSuite(Class<?> klass, RunnerBuilder builder) throws InitializationError {
    super(builder, klass, discover());
    Mode mode = klass.getAnnotation(Mode.class);
    if (mode == null) {
      throw new InitializationError(klass.getName() + " needs @ValidatesRunnerSuite.Mode");
    }
    VrExclusions exclusions = VrExclusions.load(mode.value());
    try {
      filter(
          Categories.CategoryFilter.categoryFilter(
                  true, java.util.Set.of(ValidatesRunner.class), true, new java.util.HashSet<>(exclusions.categories))
              .intersect(byName(exclusions)));
    } catch (NoTestsRemainException e) {
      throw new InitializationError(e);
    }
  }

  private static Filter byName(VrExclusions exclusions) {
    return new Filter() {
      @Override
      public boolean shouldRun(Description description) {
        if (description.getMethodName() == null) {
          return true;
        }
        String method = description.getMethodName();
        int bracket = method.indexOf('[');
        if (bracket > 0) {
          method = method.substring(0, bracket);
        }
        String name = description.getClassName() + "#" + method;
        // -Dvr.only=<substring of Class#method> narrows a run to the tests a developer is chasing.
        String only = System.getProperty("vr.only", "");
        return !exclusions.tests.contains(name) && name.contains(only);
      }

      @Override
      public String describe() {
        return "not excluded by name";
      }
    };
  }

  private static Class<?>[] discover() throws InitializationError {
    List<Class<?>> classes = new ArrayList<>();
    try {
      File jar = new File(ValidatesRunner.class.getProtectionDomain().getCodeSource().getLocation().toURI());
      if (!jar.getName().endsWith("-tests.jar")) {
        // ValidatesRunner lives in the main jar; find the tests jar beside the class of a VR test.
        jar = new File(
            org.apache.beam.sdk.testing.PAssertTest.class.getProtectionDomain().getCodeSource().getLocation().toURI());
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
            continue; // helpers of tests that need jars we do not ship; none of them is a VR test
          }
          if (isValidatesRunnerClass(c)) {
            classes.add(c);
          }
        }
      }
    } catch (Exception e) {
      throw new InitializationError(e);
    }
    classes.sort(java.util.Comparator.comparing(Class::getName));
    return classes.toArray(new Class<?>[0]);
  }

  private static boolean isValidatesRunnerClass(Class<?> c) {
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
    if (hasValidatesRunner(c.getAnnotation(Category.class))) {
      return true;
    }
    try {
      for (Method m : c.getMethods()) {
        if (hasValidatesRunner(m.getAnnotation(Category.class))) {
          return true;
        }
      }
    } catch (Throwable missingDependency) {
      return false;
    }
    return false;
  }

  private static boolean hasValidatesRunner(Category category) {
    if (category == null) {
      return false;
    }
    for (Class<?> c : category.value()) {
      if (ValidatesRunner.class.isAssignableFrom(c)) {
        return true;
      }
    }
    return false;
  }
}
