package dev.millrace.cluster.state;

import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;

/**
 * Which records of the state topic make up one worker's committed checkpoint: per file of the
 * checkpoint's directory, its path there, the key its chunks were sent under (a file unchanged
 * since an earlier checkpoint keeps that one's), its size and chunk count. Sent as the worker's
 * {@code manifest} record in the transaction that commits the checkpoint, so it and the commit log
 * never disagree.
 */
public record StateManifest(long checkpointId, List<File> files) {
  private static final String FORMAT = "millrace-state-manifest 1";

  /**
   * One file: chunk i of it is the record keyed {@code key + "#" + i}; or an empty directory (size
   * -1, no chunks).
   */
  public record File(String path, String key, long size, int chunks) {
    static File directory(String path) {
      return new File(path, "", -1, 0);
    }

    public boolean isDirectory() {
      return size < 0;
    }

    public String chunkKey(int chunk) {
      return key + "#" + chunk;
    }
  }

  public StateManifest {
    files = List.copyOf(files);
  }

  public long bytes() {
    return files.stream().filter(f -> !f.isDirectory()).mapToLong(File::size).sum();
  }

  public byte[] toBytes() {
    StringBuilder text = new StringBuilder(FORMAT).append('\n');
    text.append(checkpointId).append('\n');
    for (File file : files) {
      text.append(file.path())
          .append('\t')
          .append(file.key())
          .append('\t')
          .append(file.size())
          .append('\t')
          .append(file.chunks())
          .append('\n');
    }
    return text.toString().getBytes(StandardCharsets.UTF_8);
  }

  public static StateManifest fromBytes(byte[] bytes) {
    String[] lines = new String(bytes, StandardCharsets.UTF_8).split("\n");
    if (lines.length < 2 || !lines[0].equals(FORMAT)) {
      throw new IllegalStateException(
          "a state manifest of an unknown format: "
              + (lines.length == 0 ? "(empty)" : lines[0])
              + "; it was written by another version of Millrace");
    }
    List<File> files = new ArrayList<>();
    for (int i = 2; i < lines.length; i++) {
      String[] fields = lines[i].split("\t", -1);
      files.add(
          new File(fields[0], fields[1], Long.parseLong(fields[2]), Integer.parseInt(fields[3])));
    }
    return new StateManifest(Long.parseLong(lines[1]), files);
  }
}
