package dev.millrace.translation.operators.stage;

import dev.millrace.plan.OperatorContext;
import dev.millrace.plan.SnapshotReader;
import dev.millrace.plan.SnapshotWriter;
import dev.millrace.plan.Watermarks;
import dev.millrace.state.MemoryBudget;
import dev.millrace.translation.metrics.JobMetrics;
import dev.millrace.translation.metrics.StageMetrics;
import dev.millrace.translation.operators.AbstractOperator;
import dev.millrace.translation.operators.keyed.BeamTime;
import dev.millrace.translation.operators.keyed.KeyedState;
import dev.millrace.translation.operators.keyed.KeyedStateStore;
import dev.millrace.translation.operators.keyed.StateBackendKind;
import dev.millrace.translation.operators.sideinput.SideInputGate;
import java.io.DataInputStream;
import java.io.DataOutputStream;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.EnumMap;
import java.util.List;
import java.util.Queue;
import java.util.TreeMap;
import java.util.concurrent.ConcurrentLinkedQueue;
import org.apache.beam.model.fnexecution.v1.BeamFnApi;
import org.apache.beam.model.fnexecution.v1.BeamFnApi.StateKey;
import org.apache.beam.runners.core.StateNamespace;
import org.apache.beam.runners.core.StateNamespaces;
import org.apache.beam.runners.core.StateTags;
import org.apache.beam.runners.core.TimerInternals;
import org.apache.beam.runners.fnexecution.control.BundleFinalizationHandlers;
import org.apache.beam.runners.fnexecution.control.BundleProgressHandler;
import org.apache.beam.runners.fnexecution.control.JobBundleFactory;
import org.apache.beam.runners.fnexecution.control.OutputReceiverFactory;
import org.apache.beam.runners.fnexecution.control.RemoteBundle;
import org.apache.beam.runners.fnexecution.control.StageBundleFactory;
import org.apache.beam.runners.fnexecution.control.TimerReceiverFactory;
import org.apache.beam.runners.fnexecution.state.StateRequestHandler;
import org.apache.beam.runners.fnexecution.state.StateRequestHandlers;
import org.apache.beam.runners.fnexecution.wire.ByteStringCoder;
import org.apache.beam.sdk.coders.Coder;
import org.apache.beam.sdk.coders.InstantCoder;
import org.apache.beam.sdk.fn.data.FnDataReceiver;
import org.apache.beam.sdk.state.BagState;
import org.apache.beam.sdk.state.TimeDomain;
import org.apache.beam.sdk.state.ValueState;
import org.apache.beam.sdk.transforms.windowing.BoundedWindow;
import org.apache.beam.sdk.transforms.windowing.GlobalWindow;
import org.apache.beam.sdk.transforms.windowing.PaneInfo;
import org.apache.beam.sdk.util.ByteStringOutputStream;
import org.apache.beam.sdk.util.WindowedValue;
import org.apache.beam.sdk.util.construction.Timer;
import org.apache.beam.sdk.util.construction.graph.ExecutableStage;
import org.apache.beam.sdk.values.KV;
import org.apache.beam.sdk.values.PCollectionView;
import org.apache.beam.sdk.values.WindowingStrategy;
import org.apache.beam.vendor.grpc.v1p60p1.com.google.protobuf.ByteString;
import org.joda.time.Duration;
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
 * {@link KeyedState} as the Java runner does, keyed by the bytes the harness sends. Timers the
 * harness sets arrive during a bundle; due timers go back to it in a bundle of their own per firing
 * timestamp, closed before the next so a timer set while firing fires in its turn. Once a window
 * has expired (past its end and the allowed lateness) its {@code @OnWindowExpiration} timer fires
 * and its state is cleared, and late input is dropped, as the SDK leaves these to the runner. Input
 * a DoFn must see in timestamp order waits in state until the watermark passes it, as runners-core
 * does it for the Java runner.
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
  public record Spec<T>(
      String stepName,
      ExecutableStage stage,
      JobBundleFactory bundles,
      List<String> outputIds,
      List<StageSideInput> sideInputs,
      Coder<WindowedValue<T>> mainInputCoder,
      WindowingStrategy<?, ?> mainWindowing,
      StateBackendKind stateBackend,
      Coder<Object> keyCoder,
      List<StateCell> stateCells,
      List<KV<String, String>> windowExpirationTimers,
      boolean requiresTimeSortedInput,
      MemoryBudget waitingMemory) {

    /** A stage with user state, timers or time-sorted input: its input is keyed, each key in one subtask. */
    public boolean isKeyed() {
      return keyCoder != null;
    }

    /** Whether a key's windows need a timer at their expiry: to clean state, or for DoFns that listen. */
    boolean expiresWindows() {
      return !stateCells.isEmpty() || !windowExpirationTimers.isEmpty() || requiresTimeSortedInput;
    }
  }

  /** A side input of a stage, by the ids the harness asks with, and how the runner gathers it. */
  public record StageSideInput(String transformId, String localName, PCollectionView<?> view) {}

  /**
   * A state cell of one of the stage's DoFns: its transform, its id there, and the user state
   * protocol the harness speaks for it (bag, multimap or ordered list).
   */
  public record StateCell(String transformId, String userStateId, String protocol) {}

  /** Whether the stage can serve user state of this protocol (bag, multimap, ordered list). */
  public static boolean servesUserState(String protocol) {
    return StageUserState.serves(protocol);
  }

  /** The runner-side timers of a keyed stage, told apart from the harness's by their family. */
  private static final String EXPIRY_TIMER = "millrace-window-expiry";
  private static final String SORT_FLUSH_TIMER = "millrace-sort-flush";
  /** Firing timestamps per call before the engine gets to end the bundle. */
  private static final int MAX_TIMER_ROUNDS = 100;

  private final Spec<T> spec;
  private final JobMetrics metrics;
  /** What this subtask's committed bundles reported (see {@link JobMetrics#bind}). */
  private JobMetrics.CommittedMetrics committedMetrics;
  private final Object lock = new Object();
  /** The harness's outputs not emitted yet: (output port, element). */
  private final Queue<Object[]> received = new ConcurrentLinkedQueue<>();
  /** Main input released by the side-input gate, to send once the lock is let go. */
  private final ArrayDeque<WindowedValue<T>> released = new ArrayDeque<>();
  private final List<BeamFnApi.ProcessBundleResponse> completed = new ArrayList<>();
  private StageBundleFactory stageBundles;
  private StateRequestHandler stateRequests;
  private SideInputGate<T> sideInputs;
  private RemoteBundle bundle;
  private KeyedState<ByteString> keys;
  private TimerReceiverFactory timerReceivers;
  /** Bundles to finalize: at the bundle's commit, or with checkpoints, once one covering it completes. */
  private BundleFinalizationHandlers.InMemoryFinalizer finalizer;
  /** With checkpoints: the finalizers of bundles before each checkpoint's snapshot. */
  private final TreeMap<Long, BundleFinalizationHandlers.InMemoryFinalizer> finalizersInCheckpoint = new TreeMap<>();
  /** With checkpoints: a bundle since the last snapshot asked to be finalized. */
  private boolean finalizationSinceSnapshot;
  private StageResiduals<T> residuals;
  private StageMetrics stageMetrics;
  private Coder<BoundedWindow> windowCoder;
  private FnDataReceiver<WindowedValue<?>> mainReceiver;
  private long reportedWatermark = Watermarks.MIN;
  private boolean timersPending;

  public ExecutableStageOperator(Spec<T> spec, JobMetrics metrics) {
    super(1 + spec.sideInputs().size());
    this.spec = spec;
    this.metrics = metrics;
  }

  @Override
  public void open(OperatorContext context) throws Exception {
    super.open(context);
    committedMetrics = metrics.bind(spec.stepName(), context.subtaskIndex());
    stageBundles =
        spec.bundles() instanceof SubtaskHarnesses harnesses
            ? harnesses.forSubtask(spec.stage(), context.subtaskIndex())
            : spec.bundles().forStage(spec.stage());
    stageMetrics = new StageMetrics(stageBundles.getInstructionRequestHandler());
    finalizer = BundleFinalizationHandlers.inMemoryFinalizer(stageBundles.getInstructionRequestHandler());
    residuals = new StageResiduals<>(spec.mainInputCoder());
    @SuppressWarnings("unchecked")
    Coder<BoundedWindow> windows = (Coder<BoundedWindow>) spec.mainWindowing().getWindowFn().windowCoder();
    windowCoder = windows;
    EnumMap<StateKey.TypeCase, StateRequestHandler> handlers = new EnumMap<>(StateKey.TypeCase.class);
    if (!spec.sideInputs().isEmpty()) {
      List<PCollectionView<?>> views = new ArrayList<>();
      for (StageSideInput side : spec.sideInputs()) {
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
      handlers.put(StateKey.TypeCase.ITERABLE_SIDE_INPUT, sideInputReads);
      handlers.put(StateKey.TypeCase.MULTIMAP_SIDE_INPUT, sideInputReads);
      handlers.put(StateKey.TypeCase.MULTIMAP_KEYS_SIDE_INPUT, sideInputReads);
    }
    if (spec.isKeyed()) {
      keys =
          new KeyedState<>(
              ByteStringCoder.of(),
              KeyedStateStore.create(spec.stateBackend(), windowCoder),
              context::currentProcessingTime,
              context::currentSynchronizedProcessingTime);
      StageUserState userState = new StageUserState(keys, windowCoder, lock);
      handlers.put(StateKey.TypeCase.BAG_USER_STATE, userState);
      handlers.put(StateKey.TypeCase.MULTIMAP_USER_STATE, userState);
      handlers.put(StateKey.TypeCase.MULTIMAP_KEYS_USER_STATE, userState);
      handlers.put(StateKey.TypeCase.ORDERED_LIST_USER_STATE, userState);
      if (!spec.stage().getTimers().isEmpty()) {
        timerReceivers = new TimerReceiverFactory(stageBundles, this::timerFromHarness, windowCoder);
      }
    }
    stateRequests =
        handlers.isEmpty() ? StateRequestHandler.unsupported() : StateRequestHandlers.delegateBasedUponType(handlers);
  }

  /** The harness set or cleared a timer (on a gRPC thread). */
  private void timerFromHarness(Timer<?> timer, TimerInternals.TimerData data) {
    synchronized (lock) {
      KeyedState.Entry<ByteString> entry = entryOf(timer.getUserKey());
      if (timer.getClearBit()) {
        entry.timers.deleteTimer(data.getNamespace(), data.getTimerId(), data.getTimerFamilyId(), data.getDomain());
      } else {
        entry.timers.setTimer(data);
      }
      keys.track(entry, false);
    }
  }

  /** The entry of a key as the harness encodes it (nested), which is how its state requests name it. */
  private KeyedState.Entry<ByteString> entryOf(Object key) {
    try {
      ByteStringOutputStream bytes = new ByteStringOutputStream();
      spec.keyCoder().encode(key, bytes, Coder.Context.NESTED);
      return keys.entry(bytes.toByteString());
    } catch (Exception e) {
      throw new IllegalStateException(spec.stepName() + ": could not encode key " + key, e);
    }
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
      if (port == 0) {
        for (WindowedValue<T> single : value.explodeWindows()) {
          sideInputs.offer(single, released::add);
        }
      } else {
        sideInputs.addSideElement(port - 1, value, released::add);
      }
    }
    acceptReleased();
  }

  /** Main input whose side inputs are ready: sent to the harness, through the keyed checks if keyed. */
  private void accept(WindowedValue<T> value) throws Exception {
    if (keys == null) {
      send(value);
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
        if (port == 0) {
          sideInputs.advanceMainWatermark(watermark);
        } else {
          sideInputs.advanceSideWatermark(port - 1, watermark, released::add);
        }
      }
      acceptReleased();
    }
    if (keys != null) {
      fireTimers();
    }
  }

  /**
   * An element of a keyed stage, in one window: dropped when its window has expired (its state is
   * gone), otherwise sent, or kept for sorting, after making sure the window's expiry timer is set.
   */
  private void acceptKeyed(WindowedValue<T> element) throws Exception {
    BoundedWindow window = element.getWindows().iterator().next();
    Instant expiry = expiryOf(window);
    boolean sendNow;
    synchronized (lock) {
      // As far as timers have seen it: input that waited for side inputs held it back until now.
      Instant watermark = keys.inputWatermark();
      if (expiry.isBefore(watermark)) {
        return; // late: its window's state has been cleared already
      }
      KeyedState.Entry<ByteString> entry = null;
      if (spec.expiresWindows() && window.maxTimestamp().isBefore(BoundedWindow.TIMESTAMP_MAX_VALUE)) {
        entry = entryOf(keyOf(element));
        // One millisecond after the expiry, as runners-core's cleanup timer: a user timer set for
        // the window's last instant must fire (and read its state) before the state is cleared.
        Instant cleanup = expiry.isBefore(BoundedWindow.TIMESTAMP_MAX_VALUE) ? expiry.plus(Duration.millis(1)) : expiry;
        entry.timers.setTimer(
            TimerInternals.TimerData.of(
                EXPIRY_TIMER, EXPIRY_TIMER, StateNamespaces.window(windowCoder, window), cleanup, cleanup, TimeDomain.EVENT_TIME));
      }
      sendNow = !spec.requiresTimeSortedInput();
      if (!sendNow) {
        if (entry == null) {
          entry = entryOf(keyOf(element));
        }
        keepForSorting(entry, element, window, watermark);
      }
      if (entry != null) {
        keys.track(entry, false);
      }
    }
    if (sendNow) {
      send(element);
    }
  }

  private static Object keyOf(WindowedValue<?> element) {
    return ((KV<?, ?>) element.getValue()).getKey();
  }

  /**
   * Keeps an element until the watermark passes its timestamp (runners-core's rule: dropped if
   * the watermark is already past it and the allowed lateness), with a flush timer at the earliest
   * kept timestamp that holds the watermark there.
   */
  private void keepForSorting(KeyedState.Entry<ByteString> entry, WindowedValue<T> element, BoundedWindow window, Instant watermark) {
    Instant latest = element.getTimestamp().plus(spec.mainWindowing().getAllowedLateness());
    if (watermark.isAfter(latest)) {
      return;
    }
    StateNamespace namespace = StateNamespaces.window(windowCoder, window);
    sortBuffer(entry, namespace).add(element);
    ValueState<Instant> earliest = sortBufferEarliest(entry, namespace);
    Instant current = earliest.read();
    if (current == null || element.getTimestamp().isBefore(current)) {
      earliest.write(element.getTimestamp());
      setSortFlushTimer(entry, namespace, window, element.getTimestamp());
    }
  }

  private void setSortFlushTimer(KeyedState.Entry<ByteString> entry, StateNamespace namespace, BoundedWindow window, Instant earliest) {
    Instant at = earliest.plus(spec.mainWindowing().getAllowedLateness());
    Instant expiry = expiryOf(window);
    entry.timers.setTimer(
        TimerInternals.TimerData.of(
            SORT_FLUSH_TIMER, SORT_FLUSH_TIMER, namespace, at.isAfter(expiry) ? expiry : at, earliest, TimeDomain.EVENT_TIME));
  }

  private BagState<WindowedValue<T>> sortBuffer(KeyedState.Entry<ByteString> entry, StateNamespace namespace) {
    return entry.state.state(namespace, StateTags.bag(SORT_FLUSH_TIMER, spec.mainInputCoder()));
  }

  private ValueState<Instant> sortBufferEarliest(KeyedState.Entry<ByteString> entry, StateNamespace namespace) {
    return entry.state.state(namespace, StateTags.value(SORT_FLUSH_TIMER + "-earliest", InstantCoder.of()));
  }

  /** Sends the kept elements of a key's window up to {@code upTo}, in timestamp order. */
  private void flushSorted(KeyedState.Entry<ByteString> entry, BoundedWindow window, Instant upTo) throws Exception {
    List<WindowedValue<T>> flush = new ArrayList<>();
    synchronized (lock) {
      StateNamespace namespace = StateNamespaces.window(windowCoder, window);
      BagState<WindowedValue<T>> buffer = sortBuffer(entry, namespace);
      List<WindowedValue<T>> keep = new ArrayList<>();
      Instant earliestKept = null;
      for (WindowedValue<T> element : buffer.read()) {
        if (element.getTimestamp().isAfter(upTo)) {
          keep.add(element);
          if (earliestKept == null || element.getTimestamp().isBefore(earliestKept)) {
            earliestKept = element.getTimestamp();
          }
        } else {
          flush.add(element);
        }
      }
      buffer.clear();
      ValueState<Instant> earliest = sortBufferEarliest(entry, namespace);
      if (earliestKept == null) {
        earliest.clear();
      } else {
        keep.forEach(buffer::add);
        earliest.write(earliestKept);
        setSortFlushTimer(entry, namespace, window, earliestKept);
      }
    }
    flush.sort(Comparator.comparing(WindowedValue::getTimestamp));
    for (WindowedValue<T> element : flush) {
      send(element);
    }
  }

  /** Where the window's state ends: past its end and the allowed lateness. */
  private Instant expiryOf(BoundedWindow window) {
    Instant end = window.maxTimestamp().plus(spec.mainWindowing().getAllowedLateness());
    return end.isAfter(BoundedWindow.TIMESTAMP_MAX_VALUE) ? BoundedWindow.TIMESTAMP_MAX_VALUE : end;
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

  /**
   * Fires due timers: all those due at the earliest due timestamp go to the harness in one
   * bundle, which closes before the next timestamp's, so what the harness sets in reply is in the
   * store by then. Stops after {@value #MAX_TIMER_ROUNDS} rounds; the rest is pending work. Once
   * the input is complete, processing-time timers that are left fire, one at a time, before the
   * watermark's end expires every window (as Prism does; the Go SDK's tests expect it).
   */
  private void fireTimers() throws Exception {
    timersPending = false;
    // Input already sent may have set or cleared timers the harness reports only when its bundle
    // ends: until then the store does not know them, and a timer polled now could be one the
    // harness has since replaced.
    closeBundle();
    for (int round = 0; round < MAX_TIMER_ROUNDS; round++) {
      if (context.isOutputBlocked()) {
        timersPending = true;
        return;
      }
      List<KeyedState.Due<ByteString>> due = new ArrayList<>();
      long watermark;
      synchronized (lock) {
        watermark = timerWatermark();
        KeyedState.Due<ByteString> processing = watermark == Watermarks.END ? keys.pollAnyProcessingTimer() : null;
        if (processing != null) {
          // The input is complete: processing time runs out too, so what is left fires, before
          // the watermark's end expires the windows whose state such timers read.
          due.add(processing);
        } else {
          keys.advanceInputWatermark(BeamTime.toInstant(watermark));
          KeyedState.Due<ByteString> first = pollDue();
          if (first != null) {
            due.add(first);
            KeyedState.Due<ByteString> next;
            while ((next = pollDueAt(first.timer())) != null) {
              due.add(next);
            }
          }
        }
      }
      if (due.isEmpty()) {
        return;
      }
      for (KeyedState.Due<ByteString> timer : due) {
        fire(timer);
      }
      closeBundle();
    }
    timersPending = true;
  }

  private KeyedState.Due<ByteString> pollDue() {
    KeyedState.Due<ByteString> due = keys.pollEventTimer();
    return due != null ? due : keys.pollProcessingTimer();
  }

  /** Another due timer of the same domain and timestamp as {@code first}, or null. */
  private KeyedState.Due<ByteString> pollDueAt(TimerInternals.TimerData first) {
    // Peeking is not offered by the store; a polled timer of a later time goes back.
    KeyedState.Due<ByteString> next =
        first.getDomain() == TimeDomain.EVENT_TIME ? keys.pollEventTimer() : keys.pollProcessingTimer();
    if (next == null) {
      return null;
    }
    if (next.timer().getTimestamp().equals(first.getTimestamp())) {
      return next;
    }
    next.entry().timers.setTimer(next.timer());
    return null;
  }

  private void fire(KeyedState.Due<ByteString> due) throws Exception {
    TimerInternals.TimerData timer = due.timer();
    BoundedWindow window = windowOf(timer.getNamespace());
    switch (timer.getTimerFamilyId()) {
      case SORT_FLUSH_TIMER -> flushSorted(due.entry(), window, BeamTime.toInstant(inputWatermark(0)));
      case EXPIRY_TIMER -> expire(due.entry(), window, expiryOf(window));
      default -> {
        if (timer.getDomain() != TimeDomain.EVENT_TIME && expiryOf(window).isBefore(keys.inputWatermark())) {
          return; // a processing-time timer of an expired window: its state is gone
        }
        sendTimer(due.entry(), TimerReceiverFactory.decodeTimerDataTimerId(timer.getTimerFamilyId()), timer, window);
      }
    }
    synchronized (lock) {
      keys.track(due.entry(), false);
    }
  }

  /**
   * A key's window expired: what it kept for sorting goes out, the DoFns' {@code
   * OnWindowExpiration} timers fire, then its state is cleared. The timers go in the same bundle
   * as the sorted input, after it; the state is cleared once the bundle has closed, as the harness
   * may still read it until then.
   */
  private void expire(KeyedState.Entry<ByteString> entry, BoundedWindow window, Instant at) throws Exception {
    if (spec.requiresTimeSortedInput()) {
      flushSorted(entry, window, BoundedWindow.TIMESTAMP_MAX_VALUE);
    }
    for (KV<String, String> family : spec.windowExpirationTimers()) {
      sendTimer(
          entry,
          family,
          TimerInternals.TimerData.of("", "", StateNamespaces.window(windowCoder, window), at, at, TimeDomain.EVENT_TIME),
          window);
    }
    closeBundle();
    synchronized (lock) {
      StateNamespace namespace = StateNamespaces.window(windowCoder, window);
      for (StateCell cell : spec.stateCells()) {
        StageUserState.clear(entry, namespace, cell);
      }
      sortBuffer(entry, namespace).clear();
      sortBufferEarliest(entry, namespace).clear();
    }
  }

  private void sendTimer(
      KeyedState.Entry<ByteString> entry, KV<String, String> family, TimerInternals.TimerData timer, BoundedWindow window)
      throws Exception {
    if (bundle == null) {
      openBundle();
    }
    @SuppressWarnings({"unchecked", "rawtypes"})
    FnDataReceiver<Timer<?>> receiver = (FnDataReceiver) bundle.getTimerReceivers().get(family);
    if (receiver == null) {
      throw new IllegalStateException(spec.stepName() + ": no timer family " + family + " in the stage");
    }
    Object key = spec.keyCoder().decode(entry.key.newInput(), Coder.Context.NESTED);
    receiver.accept(
        Timer.of(key, timer.getTimerId(), List.of(window), timer.getTimestamp(), timer.getOutputTimestamp(), PaneInfo.NO_FIRING));
    emitReceived();
  }

  private static BoundedWindow windowOf(StateNamespace namespace) {
    if (namespace instanceof StateNamespaces.WindowNamespace<?> window) {
      return window.getWindow();
    }
    return GlobalWindow.INSTANCE;
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
      send(residual);
    }
    if (keys != null) {
      synchronized (lock) {
        keys.advanceProcessingTime(new Instant(now));
      }
      fireTimers();
    }
  }

  @Override
  public boolean hasPendingWork() {
    return timersPending;
  }

  @Override
  public void continueWork() throws Exception {
    fireTimers();
  }

  @Override
  public void startBundle() {
    if (keys != null) {
      synchronized (lock) {
        keys.startBundle();
      }
    }
  }

  private void send(WindowedValue<T> element) throws Exception {
    if (bundle == null) {
      openBundle();
    }
    mainReceiver.accept(element);
    emitReceived();
  }

  private void openBundle() throws Exception {
    OutputReceiverFactory outputs =
        new OutputReceiverFactory() {
          @Override
          public <OutputT> FnDataReceiver<OutputT> create(String pCollectionId) {
            int port = spec.outputIds().indexOf(pCollectionId);
            if (port < 0) {
              throw new IllegalStateException(
                  spec.stepName() + ": the harness sent output for " + pCollectionId + ", not an output of the stage");
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
        stageBundles.getBundle(
            outputs,
            timerReceivers,
            stateRequests,
            progress,
            finalizer,
            this::checkpointed);
    @SuppressWarnings({"unchecked", "rawtypes"})
    FnDataReceiver<WindowedValue<?>> receiver =
        (FnDataReceiver) bundle.getInputReceivers().values().iterator().next();
    mainReceiver = receiver;
  }

  /** The harness checkpointed splittable DoFns of the closing bundle (on this subtask's thread). */
  private void checkpointed(BeamFnApi.ProcessBundleResponse response) {
    try {
      residuals.add(response.getResidualRootsList(), context.currentProcessingTime());
    } catch (Exception e) {
      throw new IllegalStateException(spec.stepName() + ": could not read a residual of a splittable DoFn", e);
    }
  }

  private void emitReceived() throws Exception {
    Object[] entry;
    while ((entry = received.poll()) != null) {
      output((Integer) entry[0]).emit(entry[1]);
    }
  }

  /** Port 0 is the main input; the others are side inputs, which hold back the main input instead. */
  @Override
  public boolean boundsOutput(int port) {
    return port == 0;
  }

  /**
   * While a remote bundle is open its outputs are not all in yet, so what was promised before it
   * opened still stands.
   */
  @Override
  public long outputWatermark() {
    if (bundle == null && !timersPending) {
      long watermark = Math.min(timerWatermark(), residuals.hold());
      if (keys != null) {
        synchronized (lock) {
          watermark = keys.reportOutputWatermark(keys.holdBack(watermark));
        }
      }
      reportedWatermark = Math.max(reportedWatermark, watermark);
    }
    return reportedWatermark;
  }

  @Override
  public void finishBundle() throws Exception {
    closeBundle();
    if (keys != null) {
      synchronized (lock) {
        keys.commit();
      }
    }
    if (!context.isCheckpointing()) {
      finalizer.finalizeAllOutstandingBundles();
    }
  }

  /**
   * Everything a stage keeps on the runner's side: keyed user state, timers and the sort buffer in
   * its keyed state, side inputs and the input waiting for them, residuals of splittable DoFns. The
   * harness keeps nothing across bundles that a new one cannot do without (its caches are keyed by
   * a token this operator makes anew).
   */
  @Override
  public boolean isCheckpointable() {
    return keys == null || keys.isCheckpointable();
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
    if (finalizationSinceSnapshot) {
      finalizersInCheckpoint.put(out.checkpointId(), finalizer);
      finalizer = BundleFinalizationHandlers.inMemoryFinalizer(stageBundles.getInstructionRequestHandler());
      finalizationSinceSnapshot = false;
    }
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
    return finalizationSinceSnapshot || !finalizersInCheckpoint.isEmpty();
  }

  @Override
  public void checkpointComplete(long checkpointId) throws Exception {
    while (!finalizersInCheckpoint.isEmpty() && finalizersInCheckpoint.firstKey() <= checkpointId) {
      finalizersInCheckpoint.pollFirstEntry().getValue().finalizeAllOutstandingBundles();
    }
  }

  /** Ends the open remote bundle, if any: everything sent so far is processed and emitted. */
  private void closeBundle() throws Exception {
    if (bundle == null) {
      return;
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
    for (BeamFnApi.ProcessBundleResponse response : responses) {
      metrics.updateFromMonitoringInfos(stageMetrics.userMetricsOf(response), committedMetrics);
      finalizationSinceSnapshot |= response.getRequiresFinalization();
    }
  }

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
      try {
        if (stageBundles != null) {
          stageBundles.close();
        }
      } finally {
        try {
          if (sideInputs != null) {
            sideInputs.close();
          }
        } finally {
          if (keys != null) {
            synchronized (lock) {
              keys.close();
            }
          }
        }
      }
    }
  }
}
