package dev.millrace.plan;

import static org.hamcrest.MatcherAssert.assertThat;
import static org.hamcrest.Matchers.is;
import static org.hamcrest.Matchers.lessThanOrEqualTo;

import com.google.common.hash.Hashing;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.util.Random;
import org.junit.jupiter.api.Test;

class KeyGroupsTest {

  @Test
  void hashIsMurmur3() {
    Random random = new Random(42);
    for (int i = 0; i < 10_000; i++) {
      byte[] data = new byte[random.nextInt(40)];
      random.nextBytes(data);
      assertThat(
          KeyGroups.murmur3(data),
          is(Hashing.murmur3_32_fixed(0x9747b28c).hashBytes(data).asInt()));
    }
  }

  /**
   * Pinned: key groups address state on disk, so a change here would lose every key's state on
   * restart. Change these only together with the state layout version.
   */
  @Test
  void keyGroupsOfKnownKeysNeverChange() {
    assertThat(group(""), is(40));
    assertThat(group("a"), is(38));
    assertThat(group("millrace"), is(50));
    assertThat(group("key-7"), is(26));
    assertThat(group("hello world"), is(96));
  }

  @Test
  void keysSpreadEvenlyOverGroups() {
    int[] perGroup = new int[128];
    for (int i = 0; i < 128_000; i++) {
      perGroup[KeyGroups.keyGroupOf(ByteBuffer.allocate(4).putInt(i).array(), 128)]++;
    }
    for (int count : perGroup) {
      assertThat(Math.abs(count - 1000), lessThanOrEqualTo(200));
    }
  }

  private static int group(String key) {
    return KeyGroups.keyGroupOf(key.getBytes(StandardCharsets.UTF_8), 128);
  }
}
