package dev.millrace.translation.operators.stage;

import dev.millrace.translation.metrics.StageMetrics;
import dev.millrace.translation.operators.AwaitingCheckpoint;
import java.util.ArrayList;
import java.util.List;
import java.util.Queue;
import java.util.concurrent.ConcurrentLinkedQueue;
import org.apache.beam.model.fnexecution.v1.BeamFnApi;
import org.apache.beam.model.pipeline.v1.MetricsApi.MonitoringInfo;
import org.apache.beam.runners.fnexecution.control.BundleCheckpointHandler;
import org.apache.beam.runners.fnexecution.control.BundleFinalizationHandlers;
import org.apache.beam.runners.fnexecution.control.BundleProgressHandler;
import org.apache.beam.runners.fnexecution.control.OutputReceiverFactory;
import org.apache.beam.runners.fnexecution.control.RemoteBundle;
import org.apache.beam.runners.fnexecution.control.StageBundleFactory;
import org.apache.beam.runners.fnexecution.control.TimerReceiverFactory;
import org.apache.beam.runners.fnexecution.state.StateRequestHandler;
import org.apache.beam.sdk.fn.data.FnDataReceiver;
import org.apache.beam.sdk.util.WindowedValue;
import org.apache.beam.sdk.util.construction.Timer;
import org.apache.beam.sdk.values.KV;

/**
 * One subtask's connection to the SDK harness that runs its stage: at most one remote bundle open
 * at a time, the outputs the harness sends (queued on gRPC threads, emitted on the subtask's own
 * thread), the user metrics of finished bundles, and bundle finalization (at the bundle's commit,
 * or with checkpoints once a checkpoint covering it completed).
 */
final class StageHarness implements AutoCloseable {
  /** Where the harness's outputs go, on the subtask's thread. */
  interface Outputs {
    void emit(int port, Object element) throws Exception;
  }

  private final String stepName;
  private final List<String> outputIds;
  private final StageBundleFactory bundles;
  private final Outputs outputs;
  private final BundleCheckpointHandler onCheckpoint;
  private final StageMetrics metrics;

  /** The harness's outputs not emitted yet: (output port, element). */
  private final Queue<Object[]> received = new ConcurrentLinkedQueue<>();

  private final List<BeamFnApi.ProcessBundleResponse> completed = new ArrayList<>();
  private TimerReceiverFactory timerReceivers;
  private StateRequestHandler stateRequests = StateRequestHandler.unsupported();
  private RemoteBundle bundle;
  private FnDataReceiver<WindowedValue<?>> mainReceiver;

  /**
   * Bundles to finalize: at the bundle's commit, or with checkpoints, once one covering it
   * completes.
   */
  private BundleFinalizationHandlers.InMemoryFinalizer finalizer;

  /**
   * With checkpoints: finalizers of bundles that asked to be finalized, until a checkpoint
   * completes.
   */
  private final AwaitingCheckpoint<BundleFinalizationHandlers.InMemoryFinalizer> finalizers =
      new AwaitingCheckpoint<>();

  /** A bundle since the last snapshot asked to be finalized. */
  private boolean finalizationSinceSnapshot;

  StageHarness(
      String stepName,
      List<String> outputIds,
      StageBundleFactory bundles,
      Outputs outputs,
      BundleCheckpointHandler onCheckpoint) {
    this.stepName = stepName;
    this.outputIds = outputIds;
    this.bundles = bundles;
    this.outputs = outputs;
    this.onCheckpoint = onCheckpoint;
    this.metrics = new StageMetrics(bundles.getInstructionRequestHandler());
    this.finalizer =
        BundleFinalizationHandlers.inMemoryFinalizer(bundles.getInstructionRequestHandler());
  }

  /** How the harness's timers and state requests are answered; set before the first bundle. */
  void serve(TimerReceiverFactory timers, StateRequestHandler state) {
    this.timerReceivers = timers;
    this.stateRequests = state;
  }

  boolean isBundleOpen() {
    return bundle != null;
  }

  /** Sends a main-input element, in the open bundle or a new one. */
  void send(WindowedValue<?> element) throws Exception {
    open();
    mainReceiver.accept(element);
    emitReceived();
  }

  /** Sends a timer of {@code family} (transform, timer family), in the open bundle or a new one. */
  void sendTimer(KV<String, String> family, Timer<?> timer) throws Exception {
    open();
    @SuppressWarnings({"unchecked", "rawtypes"})
    FnDataReceiver<Timer<?>> receiver = (FnDataReceiver) bundle.getTimerReceivers().get(family);
    if (receiver == null) {
      throw new IllegalStateException(stepName + ": no timer family " + family + " in the stage");
    }
    receiver.accept(timer);
    emitReceived();
  }

  private void open() throws Exception {
    if (bundle != null) {
      return;
    }
    OutputReceiverFactory receivers =
        new OutputReceiverFactory() {
          @Override
          public <OutputT> FnDataReceiver<OutputT> create(String pCollectionId) {
            int port = outputIds.indexOf(pCollectionId);
            if (port < 0) {
              throw new IllegalStateException(
                  stepName
                      + ": the harness sent output for "
                      + pCollectionId
                      + ", not an output of the stage");
            }
            return element -> received.add(new Object[] {port, element});
          }
        };
    BundleProgressHandler progress =
        new BundleProgressHandler() {
          @Override
          public void onProgress(BeamFnApi.ProcessBundleProgressResponse response) {}

          @Override
          public void onCompleted(BeamFnApi.ProcessBundleResponse response) {
            synchronized (completed) {
              completed.add(response);
            }
          }
        };
    bundle =
        bundles.getBundle(
            receivers, timerReceivers, stateRequests, progress, finalizer, onCheckpoint);
    @SuppressWarnings({"unchecked", "rawtypes"})
    FnDataReceiver<WindowedValue<?>> receiver =
        (FnDataReceiver) bundle.getInputReceivers().values().iterator().next();
    mainReceiver = receiver;
  }

  private void emitReceived() throws Exception {
    Object[] entry;
    while ((entry = received.poll()) != null) {
      outputs.emit((Integer) entry[0], entry[1]);
    }
  }

  /**
   * Ends the open remote bundle, if any: everything sent so far is processed and its output
   * emitted. Returns the user metrics the finished bundles reported.
   */
  List<List<MonitoringInfo>> closeBundle() throws Exception {
    if (bundle == null) {
      return List.of();
    }
    RemoteBundle closing = bundle;
    bundle = null;
    mainReceiver = null;
    RemoteBundles.close(closing);
    emitReceived();
    List<BeamFnApi.ProcessBundleResponse> responses;
    synchronized (completed) {
      responses = List.copyOf(completed);
      completed.clear();
    }
    List<List<MonitoringInfo>> userMetrics = new ArrayList<>();
    for (BeamFnApi.ProcessBundleResponse response : responses) {
      userMetrics.add(metrics.userMetricsOf(response));
      finalizationSinceSnapshot |= response.getRequiresFinalization();
    }
    return userMetrics;
  }

  /** The engine committed the bundle: without checkpoints, finalization happens now. */
  void bundleCommitted(boolean checkpointing) throws Exception {
    if (!checkpointing) {
      finalizer.finalizeAllOutstandingBundles();
    }
  }

  /** Checkpoint {@code id} took its snapshot: bundles so far are finalized once it completes. */
  void snapshotTaken(long id) {
    if (finalizationSinceSnapshot) {
      finalizers.add(finalizer);
      finalizer =
          BundleFinalizationHandlers.inMemoryFinalizer(bundles.getInstructionRequestHandler());
      finalizationSinceSnapshot = false;
    }
    finalizers.snapshotTaken(id);
  }

  boolean awaitsCheckpoint() {
    return finalizationSinceSnapshot || !finalizers.isEmpty();
  }

  void checkpointComplete(long id) throws Exception {
    for (BundleFinalizationHandlers.InMemoryFinalizer done : finalizers.completed(id)) {
      done.finalizeAllOutstandingBundles();
    }
  }

  /** The job ends or fails: an open bundle is let go of, and the harness's stage closed. */
  @Override
  public void close() throws Exception {
    try {
      if (bundle != null) {
        RemoteBundle open = bundle;
        bundle = null;
        try {
          RemoteBundles.close(open);
        } catch (Exception e) {
          // The job is failing already; the harness's view of this bundle no longer matters.
        }
      }
    } finally {
      bundles.close();
    }
  }
}
