package dev.millrace.vr;

import org.junit.ClassRule;
import org.junit.runner.RunWith;

/**
 * Beam's ValidatesRunner suite through the Millrace job server: each pipeline is translated to its
 * portable form, submitted over the job API and run with its user code in the Java SDK harness
 * embedded in the server (EMBEDDED environment), over the Fn API.
 */
@RunWith(ValidatesRunnerSuite.class)
@ValidatesRunnerSuite.Mode("portable")
public class PortableValidatesRunnerTest {
  /** For the cross-language tests, whose Python transforms run in its worker pool. */
  @ClassRule
  public static final PythonExpansionService PYTHON_EXPANSION = new PythonExpansionService();
}
