package dev.millrace.cluster.testing;

import java.nio.file.Path;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.io.TempDir;

/** Tests of a class share one {@link TestBroker}, started before the first and closed after. */
public abstract class OnTestBroker {
  @TempDir protected static Path brokerDirectory;
  protected static TestBroker broker;

  @BeforeAll
  public static void startBroker() throws Exception {
    broker = TestBroker.start(brokerDirectory);
  }

  @AfterAll
  public static void stopBroker() throws Exception {
    broker.close();
  }
}
