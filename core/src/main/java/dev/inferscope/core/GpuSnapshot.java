package dev.inferscope.core;

import java.util.Objects;
import org.jspecify.annotations.Nullable;

/**
 * The state of one GPU at one moment. Immutable. Unknown numeric readings are {@link Double#NaN} or
 * {@code -1}.
 *
 * @param id the GPU's UUID where known, else its index as text
 * @param index the device index, or -1 when unknown
 * @param name the product name, or {@code null}
 * @param utilization GPU utilization as a ratio 0..1, or NaN
 * @param memoryUsedBytes memory used, or -1
 * @param memoryTotalBytes memory total, or -1
 * @param powerWatts power draw in watts, or NaN
 * @param temperatureCelsius temperature, or NaN
 * @param sampledAtNanos when it was read, on {@link InferenceClock#nanoTime()}
 * @param source where it came from: {@code nvml}, {@code dcgm-exporter}, {@code triton}
 * @param stale whether the source failed to refresh it on its last attempt
 */
public record GpuSnapshot(
    String id,
    int index,
    @Nullable String name,
    double utilization,
    long memoryUsedBytes,
    long memoryTotalBytes,
    double powerWatts,
    double temperatureCelsius,
    long sampledAtNanos,
    String source,
    boolean stale) {

  public GpuSnapshot {
    Objects.requireNonNull(id, "id");
    Objects.requireNonNull(source, "source");
  }

  /** Memory used as a ratio of total, or NaN when either is unknown. */
  public double memoryUsageRatio() {
    return memoryUsedBytes < 0 || memoryTotalBytes <= 0
        ? Double.NaN
        : (double) memoryUsedBytes / memoryTotalBytes;
  }

  /** A copy marked stale. */
  public GpuSnapshot asStale() {
    return stale
        ? this
        : new GpuSnapshot(id, index, name, utilization, memoryUsedBytes, memoryTotalBytes,
            powerWatts, temperatureCelsius, sampledAtNanos, source, true);
  }
}
