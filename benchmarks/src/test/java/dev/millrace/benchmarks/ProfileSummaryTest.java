package dev.millrace.benchmarks;

import static org.hamcrest.MatcherAssert.assertThat;
import static org.hamcrest.Matchers.containsString;
import static org.hamcrest.Matchers.greaterThan;
import static org.hamcrest.Matchers.is;

import java.nio.file.Path;
import java.time.Duration;
import jdk.jfr.Recording;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

/** A real recording of a busy method: the summary finds it where the samples were. */
class ProfileSummaryTest {
  private static volatile long sink;

  /** Spins for about {@code millis}, in a frame of its own. */
  static void spinInBenchmarkCode(long millis) {
    long end = System.nanoTime() + millis * 1_000_000;
    long x = 1;
    while (System.nanoTime() < end) {
      for (int i = 0; i < 10_000; i++) {
        x = x * 31 + i;
      }
    }
    sink = x;
  }

  /** Records {@code events} every 10 ms while {@code work} runs, and counts the recording. */
  private static ProfileSummary.Counts recorded(Path file, Runnable work, String... events)
      throws Exception {
    try (Recording recording = new Recording()) {
      for (String event : events) {
        recording.enable(event).withPeriod(Duration.ofMillis(10));
      }
      recording.start();
      work.run();
      recording.stop();
      recording.dump(file);
    }
    return ProfileSummary.read(file);
  }

  @Test
  @Timeout(60)
  void theBusyMethodLeadsTheSelfSamples(@TempDir Path dir) throws Exception {
    ProfileSummary.Counts counts =
        recorded(dir.resolve("busy.jfr"), () -> spinInBenchmarkCode(1500), "jdk.ExecutionSample");
    assertThat(counts.samples(), greaterThan(20));
    String busy = ProfileSummaryTest.class.getName() + ".spinInBenchmarkCode";
    assertThat(
        "most samples are in the busy method",
        counts.self().getOrDefault(busy, 0) * 2,
        greaterThan(counts.samples()));
    assertThat(ProfileSummary.familyOf(busy), is("benchmark queries"));
    assertThat(ProfileSummary.familyOf("org.rocksdb.RocksDB.get"), is("RocksDB (JNI)"));
    assertThat(ProfileSummary.markdown(counts, 5), containsString("`" + busy + "`"));
  }

  /** Compresses random bytes for about {@code millis}: the time goes to zlib, behind JNI. */
  static void deflateInNativeCode(long millis) {
    byte[] input = new byte[1 << 20];
    new java.util.Random(7).nextBytes(input);
    byte[] output = new byte[1 << 21];
    long end = System.nanoTime() + millis * 1_000_000;
    while (System.nanoTime() < end) {
      java.util.zip.Deflater deflater = new java.util.zip.Deflater(9);
      deflater.setInput(input);
      deflater.finish();
      while (!deflater.finished()) {
        deflater.deflate(output);
      }
      deflater.end();
    }
  }

  @Test
  @Timeout(60)
  void samplesInNativeCodeCountToo(@TempDir Path dir) throws Exception {
    ProfileSummary.Counts counts =
        recorded(
            dir.resolve("native.jfr"),
            () -> deflateInNativeCode(1500),
            "jdk.ExecutionSample",
            "jdk.NativeMethodSample");
    assertThat(counts.nativeSamples(), greaterThan(20));
    String deflate = ProfileSummaryTest.class.getName() + ".deflateInNativeCode";
    // Threads that wait in native code (Surefire's reader of its input) are sampled too.
    assertThat(
        "samples in zlib, under the deflating method",
        counts.total().getOrDefault(deflate, 0),
        greaterThan(20));
    assertThat(ProfileSummary.markdown(counts, 5), containsString(" of them in native code"));
  }
}
