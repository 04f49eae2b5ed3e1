package dev.inferscope.testkit;

import dev.inferscope.core.InferenceAttributes;
import dev.inferscope.core.Phase;
import io.opentelemetry.api.common.Attributes;
import java.util.EnumMap;
import java.util.Map;

/**
 * Checks the phase model on a finished call's span attributes: the partition (client_queue, serialize,
 * network, server_queue, server_compute, deserialize) sums to the call's duration within a tolerance
 * and no phase is negative. Used by the partition tests of every client path.
 */
public final class PhasePartition {
  /** The tolerance of the sum: attributes are seconds as doubles, so a few nanoseconds of rounding. */
  public static final double TOLERANCE_SECONDS = 1e-6;

  private PhasePartition() {}

  /** The phases present on the span, in seconds. */
  public static Map<Phase, Double> phases(Attributes attributes) {
    Map<Phase, Double> out = new EnumMap<>(Phase.class);
    for (Phase p : Phase.values()) {
      Double v = attributes.get(InferenceAttributes.phaseDuration(p));
      if (v != null) {
        out.put(p, v);
      }
    }
    return out;
  }

  /**
   * Throws {@link AssertionError} unless the partition sums to {@code durationNanos} within
   * {@link #TOLERANCE_SECONDS}, NETWORK is present, and no phase is negative; returns the phases.
   */
  public static Map<Phase, Double> check(Attributes attributes, long durationNanos) {
    Map<Phase, Double> phases = phases(attributes);
    if (!phases.containsKey(Phase.NETWORK)) {
      throw new AssertionError("no network phase on the span: " + phases);
    }
    double sum = 0;
    for (Map.Entry<Phase, Double> e : phases.entrySet()) {
      if (e.getValue() < 0 || e.getValue().isNaN()) {
        throw new AssertionError("phase " + e.getKey().key() + " is " + e.getValue() + ": " + phases);
      }
      if (e.getKey().inPartition()) {
        sum += e.getValue();
      }
    }
    double total = durationNanos / 1e9;
    if (Math.abs(sum - total) > TOLERANCE_SECONDS) {
      throw new AssertionError("partition sums to " + sum + " s, the call took " + total + " s: " + phases);
    }
    return phases;
  }
}
