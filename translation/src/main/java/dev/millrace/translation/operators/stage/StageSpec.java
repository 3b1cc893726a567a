package dev.millrace.translation.operators.stage;

import dev.millrace.state.MemoryBudget;
import dev.millrace.state.backend.StateBackend;
import java.util.List;
import org.apache.beam.runners.fnexecution.control.JobBundleFactory;
import org.apache.beam.sdk.coders.Coder;
import org.apache.beam.sdk.util.WindowedValue;
import org.apache.beam.sdk.util.construction.graph.ExecutableStage;
import org.apache.beam.sdk.values.KV;
import org.apache.beam.sdk.values.PCollectionView;
import org.apache.beam.sdk.values.WindowingStrategy;

/**
 * What one stage runs with.
 *
 * @param outputIds the stage's output PCollections: output port i carries {@code outputIds[i]}
 * @param sideInputs the stage's side inputs: input port 1 + i carries {@code sideInputs[i]}
 * @param keyCoder the key coder of a keyed stage's input, null for a stage that is not keyed
 * @param stateCells the user state of the stage's DoFns
 * @param windowExpirationTimers the timer families (transform, family) that {@code
 *     OnWindowExpiration} methods of the stage's DoFns listen to
 * @param requiresTimeSortedInput the stage's first DoFn must see its input in timestamp order
 */
public record StageSpec<T>(
    String stepName,
    ExecutableStage stage,
    JobBundleFactory bundles,
    List<String> outputIds,
    List<SideInput> sideInputs,
    Coder<WindowedValue<T>> mainInputCoder,
    WindowingStrategy<?, ?> mainWindowing,
    StateBackend stateBackend,
    Coder<Object> keyCoder,
    List<StateCell> stateCells,
    List<KV<String, String>> windowExpirationTimers,
    boolean requiresTimeSortedInput,
    MemoryBudget waitingMemory) {

  /**
   * A stage with user state, timers or time-sorted input: its input is keyed, each key in one
   * subtask.
   */
  public boolean isKeyed() {
    return keyCoder != null;
  }

  /**
   * Whether a key's windows need a timer at their expiry: to clean state, or for DoFns that listen.
   */
  boolean expiresWindows() {
    return !stateCells.isEmpty() || !windowExpirationTimers.isEmpty() || requiresTimeSortedInput;
  }

  /** A side input of a stage, by the ids the harness asks with, and how the runner gathers it. */
  public record SideInput(String transformId, String localName, PCollectionView<?> view) {}

  /**
   * A state cell of one of the stage's DoFns: its transform, its id there, and the user state
   * protocol the harness speaks for it (bag, multimap or ordered list).
   */
  public record StateCell(String transformId, String userStateId, String protocol) {}

  /** Whether the stage can serve user state of this protocol (bag, multimap, ordered list). */
  public static boolean servesUserState(String protocol) {
    return StageUserState.serves(protocol);
  }
}
