package dev.millrace.state;

import org.apache.beam.runners.core.StateInternals;
import org.apache.beam.runners.core.StateInternalsTest;
import org.apache.beam.sdk.coders.StringUtf8Coder;
import org.junit.After;
import org.junit.runner.RunWith;
import org.junit.runners.JUnit4;

/** Beam's own contract tests for {@link StateInternals}, run against RocksDB. */
@RunWith(JUnit4.class)
public class RocksDbStateInternalsTest extends StateInternalsTest {
  private RocksDbStateBackend backend;

  @Override
  protected StateInternals createStateInternals() {
    backend = RocksDbStateBackend.openTemporary();
    return RocksDbStateInternals.forKey(backend, "dummyKey", StringUtf8Coder.of(), 7);
  }

  @After
  public void closeBackend() {
    if (backend != null) {
      backend.close();
    }
  }
}
