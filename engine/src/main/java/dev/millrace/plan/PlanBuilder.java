package dev.millrace.plan;

import java.util.ArrayList;
import java.util.List;

/** Builds a {@link Plan} one operator at a time, checking the shape as it goes. */
public final class PlanBuilder {
  private final List<VertexDraft> vertices = new ArrayList<>();
  private final List<Edge> edges = new ArrayList<>();

  private static final class VertexDraft {
    final String name;
    final int parallelism;
    final List<OperatorNode> operators = new ArrayList<>();
    final List<Link> links = new ArrayList<>();

    VertexDraft(String name, int parallelism) {
      this.name = name;
      this.parallelism = parallelism;
    }
  }

  /** Starts a new vertex and returns its id. */
  public int newVertex(String name, int parallelism) {
    if (parallelism < 1) {
      throw new IllegalArgumentException("parallelism must be at least 1, was " + parallelism);
    }
    vertices.add(new VertexDraft(name, parallelism));
    return vertices.size() - 1;
  }

  public int parallelism(int vertex) {
    return vertices.get(vertex).parallelism;
  }

  /** Appends an operator to a vertex's chain; returns its index in the chain. */
  public int addOperator(int vertex, OperatorNode operator) {
    VertexDraft draft = vertices.get(vertex);
    draft.operators.add(operator);
    return draft.operators.size() - 1;
  }

  /** Connects two operators of the same vertex with a direct call. */
  public void link(PortRef from, PortRef to) {
    if (from.vertex() != to.vertex()) {
      throw new IllegalArgumentException("a link stays inside one vertex: " + from + " -> " + to);
    }
    if (from.operator() >= to.operator()) {
      throw new IllegalArgumentException("links must follow chain order: " + from + " -> " + to);
    }
    checkPort(from, false);
    checkPort(to, true);
    vertices
        .get(from.vertex())
        .links
        .add(new Link(from.operator(), from.port(), to.operator(), to.port()));
  }

  /** Connects operators of two vertices through an exchange that passes elements as objects. */
  public void edge(
      PortRef from, PortRef to, EdgeKind kind, KeyGroupFunction keyGroups, int maxKeyGroups) {
    edge(from, to, kind, keyGroups, maxKeyGroups, null);
  }

  /** Connects operators of two vertices through an exchange; {@code codec} null passes objects. */
  public void edge(
      PortRef from,
      PortRef to,
      EdgeKind kind,
      KeyGroupFunction keyGroups,
      int maxKeyGroups,
      ElementCodec codec) {
    if (from.vertex() >= to.vertex()) {
      // Vertices are created in topological order, so this also rules out cycles.
      throw new IllegalArgumentException(
          "edges must point to a later vertex: " + from + " -> " + to);
    }
    if (kind == EdgeKind.HASH && keyGroups == null) {
      throw new IllegalArgumentException("a HASH edge needs a key-group function");
    }
    if (kind == EdgeKind.FORWARD && parallelism(from.vertex()) != parallelism(to.vertex())) {
      throw new IllegalArgumentException("a FORWARD edge joins vertices of equal parallelism");
    }
    checkPort(from, false);
    checkPort(to, true);
    edges.add(new Edge(edges.size(), from, to, kind, keyGroups, maxKeyGroups, codec));
  }

  private void checkPort(PortRef ref, boolean input) {
    OperatorNode op = vertices.get(ref.vertex()).operators.get(ref.operator());
    int ports = input ? op.inputs() : op.outputs();
    if (ref.port() < 0 || ref.port() >= ports) {
      throw new IllegalArgumentException(
          (input ? "input " : "output ") + ref + " does not exist on " + op.name());
    }
  }

  public Plan build() {
    List<Vertex> built = new ArrayList<>();
    for (int i = 0; i < vertices.size(); i++) {
      VertexDraft d = vertices.get(i);
      built.add(
          new Vertex(i, d.name, d.parallelism, List.copyOf(d.operators), List.copyOf(d.links)));
    }
    return new Plan(List.copyOf(built), List.copyOf(edges));
  }
}
