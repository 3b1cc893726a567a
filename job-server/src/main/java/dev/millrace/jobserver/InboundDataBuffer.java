package dev.millrace.jobserver;

import java.io.BufferedInputStream;
import java.io.BufferedOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.TimeUnit;
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
 * harness finishes and answers, and the bundle's close reads what was held.
 *
 * <p>What is held is the bundle's encoded output. Up to {@link #memoryBytes} of it stays on the
 * heap; past that, messages go to files in the temporary directory, in segments of {@link
 * #SEGMENT_BYTES}, read back in order and deleted once handed on. So a bundle whose output is a
 * whole source costs disk, not heap, and a log line says so.
 */
final class InboundDataBuffer implements StreamObserver<BeamFnApi.Elements> {
  private static final Logger LOG = LoggerFactory.getLogger(InboundDataBuffer.class);

  /** Held bytes kept on the heap before messages go to disk. */
  static final long MEMORY_BYTES = 64L << 20;

  /** Bytes of one file of spilled messages. */
  static final long SEGMENT_BYTES = 64L << 20;

  /** A message held on the heap, or the stream's end. */
  private record InMemory(BeamFnApi.Elements elements, Runnable end) {}

  /** A closed file of messages, in the order they came. */
  private record Segment(Path file, long messages) {}

  private final StreamObserver<BeamFnApi.Elements> receiver;
  private final long memoryBytes;
  private final LinkedBlockingQueue<Object> pending = new LinkedBlockingQueue<>();

  // Guarded by this: what the stream's side and the forwarder both change.
  private long heldInMemory;
  private long spilledBytes;
  private long warnedAtSpilledBytes;
  private boolean spilling;
  private Path openFile;
  private OutputStream open;
  private long openBytes;
  private long openMessages;

  InboundDataBuffer(StreamObserver<BeamFnApi.Elements> receiver) {
    this(receiver, MEMORY_BYTES);
  }

  InboundDataBuffer(StreamObserver<BeamFnApi.Elements> receiver, long memoryBytes) {
    this.receiver = receiver;
    this.memoryBytes = memoryBytes;
    Thread forwarder = new Thread(this::forward, "millrace-harness-data-inbound");
    forwarder.setDaemon(true);
    forwarder.start();
  }

  @Override
  public synchronized void onNext(BeamFnApi.Elements elements) {
    long size = elements.getSerializedSize();
    if (!spilling && heldInMemory + size <= memoryBytes) {
      heldInMemory += size;
      pending.add(new InMemory(elements, null));
      return;
    }
    // Once messages go to disk, all later ones do until the forwarder caught up: order is kept.
    spilling = true;
    try {
      if (open == null) {
        openFile = Files.createTempFile("millrace-harness-data-", ".spill");
        open = new BufferedOutputStream(Files.newOutputStream(openFile), 1 << 16);
        openBytes = 0;
        openMessages = 0;
      }
      elements.writeDelimitedTo(open);
      openBytes += size;
      openMessages++;
      spilledBytes += size;
      if (openBytes >= SEGMENT_BYTES) {
        closeSegment();
      }
    } catch (IOException e) {
      throw new UncheckedIOException(
          "cannot hold SDK harness output in the temporary directory: " + e.getMessage(), e);
    }
    if (spilledBytes - warnedAtSpilledBytes >= 1L << 30 || warnedAtSpilledBytes == 0) {
      warnedAtSpilledBytes = Math.max(spilledBytes, 1);
      LOG.info(
          "{} MB of SDK harness output wait on disk for the bundles that sent them to finish: Beam"
              + " 2.62's runner side reads a bundle's output only once the harness has answered it"
              + " (a bundle whose one element reads a whole source does this)",
          spilledBytes >> 20);
    }
  }

  /** Hands the open file on to the forwarder. */
  private void closeSegment() throws IOException {
    open.close();
    pending.add(new Segment(openFile, openMessages));
    open = null;
    openFile = null;
  }

  @Override
  public void onError(Throwable t) {
    end(() -> receiver.onError(t));
  }

  @Override
  public void onCompleted() {
    end(receiver::onCompleted);
  }

  private synchronized void end(Runnable call) {
    try {
      if (open != null) {
        closeSegment();
      }
    } catch (IOException e) {
      LOG.warn("Closing spilled SDK harness output failed", e);
    }
    pending.add(new InMemory(null, call));
  }

  /** Bytes held on the heap and not yet handed on. */
  synchronized long heldBytes() {
    return heldInMemory;
  }

  /** Bytes that went to disk so far. */
  synchronized long spilledBytes() {
    return spilledBytes;
  }

  /** The next thing to hand on: queued, else the open file once nothing else is left. */
  private Object next() throws InterruptedException, IOException {
    while (true) {
      Object next = pending.poll(50, TimeUnit.MILLISECONDS);
      if (next != null) {
        return next;
      }
      synchronized (this) {
        if (!pending.isEmpty()) {
          continue;
        }
        if (open != null) {
          // The harness stopped sending for now: what it sent must reach its bundle.
          closeSegment();
        } else {
          spilling = false;
        }
      }
    }
  }

  private void forward() {
    try {
      while (true) {
        Object next = next();
        if (next instanceof InMemory memory) {
          if (memory.end() != null) {
            hand(memory.end());
            return;
          }
          synchronized (this) {
            heldInMemory -= memory.elements().getSerializedSize();
          }
          hand(() -> receiver.onNext(memory.elements()));
        } else {
          Segment segment = (Segment) next;
          try (InputStream in = new BufferedInputStream(Files.newInputStream(segment.file()))) {
            for (long m = 0; m < segment.messages(); m++) {
              BeamFnApi.Elements elements = BeamFnApi.Elements.parseDelimitedFrom(in);
              hand(() -> receiver.onNext(elements));
            }
          } finally {
            Files.deleteIfExists(segment.file());
          }
        }
      }
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
    } catch (IOException e) {
      LOG.error("SDK harness output held on disk could not be read back", e);
      receiver.onError(e);
    } finally {
      removeLeftOvers();
    }
  }

  /** Files nobody will read any more (the stream failed, or the server stops). */
  private synchronized void removeLeftOvers() {
    try {
      if (open != null) {
        open.close();
        Files.deleteIfExists(openFile);
        open = null;
      }
      for (Object left : pending) {
        if (left instanceof Segment segment) {
          Files.deleteIfExists(segment.file());
        }
      }
    } catch (IOException e) {
      LOG.warn("Could not remove spilled SDK harness output", e);
    }
  }

  /** Calls the receiver; its failures are logged, as gRPC would have, and the stream goes on. */
  private static void hand(Runnable call) {
    try {
      call.run();
    } catch (RuntimeException e) {
      LOG.error("Handing SDK harness data to its bundle failed", e);
    }
  }
}
