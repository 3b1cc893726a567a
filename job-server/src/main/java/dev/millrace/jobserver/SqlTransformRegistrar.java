package dev.millrace.jobserver;

import java.util.Map;
import org.apache.beam.sdk.expansion.ExternalTransformRegistrar;
import org.apache.beam.sdk.extensions.sql.SqlTransform;
import org.apache.beam.sdk.transforms.ExternalTransformBuilder;
import org.apache.beam.sdk.transforms.PTransform;
import org.apache.beam.sdk.values.PCollection;
import org.apache.beam.sdk.values.PInput;
import org.apache.beam.sdk.values.Row;
import org.checkerframework.checker.nullness.qual.Nullable;

/**
 * Beam SQL for other SDKs ({@code apache_beam.transforms.sql.SqlTransform} in Python): the URN they
 * ask the expansion service for. Beam registers it in an expansion-service artifact of its own that
 * is not published; the transform itself is Beam's {@link SqlTransform}, with Calcite's dialect,
 * the default. ZetaSQL's planner is not on the server's classpath, so asking for it is refused by
 * name.
 */
public final class SqlTransformRegistrar implements ExternalTransformRegistrar {

  static final String URN = "beam:external:java:sql:v1";

  @Override
  public Map<String, ExternalTransformBuilder<?, ?, ?>> knownBuilderInstances() {
    return Map.of(URN, new Builder());
  }

  /** The payload's fields, set by name by the expansion service. */
  public static final class Configuration {
    private String query;
    private @Nullable String dialect;

    public void setQuery(String query) {
      this.query = query;
    }

    public void setDialect(@Nullable String dialect) {
      this.dialect = dialect;
    }
  }

  private static final class Builder
      implements ExternalTransformBuilder<Configuration, PInput, PCollection<Row>> {
    @Override
    public PTransform<PInput, PCollection<Row>> buildExternal(Configuration configuration) {
      if (configuration.query == null || configuration.query.isBlank()) {
        throw new IllegalArgumentException("SqlTransform needs a query");
      }
      String dialect =
          configuration.dialect == null
              ? "calcite"
              : configuration.dialect.toLowerCase(java.util.Locale.ROOT);
      if (!dialect.equals("calcite")) {
        throw new IllegalArgumentException(
            "SqlTransform dialect '"
                + configuration.dialect
                + "' is not available on Millrace's expansion service; "
                + "it plans queries with Calcite (leave the dialect unset, or 'calcite')");
      }
      return SqlTransform.query(configuration.query);
    }
  }
}
