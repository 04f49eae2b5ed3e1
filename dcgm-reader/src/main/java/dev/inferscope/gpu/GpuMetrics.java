package dev.inferscope.gpu;

import dev.inferscope.core.GpuSnapshot;
import dev.inferscope.core.GpuStateSource;
import io.micrometer.core.instrument.Gauge;
import io.micrometer.core.instrument.MeterRegistry;
import io.micrometer.core.instrument.binder.MeterBinder;
import java.util.Objects;
import java.util.function.ToDoubleFunction;

/**
 * Binds the {@code hw.gpu.*} gauges for every GPU a {@link GpuStateSource} reports at bind time:
 * {@code hw.gpu.utilization} (ratio), {@code hw.gpu.memory.usage} and {@code hw.gpu.memory.limit}
 * (bytes), {@code hw.gpu.power} (W), {@code hw.gpu.temperature} (Cel); tags {@code hw.id},
 * {@code hw.name}, {@code source}. Each gauge reads the source's latest snapshot.
 */
public final class GpuMetrics implements MeterBinder {
  private final GpuStateSource source;

  public GpuMetrics(GpuStateSource source) {
    this.source = Objects.requireNonNull(source, "source");
  }

  @Override
  public void bindTo(MeterRegistry registry) {
    for (GpuSnapshot s : source.latest()) {
      String id = s.id();
      String name = s.name() == null ? "unknown" : s.name();
      gauge(registry, "hw.gpu.utilization", "1", id, name, "GPU utilization", GpuSnapshot::utilization);
      gauge(registry, "hw.gpu.memory.usage", "bytes", id, name, "GPU memory used",
          g -> g.memoryUsedBytes() < 0 ? Double.NaN : g.memoryUsedBytes());
      gauge(registry, "hw.gpu.memory.limit", "bytes", id, name, "GPU memory total",
          g -> g.memoryTotalBytes() < 0 ? Double.NaN : g.memoryTotalBytes());
      gauge(registry, "hw.gpu.power", "watts", id, name, "GPU power draw", GpuSnapshot::powerWatts);
      gauge(registry, "hw.gpu.temperature", "celsius", id, name, "GPU temperature", GpuSnapshot::temperatureCelsius);
    }
  }

  private void gauge(MeterRegistry registry, String meter, String unit, String id, String name, String description,
      ToDoubleFunction<GpuSnapshot> value) {
    Gauge.builder(meter, source, src -> {
          GpuSnapshot g = src.latest(id);
          return g == null ? Double.NaN : value.applyAsDouble(g);
        })
        .description(description)
        .baseUnit(unit.equals("1") ? null : unit)
        .tags("hw.id", id, "hw.name", name, "source", source.name())
        .register(registry);
  }
}
