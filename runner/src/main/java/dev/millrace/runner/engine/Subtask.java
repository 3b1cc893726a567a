package dev.millrace.runner.engine;

import dev.millrace.plan.ElementCodec;
import dev.millrace.plan.Emitter;
import dev.millrace.plan.Link;
import dev.millrace.plan.Operator;
import dev.millrace.plan.OperatorContext;
import dev.millrace.plan.SourceOperator;
import dev.millrace.plan.Vertex;
import dev.millrace.plan.Watermarks;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Path;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.concurrent.ScheduledExecutorService;

/**
 * One parallel instance of a vertex, stepped by one worker thread at a time: it feeds the vertex's operator
 * chain from its sources and its inbox, in bundles, fires what falls due on the job's clock, and
 * turns input watermarks into output watermarks.
 *
 * <p>A port's watermark is the minimum over the channels and upstream operators that feed it; an
 * operator sees a port's watermark only after every element before it was delivered. Output
 * watermarks leave through the edge writers after the bundle's elements were flushed, so a
 * consumer never sees an element behind a watermark that has passed it.
 *
 * <p>After a step that did nothing, {@link #wakeUpAt()} tells the workers when this subtask next
 * has something to do by itself; anything else (a message, room downstream) wakes them.
 *
 * <p>With checkpoints on, a channel whose barrier arrived is held back (its later messages wait
 * here, in order) until the barrier came on every channel; then the subtask ends its bundle,
 * snapshots itself and its operators, and sends the barrier on (see {@link CheckpointCoordinator}).
 */
final class Subtask {
  private final JobExecution job;
  private final Vertex vertex;
  private final int index;
  private final Inbox inbox;
  /** Held by the worker stepping this subtask; one worker at a time. */
  private final java.util.concurrent.atomic.AtomicBoolean claimed = new java.util.concurrent.atomic.AtomicBoolean();
  private volatile boolean ended;
  private final ExecutionSettings settings;
  private final Operator[] operators;
  private final boolean[] inBundle;
  private final long[][] portWatermarks;
  /** For each operator input port, the operators feeding it through links. */
  private final int[][][] upstreamOperators;
  /** For each channel of the inbox: operator and port it feeds. */
  private final int[] channelOperator;
  private final int[] channelPort;
  /** For each channel: how its elements were encoded, or null when they come as objects. */
  private final ElementCodec[] channelCodec;
  private final long[] channelWatermarks;
  /** For each channel: the vertex and subtask that send on it, and (once linked) that subtask. */
  private final int[] channelFromVertex;
  private final int[] channelFromSubtask;
  private Subtask[] channelSenders = new Subtask[0];
  /** Whether an operator of this subtask is a source: then only its own end says it will end. */
  private final boolean hasSources;
  /** Every output watermark of this subtask is END: its END is sent, or on its way, everywhere. */
  private volatile boolean outputEnded;
  /** {@link #synchronizedProcessingTime()} while held (job clock), or {@link #NO_HOLD}. */
  private long endOfInputHold = NO_HOLD;
  private static final long NO_HOLD = Long.MAX_VALUE;
  /** The job's clock when the open bundle started. */
  private long bundleStartClock;
  /** For each operator input port, the channels feeding it. */
  private final int[][][] portChannels;
  private final List<EdgeWriter> writers;
  private final long[] lastOutputWatermark;
  /** Per operator: null unless it is a source; then what its last emit said. */
  private final SourceOperator.Status[] sourceStatus;
  private boolean opened;
  private int bundleElements;
  private long bundleStartMillis;
  private boolean anyBundleOpen;
  /** Elements the chain's sources emitted during the current step. */
  private long sourceOutput;
  private long wakeUpAt = Long.MAX_VALUE;
  /** Counted in the job's pending work (manual clock only). */
  private boolean busy;
  /** The last manual-clock advance this subtask has seen; guarded by the job's clock lock. */
  long seenClockEpoch;
  /** Per channel: the latest checkpoint whose barrier arrived on it. */
  private final long[] channelBarriers;
  /** Messages that arrived behind a barrier while the other channels' barriers were awaited. */
  private final ArrayDeque<Message> heldBack = new ArrayDeque<>();
  /** Held-back messages to handle, in order, before anything new from the inbox. */
  private final ArrayDeque<Message> released = new ArrayDeque<>();
  /** The latest checkpoint this subtask took part in (or resumed from). */
  private long lastSnapshot;
  /** The latest completed checkpoint this subtask's operators were told of. */
  private long lastNotified;
  /** On a restarted job: what the subtask resumes from, until it opened. */
  private SubtaskSnapshot restoreFrom;
  private Path restoreDirectory;

  Subtask(
      JobExecution job,
      Vertex vertex,
      int index,
      Inbox inbox,
      List<JobExecution.ChannelTarget> channels,
      List<EdgeWriter> writers) {
    this.job = job;
    this.vertex = vertex;
    this.index = index;
    this.inbox = inbox;
    this.settings = job.settings();
    this.writers = writers;
    int n = vertex.operators().size();
    this.operators = new Operator[n];
    this.inBundle = new boolean[n];
    this.portWatermarks = new long[n][];
    this.upstreamOperators = new int[n][][];
    this.portChannels = new int[n][][];
    this.lastOutputWatermark = new long[n];
    this.sourceStatus = new SourceOperator.Status[n];
    for (int op = 0; op < n; op++) {
      int inputs = vertex.operators().get(op).inputs();
      portWatermarks[op] = new long[inputs];
      Arrays.fill(portWatermarks[op], Watermarks.MIN);
      lastOutputWatermark[op] = Watermarks.MIN;
      upstreamOperators[op] = new int[inputs][];
      portChannels[op] = new int[inputs][];
      for (int port = 0; port < inputs; port++) {
        List<Integer> ups = new ArrayList<>();
        for (Link link : vertex.links()) {
          if (link.toOperator() == op && link.toPort() == port) {
            ups.add(link.fromOperator());
          }
        }
        upstreamOperators[op][port] = ups.stream().mapToInt(Integer::intValue).toArray();
        List<Integer> chans = new ArrayList<>();
        for (int c = 0; c < channels.size(); c++) {
          if (channels.get(c).operator() == op && channels.get(c).port() == port) {
            chans.add(c);
          }
        }
        portChannels[op][port] = chans.stream().mapToInt(Integer::intValue).toArray();
        if (ups.isEmpty() && chans.isEmpty()) {
          throw new IllegalStateException(
              "input " + port + " of " + vertex.operators().get(op).name() + " is fed by nothing");
        }
      }
    }
    this.channelOperator = channels.stream().mapToInt(JobExecution.ChannelTarget::operator).toArray();
    this.channelPort = channels.stream().mapToInt(JobExecution.ChannelTarget::port).toArray();
    this.channelCodec = channels.stream().map(JobExecution.ChannelTarget::codec).toArray(ElementCodec[]::new);
    this.channelWatermarks = new long[channels.size()];
    Arrays.fill(channelWatermarks, Watermarks.MIN);
    this.channelFromVertex = channels.stream().mapToInt(JobExecution.ChannelTarget::fromVertex).toArray();
    this.channelFromSubtask = channels.stream().mapToInt(JobExecution.ChannelTarget::fromSubtask).toArray();
    this.hasSources = vertex.operators().stream().anyMatch(node -> node.inputs() == 0);
    this.channelBarriers = new long[channels.size()];
  }

  /** Once every subtask of the job exists: finds the subtask sending on each channel. */
  void linkSenders(java.util.function.BiFunction<Integer, Integer, Subtask> subtaskOf) {
    Subtask[] senders = new Subtask[channelFromVertex.length];
    for (int c = 0; c < senders.length; c++) {
      senders[c] = subtaskOf.apply(channelFromVertex[c], channelFromSubtask[c]);
    }
    channelSenders = senders;
  }

  /**
   * Whether this subtask's END is sent or bound to follow: its output has ended, or it reads no
   * source and every subtask sending to it has ended (their END is in its inbox or on the way).
   * Read from other subtasks' threads.
   */
  private boolean willEnd() {
    if (outputEnded) {
      return true;
    }
    if (hasSources || channelSenders.length == 0) {
      return false;
    }
    for (Subtask sender : channelSenders) {
      if (!sender.outputEnded) {
        return false;
      }
    }
    return true;
  }

  /** See {@link OperatorContext#currentSynchronizedProcessingTime()}. */
  private long synchronizedProcessingTime() {
    long now = job.now();
    if (endOfInputHold == NO_HOLD) {
      return now;
    }
    for (int c = 0; c < channelWatermarks.length; c++) {
      if (channelWatermarks[c] != Watermarks.END && !channelSenders[c].willEnd()) {
        return now; // that channel may never end: nothing to wait for
      }
    }
    return Math.min(now, endOfInputHold);
  }

  private void advanceChannelWatermark(int channel, long watermark) {
    if (watermark <= channelWatermarks[channel]) {
      return;
    }
    channelWatermarks[channel] = watermark;
    if (watermark == Watermarks.END) {
      if (inputsEnded()) {
        endOfInputHold = NO_HOLD;
      } else if (endOfInputHold == NO_HOLD) {
        // Before the bundle that brought it: what that bundle's elements set timers to stays ahead.
        endOfInputHold = (anyBundleOpen ? bundleStartClock : job.now()) - 1;
      }
    }
  }

  /** Names this subtask's part of a checkpoint; stable across runs of the same plan. */
  String key() {
    return "v" + vertex.id() + "-s" + index;
  }

  /** Before the job starts: resume from {@code snapshot}, taken by checkpoint {@code checkpointId}. */
  void restoreFrom(long checkpointId, Path subtaskDirectory, SubtaskSnapshot snapshot) {
    this.restoreFrom = snapshot;
    this.restoreDirectory = subtaskDirectory;
    this.lastSnapshot = checkpointId;
    this.lastNotified = checkpointId;
  }

  String name() {
    return vertex.name() + "#" + index;
  }

  /** Takes the subtask for one step; false when another worker is stepping it. */
  boolean claim() {
    return claimed.compareAndSet(false, true);
  }

  void release() {
    claimed.set(false);
  }

  boolean isEnded() {
    return ended;
  }

  void markEnded() {
    ended = true;
  }

  /** What one {@link #step()} achieved. */
  enum Step {
    /** Elements, watermarks or output moved: step again soon. */
    PROGRESS,
    /** Nothing to do right now: step again at {@link #wakeUpAt()} or when woken. */
    IDLE,
    /** Every input is complete and every output watermark is END: the subtask is finished. */
    DONE
  }

  /** After an IDLE step: the wall-clock time (ms) at which this subtask has work by itself. */
  long wakeUpAt() {
    return wakeUpAt;
  }

  /**
   * Does a bounded amount of work without ever blocking on a queue: at most one bundle's worth of
   * input, and no new input at all while output waits for room downstream. A worker thread calls
   * this in turn for each of its subtasks.
   */
  Step step() throws Exception {
    if (!opened) {
      opened = true;
      if (restoreFrom != null && restoreFrom.finished()) {
        // It had finished before the checkpoint: its consumers have all it ever sent.
        return Step.DONE;
      }
      open();
    }
    job.checkRunning();
    long epoch = job.tracksQuiescence() ? job.clockEpoch() : 0;
    long now = job.now();
    if (job.tracksQuiescence()) {
      // Busy before acknowledging the clock, so a timer the advance made due is counted.
      setBusy(hasWork(now));
      if (seenClockEpoch < epoch) {
        job.clockSeen(this, epoch, false);
      }
    }
    Step step = doStep(now);
    if (job.tracksQuiescence()) {
      setBusy(step != Step.DONE && hasWork(now));
    }
    return step;
  }

  private Step doStep(long now) throws Exception {
    boolean progress = checkpointIfAligned();
    notifyCheckpointComplete();
    if (outputBlocked()) {
      for (EdgeWriter writer : writers) {
        progress |= writer.tryFlushOverflow();
      }
      if (outputBlocked()) {
        // Woken when an inbox has room; a bundle cannot end before its output has moved on.
        wakeUpAt = Long.MAX_VALUE;
        return progress ? Step.PROGRESS : Step.IDLE;
      }
    }
    boolean mustCommit = false;
    sourceOutput = 0;
    for (int op = 0; op < operators.length && !outputBlocked(); op++) {
      SourceOperator.Status status = sourceStatus[op];
      if (status == null || status == SourceOperator.Status.DONE) {
        continue;
      }
      SourceOperator source = (SourceOperator) operators[op];
      if (source.emitsOnlyWhenQuiescent()) {
        // One event at a time, each committed before the job must fall quiet again.
        if (anyBundleOpen || !job.isQuiescent()) {
          continue;
        }
        mustCommit = true;
      } else if (status == SourceOperator.Status.IDLE && source.wakeUpTime() > System.currentTimeMillis()) {
        continue;
      }
      ensureBundle(op);
      SourceOperator.Status next = source.emit(settings.batchSize());
      sourceStatus[op] = next;
      progress |= next != status || next == SourceOperator.Status.ACTIVE;
    }
    bundleElements += (int) Math.min(sourceOutput, Integer.MAX_VALUE);
    progress |= sourceOutput > 0;
    if (inbox != null) {
      Message message;
      while (bundleElements < settings.maxBundleSize() && !outputBlocked() && (message = nextMessage()) != null) {
        if (job.tracksQuiescence()) {
          setBusy(true);
        }
        handle(message);
        job.workDone();
        progress = true;
      }
      progress |= checkpointIfAligned();
    }
    // Input that arrived is committed and its watermarks delivered before processing time is
    // looked at: a timer due now must not fire ahead of data (or a watermark) already here.
    progress |= commitIfDue(mustCommit);
    for (int op = 0; op < operators.length && !outputBlocked(); op++) {
      if (operators[op].nextProcessingTime() <= now) {
        ensureBundle(op);
        operators[op].onProcessingTime(now);
        progress = true;
      }
    }
    for (int op = 0; op < operators.length && !outputBlocked(); op++) {
      if (operators[op].hasPendingWork()) {
        ensureBundle(op);
        operators[op].continueWork();
        progress = true;
      }
    }
    progress |= commitIfDue(false);
    if (!anyBundleOpen && !watermarksPending() && allSourcesDone() && !outputBlocked()) {
      if (finished()) {
        return Step.DONE;
      }
      askForCheckpointIfAwaitedAtEnd();
    }
    if (!progress) {
      wakeUpAt = nextWakeUp();
    }
    return progress ? Step.PROGRESS : Step.IDLE;
  }

  /** Commits the open bundle if it is full, old, its input is idle, or {@code must}. */
  private boolean commitIfDue(boolean must) throws Exception {
    if (!anyBundleOpen && !watermarksPending()) {
      return false;
    }
    boolean inputIdle = !anySourceActive() && (inbox == null || inbox.isEmpty());
    if (must
        || inputIdle
        || bundleElements >= settings.maxBundleSize()
        || System.currentTimeMillis() - bundleStartMillis >= settings.maxBundleMillis()) {
      return commit();
    }
    return false;
  }

  /** The earliest wall-clock time at which something here falls due without outside help. */
  private long nextWakeUp() {
    long at = Long.MAX_VALUE;
    if (anyBundleOpen) {
      at = bundleStartMillis + settings.maxBundleMillis();
    }
    for (int op = 0; op < operators.length; op++) {
      if (sourceStatus[op] == SourceOperator.Status.IDLE) {
        at = Math.min(at, ((SourceOperator) operators[op]).wakeUpTime());
      }
      // A manual clock moves only when advanced, and an advance wakes every worker.
      if (!job.hasManualClock()) {
        at = Math.min(at, operators[op].nextProcessingTime());
      }
    }
    return at;
  }

  /** Whether this subtask has anything to do or deliver, as far as quiescence is concerned. */
  private boolean hasWork(long now) {
    if (!opened || anyBundleOpen || outputBlocked() || (inbox != null && !inbox.isEmpty()) || watermarksPending()) {
      return true;
    }
    for (int op = 0; op < operators.length; op++) {
      Operator operator = operators[op];
      if (operator.hasPendingWork() || operator.nextProcessingTime() <= now) {
        return true;
      }
      SourceOperator.Status status = sourceStatus[op];
      if (status == SourceOperator.Status.ACTIVE && !((SourceOperator) operator).emitsOnlyWhenQuiescent()) {
        return true;
      }
      if (status == SourceOperator.Status.IDLE && ((SourceOperator) operator).wakeUpTime() <= System.currentTimeMillis()) {
        return true;
      }
    }
    return false;
  }

  private void setBusy(boolean nowBusy) {
    if (nowBusy != busy) {
      busy = nowBusy;
      if (nowBusy) {
        job.subtaskBusy();
      } else {
        job.workDone();
      }
    }
  }

  private boolean anySourceActive() {
    for (SourceOperator.Status status : sourceStatus) {
      if (status == SourceOperator.Status.ACTIVE) {
        return true;
      }
    }
    return false;
  }

  private boolean allSourcesDone() {
    for (SourceOperator.Status status : sourceStatus) {
      if (status != null && status != SourceOperator.Status.DONE) {
        return false;
      }
    }
    return true;
  }

  private boolean outputBlocked() {
    for (EdgeWriter writer : writers) {
      if (writer.isBlocked()) {
        return true;
      }
    }
    return false;
  }

  /**
   * Closes every operator and lets go of it, so what it held can be collected at once (after an
   * OutOfMemoryError, that is what lets the job end); returns the first error, added to {@code
   * failure} if there was one.
   */
  Throwable close(Throwable failure) {
    if (busy) {
      setBusy(false);
    }
    for (int i = 0; i < operators.length; i++) {
      Operator op = operators[i];
      operators[i] = null;
      if (op != null) {
        try {
          op.close();
        } catch (Throwable t) {
          if (failure == null) {
            failure = t;
          } else if (failure != t) {
            failure.addSuppressed(t);
          }
        }
      }
    }
    return failure;
  }

  private void open() throws Exception {
    int n = operators.length;
    for (int op = 0; op < n; op++) {
      operators[op] = vertex.operators().get(op).factory().create();
      if (operators[op] instanceof SourceOperator source) {
        sourceStatus[op] = SourceOperator.Status.ACTIVE;
        if (source.emitsOnlyWhenQuiescent() && !job.tracksQuiescence()) {
          throw new IllegalStateException(
              vertex.operators().get(op).name() + " emits only when the job is quiescent, which needs a manual clock");
        }
      }
    }
    for (int op = 0; op < n; op++) {
      int outs = vertex.operators().get(op).outputs();
      Emitter[] emitters = new Emitter[outs];
      for (int port = 0; port < outs; port++) {
        List<Emitter> targets = new ArrayList<>();
        for (Link link : vertex.links()) {
          if (link.fromOperator() == op && link.fromPort() == port) {
            int to = link.toOperator();
            int toPort = link.toPort();
            targets.add(element -> deliver(to, toPort, element));
          }
        }
        for (EdgeWriter writer : writers) {
          if (writer.edge().from().operator() == op && writer.edge().from().port() == port) {
            targets.add(writer);
          }
        }
        Emitter out = fanOut(targets);
        emitters[port] = sourceStatus[op] == null ? out : counted(out);
      }
      String opName = vertex.operators().get(op).name();
      operators[op].open(new Context(opName, emitters));
    }
    if (job.checkpoints() != null) {
      List<String> unsupported = new ArrayList<>();
      for (int op = 0; op < n; op++) {
        if (!operators[op].isCheckpointable()) {
          unsupported.add(vertex.operators().get(op).name() + " (" + operators[op].getClass().getSimpleName() + ")");
        }
      }
      if (!unsupported.isEmpty()) {
        throw new UnsupportedOperationException(
            "Checkpoints are on, but Millrace cannot checkpoint these steps yet: "
                + String.join(", ", unsupported)
                + ". Batch-only steps have no snapshot; run this pipeline with --checkpointingInterval=0");
      }
    }
    if (restoreFrom != null) {
      restore();
    }
  }

  private Emitter counted(Emitter out) {
    return element -> {
      sourceOutput++;
      out.emit(element);
    };
  }

  private static Emitter fanOut(List<Emitter> targets) {
    if (targets.isEmpty()) {
      return element -> {};
    }
    if (targets.size() == 1) {
      return targets.get(0);
    }
    Emitter[] all = targets.toArray(new Emitter[0]);
    return element -> {
      for (Emitter e : all) {
        e.emit(element);
      }
    };
  }

  private void deliver(int op, int port, Object element) throws Exception {
    ensureBundle(op);
    operators[op].processElement(port, element);
  }

  private void ensureBundle(int op) throws Exception {
    if (!inBundle[op]) {
      if (!anyBundleOpen) {
        anyBundleOpen = true;
        bundleStartMillis = System.currentTimeMillis();
        bundleStartClock = job.now();
      }
      inBundle[op] = true;
      operators[op].startBundle();
    }
  }

  private Message nextMessage() {
    Message message = released.poll();
    return message != null ? message : inbox.poll();
  }

  private void handle(Message message) throws Exception {
    if (channelBarriers.length > 0 && channelBarriers[message.channel()] > lastSnapshot) {
      // Behind this channel's barrier: it belongs after the checkpoint being aligned.
      heldBack.add(message);
      return;
    }
    if (message instanceof Message.Barrier barrier) {
      // A barrier of a checkpoint already taken (the channel had ended, which counted) is moot.
      if (barrier.checkpointId() > lastSnapshot) {
        channelBarriers[barrier.channel()] = barrier.checkpointId();
      }
      return;
    }
    if (message instanceof Message.EncodedBatch batch) {
      int c = batch.channel();
      int op = channelOperator[c];
      int port = channelPort[c];
      ElementCodec codec = channelCodec[c];
      byte[] data = batch.data();
      int[] ends = batch.ends();
      int start = 0;
      for (int i = 0; i < batch.size(); i++) {
        deliver(op, port, decode(codec, c, data, start, ends[i] - start));
        start = ends[i];
      }
      bundleElements += batch.size();
      advanceChannelWatermark(c, batch.watermark());
    } else if (message instanceof Message.Batch batch) {
      int c = batch.channel();
      int op = channelOperator[c];
      int port = channelPort[c];
      Object[] items = batch.items();
      for (int i = 0; i < batch.size(); i++) {
        deliver(op, port, items[i]);
      }
      bundleElements += batch.size();
      advanceChannelWatermark(c, batch.watermark());
    } else {
      Message.WatermarkAdvance advance = (Message.WatermarkAdvance) message;
      advanceChannelWatermark(advance.channel(), advance.watermark());
    }
  }

  private Object decode(ElementCodec codec, int channel, byte[] data, int offset, int length) throws Exception {
    try {
      return codec.decode(data, offset, length);
    } catch (Exception e) {
      throw new ElementCodingException(
          "could not decode an element arriving at " + vertex.operators().get(channelOperator[channel]).name()
              + ": " + e, e);
    }
  }

  private long portWatermark(int op, int port) {
    long wm = Watermarks.END;
    for (int c : portChannels[op][port]) {
      wm = Math.min(wm, channelWatermarks[c]);
    }
    for (int up : upstreamOperators[op][port]) {
      wm = Math.min(wm, lastOutputWatermark[up]);
    }
    return wm;
  }

  private boolean watermarksPending() {
    for (int op = 0; op < operators.length; op++) {
      if (operators[op] == null) {
        return false;
      }
      for (int port = 0; port < portWatermarks[op].length; port++) {
        if (portWatermark(op, port) > portWatermarks[op][port]) {
          return true;
        }
      }
      if (operators[op].outputWatermark() > lastOutputWatermark[op]) {
        return true;
      }
    }
    return false;
  }

  /**
   * Ends the bundle: finish, hand its output on, then deliver watermarks until nothing moves (each
   * round is a bundle of its own), and send what that emitted with the new watermarks. The
   * bundle's output goes on before the watermark work starts, so timers that fire on it (and may
   * take long) do not keep its elements back; what the watermark work emits travels with the
   * watermark that caused it. Returns whether anything moved.
   */
  private boolean commit() throws Exception {
    boolean moved = bundleElements > 0;
    finishBundles();
    flushOutput();
    while (propagateWatermarks()) {
      moved = true;
      finishBundles();
    }
    if (!outputEnded && allOutputsEnded()) {
      outputEnded = true;
    }
    for (EdgeWriter writer : writers) {
      moved |= writer.advanceWatermark(lastOutputWatermark[writer.edge().from().operator()]);
    }
    bundleElements = 0;
    return moved;
  }

  private void flushOutput() {
    for (EdgeWriter writer : writers) {
      writer.flush();
    }
  }

  private void finishBundles() throws Exception {
    for (int op = 0; op < operators.length; op++) {
      if (inBundle[op]) {
        operators[op].finishBundle();
        inBundle[op] = false;
      }
    }
    anyBundleOpen = false;
  }

  private boolean propagateWatermarks() throws Exception {
    boolean changed = false;
    for (int op = 0; op < operators.length; op++) {
      for (int port = 0; port < portWatermarks[op].length; port++) {
        long wm = portWatermark(op, port);
        if (wm > portWatermarks[op][port]) {
          portWatermarks[op][port] = wm;
          ensureBundle(op);
          operators[op].processWatermark(port, wm);
          changed = true;
        }
      }
      long out = operators[op].outputWatermark();
      if (out > lastOutputWatermark[op]) {
        lastOutputWatermark[op] = out;
        changed = true;
      }
    }
    return changed && anyBundleOpen;
  }

  private boolean finished() {
    if (!inputsEnded()) {
      return false;
    }
    for (int op = 0; op < operators.length; op++) {
      if (lastOutputWatermark[op] != Watermarks.END || operators[op].hasPendingWork()) {
        return false;
      }
    }
    return !awaitsCheckpoint();
  }

  private boolean allOutputsEnded() {
    for (long wm : lastOutputWatermark) {
      if (wm != Watermarks.END) {
        return false;
      }
    }
    return true;
  }

  private boolean inputsEnded() {
    for (long wm : channelWatermarks) {
      if (wm != Watermarks.END) {
        return false;
      }
    }
    return true;
  }

  private boolean awaitsCheckpoint() {
    if (job.checkpoints() == null) {
      return false;
    }
    for (Operator operator : operators) {
      if (operator.awaitsCheckpoint()) {
        return true;
      }
    }
    return false;
  }

  /**
   * Input ended (sources done, channels at END) and an operator waits for a checkpoint to let go
   * of what it holds: asks for one now, unless one that will cover this subtask is under way. The
   * coordinator's completion wakes the subtask.
   */
  private void askForCheckpointIfAwaitedAtEnd() {
    CheckpointCoordinator checkpoints = job.checkpoints();
    if (checkpoints == null || !inputsEnded() || !awaitsCheckpoint()) {
      return;
    }
    if (checkpoints.requested() <= lastSnapshot && checkpoints.completed() >= lastSnapshot) {
      checkpoints.trigger();
    }
  }

  // ---- checkpoints ----

  /**
   * Takes part in the checkpoint the job asked for once its barrier came on every channel still
   * open (a subtask fed only by sources: at once). Returns whether it did.
   */
  private boolean checkpointIfAligned() throws Exception {
    CheckpointCoordinator checkpoints = job.checkpoints();
    if (checkpoints == null) {
      return false;
    }
    long id = checkpoints.requested();
    if (id <= lastSnapshot) {
      return false;
    }
    for (int c = 0; c < channelWatermarks.length; c++) {
      if (channelBarriers[c] < id && channelWatermarks[c] != Watermarks.END) {
        return false;
      }
    }
    snapshot(checkpoints, id);
    return true;
  }

  private void snapshot(CheckpointCoordinator checkpoints, long id) throws Exception {
    if (anyBundleOpen || watermarksPending()) {
      commit();
    }
    Path directory = checkpoints.directoryFor(id, this);
    byte[][] data = new byte[operators.length][];
    boolean[] sourceDone = new boolean[operators.length];
    for (int op = 0; op < operators.length; op++) {
      SubtaskSnapshot.OperatorWriter writer =
          new SubtaskSnapshot.OperatorWriter(id, SubtaskSnapshot.operatorDirectory(directory, op));
      operators[op].snapshotState(writer);
      data[op] = writer.toByteArray();
      sourceDone[op] = sourceStatus[op] == SourceOperator.Status.DONE;
    }
    long[][] ports = new long[operators.length][];
    for (int op = 0; op < operators.length; op++) {
      ports[op] = portWatermarks[op].clone();
    }
    try {
      new SubtaskSnapshot(false, channelWatermarks.clone(), ports, lastOutputWatermark.clone(), sourceDone, data)
          .write(directory);
    } catch (IOException e) {
      throw new UncheckedIOException("Cannot write checkpoint " + id + " of " + name(), e);
    }
    for (EdgeWriter writer : writers) {
      writer.sendBarrier(id);
    }
    lastSnapshot = id;
    released.addAll(heldBack);
    heldBack.clear();
    checkpoints.acknowledge(this, id);
  }

  /** Tells the operators, between bundles, of a checkpoint that completed since they last heard. */
  private void notifyCheckpointComplete() throws Exception {
    CheckpointCoordinator checkpoints = job.checkpoints();
    if (checkpoints == null || anyBundleOpen) {
      return;
    }
    long completed = Math.min(checkpoints.completed(), lastSnapshot);
    if (completed > lastNotified) {
      lastNotified = completed;
      for (Operator operator : operators) {
        operator.checkpointComplete(completed);
      }
    }
  }

  /** Right after the operators opened on a restarted job: they, and the subtask, take back their state. */
  private void restore() throws Exception {
    SubtaskSnapshot snapshot = restoreFrom;
    restoreFrom = null;
    if (snapshot.operatorData().length != operators.length
        || snapshot.channelWatermarks().length != channelWatermarks.length) {
      throw new IllegalStateException("The checkpoint of " + name() + " does not fit its plan");
    }
    for (int op = 0; op < operators.length; op++) {
      operators[op].restoreState(
          new SubtaskSnapshot.OperatorReader(
              lastSnapshot, SubtaskSnapshot.operatorDirectory(restoreDirectory, op), snapshot.operatorData()[op]));
      portWatermarks[op] = snapshot.portWatermarks()[op].clone();
      lastOutputWatermark[op] = snapshot.outputWatermarks()[op];
      if (snapshot.sourceDone()[op]) {
        sourceStatus[op] = SourceOperator.Status.DONE;
      }
    }
    System.arraycopy(snapshot.channelWatermarks(), 0, channelWatermarks, 0, channelWatermarks.length);
  }

  private final class Context implements OperatorContext {
    private final String name;
    private final Emitter[] outputs;

    Context(String name, Emitter[] outputs) {
      this.name = name;
      this.outputs = outputs;
    }

    @Override
    public String operatorName() {
      return name;
    }

    @Override
    public int subtaskIndex() {
      return index;
    }

    @Override
    public int parallelism() {
      return vertex.parallelism();
    }

    @Override
    public Emitter output(int port) {
      return outputs[port];
    }

    @Override
    public boolean isOutputBlocked() {
      return outputBlocked();
    }

    @Override
    public boolean isDraining() {
      return job.isDraining();
    }

    @Override
    public boolean isCheckpointing() {
      return job.checkpoints() != null;
    }

    @Override
    public long currentProcessingTime() {
      return job.now();
    }

    @Override
    public long currentSynchronizedProcessingTime() {
      return synchronizedProcessingTime();
    }

    @Override
    public void advanceProcessingTime(long millis) {
      job.advanceClock(millis);
    }

    @Override
    public ScheduledExecutorService scheduler() {
      return job.scheduler();
    }
  }
}
