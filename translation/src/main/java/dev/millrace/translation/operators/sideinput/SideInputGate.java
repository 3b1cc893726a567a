package dev.millrace.translation.operators.sideinput;

import dev.millrace.plan.SnapshotReader;
import dev.millrace.plan.SnapshotWriter;
import dev.millrace.plan.Watermarks;
import dev.millrace.state.MemoryBudget;
import dev.millrace.state.backend.PushbackBuffer;
import dev.millrace.state.backend.StateBackend;
import dev.millrace.state.keyed.SnapshotCoding;
import java.io.DataInputStream;
import java.io.DataOutputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Set;
import org.apache.beam.sdk.coders.Coder;
import org.apache.beam.sdk.transforms.windowing.BoundedWindow;
import org.apache.beam.sdk.util.WindowedValue;
import org.apache.beam.sdk.values.PCollectionView;

/**
 * The side inputs of one operator and the main input that waits for them. A main-input element
 * whose side-input windows are not all ready waits in a {@link PushbackBuffer} (on disk with
 * RocksDB state) and holds the output watermark back; it is looked at again only when one of the
 * side windows something waits for becomes ready, not on every side-input watermark.
 */
public final class SideInputGate<T> implements AutoCloseable {
  /** Where a checkpoint keeps waiting input that was spilled to disk. */
  private static final String WAITING_FILES = "waiting-input";

  /** Processes a main-input element once its side inputs are ready. */
  public interface Processor<T> {
    void process(WindowedValue<T> element) throws Exception;
  }

  /** Says which main-input window a waiting element is in. */
  public interface WindowOf<T> {
    BoundedWindow windowOf(WindowedValue<T> element);
  }

  private final List<PCollectionView<?>> views;
  private final SideInputStore store;
  private final PushbackBuffer<T> waiting;
  private final WindowOf<T> windowOf;
  private final Coder<WindowedValue<T>> elementCoder;
  private final long mainAllowedLatenessMillis;

  /** The owner's own holds (timers, residual restrictions): what they will still process. */
  private final java.util.function.LongSupplier ownerHold;

  /** Per view: the side windows that some waiting element needs. */
  private final List<Set<BoundedWindow>> awaited = new ArrayList<>();

  private long hold = Watermarks.END;
  private long mainWatermark = Watermarks.MIN;

  public SideInputGate(
      List<PCollectionView<?>> views,
      StateBackend backend,
      MemoryBudget waitingMemory,
      Coder<WindowedValue<T>> elementCoder,
      WindowOf<T> windowOf,
      org.joda.time.Duration mainAllowedLateness,
      java.util.function.LongSupplier ownerHold) {
    this.views = views;
    this.ownerHold = ownerHold;
    this.mainAllowedLatenessMillis = mainAllowedLateness.getMillis();
    this.store = new SideInputStore(views);
    this.waiting = backend.waitingBuffer(elementCoder, waitingMemory);
    this.windowOf = windowOf;
    this.elementCoder = elementCoder;
    for (int i = 0; i < views.size(); i++) {
      awaited.add(new HashSet<>());
    }
  }

  /** What user code reads side inputs through. */
  public SideInputStore reader() {
    return store;
  }

  /**
   * An element on input {@code port} of an operator whose port 0 is its main input and port 1 + i
   * its side input i: main input is offered one window at a time, side input added. What becomes
   * ready goes to {@code processor}.
   */
  @SuppressWarnings("unchecked")
  public void onElement(int port, Object element, Processor<T> processor) throws Exception {
    if (port == 0) {
      for (WindowedValue<T> single : ((WindowedValue<T>) element).explodeWindows()) {
        offer(single, processor);
      }
    } else {
      addSideElement(port - 1, (WindowedValue<?>) element, processor);
    }
  }

  /** The watermark of input {@code port} (0: the main input, 1 + i: side input i) advanced. */
  public void onWatermark(int port, long watermark, Processor<T> processor) throws Exception {
    if (port == 0) {
      advanceMainWatermark(watermark);
    } else {
      advanceSideWatermark(port - 1, watermark, processor);
    }
  }

  /** Processes {@code element} (in one window) now if its side inputs are ready, else keeps it. */
  public void offer(WindowedValue<T> element, Processor<T> processor) throws Exception {
    BoundedWindow mainWindow = windowOf.windowOf(element);
    for (int i = 0; i < views.size(); i++) {
      BoundedWindow sideWindow = views.get(i).getWindowMappingFn().getSideInputWindow(mainWindow);
      if (!store.isReady(i, sideWindow)) {
        awaited.get(i).add(sideWindow);
        waiting.add(element);
        hold = Math.min(hold, element.getTimestamp().getMillis());
        return;
      }
    }
    processor.process(element);
  }

  /** An element of side input {@code index} arrived. */
  public void addSideElement(int index, WindowedValue<?> element, Processor<T> processor)
      throws Exception {
    store.add(index, element);
    retryIfReady(index, processor);
  }

  /** The watermark of side input {@code index} advanced. */
  public void advanceSideWatermark(int index, long watermark, Processor<T> processor)
      throws Exception {
    store.advanceWatermark(index, watermark);
    retryIfReady(index, processor);
  }

  private void retryIfReady(int index, Processor<T> processor) throws Exception {
    Set<BoundedWindow> windows = awaited.get(index);
    if (windows.isEmpty() || windows.stream().noneMatch(w -> store.isReady(index, w))) {
      return;
    }
    for (Set<BoundedWindow> set : awaited) {
      set.clear();
    }
    hold = Watermarks.END;
    waiting.drain(element -> offer(element, processor));
  }

  /**
   * The main input's watermark advanced: side windows that no main-input element can still read
   * (past the window, the view's lookback and the main input's allowed lateness) are dropped.
   * Waiting elements and the owner's pending work (its holds) still need their windows, whatever
   * the watermark says.
   */
  public void advanceMainWatermark(long watermark) {
    mainWatermark = watermark;
    store.dropExpired(
        Math.min(watermark, Math.min(hold, ownerHold.getAsLong())),
        (index, window) ->
            saturatedSum(
                window.maxTimestamp().getMillis(),
                views.get(index).getWindowMappingFn().maximumLookback().getMillis(),
                mainAllowedLatenessMillis));
  }

  private static long saturatedSum(long a, long b, long c) {
    try {
      return Math.addExact(Math.addExact(a, b), c);
    } catch (ArithmeticException overflow) {
      return Watermarks.END;
    }
  }

  /**
   * Writes the side inputs received, the elements waiting for them and what they wait for. Waiting
   * elements spilled to disk go into the checkpoint as links to their files; those on the heap are
   * taken out and put back in order, as a drain would.
   */
  public void snapshot(SnapshotWriter snapshot) throws Exception {
    DataOutputStream out = snapshot.data();
    out.writeLong(hold);
    out.writeLong(mainWatermark);
    for (int i = 0; i < views.size(); i++) {
      Coder<BoundedWindow> windowCoder = store.windowCoder(i);
      out.writeInt(awaited.get(i).size());
      for (BoundedWindow window : awaited.get(i)) {
        SnapshotCoding.write(out, windowCoder, window);
      }
    }
    store.snapshot(out);
    if (waiting.keepsFiles()) {
      waiting.snapshotTo(snapshot.directory(WAITING_FILES));
    } else {
      waiting.drain(
          element -> {
            out.writeBoolean(true);
            SnapshotCoding.write(out, elementCoder, element);
            waiting.add(element);
          });
    }
    out.writeBoolean(false);
  }

  /**
   * Takes back what {@link #snapshot} wrote. Waiting elements are in the stream (heap buffers, and
   * every buffer in checkpoints written before spilled input went in as files) or in the files.
   */
  public void restore(SnapshotReader snapshot) throws Exception {
    DataInputStream in = snapshot.data();
    hold = in.readLong();
    mainWatermark = in.readLong();
    for (int i = 0; i < views.size(); i++) {
      Coder<BoundedWindow> windowCoder = store.windowCoder(i);
      int windows = in.readInt();
      for (int w = 0; w < windows; w++) {
        awaited.get(i).add(SnapshotCoding.read(in, windowCoder));
      }
    }
    store.restore(in);
    while (in.readBoolean()) {
      waiting.add(SnapshotCoding.read(in, elementCoder));
    }
    Path files = snapshot.directory(WAITING_FILES);
    if (Files.isDirectory(files)) {
      waiting.restoreFrom(files);
    }
  }

  /** The earliest timestamp of a waiting element, or END. */
  public long hold() {
    return hold;
  }

  @Override
  public void close() {
    waiting.close();
  }
}
