package dev.millrace.plan;

/** Tells a HASH edge which key group an element belongs to. */
@FunctionalInterface
public interface KeyGroupFunction {
  int keyGroupOf(Object element) throws Exception;
}
