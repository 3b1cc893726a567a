package dev.millrace.translation.operators.stage;

import dev.millrace.plan.OperatorContext;
import dev.millrace.plan.SnapshotReader;
import dev.millrace.plan.SnapshotWriter;
import dev.millrace.plan.Watermarks;
import dev.millrace.translation.metrics.JobMetrics;
import dev.millrace.translation.operators.AbstractOperator;
import dev.millrace.translation.operators.Closer;
import dev.millrace.translation.operators.OutputWatermark;
import dev.millrace.state.keyed.KeyedState;
import dev.millrace.state.keyed.KeyedStateStore;
import dev.millrace.translation.operators.sideinput.SideInputGate;
import java.io.DataInputStream;
import java.io.DataOutputStream;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.List;
import org.apache.beam.model.fnexecution.v1.BeamFnApi;
import org.apache.beam.model.pipeline.v1.MetricsApi.MonitoringInfo;
import org.apache.beam.runners.fnexecution.control.StageBundleFactory;
import org.apache.beam.runners.fnexecution.control.TimerReceiverFactory;
import org.apache.beam.runners.fnexecution.state.StateRequestHandler;
import org.apache.beam.runners.fnexecution.state.StateRequestHandlers;
import org.apache.beam.runners.fnexecution.wire.ByteStringCoder;
import org.apache.beam.sdk.coders.Coder;
import org.apache.beam.sdk.transforms.windowing.BoundedWindow;
import org.apache.beam.sdk.util.WindowedValue;
import org.apache.beam.sdk.values.PCollectionView;
import org.apache.beam.vendor.grpc.v1p60p1.com.google.protobuf.ByteString;
import org.joda.time.Instant;

/**
 * Runs a fused stage of user code in an SDK harness over the Fn API. Main input goes to the
 * harness as it arrives, inside one remote bundle per engine bundle; the harness's outputs come
 * back on gRPC threads and wait in a queue until this subtask's thread emits them (the engine is
 * single-threaded per subtask). The remote bundle closes at the engine's bundle end, which is when
 * the harness has processed everything; until then the output watermark stays where it was, so no
 * output arrives behind it.
 *
 * <p>A keyed stage (user state, timers, or input it must see sorted by time) keeps them in a
 * {@link KeyedState} as the Java runner does ({@link StageKeys}). Due timers go back to the harness
 * in a bundle of their own per firing timestamp ({@link StageDueTimers}), closed before the next so
 * a timer set while firing fires in its turn; expired windows are cleaned up ({@link
 * StageWindowExpiry}) and time-sorted input waits in a {@link StageSortBuffer}.
 *
 * <p>Side inputs are gathered by a {@link SideInputGate} as in the Java runner; the harness reads
 * them through the Fn API's state channel, answered on gRPC threads under {@link #lock}, which
 * this subtask's thread also holds whenever it changes what they read (never while it waits on
 * the harness, which may itself be waiting for a state answer).
 *
 * <p>Splittable DoFns checkpoint into {@link StageResiduals}, which the stage runs again when they
 * fall due. Bundle finalization callbacks run once the engine commits the bundle (with checkpoints:
 * once a checkpoint covering it completes).
 */
public final class ExecutableStageOperator<T> extends AbstractOperator {

  private final StageSpec<T> spec;
  private final JobMetrics metrics;
  /** What this subtask's committed bundles reported (see {@link JobMetrics#bind}). */
  private JobMetrics.CommittedMetrics committedMetrics;
  private final Object lock = new Object();
  /** Main input released by the side-input gate, to send once the lock is let go. */
  private final ArrayDeque<WindowedValue<T>> released = new ArrayDeque<>();
  private StageHarness harness;
  private SideInputGate<T> sideInputs;
  private KeyedState<ByteString> keys;
  private StageKeys stageKeys;
  private StageTimers<T> timers;
  private StageResiduals<T> residuals;
  private StageSortBuffer<T> sorted;
  private StageWindowExpiry expiry;
  private Coder<BoundedWindow> windowCoder;
  private long reportedWatermark = Watermarks.MIN;
  private boolean timersPending;

  public ExecutableStageOperator(StageSpec<T> spec, JobMetrics metrics) {
    super(1 + spec.sideInputs().size());
    this.spec = spec;
    this.metrics = metrics;
  }

  @Override
  public void open(OperatorContext context) throws Exception {
    super.open(context);
    committedMetrics = metrics.bind(spec.stepName(), context.subtaskIndex());
    StageBundleFactory stageBundles =
        spec.bundles() instanceof SubtaskHarnesses harnesses
            ? harnesses.forSubtask(spec.stage(), context.subtaskIndex())
            : spec.bundles().forStage(spec.stage());
    harness = new StageHarness(spec.stepName(), spec.outputIds(), stageBundles, (port, e) -> output(port).emit(e), this::checkpointed);
    residuals = new StageResiduals<>(spec.mainInputCoder());
    @SuppressWarnings("unchecked")
    Coder<BoundedWindow> windows = (Coder<BoundedWindow>) spec.mainWindowing().getWindowFn().windowCoder();
    windowCoder = windows;
    expiry = new StageWindowExpiry(windows, spec.mainWindowing().getAllowedLateness());
    sorted = new StageSortBuffer<>(spec.mainInputCoder(), windows, spec.mainWindowing().getAllowedLateness(), expiry::expiryOf);
    StageStateRequests stateRequests = new StageStateRequests();
    if (!spec.sideInputs().isEmpty()) {
      List<PCollectionView<?>> views = new ArrayList<>();
      for (StageSpec.SideInput side : spec.sideInputs()) {
        views.add(side.view());
      }
      sideInputs =
          new SideInputGate<>(
              views,
              spec.stateBackend(),
              spec.waitingMemory(),
              spec.mainInputCoder(),
              element -> element.getWindows().iterator().next(),
              spec.mainWindowing().getAllowedLateness(),
              this::pendingWorkHold);
      StateRequestHandler sideInputReads =
          StateRequestHandlers.forSideInputHandlerFactory(
              stageBundles.getProcessBundleDescriptor().getSideInputSpecs(),
              new StageSideInputs(spec.sideInputs(), sideInputs.reader(), lock));
      stateRequests.serveSideInputs(sideInputReads);
    }
    TimerReceiverFactory timerReceivers = null;
    if (spec.isKeyed()) {
      keys =
          new KeyedState<>(
              ByteStringCoder.of(),
              spec.stateBackend().keyedStore(windowCoder),
              context::currentProcessingTime,
              context::currentSynchronizedProcessingTime);
      stageKeys = new StageKeys(spec.stepName(), spec.keyCoder(), keys, lock);
      timers =
          new StageTimers<>(
              spec,
              keys,
              stageKeys,
              lock,
              harness,
              expiry,
              sorted,
              windowCoder,
              this::closeBundle,
              context::isOutputBlocked,
              this::timerWatermark,
              () -> inputWatermark(0));
      stateRequests.serveUserState(new StageUserState(keys, windowCoder, lock));
      if (!spec.stage().getTimers().isEmpty()) {
        timerReceivers = new TimerReceiverFactory(stageBundles, stageKeys::timerFromHarness, windowCoder);
      }
    }
    harness.serve(timerReceivers, stateRequests.handler());
  }

  @Override
  @SuppressWarnings("unchecked")
  public void processElement(int port, Object element) throws Exception {
    WindowedValue<T> value = (WindowedValue<T>) element;
    if (sideInputs == null) {
      accept(value);
      return;
    }
    synchronized (lock) {
      sideInputs.onElement(port, value, released::add);
    }
    acceptReleased();
  }

  /** Main input whose side inputs are ready: sent to the harness, through the keyed checks if keyed. */
  private void accept(WindowedValue<T> value) throws Exception {
    if (keys == null) {
      harness.send(value);
      return;
    }
    for (WindowedValue<T> single : value.explodeWindows()) {
      acceptKeyed(single);
    }
  }

  private void acceptReleased() throws Exception {
    WindowedValue<T> next;
    while ((next = released.poll()) != null) {
      accept(next);
    }
  }

  @Override
  protected void onWatermark(int port, long watermark) throws Exception {
    if (sideInputs != null) {
      synchronized (lock) {
        sideInputs.onWatermark(port, watermark, released::add);
      }
      acceptReleased();
    }
    if (keys != null) {
      timersPending = timers.fire();
    }
  }

  /**
   * An element of a keyed stage, in one window: dropped when its window has expired (its state is
   * gone), otherwise sent, or kept for sorting, after making sure the window's expiry timer is set.
   */
  private void acceptKeyed(WindowedValue<T> element) throws Exception {
    BoundedWindow window = element.getWindows().iterator().next();
    boolean sendNow;
    synchronized (lock) {
      // As far as timers have seen it: input that waited for side inputs held it back until now.
      Instant watermark = keys.inputWatermark();
      if (expiry.expiryOf(window).isBefore(watermark)) {
        return; // late: its window's state has been cleared already
      }
      KeyedState.Entry<ByteString> entry = null;
      if (spec.expiresWindows() && StageWindowExpiry.expires(window)) {
        entry = stageKeys.entryOf(element);
        expiry.setTimer(entry, window);
      }
      sendNow = !spec.requiresTimeSortedInput();
      if (!sendNow) {
        if (entry == null) {
          entry = stageKeys.entryOf(element);
        }
        sorted.keep(entry, element, window, watermark);
      }
      if (entry != null) {
        keys.track(entry, false);
      }
    }
    if (sendNow) {
      harness.send(element);
    }
  }

  /** Waiting main input holds timers back: its window's cleanup must not overtake it. */
  private long timerWatermark() {
    long watermark = inputWatermark(0);
    return sideInputs == null ? watermark : Math.min(watermark, sideInputs.hold());
  }

  /**
   * What the stage's pending timers and residuals will still emit at the earliest; END if none.
   * Residuals run again without waiting at the side-input gate, so their side windows must stay.
   */
  private long pendingWorkHold() {
    long hold = residuals.hold();
    if (keys == null) {
      return hold;
    }
    synchronized (lock) {
      return Math.min(hold, keys.holdBack(Watermarks.END));
    }
  }

  @Override
  public long nextProcessingTime() {
    long next = residuals.nextDueTime();
    if (keys != null) {
      synchronized (lock) {
        next = Math.min(next, keys.nextProcessingTime());
      }
    }
    return next;
  }

  @Override
  public void onProcessingTime(long now) throws Exception {
    for (WindowedValue<T> residual : residuals.pollDue(now)) {
      harness.send(residual);
    }
    if (keys != null) {
      synchronized (lock) {
        keys.advanceProcessingTime(new Instant(now));
      }
      timersPending = timers.fire();
    }
  }

  @Override
  public boolean hasPendingWork() {
    return timersPending;
  }

  @Override
  public void continueWork() throws Exception {
    timersPending = timers.fire();
  }

  @Override
  public void startBundle() {
    if (keys != null) {
      synchronized (lock) {
        keys.startBundle();
      }
    }
  }

  /** The harness checkpointed splittable DoFns of the closing bundle (on this subtask's thread). */
  private void checkpointed(BeamFnApi.ProcessBundleResponse response) {
    try {
      residuals.add(response.getResidualRootsList(), context.currentProcessingTime());
    } catch (Exception e) {
      throw new IllegalStateException(spec.stepName() + ": could not read a residual of a splittable DoFn", e);
    }
  }

  /** Port 0 is the main input; the others are side inputs, which hold back the main input instead. */
  @Override
  public boolean boundsOutput(int port) {
    return port == 0;
  }

  /** While a remote bundle is open its outputs are not all in: what was promised before stands. */
  @Override
  public long outputWatermark() {
    if (harness.isBundleOpen() || timersPending) {
      return reportedWatermark;
    }
    return Math.max(reportedWatermark, currentWatermark());
  }

  private long currentWatermark() {
    long input = inputWatermark(0);
    long sideInputWait = sideInputs == null ? OutputWatermark.NO_HOLD : sideInputs.hold();
    long residualHold = residuals.hold();
    long stateAndTimers = OutputWatermark.NO_HOLD;
    if (keys != null) {
      synchronized (lock) {
        stateAndTimers = keys.holdBack(Math.min(Math.min(input, sideInputWait), residualHold));
      }
    }
    return OutputWatermark.of(input, sideInputWait, stateAndTimers, residualHold, OutputWatermark.NO_HOLD);
  }

  /**
   * Between remote bundles, with no timers left to fire: records the output watermark as promised,
   * and tells keyed state, at the moments the engine reads it (see {@link OutputWatermark}).
   */
  private void promiseOutputWatermark() {
    if (harness.isBundleOpen() || timersPending) {
      return;
    }
    long current = currentWatermark();
    if (keys != null) {
      synchronized (lock) {
        keys.outputWatermarkIs(current);
      }
    }
    reportedWatermark = Math.max(reportedWatermark, current);
  }

  @Override
  public void finishBundle() throws Exception {
    closeBundle();
    if (keys != null) {
      synchronized (lock) {
        keys.commit();
      }
    }
    harness.bundleCommitted(context.isCheckpointing());
    promiseOutputWatermark();
  }

  @Override
  public void processWatermark(int port, long watermark) throws Exception {
    super.processWatermark(port, watermark);
    promiseOutputWatermark();
  }

  /**
   * Everything a stage keeps on the runner's side: keyed user state, timers and the sort buffer in
   * its keyed state, side inputs and the input waiting for them, residuals of splittable DoFns. The
   * harness keeps nothing across bundles that a new one cannot do without (its caches are keyed by
   * a token this operator makes anew).
   */
  @Override
  public boolean isCheckpointable() {
    return true;
  }

  @Override
  protected void snapshotOperator(SnapshotWriter out) throws Exception {
    DataOutputStream data = out.data();
    data.writeLong(reportedWatermark);
    residuals.snapshot(data);
    if (keys != null) {
      synchronized (lock) {
        keys.snapshot(out, "keyed-state");
      }
    }
    if (sideInputs != null) {
      sideInputs.snapshot(out);
    }
    committedMetrics.snapshot(data);
    harness.snapshotTaken(out.checkpointId());
  }

  @Override
  protected void restoreOperator(SnapshotReader in) throws Exception {
    DataInputStream data = in.data();
    reportedWatermark = data.readLong();
    residuals.restore(data);
    if (keys != null) {
      synchronized (lock) {
        keys.restore(in, "keyed-state");
      }
    }
    if (sideInputs != null) {
      sideInputs.restore(in);
    }
    committedMetrics.restore(data);
    // A keyed stage's timers may be due already.
    timersPending = keys != null;
  }

  @Override
  public boolean awaitsCheckpoint() {
    return harness.awaitsCheckpoint();
  }

  @Override
  public void checkpointComplete(long checkpointId) throws Exception {
    harness.checkpointComplete(checkpointId);
  }

  /** Ends the open remote bundle, if any: everything sent so far is processed and emitted. */
  private void closeBundle() throws Exception {
    for (List<MonitoringInfo> userMetrics : harness.closeBundle()) {
      metrics.updateFromMonitoringInfos(userMetrics, committedMetrics);
    }
  }

  @Override
  public void close() throws Exception {
    AutoCloseable keyedState = keys == null ? null : () -> {
      synchronized (lock) {
        keys.close();
      }
    };
    Closer.closeAll(harness, sideInputs, keyedState);
  }
}
