package dev.millrace.benchmarks.nexmark;

/** A Nexmark person: someone who sells or bids. */
public record Person(
    long id, String name, String email, String city, String state, long timestamp) {}
