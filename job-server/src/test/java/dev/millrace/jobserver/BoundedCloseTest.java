package dev.millrace.jobserver;

import static org.hamcrest.MatcherAssert.assertThat;
import static org.hamcrest.Matchers.is;
import static org.hamcrest.Matchers.lessThan;
import static org.junit.jupiter.api.Assertions.assertThrows;

import java.io.IOException;
import java.time.Duration;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.atomic.AtomicBoolean;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

class BoundedCloseTest {
  @Test
  @Timeout(30)
  void aCloseThatHangsIsLeftBehindAfterTheLimit() throws Exception {
    CountDownLatch never = new CountDownLatch(1);
    long start = System.nanoTime();
    BoundedClose.close(never::await, "a hanging resource", Duration.ofMillis(300));
    long millis = (System.nanoTime() - start) / 1_000_000;
    assertThat(millis >= 300, is(true));
    assertThat(millis, lessThan(10_000L));
    never.countDown();
  }

  @Test
  @Timeout(30)
  void aCloseWithinTheLimitHasFinishedAndItsFailureIsRethrown() throws Exception {
    AtomicBoolean closed = new AtomicBoolean();
    BoundedClose.close(() -> closed.set(true), "a resource", Duration.ofSeconds(10));
    assertThat(closed.get(), is(true));
    IOException thrown =
        assertThrows(
            IOException.class,
            () ->
                BoundedClose.close(
                    () -> {
                      throw new IOException("cannot close");
                    },
                    "a failing resource",
                    Duration.ofSeconds(10)));
    assertThat(thrown.getMessage(), is("cannot close"));
  }

  @Test
  @Timeout(30)
  void anInterruptedCallerStillWaitsAndKeepsItsInterrupt() throws Exception {
    AtomicBoolean closed = new AtomicBoolean();
    Thread.currentThread().interrupt();
    BoundedClose.close(
        () -> {
          Thread.sleep(200);
          closed.set(true);
        },
        "a slow resource",
        Duration.ofSeconds(10));
    assertThat(Thread.interrupted(), is(true));
    assertThat(closed.get(), is(true));
  }
}
