package dev.millrace.runner;

import java.util.ArrayList;
import java.util.List;

/** Runner tests check that no job leaves a thread behind. */
public final class EngineThreads {
  private EngineThreads() {}

  /** Names of Millrace threads still alive after waiting up to five seconds for each. */
  public static List<String> live() throws InterruptedException {
    List<String> live = new ArrayList<>();
    for (Thread t : Thread.getAllStackTraces().keySet()) {
      if (t.getName().startsWith("millrace-")) {
        t.join(5_000);
        if (t.isAlive()) {
          live.add(t.getName());
        }
      }
    }
    return live;
  }
}
