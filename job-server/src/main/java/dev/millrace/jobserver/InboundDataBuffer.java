package dev.millrace.jobserver;

import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.atomic.AtomicLong;
import org.apache.beam.model.fnexecution.v1.BeamFnApi;
import org.apache.beam.vendor.grpc.v1p60p1.io.grpc.stub.StreamObserver;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * What an SDK harness sends on its data stream, taken off gRPC's thread at once and handed to
 * Beam's receiving side (the data service's multiplexer) on a thread of its own, in order.
 *
 * <p>Beam 2.62's runner side queues at most 100 messages per bundle and reads them only once the
 * harness has answered the bundle ({@code SdkHarnessClient}'s bundle close waits for the response
 * before it drains). A bundle that sends more before it answers (one element whose output is a
 * whole source, cut by the harness into messages of {@code data_buffer_size_limit}) filled that
 * queue; gRPC's thread then blocked on it, flow control stopped the harness's sender, and the
 * harness never answered. Here the thread that blocks is this buffer's own: gRPC keeps reading, the
 * harness finishes and answers, and the bundle's close reads what was held. The held messages are
 * the bundle's encoded output, counted, and a warning says when they grow large.
 */
final class InboundDataBuffer implements StreamObserver<BeamFnApi.Elements> {
  private static final Logger LOG = LoggerFactory.getLogger(InboundDataBuffer.class);

  /** Held bytes past which the first warning is logged; each later one at twice the last. */
  static final long FIRST_WARNING_BYTES = 256L << 20;

  private final StreamObserver<BeamFnApi.Elements> receiver;
  private final LinkedBlockingQueue<Runnable> pending = new LinkedBlockingQueue<>();
  private final AtomicLong heldBytes = new AtomicLong();
  private long nextWarningBytes = FIRST_WARNING_BYTES;

  InboundDataBuffer(StreamObserver<BeamFnApi.Elements> receiver) {
    this.receiver = receiver;
    Thread forwarder = new Thread(this::forward, "millrace-harness-data-inbound");
    forwarder.setDaemon(true);
    forwarder.start();
  }

  @Override
  public void onNext(BeamFnApi.Elements elements) {
    long size = elements.getSerializedSize();
    long held = heldBytes.addAndGet(size);
    warnIfLarge(held);
    pending.add(
        () -> {
          heldBytes.addAndGet(-size);
          receiver.onNext(elements);
        });
  }

  @Override
  public void onError(Throwable t) {
    pending.add(new End(() -> receiver.onError(t)));
  }

  @Override
  public void onCompleted() {
    pending.add(new End(receiver::onCompleted));
  }

  /** Bytes taken from gRPC and not yet handed on. */
  long heldBytes() {
    return heldBytes.get();
  }

  private synchronized void warnIfLarge(long held) {
    if (held >= nextWarningBytes) {
      LOG.warn(
          "{} MB of SDK harness output wait for the bundles that sent them to finish: Beam 2.62's"
              + " runner side reads a bundle's output only once the harness has answered it. A"
              + " bundle whose single element produces a whole source's output is held like this.",
          held >> 20);
      nextWarningBytes = held * 2;
    }
  }

  private void forward() {
    try {
      while (true) {
        Runnable next = pending.take();
        try {
          next.run();
        } catch (RuntimeException e) {
          // Beam's multiplexer reports what it cannot route itself; anything else is logged
          // here, as gRPC would have, and the stream goes on.
          LOG.error("Handing SDK harness data to its bundle failed", e);
        }
        if (next instanceof End) {
          return;
        }
      }
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
    }
  }

  /** The stream's last call. */
  private record End(Runnable call) implements Runnable {
    @Override
    public void run() {
      call.run();
    }
  }
}
