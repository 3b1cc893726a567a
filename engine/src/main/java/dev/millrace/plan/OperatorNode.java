package dev.millrace.plan;

/** One operator of a vertex's chain, with the number of its input and output ports. */
public record OperatorNode(String name, OperatorFactory factory, int inputs, int outputs) {}
