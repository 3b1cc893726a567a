package dev.millrace.translation;

import dev.millrace.plan.EdgeKind;
import dev.millrace.plan.KeyGroupFunction;
import dev.millrace.plan.KeyGroups;
import dev.millrace.plan.OperatorNode;
import dev.millrace.plan.PlanBuilder;
import dev.millrace.plan.PortRef;
import java.util.HashMap;
import java.util.Map;
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
  private final StateBackendKind stateBackend;
  private final Map<PCollection<?>, PortRef> producers = new HashMap<>();

  TranslationContext(
      PipelineOptions options,
      JobMetrics metrics,
      int parallelism,
      int maxKeyGroups,
      StateBackendKind stateBackend) {
    this.stateBackend = stateBackend;
    this.options = options;
    this.metrics = metrics;
    this.parallelism = parallelism;
    this.maxKeyGroups = maxKeyGroups;
  }

  public PipelineOptions options() {
    return options;
  }

  public JobMetrics metrics() {
    return metrics;
  }

  public StateBackendKind stateBackend() {
    return stateBackend;
  }

  public int parallelism() {
    return parallelism;
  }

  PlanBuilder plan() {
    return plan;
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

  /** Appends an operator to the vertex that produces {@code input}, fed by a direct call. */
  public PortRef fuse(PCollection<?> input, OperatorNode operator) {
    PortRef from = producerOf(input);
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

  /** Feeds {@code target} from {@code input} through an exchange. */
  public void exchange(PCollection<?> input, PortRef target, EdgeKind kind, KeyGroupFunction keyGroups) {
    exchange(producerOf(input), target, kind, keyGroups);
  }

  /** Feeds {@code target} from the output port {@code from} through an exchange. */
  public void exchange(PortRef from, PortRef target, EdgeKind kind, KeyGroupFunction keyGroups) {
    EdgeKind actual = kind;
    if (kind == EdgeKind.FORWARD && plan.parallelism(from.vertex()) != plan.parallelism(target.vertex())) {
      actual = EdgeKind.REBALANCE;
    }
    plan.edge(from, target, actual, keyGroups, maxKeyGroups);
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
