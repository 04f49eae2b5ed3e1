package dev.inferscope.core.slo;

import java.time.Duration;
import java.util.Objects;

/**
 * The objectives of one endpoint and model.
 *
 * @param availability share of calls that must not fail on the server's side, e.g. 0.999
 * @param latencyThreshold a call slower than this is "slow"
 * @param latency share of calls that must be faster than the threshold, e.g. 0.99
 */
public record SloObjective(double availability, Duration latencyThreshold, double latency) {
  public SloObjective {
    Objects.requireNonNull(latencyThreshold, "latencyThreshold");
    if (!(availability > 0 && availability < 1) || !(latency > 0 && latency < 1)) {
      throw new IllegalArgumentException("objectives must be within (0, 1)");
    }
  }

  /** 99.9 % available, 99 % faster than 1 s. */
  public static SloObjective defaults() {
    return new SloObjective(0.999, Duration.ofSeconds(1), 0.99);
  }
}
