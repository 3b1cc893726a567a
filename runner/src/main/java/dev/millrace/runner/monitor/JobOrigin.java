package dev.millrace.runner.monitor;

/**
 * Where a job came from, as the jobs page shows it.
 *
 * @param sdk the SDK its pipeline was written with: {@code java}, {@code python}, {@code go},
 *     {@code typescript}, or what its environments say
 * @param environment where its user code runs: {@code in-process} for a Java pipeline on
 *     MillraceRunner, else the SDK harnesses' environment types
 */
public record JobOrigin(String sdk, String environment) {
  public static final JobOrigin JAVA_IN_PROCESS = new JobOrigin("java", "in-process");
}
