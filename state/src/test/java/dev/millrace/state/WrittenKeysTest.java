package dev.millrace.state;

import static org.hamcrest.MatcherAssert.assertThat;
import static org.hamcrest.Matchers.is;
import static org.hamcrest.Matchers.lessThan;

import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class WrittenKeysTest {
  private static byte[] key(String prefix, int i) {
    return (prefix + i).getBytes(StandardCharsets.UTF_8);
  }

  @Test
  void everyKeyAddedIsFoundAcrossLayersAndFewOthersAre() {
    WrittenKeys written = WrittenKeys.empty();
    int added = 600_000; // several layers: the first holds 65,536 keys
    for (int i = 0; i < added; i++) {
      written.add(key("written/", i));
    }
    for (int i = 0; i < added; i++) {
      if (!written.mayContain(key("written/", i))) {
        throw new AssertionError("lost key " + i);
      }
    }
    int falsePositives = 0;
    for (int i = 0; i < 100_000; i++) {
      if (written.mayContain(key("other/", i))) {
        falsePositives++;
      }
    }
    // About 1% per layer it has to ask.
    assertThat(falsePositives, lessThan(5_000));
  }

  @Test
  void aFilterThatNeverSawTheKeysSaysEveryKeyMayBeThere() {
    WrittenKeys unknown = WrittenKeys.unknown();
    unknown.add(key("k", 1));
    assertThat(unknown.mayContain(key("k", 2)), is(true));
  }

  @Test
  void aBackendReadsBackWhatItWroteAndRestoredKeysStillAnswer(@TempDir Path directory) {
    Path checkpoint = directory.resolve("chk");
    try (RocksDbStateBackend backend = RocksDbStateBackend.openTemporary()) {
      backend.put(key("a", 1), new byte[] {1});
      backend.putUnread(key("b", 1), new byte[] {2});
      backend.commit();
      assertThat(backend.getUncached(key("b", 1))[0], is((byte) 2));
      assertThat(backend.getUncached(key("b", 2)) == null, is(true));
      backend.checkpointTo(checkpoint);
    }
    try (RocksDbStateBackend restored = RocksDbStateBackend.restoreTemporary(checkpoint)) {
      assertThat(restored.getUncached(key("b", 1))[0], is((byte) 2));
      assertThat(restored.get(key("a", 1))[0], is((byte) 1));
    }
  }
}
