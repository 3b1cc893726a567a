package dev.millrace.state;

import static org.hamcrest.MatcherAssert.assertThat;
import static org.hamcrest.Matchers.equalTo;
import static org.hamcrest.Matchers.is;
import static org.hamcrest.Matchers.lessThan;
import static org.hamcrest.Matchers.nullValue;

import java.util.Arrays;
import org.apache.beam.runners.core.StateNamespaces;
import org.junit.jupiter.api.Test;

class StateKeysTest {

  @Test
  void varintLengthPrefixRoundTrips() {
    for (int length : new int[] {0, 1, 127, 128, 300, 16_384, 1_000_000}) {
      byte[] payload = new byte[length];
      byte[] prefixed = StateKeys.lengthPrefixed(payload);
      int[] span = StateKeys.lengthPrefixedAt(prefixed, 0);
      assertThat(span[1] - span[0], equalTo(length));
      assertThat(span[1], equalTo(prefixed.length));
    }
    assertThat(StateKeys.lengthPrefixed(new byte[127]).length, equalTo(128));
    assertThat(StateKeys.lengthPrefixed(new byte[128]).length, equalTo(130));
  }

  @Test
  void keyGroupIsTheFirstTwoBytesBigEndian() {
    byte[] key = StateKeys.inlineKeyPrefix(0x1234, new byte[] {9});
    assertThat(key[0], equalTo((byte) 0x12));
    assertThat(key[1], equalTo((byte) 0x34));
    assertThat(StateKeys.keyGroupOf(key), equalTo(0x1234));
  }

  @Test
  void stateKeyIsPrefixedByKeyAndNamespace() {
    byte[] keyPrefix = StateKeys.inlineKeyPrefix(3, new byte[] {1, 2});
    byte[] ns = StateKeys.namespacePrefix(keyPrefix, StateNamespaces.global());
    byte[] state = StateKeys.statePrefix(keyPrefix, StateNamespaces.global(), "id");
    byte[] cell = StateKeys.withSubKey(state, new byte[] {7});
    assertThat(StateKeys.hasPrefix(ns, keyPrefix), is(true));
    assertThat(StateKeys.hasPrefix(state, ns), is(true));
    assertThat(StateKeys.hasPrefix(cell, state), is(true));
    byte[] otherKey = StateKeys.inlineKeyPrefix(3, new byte[] {1, 2, 3});
    assertThat(StateKeys.hasPrefix(otherKey, keyPrefix), is(false));
  }

  @Test
  void inlineAndReferencedKeyComponentsAreSelfDelimiting() {
    byte[] inline = StateKeys.inlineKeyPrefix(1, new byte[] {1, 2, 3});
    int[] span = StateKeys.keyComponentAt(inline, 2);
    assertThat(span[2], equalTo(1));
    assertThat(Arrays.copyOfRange(inline, span[0], span[1]), equalTo(new byte[] {1, 2, 3}));
    byte[] reference = StateKeys.referenceKeyPrefix(1, -7L, 300);
    int[] ref = StateKeys.keyComponentAt(reference, 2);
    assertThat(ref[2], equalTo(0));
    assertThat(ref[1], equalTo(reference.length));
    // An empty inline key (tag 0) and a reference (tag 1) differ in their first byte.
    assertThat(
        StateKeys.hasPrefix(reference, StateKeys.inlineKeyPrefix(1, new byte[0])), is(false));
  }

  @Test
  void sortableMillisPreserveNumericOrder() {
    long[] ordered = {Long.MIN_VALUE, -1_000_000L, -1, 0, 1, 1_000_000L, Long.MAX_VALUE};
    for (int i = 0; i + 1 < ordered.length; i++) {
      byte[] a = StateKeys.sortableMillis(ordered[i]);
      byte[] b = StateKeys.sortableMillis(ordered[i + 1]);
      assertThat(Arrays.compareUnsigned(a, b), lessThan(0));
      assertThat(StateKeys.sortableMillisAt(a, 0), equalTo(ordered[i]));
    }
  }

  @Test
  void prefixEndIsTheNextPrefix() {
    assertThat(StateKeys.prefixEnd(new byte[] {1, 2}), equalTo(new byte[] {1, 3}));
    assertThat(StateKeys.prefixEnd(new byte[] {1, (byte) 0xFF}), equalTo(new byte[] {2}));
    assertThat(StateKeys.prefixEnd(new byte[] {(byte) 0xFF}), nullValue());
  }
}
