package dev.millrace.cluster.topics;

import java.io.ByteArrayInputStream;
import java.io.ByteArrayOutputStream;
import java.io.DataInputStream;
import java.io.DataOutputStream;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.util.Map;
import java.util.TreeMap;

/**
 * What a job's workers run, as it lies on the job's plan topic: the pipeline (a portable pipeline's
 * bytes), its options, and the fingerprint of the plan it translates to, which every worker checks
 * against its own translation before it takes part.
 */
public record JobDefinition(byte[] pipeline, Map<String, String> options, String fingerprint) {
  private static final String MAGIC = "millrace job";
  private static final int FORMAT = 1;

  public JobDefinition {
    options = Map.copyOf(options);
  }

  public byte[] encode() {
    ByteArrayOutputStream bytes = new ByteArrayOutputStream();
    try (DataOutputStream out = new DataOutputStream(bytes)) {
      out.writeUTF(MAGIC);
      out.writeInt(FORMAT);
      out.writeUTF(fingerprint);
      Map<String, String> sorted = new TreeMap<>(options);
      out.writeInt(sorted.size());
      for (Map.Entry<String, String> option : sorted.entrySet()) {
        out.writeUTF(option.getKey());
        out.writeUTF(option.getValue());
      }
      out.writeInt(pipeline.length);
      out.write(pipeline);
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
    return bytes.toByteArray();
  }

  public static JobDefinition decode(byte[] record) {
    try (DataInputStream in = new DataInputStream(new ByteArrayInputStream(record))) {
      if (!MAGIC.equals(in.readUTF())) {
        throw new IllegalArgumentException(
            "the plan topic holds something that is not a Millrace job");
      }
      int format = in.readInt();
      if (format != FORMAT) {
        throw new IllegalArgumentException(
            "the job was published in format "
                + format
                + ", this worker reads format "
                + FORMAT
                + ": a job's workers must run the same Millrace");
      }
      String fingerprint = in.readUTF();
      int count = in.readInt();
      Map<String, String> options = new TreeMap<>();
      for (int i = 0; i < count; i++) {
        options.put(in.readUTF(), in.readUTF());
      }
      byte[] pipeline = new byte[in.readInt()];
      in.readFully(pipeline);
      return new JobDefinition(pipeline, options, fingerprint);
    } catch (IOException e) {
      throw new IllegalArgumentException("the plan topic holds a damaged job: " + e, e);
    }
  }
}
