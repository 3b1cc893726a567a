package dev.millrace.state.keyed;

import java.io.DataInputStream;
import java.io.DataOutputStream;
import java.io.IOException;
import org.apache.beam.sdk.coders.Coder;
import org.apache.beam.sdk.util.CoderUtils;

/**
 * Values in an operator's snapshot stream, each encoded on its own and length-prefixed: a coder
 * never sees the rest of the stream, so one that reads to the end of its input is safe too.
 */
public final class SnapshotCoding {
  private SnapshotCoding() {}

  public static <T> void write(DataOutputStream out, Coder<T> coder, T value) throws IOException {
    byte[] bytes = CoderUtils.encodeToByteArray(coder, value);
    out.writeInt(bytes.length);
    out.write(bytes);
  }

  public static <T> T read(DataInputStream in, Coder<T> coder) throws IOException {
    return CoderUtils.decodeFromByteArray(coder, in.readNBytes(in.readInt()));
  }
}
