package dev.millrace.benchmarks;

import java.io.IOException;
import java.nio.file.Path;
import java.util.HashMap;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.function.Predicate;
import jdk.jfr.consumer.RecordedEvent;
import jdk.jfr.consumer.RecordedFrame;
import jdk.jfr.consumer.RecordedMethod;
import jdk.jfr.consumer.RecordingFile;

/**
 * The top frames of a JDK Flight Recorder recording's CPU samples, as markdown: where the samples
 * were (self), which methods were on the stack (total), and, per package family, the share of
 * samples whose innermost frame of that family it was. Samples of threads in native code ({@code
 * jdk.NativeMethodSample}: RocksDB's own work, behind JNI) count with those in Java code ({@code
 * jdk.ExecutionSample}); JFR takes them apart, and without them a RocksDB job's profile left out
 * the database. A thread that waits in native code (a socket read) is sampled as it waits: read the
 * native share by method, not as busy time. Issue 24 asks for these per query in {@code results/},
 * so that profiles, not guesses, pick the work.
 *
 * <p>Usage: {@code ProfileSummary <recording.jfr> [top]}
 */
public final class ProfileSummary {
  /** Counts per method, and of samples (those in native code among them). */
  record Counts(
      int samples, int nativeSamples, Map<String, Integer> self, Map<String, Integer> total) {}

  /** The package families the summary tells apart, first match wins. */
  static final Map<String, Predicate<String>> FAMILIES = new LinkedHashMap<>();

  static {
    FAMILIES.put("RocksDB (JNI)", m -> m.startsWith("org.rocksdb."));
    FAMILIES.put("Millrace engine", m -> m.startsWith("dev.millrace.engine."));
    FAMILIES.put("Millrace state", m -> m.startsWith("dev.millrace.state."));
    FAMILIES.put("Millrace translation", m -> m.startsWith("dev.millrace.translation."));
    FAMILIES.put("Beam runners-core", m -> m.startsWith("org.apache.beam.runners.core."));
    FAMILIES.put("Beam coders", m -> m.startsWith("org.apache.beam.sdk.coders."));
    FAMILIES.put("Beam SDK (other)", m -> m.startsWith("org.apache.beam."));
    FAMILIES.put("benchmark queries", m -> m.startsWith("dev.millrace.benchmarks."));
    FAMILIES.put("JDK", m -> m.startsWith("java.") || m.startsWith("jdk.") || m.startsWith("sun."));
  }

  private ProfileSummary() {}

  public static void main(String[] args) throws IOException {
    if (args.length < 1) {
      System.err.println("usage: ProfileSummary <recording.jfr> [top]");
      System.exit(2);
    }
    int top = args.length > 1 ? Integer.parseInt(args[1]) : 25;
    System.out.print(markdown(read(Path.of(args[0])), top));
  }

  /** Counts the recording's execution samples. */
  static Counts read(Path recording) throws IOException {
    Map<String, Integer> self = new HashMap<>();
    Map<String, Integer> total = new HashMap<>();
    int samples = 0;
    int nativeSamples = 0;
    for (RecordedEvent event : RecordingFile.readAllEvents(recording)) {
      String type = event.getEventType().getName();
      boolean inNative = type.equals("jdk.NativeMethodSample");
      if (!(inNative || type.equals("jdk.ExecutionSample")) || event.getStackTrace() == null) {
        continue;
      }
      List<RecordedFrame> frames = event.getStackTrace().getFrames();
      if (frames.isEmpty()) {
        continue;
      }
      samples++;
      if (inNative) {
        nativeSamples++;
      }
      self.merge(name(frames.get(0).getMethod()), 1, Integer::sum);
      Set<String> seen = new HashSet<>();
      for (RecordedFrame frame : frames) {
        String name = name(frame.getMethod());
        if (seen.add(name)) {
          total.merge(name, 1, Integer::sum);
        }
      }
    }
    return new Counts(samples, nativeSamples, self, total);
  }

  static String name(RecordedMethod method) {
    return method.getType().getName() + "." + method.getName();
  }

  /** The family of a method, or "other". */
  static String familyOf(String method) {
    for (Map.Entry<String, Predicate<String>> family : FAMILIES.entrySet()) {
      if (family.getValue().test(method)) {
        return family.getKey();
      }
    }
    return "other";
  }

  static String markdown(Counts counts, int top) {
    StringBuilder out = new StringBuilder();
    out.append(counts.samples())
        .append(" CPU samples, ")
        .append(counts.nativeSamples())
        .append(" of them in native code.\n\n");
    Map<String, Integer> families = new LinkedHashMap<>();
    counts.self().forEach((method, n) -> families.merge(familyOf(method), n, Integer::sum));
    out.append("| where the samples were (self), by family | share |\n|---|---:|\n");
    families.entrySet().stream()
        .sorted(Map.Entry.<String, Integer>comparingByValue().reversed())
        .forEach(e -> row(out, e.getKey(), e.getValue(), counts.samples()));
    out.append("\n| top methods, self | share |\n|---|---:|\n");
    counts.self().entrySet().stream()
        .sorted(Map.Entry.<String, Integer>comparingByValue().reversed())
        .limit(top)
        .forEach(e -> row(out, "`" + e.getKey() + "`", e.getValue(), counts.samples()));
    out.append("\n| top methods on the stack (Millrace and Beam), total | share |\n|---|---:|\n");
    counts.total().entrySet().stream()
        .filter(e -> e.getKey().startsWith("dev.millrace.") || e.getKey().startsWith("org."))
        .sorted(Map.Entry.<String, Integer>comparingByValue().reversed())
        .limit(top)
        .forEach(e -> row(out, "`" + e.getKey() + "`", e.getValue(), counts.samples()));
    return out.toString();
  }

  private static void row(StringBuilder out, String what, int n, int samples) {
    out.append(String.format("| %s | %.1f%% |%n", what, 100.0 * n / Math.max(1, samples)));
  }
}
