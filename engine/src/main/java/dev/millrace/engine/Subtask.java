package dev.millrace.engine;

import dev.millrace.plan.Emitter;
import dev.millrace.plan.Operator;
import dev.millrace.plan.SourceOperator;
import dev.millrace.plan.StateFigures;
import dev.millrace.plan.Vertex;
import java.nio.file.Path;
import java.util.List;
import java.util.concurrent.atomic.AtomicBoolean;

/**
 * One parallel instance of a vertex, stepped by one worker thread at a time: it feeds the vertex's
 * operator chain from its sources and its inbox, in bundles, fires what falls due on the job's
 * clock, and ends each bundle by delivering watermarks ({@link PortWatermarks} holds their rules)
 * and sending its output and output watermarks on through its edge writers, after the bundle's
 * elements, so a consumer never sees an element behind a watermark that has passed it.
 *
 * <p>After a step that did nothing, {@link #wakeUpAt()} tells the workers when this subtask next
 * has something to do by itself; anything else (a message, room downstream) wakes them.
 *
 * <p>Its part in checkpoints (barrier alignment, snapshots, restore) is {@link SubtaskCheckpoints};
 * what its operators see of the engine is a {@link SubtaskContext} each.
 */
final class Subtask {
  private final SubtaskServices services;
  private final JobControl control;
  private final Quiescence.Member quiescence;
  private final Vertex vertex;
  private final int index;
  private final Inbox inbox;

  /** Held by the worker stepping this subtask; one worker at a time. */
  private final AtomicBoolean claimed = new AtomicBoolean();

  private volatile boolean ended;
  private final ExecutionSettings settings;
  private final Operator[] operators;
  private final ChainBundles bundles;
  private final PortWatermarks watermarks;
  private final SubtaskCheckpoints checkpoints;
  private final ChannelReader reader;

  private final List<EdgeWriter> writers;

  /** Per operator: null unless it is a source; then what its last emit said. */
  private final SourceOperator.Status[] sourceStatus;

  private boolean opened;
  private int bundleElements;

  /** Elements the chain's sources emitted during the current step. */
  private long sourceOutput;

  private long wakeUpAt = Long.MAX_VALUE;

  /** Elements read from the inbox or emitted by the chain's sources so far. */
  private long recordsIn;

  /** Where each inbox channel comes from, for the figures: "v2 subtask 1". */
  private final String[] channelSenders;

  private volatile SubtaskFigures figures;
  private long figuresAtMillis;
  private long lastOutputWatermark = Long.MIN_VALUE;
  private long outputWatermarkSinceMillis = System.currentTimeMillis();

  Subtask(
      SubtaskServices services,
      Vertex vertex,
      int index,
      Inbox inbox,
      List<JobExecution.ChannelTarget> channels,
      List<EdgeWriter> writers) {
    this.services = services;
    this.control = services.control();
    this.quiescence = services.quiescence().member();
    this.vertex = vertex;
    this.index = index;
    this.inbox = inbox;
    this.settings = services.settings();
    this.writers = writers;
    int n = vertex.operators().size();
    this.operators = new Operator[n];
    this.bundles = new ChainBundles(operators, services.clock());
    this.sourceStatus = new SourceOperator.Status[n];
    String[] names = new String[n];
    for (int op = 0; op < n; op++) {
      names[op] = vertex.operators().get(op).name();
    }
    int[][][] upstreamOperators = ChainWiring.upstreamOperators(vertex);
    int[][][] portChannels = ChainWiring.portChannels(vertex, channels, upstreamOperators);
    this.watermarks =
        new PortWatermarks(
            names,
            upstreamOperators,
            portChannels,
            channels.size(),
            () -> bundles.startClockOrNow() - 1);
    this.checkpoints =
        new SubtaskCheckpoints(
            services.checkpoints(), "v" + vertex.id() + "-s" + index, channels.size());
    this.reader = new ChannelReader(channels, names, watermarks, this::deliver);
    this.channelSenders = new String[channels.size()];
    for (int c = 0; c < channelSenders.length; c++) {
      JobExecution.ChannelTarget channel = channels.get(c);
      channelSenders[c] =
          channel.fromSubtask() == JobExecution.REMOTE
              ? "v" + channel.fromVertex() + " in other processes"
              : "v" + channel.fromVertex() + " subtask " + channel.fromSubtask();
    }
    this.figures =
        new SubtaskFigures(
            vertex.id(),
            index,
            0,
            0,
            0,
            inbox == null ? 0 : inbox.capacity(),
            Long.MIN_VALUE,
            Long.MIN_VALUE,
            outputWatermarkSinceMillis,
            "not started",
            null,
            false);
  }

  int vertexId() {
    return vertex.id();
  }

  int index() {
    return index;
  }

  /** Names it for people: "v2 ParDo(Format) subtask 1". */
  String describe() {
    return "v" + vertex.id() + " " + vertex.name() + " subtask " + index;
  }

  /** Its latest figures, with its inbox as it is now. */
  SubtaskFigures figures() {
    SubtaskFigures last = figures;
    boolean done = ended;
    return new SubtaskFigures(
        last.vertex(),
        last.subtask(),
        last.recordsIn(),
        last.recordsOut(),
        done || inbox == null ? 0 : inbox.size(),
        last.queueCapacity(),
        last.inputWatermark(),
        last.outputWatermark(),
        last.outputWatermarkSinceMillis(),
        done ? null : last.watermarkHeldBy(),
        done ? null : last.state(),
        done);
  }

  /** The keyed state of the chain's operators together; null when none keeps any. */
  private StateFigures stateFigures() {
    StateFigures sum = null;
    for (Operator operator : operators) {
      StateFigures figures = operator == null ? null : operator.stateFigures();
      if (figures != null) {
        sum = sum == null ? figures : sum.plus(figures);
      }
    }
    return sum;
  }

  /** Publishes new figures, unless some were published less than a moment ago. */
  private void publishFigures(boolean now) {
    long millis = System.currentTimeMillis();
    if (!now && millis - figuresAtMillis < SubtaskFigures.PUBLISH_MILLIS) {
      return;
    }
    figuresAtMillis = millis;
    long recordsOut = 0;
    for (EdgeWriter writer : writers) {
      recordsOut += writer.emitted();
    }
    long output = watermarks.outputWatermark();
    if (output != lastOutputWatermark) {
      lastOutputWatermark = output;
      outputWatermarkSinceMillis = millis;
    }
    long input = channelSenders.length == 0 ? output : watermarks.inputWatermark();
    figures =
        new SubtaskFigures(
            vertex.id(),
            index,
            recordsIn,
            recordsOut,
            inbox == null ? 0 : inbox.size(),
            inbox == null ? 0 : inbox.capacity(),
            input,
            output,
            outputWatermarkSinceMillis,
            watermarks.holder(operators, c -> channelSenders[c]),
            stateFigures(),
            false);
  }

  /** Its watermarks, which the subtasks it sends to read to know whether its END will come. */
  PortWatermarks watermarks() {
    return watermarks;
  }

  /** Names this subtask's part of a checkpoint; stable across runs of the same plan. */
  String key() {
    return checkpoints.key();
  }

  /**
   * Before the job starts: resume from {@code snapshot}, taken by checkpoint {@code checkpointId}.
   */
  void restoreFrom(long checkpointId, Path subtaskDirectory, SubtaskSnapshot snapshot) {
    checkpoints.restoreFrom(checkpointId, subtaskDirectory, snapshot);
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
      if (checkpoints.resumesFinished()) {
        // It had finished before the checkpoint: its consumers have all it ever sent.
        return Step.DONE;
      }
      open();
    }
    control.checkRunning();
    Quiescence jobQuiescence = services.quiescence();
    long epoch = jobQuiescence.tracked() ? jobQuiescence.clockEpoch() : 0;
    long now = services.clock().now();
    if (jobQuiescence.tracked()) {
      // Busy before acknowledging the clock, so a timer the advance made due is counted.
      quiescence.setBusy(hasWork(now));
      quiescence.clockSeen(epoch);
    }
    Step step = doStep(now);
    if (jobQuiescence.tracked()) {
      quiescence.setBusy(step != Step.DONE && hasWork(now));
    }
    return step;
  }

  private Step doStep(long now) throws Exception {
    boolean progress = checkpointIfAligned();
    if (!bundles.isOpen()) {
      checkpoints.notifyComplete(operators);
    }
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
        if (bundles.isOpen() || !services.quiescence().isQuiescent()) {
          continue;
        }
        mustCommit = true;
      } else if (status == SourceOperator.Status.IDLE
          && source.wakeUpTime() > System.currentTimeMillis()) {
        continue;
      }
      bundles.ensure(op);
      SourceOperator.Status next = source.emit(settings.batchSize());
      sourceStatus[op] = next;
      progress |= next != status || next == SourceOperator.Status.ACTIVE;
    }
    bundleElements += (int) Math.min(sourceOutput, Integer.MAX_VALUE);
    recordsIn += sourceOutput;
    progress |= sourceOutput > 0;
    if (inbox != null) {
      Message message;
      while (bundleElements < settings.maxBundleSize()
          && !outputBlocked()
          && (message = nextMessage()) != null) {
        quiescence.setBusy(true);
        handle(message);
        services.quiescence().workDone();
        progress = true;
      }
      progress |= checkpointIfAligned();
    }
    // Input that arrived is committed and its watermarks delivered before processing time is
    // looked at: a timer due now must not fire ahead of data (or a watermark) already here.
    progress |= commitIfDue(mustCommit);
    for (int op = 0; op < operators.length && !outputBlocked(); op++) {
      if (operators[op].nextProcessingTime() <= now) {
        bundles.ensure(op);
        operators[op].onProcessingTime(now);
        progress = true;
      }
    }
    for (int op = 0; op < operators.length && !outputBlocked(); op++) {
      if (operators[op].hasPendingWork()) {
        bundles.ensure(op);
        operators[op].continueWork();
        progress = true;
      }
    }
    progress |= commitIfDue(false);
    if (!bundles.isOpen()
        && !watermarks.pending(operators)
        && allSourcesDone()
        && !outputBlocked()) {
      if (finished()) {
        publishFigures(true);
        return Step.DONE;
      }
      if (watermarks.inputsEnded()) {
        checkpoints.askIfAwaitedAtEnd(operators);
      }
    }
    if (!progress) {
      wakeUpAt = nextWakeUp();
    }
    return progress ? Step.PROGRESS : Step.IDLE;
  }

  /** Commits the open bundle if it is full, old, its input is idle, or {@code must}. */
  private boolean commitIfDue(boolean must) throws Exception {
    if (!bundles.isOpen() && !watermarks.pending(operators)) {
      return false;
    }
    boolean inputIdle = !anySourceActive() && (inbox == null || inbox.isEmpty());
    if (must
        || inputIdle
        || bundleElements >= settings.maxBundleSize()
        || System.currentTimeMillis() - bundles.startMillis() >= settings.maxBundleMillis()) {
      return commit();
    }
    return false;
  }

  /** The earliest wall-clock time at which something here falls due without outside help. */
  private long nextWakeUp() {
    long at = Long.MAX_VALUE;
    if (bundles.isOpen()) {
      at = bundles.startMillis() + settings.maxBundleMillis();
    }
    for (int op = 0; op < operators.length; op++) {
      if (sourceStatus[op] == SourceOperator.Status.IDLE) {
        at = Math.min(at, ((SourceOperator) operators[op]).wakeUpTime());
      }
      // A manual clock moves only when advanced, and an advance wakes every worker.
      if (!services.quiescence().tracked()) {
        at = Math.min(at, operators[op].nextProcessingTime());
      }
    }
    return at;
  }

  /** Whether this subtask has anything to do or deliver, as far as quiescence is concerned. */
  private boolean hasWork(long now) {
    if (!opened
        || bundles.isOpen()
        || outputBlocked()
        || (inbox != null && !inbox.isEmpty())
        || watermarks.pending(operators)) {
      return true;
    }
    for (int op = 0; op < operators.length; op++) {
      Operator operator = operators[op];
      if (operator.hasPendingWork() || operator.nextProcessingTime() <= now) {
        return true;
      }
      SourceOperator.Status status = sourceStatus[op];
      if (status == SourceOperator.Status.ACTIVE
          && !((SourceOperator) operator).emitsOnlyWhenQuiescent()) {
        return true;
      }
      if (status == SourceOperator.Status.IDLE
          && ((SourceOperator) operator).wakeUpTime() <= System.currentTimeMillis()) {
        return true;
      }
    }
    return false;
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
    quiescence.ended();
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
        if (source.emitsOnlyWhenQuiescent() && !services.quiescence().tracked()) {
          throw new IllegalStateException(
              vertex.operators().get(op).name()
                  + " emits only when the job is quiescent, which needs a manual clock");
        }
      }
    }
    for (int op = 0; op < n; op++) {
      Emitter[] emitters = ChainWiring.outputs(vertex, op, writers, this::deliver);
      if (sourceStatus[op] != null) {
        for (int port = 0; port < emitters.length; port++) {
          emitters[port] = counted(emitters[port]);
        }
      }
      operators[op].open(
          new SubtaskContext(
              vertex.operators().get(op).name(),
              index,
              vertex.parallelism(),
              emitters,
              this::outputBlocked,
              watermarks::synchronizedProcessingTime,
              services));
    }
    checkpoints.checkSupported(operators, vertex);
    boolean[] sourceDone = checkpoints.restore(operators, watermarks);
    for (int op = 0; sourceDone != null && op < n; op++) {
      if (sourceDone[op]) {
        sourceStatus[op] = SourceOperator.Status.DONE;
      }
    }
  }

  private Emitter counted(Emitter out) {
    return element -> {
      sourceOutput++;
      out.emit(element);
    };
  }

  private void deliver(int op, int port, Object element) throws Exception {
    bundles.ensure(op);
    operators[op].processElement(port, element);
  }

  private Message nextMessage() {
    Message message = checkpoints.nextReleased();
    return message != null ? message : inbox.poll();
  }

  private void handle(Message message) throws Exception {
    if (!checkpoints.intercept(message)) {
      int read = reader.read(message);
      bundleElements += read;
      recordsIn += read;
    }
  }

  /**
   * Ends the bundle: finish, hand its output on, then deliver watermarks until nothing moves (each
   * round is a bundle of its own), and send what that emitted with the new watermarks. The bundle's
   * output goes on before the watermark work starts, so timers that fire on it (and may take long)
   * do not keep its elements back; what the watermark work emits travels with the watermark that
   * caused it. Returns whether anything moved.
   */
  private boolean commit() throws Exception {
    boolean moved = bundleElements > 0;
    bundles.finishAll();
    for (EdgeWriter writer : writers) {
      writer.flush();
    }
    while (watermarks.propagate(operators, bundles::ensure) && bundles.isOpen()) {
      moved = true;
      bundles.finishAll();
    }
    watermarks.noteOutputEnded();
    for (EdgeWriter writer : writers) {
      moved |= writer.advanceWatermark(watermarks.output(writer.edge().from().operator()));
    }
    bundleElements = 0;
    publishFigures(false);
    return moved;
  }

  private boolean finished() {
    if (!watermarks.inputsEnded() || !watermarks.allOutputsEnded()) {
      return false;
    }
    for (Operator operator : operators) {
      if (operator.hasPendingWork()) {
        return false;
      }
    }
    return !checkpoints.awaited(operators);
  }

  /**
   * Takes part in the checkpoint the job asked for once its barrier came on every channel still
   * open (a subtask fed only by sources: at once). Returns whether it did.
   */
  private boolean checkpointIfAligned() throws Exception {
    long id = checkpoints.aligned(watermarks);
    if (id == 0) {
      return false;
    }
    if (bundles.isOpen() || watermarks.pending(operators)) {
      commit();
    }
    boolean[] sourceDone = new boolean[operators.length];
    for (int op = 0; op < operators.length; op++) {
      sourceDone[op] = sourceStatus[op] == SourceOperator.Status.DONE;
    }
    checkpoints.snapshot(id, operators, watermarks, sourceDone, writers);
    return true;
  }
}
