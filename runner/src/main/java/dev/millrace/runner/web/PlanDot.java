package dev.millrace.runner.web;

import dev.millrace.runner.monitor.JobViews;
import dev.millrace.runner.monitor.MonitoredJob;

/** A job's fused plan in Graphviz's DOT: one box per vertex, its transforms listed in it. */
final class PlanDot {
  private PlanDot() {}

  static String of(MonitoredJob job) {
    JobViews.PlanView plan = JobViews.plan(job);
    StringBuilder dot = new StringBuilder();
    dot.append("digraph \"").append(quote(job.id())).append("\" {\n");
    dot.append("  rankdir=LR;\n  node [shape=box, fontname=\"monospace\"];\n");
    for (JobViews.VertexPlan vertex : plan.vertices()) {
      StringBuilder label = new StringBuilder();
      label.append('v').append(vertex.id()).append(" x").append(vertex.parallelism());
      for (String transform : vertex.transforms()) {
        label.append("\\n").append(quote(transform));
      }
      dot.append("  v").append(vertex.id()).append(" [label=\"").append(label).append("\"];\n");
    }
    for (JobViews.EdgePlan edge : plan.edges()) {
      dot.append("  v")
          .append(edge.from())
          .append(" -> v")
          .append(edge.to())
          .append(" [label=\"")
          .append(edge.partitioning())
          .append(edge.keyGroups() > 0 ? " (" + edge.keyGroups() + " key groups)" : "")
          .append("\"];\n");
    }
    return dot.append("}\n").toString();
  }

  private static String quote(String s) {
    return s.replace("\\", "\\\\").replace("\"", "\\\"");
  }
}
