package dev.millrace.translation.metrics;

import java.io.ByteArrayInputStream;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import org.apache.beam.model.pipeline.v1.MetricsApi.MonitoringInfo;
import org.apache.beam.runners.core.metrics.MonitoringInfoConstants;
import org.apache.beam.sdk.util.VarInt;
import org.apache.beam.vendor.grpc.v1p60p1.com.google.protobuf.ByteString;

/**
 * Beam's TypeScript SDK (2.49) encodes a distribution's payload as an iterable of four var-ints (a
 * 4-byte count, then count, sum, min, max), where the model says four var-ints alone; and it reads
 * a distribution back from {@code GetJobMetrics} the same way, failing on the standard form. So a
 * distribution that arrives in its form is kept in the standard form, marked with {@link
 * #ENCODING_LABEL}, and handed back in its form. Nothing else about its metrics differs.
 */
public final class TypeScriptMetrics {
  /** Marks a metric that a TypeScript harness reported, until it is reported back. */
  public static final String ENCODING_LABEL = "MILLRACE_TYPESCRIPT_ENCODING";

  private static final byte[] FOUR = {0, 0, 0, 4};

  private TypeScriptMetrics() {}

  /**
   * {@code info} with a TypeScript-encoded distribution in the standard form, marked; else as it
   * is.
   */
  public static MonitoringInfo toStandard(MonitoringInfo info) {
    if (!isDistribution(info)) {
      return info;
    }
    long[] values = typeScriptDistribution(info.getPayload());
    if (values == null) {
      return info;
    }
    return info.toBuilder()
        .setPayload(varInts(values, false))
        .putLabels(ENCODING_LABEL, "true")
        .build();
  }

  /** A marked metric in the form the TypeScript SDK reads, its mark removed; others as they are. */
  public static MonitoringInfo toTypeScript(MonitoringInfo info) {
    if (!info.containsLabels(ENCODING_LABEL)) {
      return info;
    }
    MonitoringInfo.Builder unmarked = info.toBuilder().removeLabels(ENCODING_LABEL);
    if (!isDistribution(info)) {
      return unmarked.build();
    }
    try {
      InputStream in = info.getPayload().newInput();
      long[] values = new long[4];
      for (int i = 0; i < 4; i++) {
        values[i] = VarInt.decodeLong(in);
      }
      return unmarked.setPayload(varInts(values, true)).build();
    } catch (IOException e) {
      return unmarked.build();
    }
  }

  private static boolean isDistribution(MonitoringInfo info) {
    return info.getType().equals(MonitoringInfoConstants.TypeUrns.DISTRIBUTION_INT64_TYPE);
  }

  /** Count, sum, min and max of a payload in the TypeScript form, or null if it is not in it. */
  private static long[] typeScriptDistribution(ByteString payload) {
    if (payload.size() < 8 || !payload.substring(0, 4).equals(ByteString.copyFrom(FOUR))) {
      return null;
    }
    ByteArrayInputStream in = new ByteArrayInputStream(payload.substring(4).toByteArray());
    long[] values = new long[4];
    try {
      for (int i = 0; i < 4; i++) {
        values[i] = VarInt.decodeLong(in);
      }
    } catch (IOException e) {
      return null;
    }
    // Four var-ints and nothing after them: a standard payload never starts with three zero
    // var-ints and a fourth followed by more.
    return in.available() == 0 ? values : null;
  }

  private static ByteString varInts(long[] values, boolean typeScript) {
    ByteArrayOutputStream out = new ByteArrayOutputStream();
    try {
      if (typeScript) {
        out.write(FOUR);
      }
      for (long value : values) {
        VarInt.encode(value, out);
      }
    } catch (IOException e) {
      throw new IllegalStateException(e);
    }
    return ByteString.copyFrom(out.toByteArray());
  }
}
