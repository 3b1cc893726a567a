package dev.millrace.translation.operators;

import dev.millrace.plan.Emitter;

/** Calls an emitter from Beam callbacks that cannot throw checked exceptions. */
public final class EmitterCalls {
  private EmitterCalls() {}

  public static void emit(Emitter emitter, Object element) {
    try {
      emitter.emit(element);
    } catch (RuntimeException | Error e) {
      throw e;
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new IllegalStateException("interrupted while emitting: the job is stopping", e);
    } catch (Exception e) {
      throw new IllegalStateException(e);
    }
  }
}
