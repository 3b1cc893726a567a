package dev.millrace.jobserver;

import static org.hamcrest.MatcherAssert.assertThat;
import static org.hamcrest.Matchers.contains;
import static org.hamcrest.Matchers.greaterThan;
import static org.hamcrest.Matchers.is;

import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import org.apache.beam.model.fnexecution.v1.BeamFnApi;
import org.apache.beam.vendor.grpc.v1p60p1.io.grpc.stub.StreamObserver;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

@Timeout(30)
class InboundDataBufferTest {

  private static BeamFnApi.Elements message(String instruction) {
    return BeamFnApi.Elements.newBuilder()
        .addData(BeamFnApi.Elements.Data.newBuilder().setInstructionId(instruction))
        .build();
  }

  /** A receiver that blocks until released, as Beam's full per-bundle queue does. */
  private static final class BlockedReceiver implements StreamObserver<BeamFnApi.Elements> {
    final CountDownLatch released = new CountDownLatch(1);
    final CountDownLatch ended = new CountDownLatch(1);
    final List<String> received = new ArrayList<>();

    @Override
    public void onNext(BeamFnApi.Elements value) {
      try {
        released.await();
      } catch (InterruptedException e) {
        throw new IllegalStateException(e);
      }
      synchronized (received) {
        received.add(value.getData(0).getInstructionId());
      }
    }

    @Override
    public void onError(Throwable t) {
      received.add("error: " + t.getMessage());
      ended.countDown();
    }

    @Override
    public void onCompleted() {
      received.add("completed");
      ended.countDown();
    }
  }

  @Test
  void gRpcsThreadIsNeverHeldByABlockedReceiverAndEverythingArrivesInOrder() throws Exception {
    BlockedReceiver receiver = new BlockedReceiver();
    InboundDataBuffer buffer = new InboundDataBuffer(receiver);
    List<String> sent = new ArrayList<>();
    for (int i = 0; i < 1_000; i++) {
      buffer.onNext(message("bundle-" + i));
      sent.add("bundle-" + i);
    }
    buffer.onCompleted();
    assertThat("held while the receiver blocks", buffer.heldBytes(), greaterThan(0L));
    receiver.released.countDown();
    assertThat(receiver.ended.await(10, TimeUnit.SECONDS), is(true));
    sent.add("completed");
    assertThat(receiver.received, contains(sent.toArray()));
    assertThat(buffer.heldBytes(), is(0L));
  }

  private static long spillFiles() throws Exception {
    try (java.util.stream.Stream<java.nio.file.Path> files =
        java.nio.file.Files.list(java.nio.file.Path.of(System.getProperty("java.io.tmpdir")))) {
      return files
          .filter(f -> f.getFileName().toString().startsWith("millrace-harness-data-"))
          .count();
    }
  }

  @Test
  void pastItsMemoryWhatComesGoesToDiskAndComesBackInOrder() throws Exception {
    long filesBefore = spillFiles();
    BlockedReceiver receiver = new BlockedReceiver();
    InboundDataBuffer buffer = new InboundDataBuffer(receiver, 2_000);
    List<String> sent = new ArrayList<>();
    String padding = "x".repeat(200);
    for (int i = 0; i < 5_000; i++) {
      buffer.onNext(message("bundle-" + i + padding));
      sent.add("bundle-" + i + padding);
    }
    assertThat("at most its memory on the heap", buffer.heldBytes() <= 2_000, is(true));
    assertThat(buffer.spilledBytes(), greaterThan(1_000_000L));
    // The harness stops sending; then, with the bundle answered, everything is read.
    Thread.sleep(200);
    buffer.onNext(message("last"));
    sent.add("last");
    buffer.onCompleted();
    receiver.released.countDown();
    assertThat(receiver.ended.await(20, TimeUnit.SECONDS), is(true));
    sent.add("completed");
    assertThat(receiver.received, contains(sent.toArray()));
    assertThat("spilled files removed once read", spillFiles(), is(filesBefore));
  }

  @Test
  void anErrorIsPassedOnAfterWhatCameBeforeIt() throws Exception {
    BlockedReceiver receiver = new BlockedReceiver();
    InboundDataBuffer buffer = new InboundDataBuffer(receiver);
    buffer.onNext(message("a"));
    buffer.onError(new IllegalStateException("harness gone"));
    receiver.released.countDown();
    assertThat(receiver.ended.await(10, TimeUnit.SECONDS), is(true));
    assertThat(receiver.received, contains("a", "error: harness gone"));
  }
}
