package dev.inferscope.core.prometheus;

import java.util.Map;
import java.util.Objects;
import org.jspecify.annotations.Nullable;

/**
 * One sample line: a name (with any {@code _bucket}, {@code _sum}, {@code _count}, {@code _total}
 * suffix), its labels, its value and optional timestamp.
 *
 * @param name the sample name as written
 * @param labels the labels, in the order written (unmodifiable)
 * @param value the value ({@code NaN} and infinities allowed)
 * @param timestampMillis the timestamp in epoch milliseconds, or {@code null} if none was written
 */
public record Sample(String name, Map<String, String> labels, double value, @Nullable Long timestampMillis) {

  public Sample {
    Objects.requireNonNull(name, "name");
    Objects.requireNonNull(labels, "labels");
  }

  /** A label's value, or {@code null}. */
  public @Nullable String label(String labelName) {
    return labels.get(labelName);
  }

  /** Whether every given {@code name, value} pair is among the labels. */
  public boolean hasLabels(String... pairs) {
    if (pairs.length % 2 != 0) {
      throw new IllegalArgumentException("label pairs must come in name, value pairs");
    }
    for (int i = 0; i < pairs.length; i += 2) {
      if (!pairs[i + 1].equals(labels.get(pairs[i]))) {
        return false;
      }
    }
    return true;
  }
}
