package dev.inferscope.core.prometheus;

import java.util.Locale;

/** The type of a metric family, from its {@code # TYPE} line. */
public enum MetricType {
  COUNTER,
  GAUGE,
  HISTOGRAM,
  SUMMARY,
  /** Prometheus 0.0.4's type for families without a TYPE line. */
  UNTYPED,
  /** OpenMetrics {@code unknown}. */
  UNKNOWN,
  INFO,
  STATESET,
  GAUGEHISTOGRAM;

  static MetricType parse(String s) {
    try {
      return valueOf(s.toUpperCase(Locale.ROOT));
    } catch (IllegalArgumentException e) {
      return null;
    }
  }

  /** The suffixes a sample of this family's type may carry after the family name. */
  boolean acceptsSuffix(String suffix) {
    switch (this) {
      case COUNTER:
        return suffix.equals("_total") || suffix.equals("_created");
      case HISTOGRAM:
        return suffix.equals("_bucket") || suffix.equals("_sum") || suffix.equals("_count")
            || suffix.equals("_created");
      case GAUGEHISTOGRAM:
        return suffix.equals("_bucket") || suffix.equals("_gsum") || suffix.equals("_gcount");
      case SUMMARY:
        return suffix.equals("_sum") || suffix.equals("_count") || suffix.equals("_created");
      case INFO:
        return suffix.equals("_info");
      default:
        return false;
    }
  }
}
