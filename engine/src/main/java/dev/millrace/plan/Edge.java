package dev.millrace.plan;

/**
 * Carries one operator output of one vertex to one operator input of another vertex; with a {@code
 * codec}, elements cross it encoded (see {@link ElementCodec}), else as objects.
 */
public record Edge(
    int id,
    PortRef from,
    PortRef to,
    EdgeKind kind,
    KeyGroupFunction keyGroups,
    int maxKeyGroups,
    ElementCodec codec) {}
