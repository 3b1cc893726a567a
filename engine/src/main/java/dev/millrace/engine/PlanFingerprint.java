package dev.millrace.engine;

import dev.millrace.plan.Edge;
import dev.millrace.plan.Link;
import dev.millrace.plan.OperatorNode;
import dev.millrace.plan.Plan;
import dev.millrace.plan.Vertex;
import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.HexFormat;

/**
 * Names a plan's shape in a checkpoint's metadata, so a job resumes only a checkpoint of the same
 * plan: vertices with their parallelism, operators with their names and links, edges with their
 * ends and kind. It is built from those fields in a text of its own, not from {@link
 * Plan#explain()}, so the printout can change without making every checkpoint unresumable. The text
 * must never change: a test pins the fingerprint of a known plan, and a change needs a new
 * checkpoint format version that still reads the old one.
 */
public final class PlanFingerprint {
  private PlanFingerprint() {}

  /** The plan's fingerprint: 32 hex digits. */
  public static String of(Plan plan) {
    try {
      byte[] digest =
          MessageDigest.getInstance("SHA-256").digest(text(plan).getBytes(StandardCharsets.UTF_8));
      return HexFormat.of().formatHex(digest, 0, 16);
    } catch (NoSuchAlgorithmException e) {
      throw new IllegalStateException(e);
    }
  }

  /** The frozen text behind the fingerprint (format version 1). */
  static String text(Plan plan) {
    StringBuilder out = new StringBuilder();
    for (Vertex vertex : plan.vertices()) {
      out.append('v').append(vertex.id()).append(' ').append(vertex.name());
      out.append(" [parallelism ").append(vertex.parallelism()).append("]\n");
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
    for (Edge edge : plan.edges()) {
      out.append("edge ");
      port(out, edge.from().vertex(), edge.from().operator(), edge.from().port());
      out.append(" -> ");
      port(out, edge.to().vertex(), edge.to().operator(), edge.to().port());
      out.append(' ').append(edge.kind().name()).append('\n');
    }
    return out.toString();
  }

  private static void port(StringBuilder out, int vertex, int operator, int port) {
    out.append('v').append(vertex).append(".op").append(operator).append(':').append(port);
  }
}
