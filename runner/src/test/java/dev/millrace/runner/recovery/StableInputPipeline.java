package dev.millrace.runner.recovery;

import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.atomic.AtomicInteger;
import org.apache.beam.sdk.Pipeline;
import org.apache.beam.sdk.io.Read;
import org.apache.beam.sdk.transforms.DoFn;
import org.apache.beam.sdk.transforms.ParDo;
import org.apache.beam.sdk.values.KV;

/**
 * A nondeterministic step (it tags each record with the job's attempt, and fails once, at record
 * 2500) before a DoFn annotated {@code @RequiresStableInput} that notes each record's tag. Run in
 * this JVM (the Java runner, or the job server with an EMBEDDED harness): the notes are static.
 */
public final class StableInputPipeline {
  public static final long RECORDS = 3000;
  private static final AtomicInteger FAILURES = new AtomicInteger();

  /** Per record: the tag the stable DoFn first saw it with. */
  private static final Map<Long, Integer> SEEN = new ConcurrentHashMap<>();

  private static final List<String> CONFLICTS = new CopyOnWriteArrayList<>();

  private StableInputPipeline() {}

  public static void build(Pipeline pipeline) {
    FAILURES.set(0);
    SEEN.clear();
    CONFLICTS.clear();
    pipeline
        .apply(Read.from(new ThrottledCountingSource(RECORDS, 2000)))
        .apply("Tag", ParDo.of(new TagWithAttempt()))
        .apply("Record", ParDo.of(new StableRecorder()));
  }

  /** Times the tagging step failed (once, then it lets record 2500 through). */
  public static int failures() {
    return FAILURES.get();
  }

  /** Records the stable step saw. */
  public static int seen() {
    return SEEN.size();
  }

  /** Records the stable step saw with two different tags, described. */
  public static List<String> conflicts() {
    return List.copyOf(CONFLICTS);
  }

  /** A short description of {@link #conflicts()} for an assertion's message. */
  public static String describeConflicts() {
    List<String> all = conflicts();
    return all.size()
        + " records reached the stable step tagged two ways, e.g. "
        + all.subList(0, Math.min(3, all.size()));
  }

  /** Tags each record with the attempt it is read in; fails once, at record 2500. */
  static final class TagWithAttempt extends DoFn<Long, KV<Long, Integer>> {
    @ProcessElement
    public void process(@Element Long x, OutputReceiver<KV<Long, Integer>> out) {
      if (x == 2500 && FAILURES.getAndIncrement() == 0) {
        throw new IllegalStateException("record 2500 failed");
      }
      out.output(KV.of(x, FAILURES.get()));
    }
  }

  /** Stands for a sink that must never write a record two different ways. */
  static final class StableRecorder extends DoFn<KV<Long, Integer>, Void> {
    @ProcessElement
    @RequiresStableInput
    public void process(@Element KV<Long, Integer> tagged) {
      Integer first = SEEN.putIfAbsent(tagged.getKey(), tagged.getValue());
      if (first != null && !first.equals(tagged.getValue())) {
        CONFLICTS.add(
            "record " + tagged.getKey() + " came tagged " + first + ", then " + tagged.getValue());
      }
    }
  }
}
