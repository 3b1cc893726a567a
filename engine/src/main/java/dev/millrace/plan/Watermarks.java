package dev.millrace.plan;

/** Watermark values the engine understands. */
public final class Watermarks {
  /** Nothing is known about the input yet. */
  public static final long MIN = Long.MIN_VALUE;

  /** The input is complete. */
  public static final long END = Long.MAX_VALUE;

  private Watermarks() {}
}
