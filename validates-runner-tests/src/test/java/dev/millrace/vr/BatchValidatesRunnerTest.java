package dev.millrace.vr;

import org.junit.ClassRule;
import org.junit.runner.RunWith;

/** Beam's ValidatesRunner suite on Millrace with {@code --streaming=false}. */
@RunWith(ValidatesRunnerSuite.class)
@ValidatesRunnerSuite.Mode("batch")
public class BatchValidatesRunnerTest {
  /** For the cross-language tests, whose Python transforms run in its worker pool. */
  @ClassRule
  public static final PythonExpansionService PYTHON_EXPANSION = new PythonExpansionService();
}
