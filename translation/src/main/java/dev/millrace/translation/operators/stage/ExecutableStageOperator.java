package dev.millrace.translation.operators.stage;

import dev.millrace.plan.OperatorContext;
import dev.millrace.plan.SnapshotReader;
import dev.millrace.plan.SnapshotWriter;
import dev.millrace.state.keyed.KeyedState;
import dev.millrace.state.keyed.TimerFiring;
import dev.millrace.translation.metrics.JobMetrics;
import dev.millrace.translation.operators.sideinput.SideInputGate;
import dev.millrace.translation.operators.usercode.UserCodeOperator;
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
 * Runs a fused stage of user code in an SDK harness over the Fn API. Main input goes to the harness
 * as it arrives, inside one remote bundle per engine bundle; the harness's outputs come back on
 * gRPC threads and wait in a queue until this subtask's thread emits them (the engine is
 * single-threaded per subtask). The remote bundle closes at the engine's bundle end, which is when
 * the harness has processed everything; until then the output watermark stays where it was, so no
 * output arrives behind it.
 *
 * <p>A keyed stage (user state, timers, or input it must see sorted by time) keeps them in a {@link
 * KeyedState} as the Java runner does ({@link StageKeys}). Due timers go back to the harness in a
 * bundle of their own per firing timestamp (through the shared {@link TimerFiring}), closed before
 * the next so a timer set while firing fires in its turn. Input and timers pass through
 * runners-core's {@code StatefulDoFnRunner} on the way ({@link StageKeyedRunner}), as the Java
 * path's stateful DoFns do: it drops late input, sorts input by time where a DoFn asks, and expires
 * windows.
 *
 * <p>Side inputs are gathered by a {@link SideInputGate} as in the Java runner; the harness reads
 * them through the Fn API's state channel, answered on gRPC threads under {@link #lock}, which this
 * subtask's thread also holds whenever it changes what they read (never while it waits on the
 * harness, which may itself be waiting for a state answer).
 *
 * <p>Splittable DoFns checkpoint into {@link StageResiduals}, which the stage runs again when they
 * fall due. Bundle finalization callbacks run once the engine commits the bundle (with checkpoints:
 * once a checkpoint covering it completes).
 */
public final class ExecutableStageOperator<T> extends UserCodeOperator {

  private final StageSpec<T> spec;
  private final JobMetrics metrics;

  /** What this subtask's committed bundles reported (see {@link JobMetrics#bind}). */
  private JobMetrics.CommittedMetrics committedMetrics;

  /** Main input released by the side-input gate, to send once the lock is let go. */
  private final ArrayDeque<WindowedValue<T>> released = new ArrayDeque<>();

  private StageHarness harness;

  /** The same objects as the base class's, typed. */
  private SideInputGate<T> gate;

  private KeyedState<ByteString> keys;
  private StageKeys stageKeys;
  private StageResiduals<T> residuals;
  private StageKeyedRunner<T> keyedRunner;

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
    harness =
        new StageHarness(
            spec.stepName(),
            spec.outputIds(),
            stageBundles,
            (port, e) -> output(port).emit(e),
            this::checkpointed);
    residuals = new StageResiduals<>(spec.mainInputCoder());
    @SuppressWarnings("unchecked")
    Coder<BoundedWindow> windowCoder =
        (Coder<BoundedWindow>) spec.mainWindowing().getWindowFn().windowCoder();
    StageStateRequests stateRequests = new StageStateRequests();
    if (!spec.sideInputs().isEmpty()) {
      List<PCollectionView<?>> views = new ArrayList<>();
      for (StageSpec.SideInput side : spec.sideInputs()) {
        views.add(side.view());
      }
      gate =
          new SideInputGate<>(
              views,
              spec.stateBackend(),
              spec.waitingMemory(),
              spec.mainInputCoder(),
              element -> element.getWindows().iterator().next(),
              spec.mainWindowing().getAllowedLateness(),
              this::pendingWorkHold);
      sideInputs = gate;
      StateRequestHandler sideInputReads =
          StateRequestHandlers.forSideInputHandlerFactory(
              stageBundles.getProcessBundleDescriptor().getSideInputSpecs(),
              new StageSideInputs(spec.sideInputs(), gate.reader(), lock));
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
      keyedState = keys;
      stageKeys = new StageKeys(spec.stepName(), spec.keyCoder(), keys, lock);
      keyedRunner =
          new StageKeyedRunner<>(
              spec, stageKeys, keys, lock, harness, windowCoder, this::closeBundle);
      timers =
          new TimerFiring<>(
              keys,
              context,
              StageKeyedRunner.FIRING_RULES,
              this::timerWatermark,
              lock,
              keyedRunner);
      stateRequests.serveUserState(new StageUserState(keys, windowCoder, lock));
      if (!spec.stage().getTimers().isEmpty()) {
        timerReceivers =
            new TimerReceiverFactory(stageBundles, stageKeys::timerFromHarness, windowCoder);
      }
    }
    harness.serve(timerReceivers, stateRequests.handler());
  }

  @Override
  @SuppressWarnings("unchecked")
  public void processElement(int port, Object element) throws Exception {
    WindowedValue<T> value = (WindowedValue<T>) element;
    if (gate == null) {
      accept(value);
      return;
    }
    synchronized (lock) {
      gate.onElement(port, value, released::add);
    }
    acceptReleased();
  }

  /**
   * Main input whose side inputs are ready: sent to the harness, through the stateful runner if
   * keyed.
   */
  private void accept(WindowedValue<T> value) throws Exception {
    if (keyedRunner == null) {
      harness.send(value);
    } else {
      keyedRunner.process(value);
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
    if (gate != null) {
      synchronized (lock) {
        gate.onWatermark(port, watermark, released::add);
      }
      acceptReleased();
    }
    if (keys != null) {
      fireTimers();
    }
  }

  /**
   * Input already sent may have set or cleared timers the harness reports only when its bundle
   * ends: until then the store does not know them, and a timer polled now could be one the harness
   * has since replaced.
   */
  @Override
  protected void fireTimers() throws Exception {
    closeBundle();
    timers.fire();
  }

  /**
   * Residuals run again without waiting at the side-input gate, so their side windows must stay.
   */
  @Override
  protected long residualHold() {
    return residuals.hold();
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
      fireTimers();
    }
  }

  /** The harness checkpointed splittable DoFns of the closing bundle (on this subtask's thread). */
  private void checkpointed(BeamFnApi.ProcessBundleResponse response) {
    try {
      residuals.add(response.getResidualRootsList(), context.currentProcessingTime());
    } catch (Exception e) {
      throw new IllegalStateException(
          spec.stepName() + ": could not read a residual of a splittable DoFn", e);
    }
  }

  /** While a remote bundle is open, or timers are left to fire, its outputs are not all in. */
  @Override
  protected boolean outputIncomplete() {
    return harness.isBundleOpen() || hasPendingWork();
  }

  @Override
  protected void finishUserBundle() throws Exception {
    closeBundle();
  }

  @Override
  protected void bundleCommitted() throws Exception {
    harness.bundleCommitted(context.isCheckpointing());
  }

  /**
   * Everything a stage keeps on the runner's side: keyed user state, timers and sorted input in its
   * keyed state, side inputs and the input waiting for them, residuals of splittable DoFns. The
   * harness keeps nothing across bundles that a new one cannot do without (its caches are keyed by
   * a token this operator makes anew). Ahead of keyed state: the promised output watermark and the
   * residuals.
   */
  @Override
  protected void snapshotHead(SnapshotWriter out) throws Exception {
    out.data().writeLong(promisedWatermark());
    residuals.snapshot(out.data());
  }

  @Override
  protected void restoreHead(SnapshotReader in) throws Exception {
    restorePromisedWatermark(in.data().readLong());
    residuals.restore(in.data());
  }

  @Override
  protected void snapshotTail(SnapshotWriter out) throws Exception {
    committedMetrics.snapshot(out.data());
    harness.snapshotTaken(out.checkpointId());
  }

  @Override
  protected void restoreTail(SnapshotReader in) throws Exception {
    committedMetrics.restore(in.data());
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
  protected void closeUserCode() throws Exception {
    if (harness != null) {
      harness.close();
    }
  }
}
