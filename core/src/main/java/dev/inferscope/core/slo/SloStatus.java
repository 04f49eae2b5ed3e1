package dev.inferscope.core.slo;

import java.util.Map;

/**
 * Where one endpoint and model stand against their objectives.
 *
 * @param availabilityBurn burn rate of the availability budget per window ({@code 5m}, {@code 30m},
 *     {@code 1h}, {@code 6h}); 1.0 spends the budget exactly at the allowed pace
 * @param latencyBurn the same for the latency objective
 * @param availabilityBudgetRemaining share of the availability error budget left over the 6 h window
 *     (negative when overspent)
 * @param latencyBudgetRemaining the same for latency
 * @param fastBurn whether the 5 m and 1 h burn rates both exceed 14.4 (page now)
 * @param slowBurn whether the 30 m and 6 h burn rates both exceed 6 (ticket)
 * @param calls calls seen in the 6 h window
 */
public record SloStatus(Map<String, Double> availabilityBurn, Map<String, Double> latencyBurn,
    double availabilityBudgetRemaining, double latencyBudgetRemaining, boolean fastBurn, boolean slowBurn,
    long calls) {
  public SloStatus {
    availabilityBurn = Map.copyOf(availabilityBurn);
    latencyBurn = Map.copyOf(latencyBurn);
  }
}
