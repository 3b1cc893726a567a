package dev.millrace.benchmarks;

/**
 * An order-independent checksum of a query's output: the wrapping sum of a 64-bit hash of every
 * line, with the number of lines beside it. Any runner may emit lines in any order and split them
 * over any number of workers; equal outputs give equal checksums.
 */
public final class Checksum {
  private long sum;
  private long count;

  public static long hash(String line) {
    long h = 0xcbf29ce484222325L;
    for (int i = 0; i < line.length(); i++) {
      h ^= line.charAt(i);
      h *= 0x100000001b3L;
    }
    // FNV alone mixes the last characters poorly; finish with a 64-bit avalanche.
    h ^= h >>> 33;
    h *= 0xff51afd7ed558ccdL;
    h ^= h >>> 33;
    h *= 0xc4ceb9fe1a85ec53L;
    h ^= h >>> 33;
    return h;
  }

  public Checksum() {}

  public static Checksum of(long sum, long count) {
    Checksum c = new Checksum();
    c.sum = sum;
    c.count = count;
    return c;
  }

  public void add(String line) {
    sum += hash(line);
    count++;
  }

  public long sum() {
    return sum;
  }

  public long count() {
    return count;
  }

  @Override
  public boolean equals(Object o) {
    return o instanceof Checksum c && c.sum == sum && c.count == count;
  }

  @Override
  public int hashCode() {
    return Long.hashCode(sum * 31 + count);
  }

  /** As the table prints it: line count and the sum in hex. */
  @Override
  public String toString() {
    return count + ":" + Long.toHexString(sum);
  }
}
