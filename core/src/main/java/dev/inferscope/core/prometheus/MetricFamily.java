package dev.inferscope.core.prometheus;

import java.util.List;
import java.util.Objects;
import org.jspecify.annotations.Nullable;

/**
 * A metric family: its name, type, help text and samples (for histograms and summaries, the
 * {@code _bucket}, {@code _sum} and {@code _count} samples all belong to the family).
 *
 * @param name the family name
 * @param type the declared type, or {@link MetricType#UNTYPED}
 * @param help the help text, or {@code null}
 * @param samples the samples in the order they appeared (unmodifiable)
 */
public record MetricFamily(String name, MetricType type, @Nullable String help, List<Sample> samples) {

  public MetricFamily {
    Objects.requireNonNull(name, "name");
    Objects.requireNonNull(type, "type");
    samples = List.copyOf(samples);
  }
}
