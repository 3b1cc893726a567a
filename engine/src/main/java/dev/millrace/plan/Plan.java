package dev.millrace.plan;

import java.util.List;

/** A job as the engine sees it: plain data, printable with {@link #explain()}. */
public record Plan(List<Vertex> vertices, List<Edge> edges) {

  /** Names the operators on both sides of {@code edge}, for errors: "from Read to Count". */
  public String describe(Edge edge) {
    return "from "
        + vertices.get(edge.from().vertex()).operators().get(edge.from().operator()).name()
        + " to "
        + vertices.get(edge.to().vertex()).operators().get(edge.to().operator()).name();
  }

  public String explain() {
    StringBuilder out = new StringBuilder();
    for (Vertex vertex : vertices) {
      out.append("v")
          .append(vertex.id())
          .append(' ')
          .append(vertex.name())
          .append(" [parallelism ")
          .append(vertex.parallelism())
          .append("]\n");
      for (int i = 0; i < vertex.operators().size(); i++) {
        OperatorNode op = vertex.operators().get(i);
        out.append("  op").append(i).append(' ').append(op.name());
        for (Link link : vertex.links()) {
          if (link.toOperator() == i) {
            out.append(" <- op").append(link.fromOperator()).append(':').append(link.fromPort());
          }
        }
        out.append('\n');
      }
    }
    for (Edge edge : edges) {
      out.append("edge ")
          .append(edge.from())
          .append(" -> ")
          .append(edge.to())
          .append(' ')
          .append(edge.kind());
      if (edge.kind() == EdgeKind.HASH) {
        out.append(", ").append(edge.maxKeyGroups()).append(" key groups");
      }
      out.append(edge.codec() != null ? ", encoded" : ", as objects").append('\n');
    }
    return out.toString();
  }
}
