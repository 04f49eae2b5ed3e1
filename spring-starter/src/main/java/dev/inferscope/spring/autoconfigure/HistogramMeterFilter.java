package dev.inferscope.spring.autoconfigure;

import io.micrometer.core.instrument.Meter;
import io.micrometer.core.instrument.config.MeterFilter;
import io.micrometer.core.instrument.distribution.DistributionStatisticConfig;
import org.jspecify.annotations.Nullable;

/**
 * Turns on percentile histograms for meters named {@code inference.client.*} and
 * {@code gen_ai.client.*}. Settings the application configured for a meter win. Distribution summaries
 * (bytes, batch sizes, tokens) get an upper expected value of 2^30 unless one is set, which keeps their
 * bucket count moderate.
 */
final class HistogramMeterFilter implements MeterFilter {
  private static final DistributionStatisticConfig TIMERS =
      DistributionStatisticConfig.builder().percentilesHistogram(true).build();
  private static final DistributionStatisticConfig SUMMARIES = DistributionStatisticConfig.builder()
      .percentilesHistogram(true)
      .maximumExpectedValue((double) (1L << 30))
      .build();

  static boolean matches(String name) {
    return name.startsWith("inference.client.") || name.startsWith("gen_ai.client.");
  }

  @Override
  public @Nullable DistributionStatisticConfig configure(Meter.Id id, DistributionStatisticConfig config) {
    if (!matches(id.getName())) {
      return config;
    }
    DistributionStatisticConfig ours = id.getType() == Meter.Type.DISTRIBUTION_SUMMARY ? SUMMARIES : TIMERS;
    return config.merge(ours);
  }

  @Override
  public String toString() {
    return "InferscopeHistogramMeterFilter[inference.client.*, gen_ai.client.*]";
  }
}
