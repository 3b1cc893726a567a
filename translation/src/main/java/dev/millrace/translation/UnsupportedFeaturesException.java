package dev.millrace.translation;

import java.util.List;

/** A pipeline uses things Millrace cannot run; the message lists every one of them. */
public final class UnsupportedFeaturesException extends IllegalArgumentException {
  private final List<String> features;

  public UnsupportedFeaturesException(List<String> features) {
    super(
        "Millrace cannot run this pipeline; it uses "
            + features.size()
            + " unsupported feature(s):\n  - "
            + String.join("\n  - ", features));
    this.features = List.copyOf(features);
  }

  public List<String> features() {
    return features;
  }
}
