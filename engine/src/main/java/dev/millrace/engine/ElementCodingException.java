package dev.millrace.engine;

/**
 * An element could not cross an edge: its codec (the collection's coder, often the user's own)
 * failed to encode or decode it. The message names the steps on both sides and carries the coder's
 * own error, whose stack trace is the cause.
 */
public final class ElementCodingException extends RuntimeException {
  ElementCodingException(String message, Throwable cause) {
    super(message, cause);
  }
}
