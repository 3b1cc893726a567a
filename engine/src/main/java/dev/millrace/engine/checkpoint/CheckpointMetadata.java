package dev.millrace.engine.checkpoint;

import java.io.IOException;
import java.io.Reader;
import java.io.StringReader;
import java.io.StringWriter;
import java.util.Properties;

/**
 * What marks a checkpoint complete: written last, after every subtask's files, so a checkpoint
 * without it is half-written and never used. Plain text, so an operator of the job can read it.
 *
 * @param formatVersion the layout of the checkpoint's files
 * @param checkpointId the checkpoint's number, increasing over the life of a job name
 * @param planFingerprint the plan the checkpoint belongs to; a different plan cannot resume from it
 * @param completedAtMillis wall-clock time of completion
 */
public record CheckpointMetadata(
    int formatVersion, long checkpointId, String planFingerprint, long completedAtMillis) {

  /** The layout this build writes, and the newest it reads. Bump on any incompatible change. */
  public static final int FORMAT_VERSION = 1;

  /** The oldest layout this build still reads. */
  public static final int OLDEST_READABLE_FORMAT = 1;

  String toText() {
    Properties properties = new Properties();
    properties.setProperty("format", Integer.toString(formatVersion));
    properties.setProperty("checkpoint", Long.toString(checkpointId));
    properties.setProperty("plan", planFingerprint);
    properties.setProperty("completedAt", Long.toString(completedAtMillis));
    StringWriter out = new StringWriter();
    try {
      properties.store(out, "Millrace checkpoint");
    } catch (IOException e) {
      throw new IllegalStateException(e);
    }
    return out.toString();
  }

  static CheckpointMetadata fromText(String text, String where) {
    Properties properties = new Properties();
    try (Reader in = new StringReader(text)) {
      properties.load(in);
    } catch (IOException e) {
      throw new IllegalStateException(e);
    }
    String format = properties.getProperty("format");
    String id = properties.getProperty("checkpoint");
    String plan = properties.getProperty("plan");
    String completedAt = properties.getProperty("completedAt");
    if (format == null || id == null || plan == null || completedAt == null) {
      throw new IllegalStateException(
          "The checkpoint metadata " + where + " is not a Millrace checkpoint's");
    }
    int version = Integer.parseInt(format);
    if (version < OLDEST_READABLE_FORMAT || version > FORMAT_VERSION) {
      throw new IllegalStateException(
          "The checkpoint "
              + where
              + " has format "
              + version
              + "; this build reads formats "
              + OLDEST_READABLE_FORMAT
              + " to "
              + FORMAT_VERSION);
    }
    return new CheckpointMetadata(version, Long.parseLong(id), plan, Long.parseLong(completedAt));
  }
}
