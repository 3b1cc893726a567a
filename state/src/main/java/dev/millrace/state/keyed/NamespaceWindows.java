package dev.millrace.state.keyed;

import org.apache.beam.runners.core.StateNamespace;
import org.apache.beam.runners.core.StateNamespaces;
import org.apache.beam.sdk.transforms.windowing.BoundedWindow;
import org.apache.beam.sdk.transforms.windowing.GlobalWindow;

/** The window a state namespace (of state, or of a timer) belongs to. */
public final class NamespaceWindows {
  private NamespaceWindows() {}

  /** The namespace's window; the global window for the global namespace. */
  public static BoundedWindow windowOf(StateNamespace namespace) {
    if (namespace instanceof StateNamespaces.WindowNamespace<?> window) {
      return window.getWindow();
    }
    if (namespace instanceof StateNamespaces.WindowAndTriggerNamespace<?> window) {
      return window.getWindow();
    }
    return GlobalWindow.INSTANCE;
  }
}
