package dev.millrace.state;

import static org.hamcrest.MatcherAssert.assertThat;
import static org.hamcrest.Matchers.is;

import java.io.BufferedReader;
import java.io.InputStreamReader;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

class TemporaryDirectoriesTest {

  /** Run in a child JVM: opens a temporary backend, writes, reports its directory, waits. */
  public static void main(String[] args) throws Exception {
    RocksDbStateBackend backend = RocksDbStateBackend.openTemporary();
    backend.put(new byte[] {0, 1, 2}, new byte[] {42});
    backend.commit();
    System.out.println(backend.directory());
    System.out.flush();
    Thread.sleep(60_000);
  }

  @Test
  @Timeout(60)
  void aJvmStoppedBySigtermLeavesNoStateDirectory() throws Exception {
    Path java = Path.of(System.getProperty("java.home"), "bin", "java");
    Process child =
        new ProcessBuilder(List.of(java.toString(), "-cp", System.getProperty("java.class.path"), TemporaryDirectoriesTest.class.getName()))
            .redirectError(ProcessBuilder.Redirect.INHERIT)
            .start();
    Path directory;
    try (BufferedReader out = new BufferedReader(new InputStreamReader(child.getInputStream(), StandardCharsets.UTF_8))) {
      directory = Path.of(out.readLine());
      assertThat(Files.isDirectory(directory), is(true));
      child.destroy(); // SIGTERM: shutdown hooks run
      assertThat(child.waitFor(30, TimeUnit.SECONDS), is(true));
    } finally {
      child.destroyForcibly();
    }
    assertThat(Files.exists(directory), is(false));
  }
}
