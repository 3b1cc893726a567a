package dev.millrace.plan;

/** A direct call inside a vertex: an output port of one operator feeds an input of a later one. */
public record Link(int fromOperator, int fromPort, int toOperator, int toPort) {}
