package dev.inferscope.core.prometheus;

import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.Map;
import java.util.OptionalDouble;

/**
 * The result of parsing one exposition: families by name, plus how many lines were bad. Immutable.
 */
public final class PrometheusText {
  private final Map<String, MetricFamily> families;
  private final Map<String, List<Sample>> bySampleName;
  private final int sampleCount;
  private final int badLines;
  private final List<Integer> badLineNumbers;
  private final boolean truncated;

  PrometheusText(Map<String, MetricFamily> families, Map<String, List<Sample>> bySampleName, int sampleCount,
      int badLines, List<Integer> badLineNumbers, boolean truncated) {
    this.families = Collections.unmodifiableMap(families);
    this.bySampleName = Collections.unmodifiableMap(bySampleName);
    this.sampleCount = sampleCount;
    this.badLines = badLines;
    this.badLineNumbers = List.copyOf(badLineNumbers);
    this.truncated = truncated;
  }

  /** Families by name, in the order they first appeared. */
  public Map<String, MetricFamily> families() {
    return families;
  }

  /** A family by name, or {@code null}. */
  public MetricFamily family(String name) {
    return families.get(name);
  }

  /** Every sample with exactly this sample name (e.g. {@code x_bucket}); empty if none. */
  public List<Sample> samples(String sampleName) {
    List<Sample> s = bySampleName.get(sampleName);
    return s == null ? List.of() : s;
  }

  /** Every sample with this name whose labels include all the given {@code name, value} pairs. */
  public List<Sample> samples(String sampleName, String... labelPairs) {
    List<Sample> out = new ArrayList<>();
    for (Sample s : samples(sampleName)) {
      if (s.hasLabels(labelPairs)) {
        out.add(s);
      }
    }
    return out;
  }

  /** The value of the first sample with this name and labels, if any. */
  public OptionalDouble value(String sampleName, String... labelPairs) {
    for (Sample s : samples(sampleName)) {
      if (s.hasLabels(labelPairs)) {
        return OptionalDouble.of(s.value());
      }
    }
    return OptionalDouble.empty();
  }

  /**
   * The values of the samples with this name (and all the given {@code name, value} label pairs) summed
   * by the value of {@code byLabel}, e.g. per model over data-parallel engines or model versions.
   * Samples without that label, or whose value is NaN, are left out.
   */
  public Map<String, Double> sumBy(String sampleName, String byLabel, String... labelPairs) {
    Map<String, Double> sums = new java.util.LinkedHashMap<>();
    for (Sample s : samples(sampleName)) {
      String key = s.label(byLabel);
      if (key != null && !Double.isNaN(s.value()) && s.hasLabels(labelPairs)) {
        sums.merge(key, s.value(), Double::sum);
      }
    }
    return sums;
  }

  /** The number of samples parsed. */
  public int sampleCount() {
    return sampleCount;
  }

  /** The number of lines that could not be parsed and were skipped. */
  public int badLines() {
    return badLines;
  }

  /** The (1-based) numbers of the first bad lines, at most 16. */
  public List<Integer> badLineNumbers() {
    return badLineNumbers;
  }

  /** Whether parsing stopped early at a size limit. */
  public boolean truncated() {
    return truncated;
  }

  @Override
  public String toString() {
    return "PrometheusText[families=" + families.size() + ", samples=" + sampleCount + ", badLines=" + badLines
        + (truncated ? ", truncated" : "") + "]";
  }
}
