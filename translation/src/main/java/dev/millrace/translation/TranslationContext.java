package dev.millrace.translation;

import dev.millrace.plan.EdgeKind;
import dev.millrace.plan.ElementCodec;
import dev.millrace.plan.KeyGroupFunction;
import dev.millrace.plan.KeyGroups;
import dev.millrace.plan.OperatorNode;
import dev.millrace.plan.PlanBuilder;
import dev.millrace.plan.PortRef;
import dev.millrace.state.MemoryBudget;
import dev.millrace.state.backend.StateBackend;
import dev.millrace.translation.metrics.JobMetrics;
import java.util.HashMap;
import java.util.HashSet;
import java.util.Map;
import java.util.Set;
import org.apache.beam.sdk.coders.Coder;
import org.apache.beam.sdk.options.PipelineOptions;
import org.apache.beam.sdk.util.CoderUtils;
import org.apache.beam.sdk.util.WindowedValue;
import org.apache.beam.sdk.values.KV;
import org.apache.beam.sdk.values.PCollection;

/** What translators share while one pipeline becomes one plan. */
public final class TranslationContext {
  private final PlanBuilder plan = new PlanBuilder();
  private final PipelineOptions options;
  private final JobMetrics metrics;
  private final int parallelism;
  private final int maxKeyGroups;
  private final StateBackend stateBackend;
  private final boolean streaming;
  private final Map<PCollection<?>, PortRef> producers = new HashMap<>();
  private final Set<PCollection<?>> unwrappedKeyedWorkItems = new HashSet<>();
  private final Map<PCollection<?>, PortRef> sideInputSources = new HashMap<>();
  private final MemoryBudget groupingMemory;

  /**
   * A context for one job's translation; the classic and the portable translators each keep their
   * own map from their PCollections to the ports that produce them.
   */
  public TranslationContext(
      PipelineOptions options,
      JobMetrics metrics,
      int parallelism,
      int maxKeyGroups,
      StateBackend stateBackend,
      boolean streaming) {
    this.stateBackend = stateBackend;
    this.streaming = streaming;
    this.options = options;
    this.metrics = metrics;
    this.parallelism = parallelism;
    this.maxKeyGroups = maxKeyGroups;
    this.groupingMemory = new MemoryBudget(GroupingOptions.groupingMemoryBytes(options));
  }

  /** What the job's batch groupings may hold on the heap together, before they spill. */
  public MemoryBudget groupingMemory() {
    return groupingMemory;
  }

  /**
   * Where main input waiting for side inputs may be held on the heap, before it spills: the same
   * budget as the groupings' in batch jobs; null in streaming jobs, which keep it on the heap with
   * heap state (their checkpoints write it out) and on disk with RocksDB.
   */
  public MemoryBudget waitingMemory() {
    return streaming ? null : groupingMemory;
  }

  public PipelineOptions options() {
    return options;
  }

  public JobMetrics metrics() {
    return metrics;
  }

  public StateBackend stateBackend() {
    return stateBackend;
  }

  public int parallelism() {
    return parallelism;
  }

  /**
   * True for a streaming job: unbounded input, or {@code --streaming=true}. Every operator then
   * works the streaming way (ReduceFnRunner per key, no grouping once at the end).
   */
  public boolean streaming() {
    return streaming;
  }

  /** {@code pc} is a GBKIntoKeyedWorkItems output whose elements are still plain keyed pairs. */
  public void markUnwrappedKeyedWorkItems(PCollection<?> pc) {
    unwrappedKeyedWorkItems.add(pc);
  }

  public boolean isUnwrappedKeyedWorkItems(PCollection<?> pc) {
    return unwrappedKeyedWorkItems.contains(pc);
  }

  public PlanBuilder plan() {
    return plan;
  }

  /** Parallelism of the vertex that holds {@code port}. */
  public int parallelismOf(PortRef port) {
    return plan.parallelism(port.vertex());
  }

  /** The plan built so far. */
  public dev.millrace.plan.Plan buildPlan() {
    return plan.build();
  }

  /** The output port that produces {@code pc}. */
  public PortRef producerOf(PCollection<?> pc) {
    PortRef ref = producers.get(pc);
    if (ref == null) {
      throw new IllegalStateException("no producer translated yet for " + pc);
    }
    return ref;
  }

  public void setProducer(PCollection<?> pc, PortRef ref) {
    producers.put(pc, ref);
  }

  public void setSideInputSource(PCollection<?> pc, PortRef panes) {
    sideInputSources.put(pc, panes);
  }

  /** Appends an operator to the vertex that produces {@code input}, fed by a direct call. */
  public PortRef fuse(PCollection<?> input, OperatorNode operator) {
    return fuse(producerOf(input), operator);
  }

  /** Appends an operator to the vertex of the output port {@code from}, fed by a direct call. */
  public PortRef fuse(PortRef from, OperatorNode operator) {
    int op = plan.addOperator(from.vertex(), operator);
    PortRef in = new PortRef(from.vertex(), op, 0);
    plan.link(from, in);
    return in;
  }

  /** Starts a vertex whose first operator is {@code operator}; returns its input port 0. */
  public PortRef startVertex(String name, int vertexParallelism, OperatorNode operator) {
    int vertex = plan.newVertex(name, vertexParallelism);
    int op = plan.addOperator(vertex, operator);
    return new PortRef(vertex, op, 0);
  }

  /**
   * Feeds {@code target} from {@code input} through an exchange its elements cross encoded by its
   * coder.
   */
  public void exchange(
      PCollection<?> input, PortRef target, EdgeKind kind, KeyGroupFunction keyGroups) {
    exchange(producerOf(input), target, kind, keyGroups, CoderElementCodec.of(input));
  }

  /**
   * Feeds the side input {@code target} from the elements of {@code view}'s collection, or from the
   * panes of its triggered view: those were decoded by the exchange into the operator that fires
   * them, and only ever read, so they pass as objects.
   */
  public void sideInputExchange(PCollection<?> view, PortRef target) {
    PortRef panes = sideInputSources.get(view);
    if (panes == null) {
      exchange(view, target, EdgeKind.BROADCAST, null);
    } else {
      exchange(panes, target, EdgeKind.BROADCAST, null, null);
    }
  }

  /**
   * Feeds {@code target} from the output port {@code from} through an exchange whose elements cross
   * it encoded by {@code codec}; null passes them as objects, for elements that are neither the
   * user's nor changed after they leave (say why where you pass it).
   */
  public void exchange(
      PortRef from, PortRef target, EdgeKind kind, KeyGroupFunction keyGroups, ElementCodec codec) {
    EdgeKind actual = kind;
    if (kind == EdgeKind.FORWARD
        && plan.parallelism(from.vertex()) != plan.parallelism(target.vertex())) {
      actual = EdgeKind.REBALANCE;
    }
    plan.edge(from, target, actual, keyGroups, maxKeyGroups, codec);
  }

  /** Key groups of {@code WindowedValue<KV<K, ?>>} elements, by the key's encoding. */
  public <K> KeyGroupFunction keyGroupsOf(Coder<K> keyCoder) {
    int max = maxKeyGroups;
    return element -> {
      @SuppressWarnings("unchecked")
      K key = ((KV<K, ?>) ((WindowedValue<?>) element).getValue()).getKey();
      return KeyGroups.keyGroupOf(CoderUtils.encodeToByteArray(keyCoder, key), max);
    };
  }
}
