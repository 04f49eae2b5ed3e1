package dev.inferscope.spring;

import dev.inferscope.core.GpuSnapshot;
import dev.inferscope.core.GpuStateSource;
import dev.inferscope.core.InferenceClock;
import dev.inferscope.core.Phase;
import io.micrometer.core.instrument.Gauge;
import io.micrometer.core.instrument.MeterRegistry;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.TreeMap;
import org.jspecify.annotations.Nullable;
import org.springframework.boot.actuate.endpoint.annotation.Endpoint;
import org.springframework.boot.actuate.endpoint.annotation.ReadOperation;
import org.springframework.boot.actuate.endpoint.annotation.Selector;

/**
 * The {@code inference} actuator endpoint: per endpoint and model, p50/p99 of the total duration and of
 * each phase over the recent window, calls and errors, in-flight calls, circuit state; the latest GPU
 * snapshots; the last slow calls. Never any payload.
 *
 * <p>{@code GET /actuator/inference} returns the whole report, {@code GET /actuator/inference/{name}}
 * one endpoint's part (404 when unknown).
 */
@Endpoint(id = "inference")
public final class InferenceActuatorEndpoint {
  /** The in-flight gauge of the telemetry contract. */
  static final String ACTIVE_METER = "inference.client.active";

  private final InferenceStats stats;
  private final InferenceEndpoints endpoints;
  private final GpuStateSource gpu;
  private final InferenceClock clock;
  private final @Nullable MeterRegistry meterRegistry;
  private final @Nullable ClientPerceivedHealth health;

  /**
   * Creates the endpoint.
   *
   * @param stats the recent-call windows
   * @param endpoints the configured endpoints
   * @param gpu the GPU state source
   * @param clock the clock GPU sample ages are measured on
   * @param meterRegistry where in-flight gauges are read, or {@code null}
   * @param health the client-perceived health, or {@code null} to leave it out of the report
   */
  public InferenceActuatorEndpoint(InferenceStats stats, InferenceEndpoints endpoints, GpuStateSource gpu,
      InferenceClock clock, @Nullable MeterRegistry meterRegistry, @Nullable ClientPerceivedHealth health) {
    this.stats = Objects.requireNonNull(stats, "stats");
    this.endpoints = Objects.requireNonNull(endpoints, "endpoints");
    this.gpu = Objects.requireNonNull(gpu, "gpu");
    this.clock = Objects.requireNonNull(clock, "clock");
    this.meterRegistry = meterRegistry;
    this.health = health;
  }

  /** The whole report. */
  @ReadOperation
  public Report report() {
    return new Report(endpointReports(), gpuReport(), stats.slowCalls(), healthReport());
  }

  /** One endpoint's report, or {@code null} (404) when no such endpoint is known. */
  @ReadOperation
  public @Nullable EndpointReport endpoint(@Selector String name) {
    return endpointReports().get(name);
  }

  private Map<String, EndpointReport> endpointReports() {
    Map<String, Map<String, String>> circuits = endpoints.circuitStates();
    Map<String, Map<String, Integer>> inFlight = inFlight();
    Map<String, Builder> builders = new TreeMap<>();
    for (InferenceEndpoints.Endpoint e : endpoints.all()) {
      builders.put(e.name(), new Builder(e.system().value(), e.target()));
    }
    for (InferenceStats.ModelStats s : stats.snapshot()) {
      Builder b = builders.computeIfAbsent(s.endpoint(), k -> new Builder(s.system(), null));
      b.models.put(s.model(), s);
    }
    Map<String, EndpointReport> out = new LinkedHashMap<>();
    for (Map.Entry<String, Builder> e : builders.entrySet()) {
      String name = e.getKey();
      Builder b = e.getValue();
      Map<String, String> cs = circuits.getOrDefault(name, Map.of());
      Map<String, Integer> fl = inFlight.getOrDefault(name, Map.of());
      TreeMap<String, ModelReport> models = new TreeMap<>();
      for (InferenceStats.ModelStats s : b.models.values()) {
        models.put(s.model(), ModelReport.of(s, fl.get(s.model()), cs.get(s.model())));
      }
      // models that are called right now or have a circuit but no ended call yet
      for (Map.Entry<String, Integer> f : fl.entrySet()) {
        models.computeIfAbsent(f.getKey(), m -> ModelReport.empty(f.getValue(), cs.get(m)));
      }
      for (Map.Entry<String, String> c : cs.entrySet()) {
        models.computeIfAbsent(c.getKey(), m -> ModelReport.empty(fl.get(m), c.getValue()));
      }
      out.put(name, new EndpointReport(b.system, b.target, models));
    }
    return out;
  }

  private Map<String, Map<String, Integer>> inFlight() {
    MeterRegistry registry = meterRegistry;
    Map<String, Map<String, Integer>> out = new TreeMap<>();
    if (registry == null) {
      return out;
    }
    for (Gauge g : registry.find(ACTIVE_METER).gauges()) {
      String endpoint = g.getId().getTag("endpoint");
      String model = g.getId().getTag("model");
      double v = g.value();
      if (endpoint != null && model != null && !model.isEmpty() && !Double.isNaN(v)) {
        out.computeIfAbsent(endpoint, k -> new TreeMap<>()).merge(model, (int) v, Integer::sum);
      }
    }
    return out;
  }

  private GpuReport gpuReport() {
    boolean available;
    String reason;
    List<GpuSnapshot> latest;
    try {
      available = gpu.available();
      reason = gpu.unavailableReason();
      latest = gpu.latest();
    } catch (RuntimeException e) {
      return new GpuReport(safeName(), false, "GPU source failed: " + e.getClass().getSimpleName(), List.of());
    }
    long now = clock.nanoTime();
    List<GpuDevice> devices = new ArrayList<>(latest.size());
    for (GpuSnapshot s : latest) {
      devices.add(GpuDevice.of(s, now));
    }
    return new GpuReport(safeName(), available, reason, devices);
  }

  private String safeName() {
    try {
      return gpu.name();
    } catch (RuntimeException e) {
      return "unknown";
    }
  }

  private @Nullable HealthReport healthReport() {
    ClientPerceivedHealth h = health;
    if (h == null) {
      return null;
    }
    ClientPerceivedHealth.Result r = h.evaluate();
    return new HealthReport(r.degraded() ? "DEGRADED" : "UP", r.reasons());
  }

  private static final class Builder {
    final String system;
    final @Nullable String target;
    final Map<String, InferenceStats.ModelStats> models = new TreeMap<>();

    Builder(String system, @Nullable String target) {
      this.system = system;
      this.target = target;
    }
  }

  /**
   * The whole report.
   *
   * @param endpoints per endpoint name
   * @param gpu the GPU source and its latest snapshots
   * @param slowCalls the most recent slow calls, oldest first
   * @param health the client-perceived health, or {@code null} when not configured
   */
  public record Report(
      Map<String, EndpointReport> endpoints,
      GpuReport gpu,
      List<InferenceStats.SlowCall> slowCalls,
      @Nullable HealthReport health) {}

  /**
   * One endpoint.
   *
   * @param system {@code triton}, {@code vllm} or {@code openai}
   * @param target the gRPC target or base URL, or {@code null} when the endpoint was not configured by the
   *     starter
   * @param models per model name
   */
  public record EndpointReport(String system, @Nullable String target, Map<String, ModelReport> models) {}

  /**
   * One model of one endpoint.
   *
   * @param calls calls ended since start
   * @param errors failed calls since start
   * @param windowCalls calls in the recent window the percentiles are computed over
   * @param windowErrors failed calls in the window
   * @param errorTypes failures in the window by error type
   * @param inFlight calls in flight now, or {@code null} without a meter registry
   * @param circuitState the circuit breaker state, or {@code null} without a circuit breaker
   * @param totalMs percentiles of the total duration, or {@code null} when no call ended yet
   * @param phasesMs percentiles of each measured phase, by phase key ({@code server_queue}, ...)
   */
  public record ModelReport(
      long calls,
      long errors,
      int windowCalls,
      int windowErrors,
      Map<String, Integer> errorTypes,
      @Nullable Integer inFlight,
      @Nullable String circuitState,
      @Nullable Stat totalMs,
      Map<String, Stat> phasesMs) {

    static ModelReport of(InferenceStats.ModelStats s, @Nullable Integer inFlight, @Nullable String circuit) {
      Map<String, Stat> phases = new LinkedHashMap<>();
      for (Phase p : Phase.values()) {
        InferenceStats.Percentiles pc = s.phase(p);
        if (pc != null) {
          phases.put(p.key(), Stat.of(pc));
        }
      }
      InferenceStats.Percentiles total = s.total();
      return new ModelReport(s.totalCalls(), s.totalErrors(), s.windowCalls(), s.windowErrors(), s.errorTypes(),
          inFlight, circuit, total == null ? null : Stat.of(total), phases);
    }

    static ModelReport empty(@Nullable Integer inFlight, @Nullable String circuit) {
      return new ModelReport(0, 0, 0, 0, Map.of(), inFlight, circuit, null, Map.of());
    }
  }

  /**
   * Percentiles in milliseconds.
   *
   * @param count how many calls the figures are computed over
   * @param p50 the median
   * @param p99 the 99th percentile
   * @param max the maximum
   */
  public record Stat(int count, double p50, double p99, double max) {
    static Stat of(InferenceStats.Percentiles p) {
      return new Stat(p.count(), p.p50Millis(), p.p99Millis(), p.maxMillis());
    }
  }

  /**
   * The GPU source.
   *
   * @param source its name ({@code nvml}, {@code dcgm-exporter}, {@code triton}, {@code none})
   * @param available whether it can produce readings
   * @param unavailableReason why not, or {@code null}
   * @param devices the latest snapshot of each GPU
   */
  public record GpuReport(String source, boolean available, @Nullable String unavailableReason,
      List<GpuDevice> devices) {}

  /**
   * The latest snapshot of one GPU.
   *
   * @param id UUID or index
   * @param index device index, or -1
   * @param name product name, or {@code null}
   * @param utilization utilization ratio 0..1, or {@code null} when unknown
   * @param memoryUsedBytes memory used, or {@code null}
   * @param memoryTotalBytes memory total, or {@code null}
   * @param powerWatts power draw, or {@code null}
   * @param temperatureCelsius temperature, or {@code null}
   * @param sampleAgeMs how old the reading is
   * @param stale whether the source failed to refresh it
   */
  public record GpuDevice(String id, int index, @Nullable String name, @Nullable Double utilization,
      @Nullable Long memoryUsedBytes, @Nullable Long memoryTotalBytes, @Nullable Double powerWatts,
      @Nullable Double temperatureCelsius, double sampleAgeMs, boolean stale) {

    static GpuDevice of(GpuSnapshot s, long nowNanos) {
      return new GpuDevice(s.id(), s.index(), s.name(), finite(s.utilization()),
          s.memoryUsedBytes() < 0 ? null : s.memoryUsedBytes(),
          s.memoryTotalBytes() < 0 ? null : s.memoryTotalBytes(), finite(s.powerWatts()),
          finite(s.temperatureCelsius()), InferenceStats.millis(Math.max(0, nowNanos - s.sampledAtNanos())),
          s.stale());
    }

    private static @Nullable Double finite(double v) {
      return Double.isFinite(v) ? v : null;
    }
  }

  /**
   * The client-perceived health.
   *
   * @param status {@code UP} or {@code DEGRADED}
   * @param reasons why it is degraded
   */
  public record HealthReport(String status, List<String> reasons) {}
}
