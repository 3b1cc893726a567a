package dev.millrace.state;

import static org.hamcrest.MatcherAssert.assertThat;
import static org.hamcrest.Matchers.is;
import static org.hamcrest.Matchers.startsWith;

import dev.millrace.engine.checkpoint.Directories;
import java.io.BufferedReader;
import java.io.InputStreamReader;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

class TemporaryDirectoriesTest {
  @TempDir Path tmp;

  /** Run in a child JVM: opens a temporary backend, writes, reports its directory, waits. */
  public static void main(String[] args) throws Exception {
    RocksDbStateBackend backend = RocksDbStateBackend.openTemporary();
    backend.put(new byte[] {0, 1, 2}, new byte[] {42});
    backend.commit();
    System.out.println(backend.directory());
    System.out.flush();
    Thread.sleep(60_000);
  }

  /** Starts {@link #main} in a child JVM with {@code tmp} as its temporary directory. */
  private Process child() throws Exception {
    Path java = Path.of(System.getProperty("java.home"), "bin", "java");
    return new ProcessBuilder(
            List.of(
                java.toString(),
                "-Djava.io.tmpdir=" + tmp,
                "-cp",
                System.getProperty("java.class.path"),
                TemporaryDirectoriesTest.class.getName()))
        .redirectError(ProcessBuilder.Redirect.INHERIT)
        .start();
  }

  /** The directory the child reports; then stops it, with SIGKILL if {@code kill}, else SIGTERM. */
  private static Path directoryOfStopped(Process child, boolean kill) throws Exception {
    try (BufferedReader out =
        new BufferedReader(new InputStreamReader(child.getInputStream(), StandardCharsets.UTF_8))) {
      Path directory = Path.of(out.readLine());
      assertThat(Files.isDirectory(directory), is(true));
      if (kill) {
        child.destroyForcibly();
      } else {
        child.destroy(); // SIGTERM: shutdown hooks run
      }
      assertThat(child.waitFor(30, TimeUnit.SECONDS), is(true));
      return directory;
    } finally {
      child.destroyForcibly();
    }
  }

  @Test
  @Timeout(60)
  void aJvmStoppedBySigtermLeavesNoStateDirectory() throws Exception {
    assertThat(Files.exists(directoryOfStopped(child(), false)), is(false));
  }

  @Test
  @Timeout(60)
  void whatAJvmKilledBySigkillLeftIsRemovedByTheNextOne() throws Exception {
    Path left = directoryOfStopped(child(), true);
    assertThat("no hook ran", Files.isDirectory(left), is(true));
    Path next = directoryOfStopped(child(), false);
    assertThat(Files.exists(left), is(false));
    assertThat(Files.exists(next), is(false));
  }

  @Test
  void onlyDirectoriesOfProcessesThatNoLongerRunAreRemoved() throws Exception {
    Process gone = new ProcessBuilder("true").start();
    gone.waitFor();
    Path ofTheDead =
        Files.createDirectories(tmp.resolve("millrace-state-" + gone.pid() + "-42").resolve("db"));
    Files.writeString(ofTheDead.resolve("CURRENT"), "MANIFEST-000001");
    Path ofThisJvm =
        Files.createDirectories(
            tmp.resolve("millrace-spill-" + ProcessHandle.current().pid() + "-7"));
    long parent = ProcessHandle.current().parent().orElseThrow().pid();
    Path ofALiveProcess = Files.createDirectories(tmp.resolve("millrace-state-" + parent + "-8"));
    Path notOurs = Files.createDirectories(tmp.resolve("millrace-state-123"));

    assertThat(TemporaryDirectories.removeLeftOversOfDeadProcesses(tmp), is(1));
    assertThat(Files.exists(ofTheDead.getParent()), is(false));
    assertThat(Files.exists(ofThisJvm), is(true));
    assertThat(Files.exists(ofALiveProcess), is(true));
    assertThat(Files.exists(notOurs), is(true));
  }

  @Test
  void aNewDirectoryNamesThisJvm() throws Exception {
    Path created = TemporaryDirectories.create("millrace-state-");
    try {
      assertThat(
          created.getFileName().toString(),
          startsWith("millrace-state-" + ProcessHandle.current().pid() + "-"));
    } finally {
      Directories.deleteRecursively(created);
      TemporaryDirectories.unregister(created);
    }
  }
}
