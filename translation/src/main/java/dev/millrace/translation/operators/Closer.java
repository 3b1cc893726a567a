package dev.millrace.translation.operators;

/**
 * Closes several resources, each even when another failed: the first failure is thrown, the rest
 * suppressed.
 */
public final class Closer {
  private Closer() {}

  /** Closes every non-null resource, in order. */
  public static void closeAll(AutoCloseable... resources) throws Exception {
    Exception failure = null;
    for (AutoCloseable resource : resources) {
      if (resource == null) {
        continue;
      }
      try {
        resource.close();
      } catch (Exception e) {
        if (failure == null) {
          failure = e;
        } else {
          failure.addSuppressed(e);
        }
      }
    }
    if (failure != null) {
      throw failure;
    }
  }
}
