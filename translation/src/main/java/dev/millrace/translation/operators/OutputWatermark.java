package dev.millrace.translation.operators;

import dev.millrace.plan.Watermarks;

/**
 * The one formula of an operator's output watermark: its input watermark held back by named holds,
 * each the earliest timestamp at which something the operator still holds may be emitted, or {@link
 * #NO_HOLD}. Operators answer {@code Operator.outputWatermark()} with it, which changes nothing;
 * that the output watermark never falls is the engine's rule (it keeps the highest value it read),
 * and what keyed state must know of it is told explicitly ({@code KeyedState.outputWatermarkIs}),
 * at the end of a bundle and after a watermark was processed.
 */
public final class OutputWatermark {
  /** A hold that holds nothing back. */
  public static final long NO_HOLD = Watermarks.END;

  private OutputWatermark() {}

  /**
   * @param input the minimum watermark of the inputs that bound the output (side inputs do not)
   * @param sideInputWait the earliest main-input element waiting at a side-input gate
   * @param stateAndTimers keyed state's watermark holds and the output timestamps of pending timers
   * @param residuals what splittable DoFns left to do, due again later
   * @param buffered elements the operator keeps until a bundle, a checkpoint or its input ends
   */
  public static long of(
      long input, long sideInputWait, long stateAndTimers, long residuals, long buffered) {
    return Math.min(
        Math.min(input, sideInputWait), Math.min(Math.min(stateAndTimers, residuals), buffered));
  }

  /** The input watermark held back only by what the operator buffers. */
  public static long buffered(long input, long buffered) {
    return of(input, NO_HOLD, NO_HOLD, NO_HOLD, buffered);
  }
}
