package dev.millrace.vr;

import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStreamReader;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.concurrent.TimeUnit;
import org.junit.rules.ExternalResource;

/**
 * Beam's Python test expansion service (src/test/python/xlang_expansion_service.py, in the build's
 * Python environment) for the cross-language tests of a mode: started before the suite, its port
 * given to Beam's tests as the {@code expansionPort} system property they read, stopped after it
 * (its standard input closes, and it is killed if it lingers).
 */
final class PythonExpansionService extends ExternalResource {

  private Process process;

  @Override
  protected void before() throws IOException {
    Path python =
        Path.of(System.getProperty("python.venv", "../target/sdks/python-venv"), "bin", "python");
    if (!Files.isExecutable(python)) {
      throw new IllegalStateException(
          "No Python environment at "
              + python
              + " for the cross-language tests (made by the build's python-venv step)");
    }
    Path script = Path.of("src/test/python/xlang_expansion_service.py").toAbsolutePath();
    Path log = Path.of("target/vr-reports/python-expansion-service.log");
    Files.createDirectories(log.getParent());
    process =
        new ProcessBuilder(python.toString(), script.toString())
            .redirectError(log.toFile())
            .start();
    BufferedReader out =
        new BufferedReader(new InputStreamReader(process.getInputStream(), StandardCharsets.UTF_8));
    String line = out.readLine();
    if (line == null || !line.startsWith("PORT ")) {
      process.destroyForcibly();
      throw new IllegalStateException(
          "The Python expansion service did not start ("
              + line
              + "); its log: "
              + Files.readString(log));
    }
    System.setProperty("expansionPort", line.substring("PORT ".length()).trim());
  }

  @Override
  protected void after() {
    try {
      process.getOutputStream().close();
      if (!process.waitFor(10, TimeUnit.SECONDS)) {
        process.destroyForcibly();
      }
    } catch (IOException | InterruptedException e) {
      process.destroyForcibly();
    }
  }
}
