package dev.millrace.cluster;

import java.nio.file.Path;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.io.TempDir;

/** Tests of a class share one {@link TestBroker}, started before the first and closed after. */
abstract class OnTestBroker {
  @TempDir static Path brokerDirectory;
  static TestBroker broker;

  @BeforeAll
  static void startBroker() throws Exception {
    broker = TestBroker.start(brokerDirectory);
  }

  @AfterAll
  static void stopBroker() throws Exception {
    broker.close();
  }
}
