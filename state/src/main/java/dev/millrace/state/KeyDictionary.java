package dev.millrace.state;

import java.util.Arrays;
import java.util.List;
import java.util.zip.CRC32;
import java.util.zip.CRC32C;

/**
 * Stands in for keys longer than {@link StateKeys#INLINE_KEY_LIMIT}: such a key is stored once,
 * under {@code [0x96][key group][8-byte hash][varint collision index]}, and every state cell and
 * timer of the key carries only the short reference {@code hash, index}. Entries are written
 * through the backend's batch, so a discarded bundle drops the entries it created along with its
 * state.
 *
 * <p>Entries are never removed: a key whose state is cleared keeps its entry, so a job that sees
 * many distinct huge keys grows its dictionary on disk (never in memory) until the job ends.
 */
final class KeyDictionary {
  static final byte PREFIX = (byte) 0x96;

  private final RocksDbStateBackend backend;

  KeyDictionary(RocksDbStateBackend backend) {
    this.backend = backend;
  }

  /** The prefix of all state of {@code encodedKey} in {@code keyGroup}, adding it if needed. */
  byte[] keyPrefix(int keyGroup, byte[] encodedKey) {
    if (encodedKey.length <= StateKeys.INLINE_KEY_LIMIT) {
      return StateKeys.inlineKeyPrefix(keyGroup, encodedKey);
    }
    long hash = hash(encodedKey);
    byte[] bucket = bucket(keyGroup, hash);
    List<RocksDbStateBackend.Entry> entries = backend.scanPrefix(bucket);
    for (RocksDbStateBackend.Entry e : entries) {
      if (Arrays.equals(e.value(), encodedKey)) {
        return StateKeys.referenceKeyPrefix(keyGroup, hash, indexOf(e.key(), bucket.length));
      }
    }
    // Indexes are handed out in order and entries never removed, so the next one is the count.
    int index = entries.size();
    byte[] entryKey = StateKeys.withSubKey(bucket, varint(index));
    backend.put(entryKey, encodedKey);
    return StateKeys.referenceKeyPrefix(keyGroup, hash, index);
  }

  /** The encoded key of a stored key: its component right after the key group. */
  byte[] encodedKeyOf(byte[] storedKey) {
    int[] component = StateKeys.keyComponentAt(storedKey, StateKeys.KEY_GROUP_BYTES);
    if (component[2] == 1) {
      return Arrays.copyOfRange(storedKey, component[0], component[1]);
    }
    byte[] entryKey =
        StateKeys.withSubKey(
            new byte[] {PREFIX},
            Arrays.copyOfRange(storedKey, 0, StateKeys.KEY_GROUP_BYTES),
            Arrays.copyOfRange(storedKey, component[0], component[1]));
    byte[] key = backend.get(entryKey);
    if (key == null) {
      throw new IllegalStateException("State refers to a key missing from the key dictionary");
    }
    return key;
  }

  private static byte[] bucket(int keyGroup, long hash) {
    return StateKeys.withSubKey(
        new byte[] {PREFIX}, StateKeys.keyGroupPrefix(keyGroup), StateKeys.longBigEndian(hash));
  }

  private static int indexOf(byte[] entryKey, int bucketLength) {
    return (int) StateKeys.varintAt(entryKey, bucketLength)[0];
  }

  private static byte[] varint(int value) {
    java.io.ByteArrayOutputStream out = new java.io.ByteArrayOutputStream(5);
    StateKeys.writeVarint(out, value);
    return out.toByteArray();
  }

  // Two hardware-accelerated checksums: cheap on 100 MB keys, and a collision only costs a
  // comparison, never correctness.
  private static long hash(byte[] bytes) {
    CRC32C c = new CRC32C();
    c.update(bytes);
    CRC32 d = new CRC32();
    d.update(bytes);
    return (c.getValue() << 32) | d.getValue();
  }
}
