package dev.millrace.plan;

import java.util.List;

/**
 * A chain of operators fused to run together on one thread per subtask. Operators are listed in
 * topological order: links only go from an earlier operator to a later one.
 */
public record Vertex(
    int id, String name, int parallelism, List<OperatorNode> operators, List<Link> links) {}
