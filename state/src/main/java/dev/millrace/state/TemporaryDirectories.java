package dev.millrace.state;

import dev.millrace.engine.checkpoint.Directories;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.Stream;

/**
 * The temporary state directories of this JVM. A backend removes its own directory on close; the
 * ones a JVM stopped by a signal (Ctrl-C, SIGTERM, a benchmark's timeout) would otherwise leave
 * behind are removed by one shutdown hook, best effort. A JVM killed outright (SIGKILL, a crash)
 * runs no hook, so every directory carries its JVM's process id, and the first directory a JVM
 * creates removes those of processes that no longer run.
 */
public final class TemporaryDirectories {
  private static final Set<Path> LIVE = ConcurrentHashMap.newKeySet();
  private static final long PID = ProcessHandle.current().pid();
  private static final Pattern OURS = Pattern.compile("millrace-[a-z]+-(\\d+)-.*");
  private static final AtomicBoolean SWEPT = new AtomicBoolean();

  static {
    Runtime.getRuntime()
        .addShutdownHook(new Thread(TemporaryDirectories::removeAll, "millrace-state-cleanup"));
  }

  private TemporaryDirectories() {}

  /**
   * A new directory {@code <prefix><pid>-<random>} in the temporary directory, removed at shutdown
   * unless removed before; the first call also removes what dead processes left.
   */
  static Path create(String prefix) throws IOException {
    Path tmp = Path.of(System.getProperty("java.io.tmpdir"));
    if (SWEPT.compareAndSet(false, true)) {
      removeLeftOversOfDeadProcesses(tmp);
    }
    Path directory = Files.createTempDirectory(tmp, prefix + PID + "-");
    register(directory);
    return directory;
  }

  /**
   * Removes the directories under {@code tmp} that processes no longer running created; returns how
   * many.
   */
  static int removeLeftOversOfDeadProcesses(Path tmp) {
    int removed = 0;
    try (Stream<Path> children = Files.list(tmp)) {
      for (Path child : (Iterable<Path>) children::iterator) {
        Matcher name = OURS.matcher(child.getFileName().toString());
        if (!name.matches()) {
          continue;
        }
        long pid = Long.parseLong(name.group(1));
        if (pid == PID || ProcessHandle.of(pid).map(ProcessHandle::isAlive).orElse(false)) {
          continue;
        }
        try {
          Directories.deleteRecursively(child);
          removed++;
        } catch (IOException | RuntimeException e) {
          // Another process may be removing it too; what is left goes next time.
        }
      }
    } catch (IOException e) {
      // An unreadable temporary directory: nothing to sweep, and creating ours will say why.
    }
    return removed;
  }

  static void register(Path directory) {
    LIVE.add(directory);
  }

  static void unregister(Path directory) {
    LIVE.remove(directory);
  }

  private static void removeAll() {
    for (Path directory : LIVE) {
      try {
        Directories.deleteRecursively(directory);
      } catch (IOException | RuntimeException e) {
        // The JVM is going away; a file RocksDB still holds open may refuse to go.
      }
    }
  }
}
