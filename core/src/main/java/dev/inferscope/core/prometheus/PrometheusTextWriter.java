package dev.inferscope.core.prometheus;

import java.util.Map;

/**
 * Writes families in the Prometheus text exposition format 0.0.4 (used by the testkit simulators, and to
 * round-trip parsed text in tests).
 */
public final class PrometheusTextWriter {
  private PrometheusTextWriter() {}

  /** The exposition of every family of {@code text}. */
  public static String write(PrometheusText text) {
    StringBuilder sb = new StringBuilder(256 + text.sampleCount() * 64);
    for (MetricFamily f : text.families().values()) {
      write(f, sb);
    }
    return sb.toString();
  }

  /** Appends one family: HELP, TYPE and samples. */
  public static void write(MetricFamily f, StringBuilder sb) {
    if (f.help() != null) {
      sb.append("# HELP ").append(f.name()).append(' ');
      escape(f.help(), sb, false);
      sb.append('\n');
    }
    if (f.type() != MetricType.UNTYPED) {
      MetricType t = f.type();
      String type = switch (t) {
        case COUNTER, GAUGE, HISTOGRAM, SUMMARY -> t.name().toLowerCase(java.util.Locale.ROOT);
        default -> "untyped";
      };
      sb.append("# TYPE ").append(f.name()).append(' ').append(type).append('\n');
    }
    for (Sample s : f.samples()) {
      sample(s, sb);
    }
  }

  /** Appends one sample line. */
  public static void sample(Sample s, StringBuilder sb) {
    sb.append(s.name());
    if (!s.labels().isEmpty()) {
      sb.append('{');
      boolean first = true;
      for (Map.Entry<String, String> l : s.labels().entrySet()) {
        if (!first) {
          sb.append(',');
        }
        first = false;
        sb.append(l.getKey()).append("=\"");
        escape(l.getValue(), sb, true);
        sb.append('"');
      }
      sb.append('}');
    }
    sb.append(' ').append(formatValue(s.value()));
    if (s.timestampMillis() != null) {
      sb.append(' ').append(s.timestampMillis());
    }
    sb.append('\n');
  }

  /** A value as the format writes it ({@code NaN}, {@code +Inf}, {@code -Inf}, integers without a dot). */
  public static String formatValue(double v) {
    if (Double.isNaN(v)) {
      return "NaN";
    }
    if (v == Double.POSITIVE_INFINITY) {
      return "+Inf";
    }
    if (v == Double.NEGATIVE_INFINITY) {
      return "-Inf";
    }
    if (v == Math.rint(v) && Math.abs(v) < 1e15) {
      return Long.toString((long) v);
    }
    return Double.toString(v);
  }

  private static void escape(String v, StringBuilder sb, boolean quotes) {
    for (int i = 0; i < v.length(); i++) {
      char c = v.charAt(i);
      switch (c) {
        case '\\' -> sb.append("\\\\");
        case '\n' -> sb.append("\\n");
        case '"' -> sb.append(quotes ? "\\\"" : "\"");
        default -> sb.append(c);
      }
    }
  }
}
