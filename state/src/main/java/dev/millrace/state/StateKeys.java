package dev.millrace.state;

import java.io.ByteArrayOutputStream;
import java.nio.charset.StandardCharsets;
import java.util.Arrays;
import org.apache.beam.runners.core.StateNamespace;

/**
 * Builds the RocksDB keys of the state layout:
 *
 * <pre>
 * [key group: 2 bytes BE][key][varint len][namespace][varint len][state id][sub-key]
 * </pre>
 *
 * <p>The key component is either inline, {@code [varint (len << 1)][encoded key]}, or, for keys
 * longer than {@link #INLINE_KEY_LIMIT} bytes, a reference into the {@link KeyDictionary}: {@code
 * [0x01][8-byte hash][varint collision index]}. The low bit of the first varint tells the two
 * apart, and both forms are self-delimiting, so no key component is a prefix of another. Without
 * references a 100 MB key would be copied into every state cell, timer and index entry of the key.
 *
 * <p>The key group comes first so that one key group is one contiguous byte range (what a
 * checkpoint or a rescale moves around). Every variable-length component is length-prefixed so that
 * a shorter component can never be confused with the start of a longer one; that makes each of "one
 * key", "one key in one namespace" and "one state cell" a plain byte prefix.
 */
public final class StateKeys {

  /**
   * Key groups are capped at 2^15 so that the exclusive upper bound of every group, {@code g + 1},
   * is itself a two-byte prefix; with 2^16 groups the last group would have no finite bound.
   */
  public static final int MAX_KEY_GROUPS = 1 << 15;

  static final int KEY_GROUP_BYTES = 2;

  /** Encoded keys up to this many bytes are stored inline; longer ones by dictionary reference. */
  public static final int INLINE_KEY_LIMIT = 4096;

  private static final int REFERENCE_TAG = 1;

  private StateKeys() {}

  /** The two-byte prefix shared by every key of {@code keyGroup}. */
  public static byte[] keyGroupPrefix(int keyGroup) {
    checkKeyGroup(keyGroup);
    return new byte[] {(byte) (keyGroup >>> 8), (byte) keyGroup};
  }

  /** The smallest byte string above every key group's range (and below every index prefix). */
  public static byte[] keyGroupsEnd() {
    return new byte[] {(byte) (MAX_KEY_GROUPS >>> 8)};
  }

  /** The key group a stored key belongs to. */
  public static int keyGroupOf(byte[] storedKey) {
    if (storedKey.length < KEY_GROUP_BYTES) {
      throw new IllegalArgumentException("Key too short to carry a key group");
    }
    return ((storedKey[0] & 0xFF) << 8) | (storedKey[1] & 0xFF);
  }

  /**
   * The prefix of all state of one user key stored inline (every namespace, every state id). Keys
   * longer than {@link #INLINE_KEY_LIMIT} go through {@link RocksDbStateBackend#keyPrefix}.
   */
  static byte[] inlineKeyPrefix(int keyGroup, byte[] encodedUserKey) {
    ByteArrayOutputStream out = new ByteArrayOutputStream(12 + encodedUserKey.length);
    out.writeBytes(keyGroupPrefix(keyGroup));
    writeVarint(out, (long) encodedUserKey.length << 1);
    out.writeBytes(encodedUserKey);
    return out.toByteArray();
  }

  /** The prefix of all state of a key stored in the dictionary under {@code hash, index}. */
  static byte[] referenceKeyPrefix(int keyGroup, long hash, int index) {
    ByteArrayOutputStream out = new ByteArrayOutputStream(16);
    out.writeBytes(keyGroupPrefix(keyGroup));
    out.write(REFERENCE_TAG);
    out.writeBytes(longBigEndian(hash));
    writeVarint(out, index);
    return out.toByteArray();
  }

  /**
   * The key component starting at {@code offset} (just after the key group): {@code {start, end,
   * inline ? 1 : 0}}, where for an inline key {@code [start, end)} is the encoded key and for a
   * reference it is the hash and index.
   */
  static int[] keyComponentAt(byte[] bytes, int offset) {
    long[] tag = varintAt(bytes, offset);
    int at = (int) tag[1];
    if ((tag[0] & 1) == 0) {
      long end = at + (tag[0] >>> 1);
      if (end > bytes.length) {
        throw new IllegalArgumentException("Inline key at offset " + offset + " overruns key");
      }
      return new int[] {at, (int) end, 1};
    }
    if (tag[0] != REFERENCE_TAG) {
      throw new IllegalArgumentException("Unknown key tag " + tag[0] + " at offset " + offset);
    }
    long[] index = varintAt(bytes, at + Long.BYTES);
    return new int[] {at, (int) index[1], 0};
  }

  /** The prefix of all state of one user key in one namespace. */
  public static byte[] namespacePrefix(byte[] keyPrefix, StateNamespace namespace) {
    return appendLengthPrefixed(keyPrefix, utf8(namespace.stringKey()));
  }

  /** The prefix of one state cell; a value-like cell is stored exactly under this key. */
  public static byte[] statePrefix(byte[] keyPrefix, StateNamespace namespace, String stateId) {
    return statePrefix(keyPrefix, utf8(namespace.stringKey()), stateId);
  }

  /** As above, with the namespace's string key in UTF-8 ({@code namespaceKey}). */
  static byte[] statePrefix(byte[] keyPrefix, byte[] namespaceKey, String stateId) {
    return appendLengthPrefixed(appendLengthPrefixed(keyPrefix, namespaceKey), utf8(stateId));
  }

  /** {@code prefix} followed by {@code subKey}, unprefixed: the sub-key is the last component. */
  public static byte[] withSubKey(byte[] prefix, byte[]... subKeyParts) {
    int length = prefix.length;
    for (byte[] part : subKeyParts) {
      length += part.length;
    }
    byte[] result = Arrays.copyOf(prefix, length);
    int at = prefix.length;
    for (byte[] part : subKeyParts) {
      System.arraycopy(part, 0, result, at, part.length);
      at += part.length;
    }
    return result;
  }

  /**
   * The smallest byte string greater than every string starting with {@code prefix}, or {@code
   * null} if there is none (the prefix is all 0xFF). Never null for prefixes built here, because
   * key groups stay below 0x8000.
   */
  public static byte[] prefixEnd(byte[] prefix) {
    for (int i = prefix.length - 1; i >= 0; i--) {
      if (prefix[i] != (byte) 0xFF) {
        byte[] end = Arrays.copyOf(prefix, i + 1);
        end[i]++;
        return end;
      }
    }
    return null;
  }

  /**
   * The length of the state-cell prefix ({@code [key group][key][namespace][state id]}) at the
   * start of {@code storedKey}, or -1 when it is no keyed state (an index entry) or too short to
   * hold one. Never throws: it classifies arbitrary stored keys.
   */
  static int cellPrefixLength(byte[] storedKey) {
    if (storedKey.length <= KEY_GROUP_BYTES || (storedKey[0] & 0xff) >= (MAX_KEY_GROUPS >>> 8)) {
      return -1;
    }
    try {
      int at = keyComponentAt(storedKey, KEY_GROUP_BYTES)[1];
      at = lengthPrefixedAt(storedKey, at)[1]; // namespace
      return lengthPrefixedAt(storedKey, at)[1]; // state id
    } catch (IllegalArgumentException e) {
      return -1;
    }
  }

  /** Whether {@code key} starts with {@code prefix}. */
  public static boolean hasPrefix(byte[] key, byte[] prefix) {
    return key.length >= prefix.length
        && Arrays.equals(key, 0, prefix.length, prefix, 0, prefix.length);
  }

  /** {@code value} as 8 big-endian bytes; unsigned order equals numeric order for values >= 0. */
  public static byte[] sequence(long value) {
    if (value < 0) {
      throw new IllegalArgumentException("Sequence numbers are non-negative: " + value);
    }
    return longBigEndian(value);
  }

  /**
   * Millis as 8 bytes whose unsigned byte order is the signed numeric order: flipping the sign bit
   * moves negative instants below positive ones.
   */
  public static byte[] sortableMillis(long millis) {
    return longBigEndian(millis ^ Long.MIN_VALUE);
  }

  /** Inverse of {@link #sortableMillis}, reading 8 bytes at {@code offset}. */
  public static long sortableMillisAt(byte[] bytes, int offset) {
    return longAt(bytes, offset) ^ Long.MIN_VALUE;
  }

  /** Reads 8 big-endian bytes at {@code offset}. */
  public static long longAt(byte[] bytes, int offset) {
    long value = 0;
    for (int i = 0; i < 8; i++) {
      value = (value << 8) | (bytes[offset + i] & 0xFF);
    }
    return value;
  }

  static byte[] longBigEndian(long value) {
    byte[] bytes = new byte[8];
    for (int i = 7; i >= 0; i--) {
      bytes[i] = (byte) value;
      value >>>= 8;
    }
    return bytes;
  }

  /** {@code bytes} preceded by its length as an unsigned varint. */
  public static byte[] lengthPrefixed(byte[] bytes) {
    ByteArrayOutputStream out = new ByteArrayOutputStream(bytes.length + 5);
    writeLengthPrefixed(out, bytes);
    return out.toByteArray();
  }

  /**
   * Reads a length-prefixed component at {@code offset}; returns {@code {start, end}} of its
   * payload within {@code bytes}.
   */
  public static int[] lengthPrefixedAt(byte[] bytes, int offset) {
    long[] length = varintAt(bytes, offset);
    long end = length[1] + length[0];
    if (end > bytes.length) {
      throw new IllegalArgumentException("Length prefix at offset " + offset + " overruns key");
    }
    return new int[] {(int) length[1], (int) end};
  }

  /** The unsigned varint at {@code offset}: {@code {value, offset after it}}. */
  static long[] varintAt(byte[] bytes, int offset) {
    long value = 0;
    int shift = 0;
    int at = offset;
    while (true) {
      if (at >= bytes.length || shift > 35) {
        throw new IllegalArgumentException("Malformed varint at offset " + offset);
      }
      byte b = bytes[at++];
      value |= (long) (b & 0x7F) << shift;
      if ((b & 0x80) == 0) {
        return new long[] {value, at};
      }
      shift += 7;
    }
  }

  static void writeVarint(ByteArrayOutputStream out, long value) {
    while ((value & ~0x7FL) != 0) {
      out.write((int) ((value & 0x7F) | 0x80));
      value >>>= 7;
    }
    out.write((int) value);
  }

  private static void writeLengthPrefixed(ByteArrayOutputStream out, byte[] bytes) {
    writeVarint(out, bytes.length);
    out.writeBytes(bytes);
  }

  private static byte[] appendLengthPrefixed(byte[] prefix, byte[] component) {
    ByteArrayOutputStream out = new ByteArrayOutputStream(prefix.length + component.length + 5);
    out.writeBytes(prefix);
    writeLengthPrefixed(out, component);
    return out.toByteArray();
  }

  private static byte[] utf8(String s) {
    return s.getBytes(StandardCharsets.UTF_8);
  }

  static void checkKeyGroup(int keyGroup) {
    if (keyGroup < 0 || keyGroup >= MAX_KEY_GROUPS) {
      throw new IllegalArgumentException(
          "Key group " + keyGroup + " outside [0, " + MAX_KEY_GROUPS + ")");
    }
  }
}
