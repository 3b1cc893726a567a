package dev.millrace.benchmarks.nexmark;

/** A Nexmark bid of {@code bidder} on {@code auction}; price in cents. */
public record Bid(long auction, long bidder, long price, long timestamp) {}
