package dev.millrace.state;

import static org.hamcrest.MatcherAssert.assertThat;
import static org.hamcrest.Matchers.contains;
import static org.hamcrest.Matchers.empty;
import static org.hamcrest.Matchers.equalTo;
import static org.junit.jupiter.api.Assertions.assertThrows;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class SpillQueueTest {

  private static byte[] record(int i) {
    return ("record-" + i).getBytes(java.nio.charset.StandardCharsets.UTF_8);
  }

  private static String text(byte[] record) {
    return new String(record, java.nio.charset.StandardCharsets.UTF_8);
  }

  private static long spillDirectories() throws Exception {
    try (Stream<Path> dirs = Files.list(Path.of(System.getProperty("java.io.tmpdir")))) {
      return dirs.filter(p -> p.getFileName().toString().startsWith("millrace-spill-")).count();
    }
  }

  @Test
  void recordsComeBackInOrderOnce() throws Exception {
    try (SpillQueue queue = new SpillQueue()) {
      for (int i = 0; i < 3; i++) {
        queue.append(record(i));
      }
      queue.append(new byte[0]);
      List<String> seen = new ArrayList<>();
      queue.drain(r -> seen.add(text(r)));
      assertThat(seen, contains("record-0", "record-1", "record-2", ""));
      assertThat(queue.size(), equalTo(0L));
      List<String> again = new ArrayList<>();
      queue.drain(r -> again.add(text(r)));
      assertThat(again, empty());
    }
  }

  @Test
  void recordsAppendedDuringADrainWaitForTheNext() throws Exception {
    try (SpillQueue queue = new SpillQueue()) {
      queue.append(record(1));
      queue.append(record(2));
      List<String> first = new ArrayList<>();
      queue.drain(
          r -> {
            first.add(text(r));
            queue.append(r); // not ready yet: back into the queue
          });
      assertThat(first, contains("record-1", "record-2"));
      assertThat(queue.size(), equalTo(2L));
      List<String> second = new ArrayList<>();
      queue.drain(r -> second.add(text(r)));
      assertThat(second, contains("record-1", "record-2"));
    }
  }

  @Test
  void closeRemovesTheFiles() throws Exception {
    long before = spillDirectories();
    SpillQueue queue = new SpillQueue();
    queue.append(record(1));
    assertThat(spillDirectories(), equalTo(before + 1));
    queue.close();
    assertThat(spillDirectories(), equalTo(before));
    assertThrows(IllegalStateException.class, () -> queue.append(record(2)));
  }

  @Test
  void aSnapshotKeepsTheRecordsNotYetDrainedAndLeavesTheQueueAsItWas(@TempDir Path checkpoint)
      throws Exception {
    Path snapshot = checkpoint.resolve("pushback");
    try (SpillQueue queue = new SpillQueue()) {
      queue.append(record(1));
      queue.drain(r -> {});
      queue.append(record(2));
      queue.append(record(3));
      queue.snapshotTo(snapshot);
      queue.append(record(4)); // after the snapshot: not in it
      List<String> drained = new ArrayList<>();
      queue.drain(r -> drained.add(text(r)));
      assertThat(drained, contains("record-2", "record-3", "record-4"));
    }
    // The queue is gone, its files with it; the snapshot's links still hold the records.
    try (SpillQueue restored = new SpillQueue()) {
      restored.append(record(0));
      restored.restoreFrom(snapshot);
      assertThat(restored.size(), equalTo(3L));
      List<String> seen = new ArrayList<>();
      restored.drain(r -> seen.add(text(r)));
      assertThat(seen, contains("record-0", "record-2", "record-3"));
    }
    try (SpillQueue again = new SpillQueue()) {
      again.restoreFrom(snapshot);
      List<String> seen = new ArrayList<>();
      again.drain(r -> seen.add(text(r)));
      assertThat("a restore leaves the snapshot as it was", seen, contains("record-2", "record-3"));
    }
  }
}
