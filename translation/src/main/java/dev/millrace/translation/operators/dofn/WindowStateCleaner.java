package dev.millrace.translation.operators.dofn;

import java.util.List;
import org.apache.beam.runners.core.StateInternals;
import org.apache.beam.runners.core.StateNamespace;
import org.apache.beam.runners.core.StateNamespaces;
import org.apache.beam.runners.core.StateTag;
import org.apache.beam.runners.core.StatefulDoFnRunner;
import org.apache.beam.sdk.coders.Coder;
import org.apache.beam.sdk.transforms.DoFn;
import org.apache.beam.sdk.transforms.windowing.BoundedWindow;

/**
 * Clears an expired window's state of a stateful DoFn: the DoFn's cells, as runners-core's own
 * cleaner does, and also the cells {@code StatefulDoFnRunner} keeps for sorting input by time,
 * which that cleaner leaves behind: one per key and window, forever, for a DoFn that asks for
 * sorted input.
 */
final class WindowStateCleaner implements StatefulDoFnRunner.StateCleaner<BoundedWindow> {
  private final StatefulDoFnRunner.StateInternalsStateCleaner<BoundedWindow> userCells;
  private final StateInternals state;
  private final Coder<BoundedWindow> windowCoder;
  private List<StateTag<?>> runnerCells = List.of();

  WindowStateCleaner(DoFn<?, ?> fn, StateInternals state, Coder<BoundedWindow> windowCoder) {
    this.userCells = new StatefulDoFnRunner.StateInternalsStateCleaner<>(fn, state, windowCoder);
    this.state = state;
    this.windowCoder = windowCoder;
  }

  /** The stateful runner's own cells, known once it is built. */
  void alsoClear(List<StateTag<?>> runnerCells) {
    this.runnerCells = runnerCells;
  }

  @Override
  public void clearForWindow(BoundedWindow window) {
    userCells.clearForWindow(window);
    StateNamespace namespace = StateNamespaces.window(windowCoder, window);
    for (StateTag<?> tag : runnerCells) {
      state.state(namespace, tag).clear();
    }
  }
}
