package dev.millrace.runner.engine;

import dev.millrace.plan.Emitter;
import dev.millrace.plan.Link;
import dev.millrace.plan.Operator;
import dev.millrace.plan.OperatorContext;
import dev.millrace.plan.SourceOperator;
import dev.millrace.plan.Vertex;
import dev.millrace.plan.Watermarks;
import java.util.ArrayList;
import java.util.List;

/**
 * One parallel instance of a vertex, stepped by one worker thread: it feeds the vertex's operator chain from
 * its sources and its inbox, in bundles, and turns input watermarks into output watermarks.
 *
 * <p>A port's watermark is the minimum over the channels and upstream operators that feed it; an
 * operator sees a port's watermark only after every element before it was delivered. Output
 * watermarks leave through the edge writers after the bundle's elements were flushed, so a
 * consumer never sees an element behind a watermark that has passed it.
 */
final class Subtask {
  private final JobExecution job;
  private final Vertex vertex;
  private final int index;
  private final Inbox inbox;
  private final ExecutionSettings settings;
  private final Operator[] operators;
  private final boolean[] inBundle;
  private final long[][] portWatermarks;
  /** For each operator input port, the operators feeding it through links. */
  private final int[][][] upstreamOperators;
  /** For each channel of the inbox: operator and port it feeds. */
  private final int[] channelOperator;
  private final int[] channelPort;
  private final long[] channelWatermarks;
  /** For each operator input port, the channels feeding it. */
  private final int[][][] portChannels;
  private final List<EdgeWriter> writers;
  private final long[] lastOutputWatermark;
  private final boolean[] sourceDone;
  private int activeSources;
  private boolean opened;
  private int bundleElements;
  private long bundleStartMillis;
  private boolean anyBundleOpen;

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
    this.sourceDone = new boolean[n];
    for (int op = 0; op < n; op++) {
      int inputs = vertex.operators().get(op).inputs();
      portWatermarks[op] = new long[inputs];
      java.util.Arrays.fill(portWatermarks[op], Watermarks.MIN);
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
    this.channelWatermarks = new long[channels.size()];
    java.util.Arrays.fill(channelWatermarks, Watermarks.MIN);
  }

  String name() {
    return vertex.name() + "#" + index;
  }

  /** What one {@link #step()} achieved. */
  enum Step {
    /** Elements, watermarks or output moved: step again soon. */
    PROGRESS,
    /** Nothing to do right now (no input, or output blocked by full inboxes downstream). */
    IDLE,
    /** Every input is complete and every output watermark is END: the subtask is finished. */
    DONE
  }

  /**
   * Does a bounded amount of work without ever blocking on a queue: at most one bundle's worth of
   * input, and no new input at all while output waits for room downstream. A worker thread calls
   * this in turn for each of its subtasks.
   */
  Step step() throws Exception {
    if (!opened) {
      opened = true;
      open();
    }
    job.checkRunning();
    boolean progress = false;
    if (outputBlocked()) {
      for (EdgeWriter writer : writers) {
        progress |= writer.tryFlushOverflow();
      }
      if (outputBlocked()) {
        return progress ? Step.PROGRESS : Step.IDLE;
      }
    }
    for (int op = 0; op < operators.length && !outputBlocked(); op++) {
      if (!sourceDone[op]) {
        ensureBundle(op);
        int batch = settings.batchSize();
        if (!((SourceOperator) operators[op]).emit(batch)) {
          sourceDone[op] = true;
          activeSources--;
        }
        bundleElements += batch;
        progress = true;
      }
    }
    if (inbox != null) {
      Message message;
      while (bundleElements < settings.maxBundleSize() && !outputBlocked() && (message = inbox.poll()) != null) {
        handle(message);
        progress = true;
      }
    }
    long now = job.now();
    for (int op = 0; op < operators.length; op++) {
      if (operators[op].wantsProcessingTime()) {
        ensureBundle(op);
        operators[op].onProcessingTime(now);
      }
    }
    boolean inputIdle = activeSources == 0 && (inbox == null || inbox.isEmpty());
    if (anyBundleOpen || watermarksPending()) {
      if (inputIdle
          || bundleElements >= settings.maxBundleSize()
          || System.currentTimeMillis() - bundleStartMillis >= settings.maxBundleMillis()) {
        progress |= commit();
      }
    } else if (activeSources == 0 && finished() && !outputBlocked()) {
      return Step.DONE;
    }
    return progress ? Step.PROGRESS : Step.IDLE;
  }

  private boolean outputBlocked() {
    for (EdgeWriter writer : writers) {
      if (writer.isBlocked()) {
        return true;
      }
    }
    return false;
  }

  /** Closes every operator; returns the first error, added to {@code failure} if there was one. */
  Throwable close(Throwable failure) {
    for (Operator op : operators) {
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
      if (operators[op] instanceof SourceOperator) {
        activeSources++;
      } else {
        sourceDone[op] = true;
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
        emitters[port] = fanOut(targets);
      }
      String opName = vertex.operators().get(op).name();
      operators[op].open(new Context(opName, emitters));
    }
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
      }
      inBundle[op] = true;
      operators[op].startBundle();
    }
  }

  private void handle(Message message) throws Exception {
    if (message instanceof Message.Batch batch) {
      int c = batch.channel();
      int op = channelOperator[c];
      int port = channelPort[c];
      Object[] items = batch.items();
      for (int i = 0; i < batch.size(); i++) {
        deliver(op, port, items[i]);
      }
      bundleElements += batch.size();
    } else {
      Message.WatermarkAdvance advance = (Message.WatermarkAdvance) message;
      int c = advance.channel();
      if (advance.watermark() > channelWatermarks[c]) {
        channelWatermarks[c] = advance.watermark();
      }
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
   * Ends the bundle: finish, deliver watermarks until nothing moves, flush, send watermarks.
   * Returns whether anything moved.
   */
  private boolean commit() throws Exception {
    boolean moved = bundleElements > 0;
    finishBundles();
    while (propagateWatermarks()) {
      moved = true;
      finishBundles();
    }
    for (EdgeWriter writer : writers) {
      moved |= writer.advanceWatermark(lastOutputWatermark[writer.edge().from().operator()]);
    }
    bundleElements = 0;
    return moved;
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
    for (long wm : channelWatermarks) {
      if (wm != Watermarks.END) {
        return false;
      }
    }
    for (long wm : lastOutputWatermark) {
      if (wm != Watermarks.END) {
        return false;
      }
    }
    return true;
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
    public long currentProcessingTime() {
      return job.now();
    }
  }
}
