package dev.millrace.engine.testing;

import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.Stream;

/**
 * The arrows between a module's packages, read from its compiled classes: every class a class
 * refers to is named in its constant pool. For tests that hold a module to the arrows its README
 * allows.
 */
public final class PackageArrows {
  private final String root;
  private final List<String[]> arrows = new ArrayList<>();

  /**
   * The arrows among the classes under {@code root} (a path like {@code dev/millrace/state/}) in
   * the class directory {@code anchor} was loaded from.
   */
  public PackageArrows(Class<?> anchor, String root) throws Exception {
    this.root = root;
    Path classes =
        Path.of(anchor.getResource(anchor.getSimpleName() + ".class").toURI()).getParent();
    for (int depth = anchor.getPackageName().split("\\.").length; depth > 0; depth--) {
      classes = classes.getParent();
    }
    Pattern reference = Pattern.compile(Pattern.quote(root) + "[\\w/$]*");
    try (Stream<Path> files = Files.walk(classes.resolve(root))) {
      for (Path file : (Iterable<Path>) files::iterator) {
        if (!file.toString().endsWith(".class")) {
          continue;
        }
        String name = classes.relativize(file).toString().replace('\\', '/');
        Matcher m =
            reference.matcher(new String(Files.readAllBytes(file), StandardCharsets.ISO_8859_1));
        while (m.find()) {
          arrows.add(new String[] {name, m.group()});
        }
      }
    }
  }

  private static String packageOf(String className) {
    return className.substring(0, className.lastIndexOf('/') + 1);
  }

  /**
   * The references from classes of packages starting with {@code root + from} to classes of another
   * package among {@code forbidden} (each a package under root, "" for root itself; with {@code
   * exact} only that package, else it and the packages under it).
   */
  public List<String> from(String from, List<String> forbidden, boolean exact) {
    return find(from, false, forbidden, exact);
  }

  /** Like {@link #from}, but only from the classes of package {@code root + pkg} itself. */
  public List<String> fromOnly(String pkg, List<String> forbidden) {
    return find(pkg, true, forbidden, false);
  }

  private List<String> find(
      String from, boolean onlyThatPackage, List<String> forbidden, boolean exact) {
    List<String> found = new ArrayList<>();
    for (String[] arrow : arrows) {
      String fromPackage = packageOf(arrow[0]);
      String toPackage = packageOf(arrow[1]);
      boolean inScope =
          onlyThatPackage ? fromPackage.equals(root + from) : fromPackage.startsWith(root + from);
      if (!inScope || toPackage.equals(fromPackage)) {
        continue;
      }
      for (String f : forbidden) {
        if (exact ? toPackage.equals(root + f) : toPackage.startsWith(root + f)) {
          found.add(arrow[0] + " -> " + arrow[1]);
        }
      }
    }
    return found;
  }
}
