package dev.millrace.plan;

/**
 * Keys hash to a fixed number of key groups, and subtasks own contiguous key-group ranges. The hash
 * is Murmur3 over the key's encoded bytes, so a key lands in the same group in every run and on
 * every machine (never {@code Object.hashCode()}).
 */
public final class KeyGroups {
  public static final int DEFAULT_MAX_KEY_GROUPS = 128;

  private KeyGroups() {}

  public static int keyGroupOf(byte[] encodedKey, int maxKeyGroups) {
    return Math.floorMod(murmur3(encodedKey), maxKeyGroups);
  }

  /** The subtask owning {@code keyGroup}: ranges of equal size, as contiguous as possible. */
  public static int subtaskOf(int keyGroup, int maxKeyGroups, int parallelism) {
    return (int) ((long) keyGroup * parallelism / maxKeyGroups);
  }

  /** First key group (inclusive) owned by {@code subtask}. */
  public static int rangeStart(int subtask, int maxKeyGroups, int parallelism) {
    return (int) (((long) subtask * maxKeyGroups + parallelism - 1) / parallelism);
  }

  static int murmur3(byte[] data) {
    final int c1 = 0xcc9e2d51;
    final int c2 = 0x1b873593;
    int h = 0x9747b28c;
    int len = data.length;
    int i = 0;
    for (; i + 4 <= len; i += 4) {
      int k =
          (data[i] & 0xff)
              | (data[i + 1] & 0xff) << 8
              | (data[i + 2] & 0xff) << 16
              | (data[i + 3] & 0xff) << 24;
      k *= c1;
      k = Integer.rotateLeft(k, 15);
      k *= c2;
      h ^= k;
      h = Integer.rotateLeft(h, 13);
      h = h * 5 + 0xe6546b64;
    }
    int k = 0;
    switch (len - i) {
      case 3:
        k ^= (data[i + 2] & 0xff) << 16;
      // fall through
      case 2:
        k ^= (data[i + 1] & 0xff) << 8;
      // fall through
      case 1:
        k ^= data[i] & 0xff;
        k *= c1;
        k = Integer.rotateLeft(k, 15);
        k *= c2;
        h ^= k;
      // fall through
      default:
    }
    h ^= len;
    h ^= h >>> 16;
    h *= 0x85ebca6b;
    h ^= h >>> 13;
    h *= 0xc2b2ae35;
    h ^= h >>> 16;
    return h;
  }
}
