package dev.millrace.state;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Comparator;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.stream.Stream;

/**
 * The temporary state directories still in use in this JVM. A backend removes its own directory
 * on close; these are the ones a JVM stopped by a signal (Ctrl-C, SIGTERM, a benchmark's timeout)
 * would otherwise leave behind, so one shutdown hook removes them, best effort.
 */
public final class TemporaryDirectories {
  private static final Set<Path> LIVE = ConcurrentHashMap.newKeySet();

  static {
    Runtime.getRuntime().addShutdownHook(new Thread(TemporaryDirectories::removeAll, "millrace-state-cleanup"));
  }

  private TemporaryDirectories() {}

  static void register(Path directory) {
    LIVE.add(directory);
  }

  static void unregister(Path directory) {
    LIVE.remove(directory);
  }

  private static void removeAll() {
    for (Path directory : LIVE) {
      try {
        deleteRecursively(directory);
      } catch (IOException | RuntimeException e) {
        // The JVM is going away; a file RocksDB still holds open may refuse to go.
      }
    }
  }

  public static void deleteRecursively(Path root) throws IOException {
    if (!Files.exists(root)) {
      return;
    }
    try (Stream<Path> paths = Files.walk(root)) {
      for (Path p : (Iterable<Path>) paths.sorted(Comparator.reverseOrder())::iterator) {
        Files.delete(p);
      }
    }
  }
}
