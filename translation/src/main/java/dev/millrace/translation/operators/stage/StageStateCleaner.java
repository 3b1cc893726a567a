package dev.millrace.translation.operators.stage;

import dev.millrace.state.keyed.CurrentKeyInternals;
import dev.millrace.state.keyed.KeyedState;
import java.util.ArrayList;
import java.util.List;
import org.apache.beam.runners.core.StateNamespace;
import org.apache.beam.runners.core.StateNamespaces;
import org.apache.beam.runners.core.StateTag;
import org.apache.beam.runners.core.StatefulDoFnRunner;
import org.apache.beam.sdk.coders.Coder;
import org.apache.beam.sdk.state.TimeDomain;
import org.apache.beam.sdk.transforms.windowing.BoundedWindow;
import org.apache.beam.vendor.grpc.v1p60p1.com.google.protobuf.ByteString;

/**
 * Clears an expired window's state for runners-core's {@code StatefulDoFnRunner}, but later than it
 * asks: the window's {@code OnWindowExpiration} methods are still to run in the harness, which
 * reads that state until the remote bundle they go in has closed. So {@link #clearForWindow} only
 * notes the key and window, and {@link #clearNoted} clears them after that bundle: the DoFns' user
 * state cells and, where the stage sorts its input, the stateful runner's sort buffer and the
 * window's expiry timer. The runner's last flush of a window sets that timer again for what it
 * flushes (normally nothing is left to flush by then), and it would fire a second time.
 */
final class StageStateCleaner implements StatefulDoFnRunner.StateCleaner<BoundedWindow> {
  private record Noted(KeyedState.Entry<ByteString> entry, StateNamespace namespace) {}

  private final List<StageSpec.StateCell> cells;
  private final Coder<BoundedWindow> windowCoder;
  private final CurrentKeyInternals<ByteString> currentKey;
  private final List<Noted> noted = new ArrayList<>();
  private List<StateTag<?>> sortCells = List.of();

  StageStateCleaner(
      List<StageSpec.StateCell> cells,
      Coder<BoundedWindow> windowCoder,
      CurrentKeyInternals<ByteString> currentKey) {
    this.cells = cells;
    this.windowCoder = windowCoder;
    this.currentKey = currentKey;
  }

  /** The stage sorts its input, in these cells of the stateful runner, known once it is built. */
  void sortsInput(List<StateTag<?>> sortCells) {
    this.sortCells = sortCells;
  }

  @Override
  public void clearForWindow(BoundedWindow window) {
    noted.add(new Noted(currentKey.entry(), StateNamespaces.window(windowCoder, window)));
  }

  /** Clears what was noted; the caller holds the stage's lock, and the bundle has closed. */
  void clearNoted() {
    for (Noted window : noted) {
      for (StageSpec.StateCell cell : cells) {
        StageUserState.clear(window.entry(), window.namespace(), cell);
      }
      if (sortCells.isEmpty()) {
        continue;
      }
      for (StateTag<?> tag : sortCells) {
        window.entry().state.state(window.namespace(), tag).clear();
      }
      window
          .entry()
          .timers
          .deleteTimer(
              window.namespace(),
              StageWindowExpiry.TIMER,
              StageWindowExpiry.TIMER,
              TimeDomain.EVENT_TIME);
    }
    noted.clear();
  }
}
