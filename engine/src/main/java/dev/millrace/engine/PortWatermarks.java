package dev.millrace.engine;

import dev.millrace.plan.Operator;
import dev.millrace.plan.Watermarks;
import java.util.Arrays;
import java.util.function.LongSupplier;

/**
 * The engine's watermark rules for one subtask, all of them:
 *
 * <ul>
 *   <li>A channel's watermark only rises; it is what its sender's output watermark was when the
 *       elements before it were sent.
 *   <li>An input port's watermark is the minimum over the channels and the upstream operators of
 *       the chain that feed it. An operator hears of a rise only after every element before it was
 *       delivered (the subtask delivers watermarks when its bundle ends).
 *   <li>An operator's output watermark only rises, and must stay at or below the minimum of the
 *       input ports that {@link Operator#boundsOutput bound it} (every input but side inputs): an
 *       operator that runs ahead fails the job, since everything downstream would drop data as
 *       late.
 *   <li>The subtask's input has ended when every channel is at {@link Watermarks#END}; its output
 *       has ended when every operator's output watermark is.
 *   <li>Synchronized processing time is the job's clock, held still while END has reached some
 *       channels and is bound to reach the rest (see {@link #synchronizedProcessingTime}).
 * </ul>
 *
 * Mutated by the thread stepping the subtask only; {@link #willEnd()} is read by the subtasks this
 * one sends to.
 */
final class PortWatermarks {
  private static final long NO_HOLD = Long.MAX_VALUE;

  private final String[] operatorNames;

  /** Per operator and input port: the watermark the operator was last told. */
  private final long[][] delivered;

  /** Per operator and input port: the operators of the chain feeding it. */
  private final int[][][] upstreamOperators;

  /** Per operator and input port: the channels feeding it. */
  private final int[][][] portChannels;

  private final long[] channels;

  /** Per operator: its output watermark as last read. */
  private final long[] outputs;

  /** Whether the chain has a source: then only its own end says the subtask will end. */
  private final boolean hasSources;

  /** Per channel, once linked: the watermarks of the subtask sending on it. */
  private PortWatermarks[] senders = new PortWatermarks[0];

  /** Every output watermark is END: the subtask's END is sent, or on its way, everywhere. */
  private volatile boolean outputEnded;

  /** {@link #synchronizedProcessingTime} while held, or {@link #NO_HOLD}. */
  private long endOfInputHold = NO_HOLD;

  /** The job's clock just before the elements being delivered now arrived. */
  private final LongSupplier clockBeforeCurrentBundle;

  /**
   * @param upstreamOperators per operator and input port, the chain's operators feeding it
   * @param portChannels per operator and input port, the channels feeding it
   * @param clockBeforeCurrentBundle the job's clock when the open bundle started (now when none is
   *     open), minus one: where an end of input holds synchronized processing time
   */
  PortWatermarks(
      String[] operatorNames,
      int[][][] upstreamOperators,
      int[][][] portChannels,
      int channelCount,
      LongSupplier clockBeforeCurrentBundle) {
    int n = operatorNames.length;
    this.operatorNames = operatorNames;
    this.upstreamOperators = upstreamOperators;
    this.portChannels = portChannels;
    this.clockBeforeCurrentBundle = clockBeforeCurrentBundle;
    this.delivered = new long[n][];
    this.outputs = new long[n];
    boolean sources = false;
    for (int op = 0; op < n; op++) {
      delivered[op] = new long[portChannels[op].length];
      Arrays.fill(delivered[op], Watermarks.MIN);
      outputs[op] = Watermarks.MIN;
      sources |= portChannels[op].length == 0;
    }
    this.hasSources = sources;
    this.channels = new long[channelCount];
    Arrays.fill(channels, Watermarks.MIN);
  }

  /**
   * Once every subtask of the job exists: the watermarks of the subtask sending on each channel,
   * null for a channel fed from another process.
   */
  void linkSenders(PortWatermarks[] channelSenders) {
    this.senders = channelSenders;
  }

  /** A message on {@code channel} carried {@code watermark}. */
  void advanceChannel(int channel, long watermark) {
    if (watermark <= channels[channel]) {
      return;
    }
    channels[channel] = watermark;
    if (watermark == Watermarks.END) {
      if (inputsEnded()) {
        endOfInputHold = NO_HOLD;
      } else if (endOfInputHold == NO_HOLD) {
        // Before the bundle that brought it: what that bundle's elements set timers to stays ahead.
        endOfInputHold = clockBeforeCurrentBundle.getAsLong();
      }
    }
  }

  /**
   * The job's clock {@code now}, except while END has come on some channels and the others' will
   * follow (their senders' output ended, or those senders read no source and all their own senders'
   * output ended): then the clock just before the bundle in which the first END came. A grouping's
   * final pane, emitted at its end of input, thus reaches a continuation trigger downstream as a
   * final pane and not as one fired early in between. Nothing is held while a channel may never end
   * (a live source upstream).
   */
  long synchronizedProcessingTime(long now) {
    if (endOfInputHold == NO_HOLD) {
      return now;
    }
    for (int c = 0; c < channels.length; c++) {
      // A sender in another process (null) may not end: nothing is held for it.
      if (channels[c] != Watermarks.END && (senders[c] == null || !senders[c].willEnd())) {
        return now;
      }
    }
    return Math.min(now, endOfInputHold);
  }

  /**
   * Whether this subtask's END is sent or bound to follow: its output has ended, or it reads no
   * source and every subtask sending to it has ended. Read from other subtasks' threads.
   */
  private boolean willEnd() {
    if (outputEnded) {
      return true;
    }
    if (hasSources || senders.length == 0) {
      return false;
    }
    for (PortWatermarks sender : senders) {
      if (sender == null || !sender.outputEnded) {
        return false;
      }
    }
    return true;
  }

  /** What input {@code port} of {@code op} is at now, delivered or not. */
  private long current(int op, int port) {
    long wm = Watermarks.END;
    for (int c : portChannels[op][port]) {
      wm = Math.min(wm, channels[c]);
    }
    for (int up : upstreamOperators[op][port]) {
      wm = Math.min(wm, outputs[up]);
    }
    return wm;
  }

  /** Whether a port has risen since it was delivered, or an operator's output rose since read. */
  boolean pending(Operator[] operators) {
    for (int op = 0; op < operators.length; op++) {
      if (operators[op] == null) {
        return false;
      }
      for (int port = 0; port < delivered[op].length; port++) {
        if (current(op, port) > delivered[op][port]) {
          return true;
        }
      }
      if (operators[op].outputWatermark() > outputs[op]) {
        return true;
      }
    }
    return false;
  }

  /** Opens a bundle on an operator before it is told of a watermark. */
  interface BundleOpener {
    void ensureBundle(int op) throws Exception;
  }

  /**
   * One round down the chain: delivers every port watermark that rose and reads every output
   * watermark, checking the contract. Returns whether anything changed.
   */
  boolean propagate(Operator[] operators, BundleOpener bundles) throws Exception {
    boolean changed = false;
    for (int op = 0; op < operators.length; op++) {
      for (int port = 0; port < delivered[op].length; port++) {
        long wm = current(op, port);
        if (wm > delivered[op][port]) {
          delivered[op][port] = wm;
          bundles.ensureBundle(op);
          operators[op].processWatermark(port, wm);
          changed = true;
        }
      }
      long out = operators[op].outputWatermark();
      if (out > outputs[op]) {
        checkContract(operators[op], op, out);
        outputs[op] = out;
        changed = true;
      }
    }
    return changed;
  }

  private void checkContract(Operator operator, int op, long output) {
    long input = Watermarks.END;
    for (int port = 0; port < delivered[op].length; port++) {
      if (operator.boundsOutput(port)) {
        input = Math.min(input, delivered[op][port]);
      }
    }
    if (output > input) {
      throw new IllegalStateException(
          operatorNames[op]
              + " reported an output watermark of "
              + output
              + ", past its input watermark "
              + input
              + ": an operator must hold its output watermark at or below its inputs'");
    }
  }

  /** The output watermark of {@code op} as last read. */
  long output(int op) {
    return outputs[op];
  }

  /** After a bundle's watermark rounds: notes whether every output has reached END. */
  void noteOutputEnded() {
    if (!outputEnded && allOutputsEnded()) {
      outputEnded = true;
    }
  }

  boolean allOutputsEnded() {
    for (long wm : outputs) {
      if (wm != Watermarks.END) {
        return false;
      }
    }
    return true;
  }

  boolean inputsEnded() {
    for (long wm : channels) {
      if (wm != Watermarks.END) {
        return false;
      }
    }
    return true;
  }

  boolean channelEnded(int channel) {
    return channels[channel] == Watermarks.END;
  }

  int channelCount() {
    return channels.length;
  }

  /** The lowest watermark of any input channel; {@link Watermarks#END} without channels. */
  long inputWatermark() {
    long wm = Watermarks.END;
    for (long channel : channels) {
      wm = Math.min(wm, channel);
    }
    return wm;
  }

  /** The lowest output watermark of the chain's operators. */
  long outputWatermark() {
    long wm = Watermarks.END;
    for (long out : outputs) {
      wm = Math.min(wm, out);
    }
    return wm;
  }

  /**
   * What holds the chain's lowest output watermark where it is, for people watching the job: the
   * first operator, in chain order, whose output is below what its inputs allow (a source, or an
   * operator holding it with timers, state or a side input it waits for; {@code explain} says how
   * in the operator's own words), or else the slowest input channel. Null when every output ended.
   *
   * @param channelSender names the sender of a channel
   */
  String holder(Operator[] operators, java.util.function.IntFunction<String> channelSender) {
    long lowest = outputWatermark();
    if (lowest == Watermarks.END) {
      return null;
    }
    for (int op = 0; op < outputs.length; op++) {
      if (outputs[op] != lowest) {
        continue;
      }
      long input = Watermarks.END;
      for (int port = 0; port < delivered[op].length; port++) {
        if (operators[op] == null || operators[op].boundsOutput(port)) {
          input = Math.min(input, delivered[op][port]);
        }
      }
      if (outputs[op] < input) {
        String why = operators[op] == null ? "" : operators[op].describeWatermarkHold();
        String kind = delivered[op].length == 0 ? "source " : "";
        return kind + operatorNames[op] + (why.isEmpty() ? "" : ": " + why);
      }
    }
    int slowest = -1;
    for (int c = 0; c < channels.length; c++) {
      if (slowest < 0 || channels[c] < channels[slowest]) {
        slowest = c;
      }
    }
    return slowest < 0 ? null : "input from " + channelSender.apply(slowest);
  }

  /** What a checkpoint keeps of these watermarks. */
  Saved save() {
    long[][] ports = new long[delivered.length][];
    for (int op = 0; op < delivered.length; op++) {
      ports[op] = delivered[op].clone();
    }
    return new Saved(channels.clone(), ports, outputs.clone());
  }

  /** Takes back what {@link #save()} kept. */
  void restore(Saved saved) {
    if (saved.channels().length != channels.length || saved.ports().length != delivered.length) {
      throw new IllegalStateException("the checkpoint's watermarks do not fit the plan");
    }
    System.arraycopy(saved.channels(), 0, channels, 0, channels.length);
    for (int op = 0; op < delivered.length; op++) {
      delivered[op] = saved.ports()[op].clone();
      outputs[op] = saved.outputs()[op];
    }
  }

  /** A subtask's watermarks in a checkpoint: per channel, per operator and port, per operator. */
  record Saved(long[] channels, long[][] ports, long[] outputs) {}
}
