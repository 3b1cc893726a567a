package dev.millrace.benchmarks.nexmark;

/** A Nexmark auction opened by {@code seller}. */
public record Auction(
    long id,
    String itemName,
    String description,
    long initialBid,
    long reserve,
    long timestamp,
    long expires,
    long seller,
    int category) {}
