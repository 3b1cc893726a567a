package dev.millrace.vr;

import org.junit.ClassRule;
import org.junit.runner.RunWith;

/**
 * Beam's ValidatesRunner suite on Millrace with {@code --streaming=true}: every pipeline runs the
 * streaming way (ReduceFnRunner per key, no batch shortcuts), with keyed state in RocksDB, the
 * streaming default.
 */
@RunWith(ValidatesRunnerSuite.class)
@ValidatesRunnerSuite.Mode("streaming")
public class StreamingValidatesRunnerTest {
  /** For the cross-language tests, whose Python transforms run in its worker pool. */
  @ClassRule
  public static final PythonExpansionService PYTHON_EXPANSION = new PythonExpansionService();
}
