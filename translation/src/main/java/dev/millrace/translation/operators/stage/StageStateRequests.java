package dev.millrace.translation.operators.stage;

import java.util.EnumMap;
import org.apache.beam.model.fnexecution.v1.BeamFnApi.StateKey;
import org.apache.beam.runners.fnexecution.state.StateRequestHandler;
import org.apache.beam.runners.fnexecution.state.StateRequestHandlers;

/**
 * How a stage answers its harness's state requests: side-input reads and user state, by request
 * type.
 */
final class StageStateRequests {
  private final EnumMap<StateKey.TypeCase, StateRequestHandler> handlers =
      new EnumMap<>(StateKey.TypeCase.class);

  void serveSideInputs(StateRequestHandler reads) {
    handlers.put(StateKey.TypeCase.ITERABLE_SIDE_INPUT, reads);
    handlers.put(StateKey.TypeCase.MULTIMAP_SIDE_INPUT, reads);
    handlers.put(StateKey.TypeCase.MULTIMAP_KEYS_SIDE_INPUT, reads);
  }

  void serveUserState(StateRequestHandler state) {
    handlers.put(StateKey.TypeCase.BAG_USER_STATE, state);
    handlers.put(StateKey.TypeCase.MULTIMAP_USER_STATE, state);
    handlers.put(StateKey.TypeCase.MULTIMAP_KEYS_USER_STATE, state);
    handlers.put(StateKey.TypeCase.ORDERED_LIST_USER_STATE, state);
  }

  /** What answers every request; one of a type nothing serves fails. */
  StateRequestHandler handler() {
    return handlers.isEmpty()
        ? StateRequestHandler.unsupported()
        : StateRequestHandlers.delegateBasedUponType(handlers);
  }
}
