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
