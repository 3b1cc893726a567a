package dev.millrace.vr;

import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStream;
import java.io.InputStreamReader;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Set;

/**
 * The exclusions of one mode, read from {@code vr-exclusions/<mode>.txt}. Each line names a
 * category (the full name of a {@code Uses...} interface; its subtypes are excluded too) or a test
 * ({@code Class#method}), then {@code |} and the reason. A line without a reason is an error.
 */
final class VrExclusions {
  final List<Class<?>> categories = new ArrayList<>();
  final Set<String> tests = new HashSet<>();

  static VrExclusions load(String mode) {
    String resource = "vr-exclusions/" + mode + ".txt";
    VrExclusions exclusions = new VrExclusions();
    try (InputStream in = VrExclusions.class.getClassLoader().getResourceAsStream(resource)) {
      if (in == null) {
        throw new IllegalStateException("missing " + resource);
      }
      BufferedReader reader = new BufferedReader(new InputStreamReader(in, StandardCharsets.UTF_8));
      String line;
      int number = 0;
      while ((line = reader.readLine()) != null) {
        number++;
        String trimmed = line.strip();
        if (trimmed.isEmpty() || trimmed.startsWith("#")) {
          continue;
        }
        int bar = trimmed.indexOf('|');
        if (bar < 0 || trimmed.substring(bar + 1).isBlank()) {
          throw new IllegalStateException(
              resource + ":" + number + ": every exclusion needs '| reason'");
        }
        String name = trimmed.substring(0, bar).strip();
        if (name.contains("#")) {
          exclusions.tests.add(name);
        } else {
          exclusions.categories.add(Class.forName(name));
        }
      }
    } catch (IOException | ClassNotFoundException e) {
      throw new IllegalStateException("cannot read " + resource + ": " + e, e);
    }
    return exclusions;
  }
}
