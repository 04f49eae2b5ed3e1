package dev.inferscope.core;

import dev.inferscope.core.internal.CallMeters;
import dev.inferscope.core.internal.IdentityHasher;
import dev.inferscope.core.internal.RequestLogWriter;
import io.micrometer.core.instrument.MeterRegistry;
import io.opentelemetry.api.GlobalOpenTelemetry;
import io.opentelemetry.api.OpenTelemetry;
import io.opentelemetry.api.trace.Tracer;
import java.util.ArrayList;
import java.util.List;
import java.util.Objects;
import org.jspecify.annotations.Nullable;

/**
 * The entry point of Inferscope's telemetry: holds the OpenTelemetry tracer, the Micrometer registry,
 * the log policy, the GPU state source and the clock, and {@linkplain #start starts} one {@link Call}
 * per inference call.
 *
 * <p>Immutable, thread-safe and cheap to share: build one per application and hand it to every client.
 *
 * <pre>{@code
 * InferenceTelemetry telemetry = InferenceTelemetry.builder()
 *     .openTelemetry(openTelemetry)
 *     .meterRegistry(meterRegistry)
 *     .build();
 * }</pre>
 */
public final class InferenceTelemetry {
  /** The instrumentation scope name used for the tracer. */
  public static final String INSTRUMENTATION_NAME = "dev.inferscope";

  private static final InferenceTelemetry NOOP =
      builder().openTelemetry(OpenTelemetry.noop()).logPolicy(LogPolicy.disabled()).build();

  private final OpenTelemetry openTelemetry;
  private final Tracer tracer;
  private final @Nullable MeterRegistry meterRegistry;
  private final @Nullable CallMeters meters;
  private final LogPolicy logPolicy;
  private final RequestLogWriter logWriter;
  private final GpuStateSource gpuStateSource;
  private final InferenceClock clock;
  private final CallListener[] listeners;
  private final dev.inferscope.core.drift.DriftMonitor driftMonitor;

  private InferenceTelemetry(Builder b) {
    this.openTelemetry = b.openTelemetry != null ? b.openTelemetry : GlobalOpenTelemetry.getOrNoop();
    this.tracer = openTelemetry.getTracer(INSTRUMENTATION_NAME, Version.VERSION);
    this.meterRegistry = b.meterRegistry;
    this.meters = b.meterRegistry == null ? null : new CallMeters(b.meterRegistry);
    this.logPolicy = b.logPolicy;
    byte[] key = b.logPolicy.identityKey();
    this.logWriter = new RequestLogWriter(
        b.logPolicy.loggerName(), key == null ? null : new IdentityHasher(key), b.logPolicy.keyValues());
    this.gpuStateSource = b.gpuStateSource;
    this.clock = b.clock;
    this.listeners = b.listeners.toArray(new CallListener[0]);
    this.driftMonitor = b.driftMonitor != null ? b.driftMonitor : dev.inferscope.core.drift.DriftMonitor.builder().build();
    if (b.meterRegistry != null && b.driftMonitor != null) {
      driftMonitor.bindTo(b.meterRegistry);
    }
  }

  /**
   * The hook for feeding features and predictions to drift detection
   * ({@code telemetry.driftMonitor().observe(model, feature, value)}). Values are never logged.
   */
  public dev.inferscope.core.drift.DriftMonitor driftMonitor() {
    return driftMonitor;
  }

  /** Telemetry from {@code openTelemetry}, no metrics, default log policy, no GPU source. */
  public static InferenceTelemetry create(OpenTelemetry openTelemetry) {
    return builder().openTelemetry(openTelemetry).build();
  }

  /** Telemetry that records nothing (no spans, meters or log lines). */
  public static InferenceTelemetry noop() {
    return NOOP;
  }

  /** A builder. */
  public static Builder builder() {
    return new Builder();
  }

  /** Starts the telemetry of one call: the span begins now. End it with {@link Call#end()}. */
  public Call start(CallDescriptor descriptor) {
    return new Call(this, Objects.requireNonNull(descriptor, "descriptor"));
  }

  public OpenTelemetry openTelemetry() {
    return openTelemetry;
  }

  /** The meter registry, or {@code null} when metrics are off. */
  public @Nullable MeterRegistry meterRegistry() {
    return meterRegistry;
  }

  public LogPolicy logPolicy() {
    return logPolicy;
  }

  public GpuStateSource gpuStateSource() {
    return gpuStateSource;
  }

  public InferenceClock clock() {
    return clock;
  }

  Tracer tracer() {
    return tracer;
  }

  @Nullable CallMeters meters() {
    return meters;
  }

  RequestLogWriter logWriter() {
    return logWriter;
  }

  CallListener[] listeners() {
    return listeners;
  }

  /** A builder initialised with this instance's settings. */
  public Builder toBuilder() {
    Builder b = new Builder();
    b.openTelemetry = openTelemetry;
    b.meterRegistry = meterRegistry;
    b.logPolicy = logPolicy;
    b.gpuStateSource = gpuStateSource;
    b.clock = clock;
    b.listeners.addAll(List.of(listeners));
    b.driftMonitor = driftMonitor;
    return b;
  }

  /** Builds an {@link InferenceTelemetry}. */
  public static final class Builder {
    private @Nullable OpenTelemetry openTelemetry;
    private @Nullable MeterRegistry meterRegistry;
    private LogPolicy logPolicy = LogPolicy.defaults();
    private GpuStateSource gpuStateSource = GpuStateSource.none();
    private InferenceClock clock = InferenceClock.system();
    private final List<CallListener> listeners = new ArrayList<>();
    private dev.inferscope.core.drift.@Nullable DriftMonitor driftMonitor;

    private Builder() {}

    /** The drift monitor clients feed (default: a monitor with default settings, not bound to meters). */
    public Builder driftMonitor(dev.inferscope.core.drift.DriftMonitor driftMonitor) {
      this.driftMonitor = Objects.requireNonNull(driftMonitor, "driftMonitor");
      return this;
    }

    /** The OpenTelemetry instance; default {@code GlobalOpenTelemetry.getOrNoop()}. */
    public Builder openTelemetry(OpenTelemetry openTelemetry) {
      this.openTelemetry = Objects.requireNonNull(openTelemetry, "openTelemetry");
      return this;
    }

    /** The Micrometer registry; default none (no metrics). */
    public Builder meterRegistry(@Nullable MeterRegistry meterRegistry) {
      this.meterRegistry = meterRegistry;
      return this;
    }

    /** Which calls are logged; default {@link LogPolicy#defaults()}. */
    public Builder logPolicy(LogPolicy logPolicy) {
      this.logPolicy = Objects.requireNonNull(logPolicy, "logPolicy");
      return this;
    }

    /** Where GPU state comes from; default none. */
    public Builder gpuStateSource(GpuStateSource gpuStateSource) {
      this.gpuStateSource = Objects.requireNonNull(gpuStateSource, "gpuStateSource");
      return this;
    }

    /** The clock; default the system clock. Tests pass a fake. */
    public Builder clock(InferenceClock clock) {
      this.clock = Objects.requireNonNull(clock, "clock");
      return this;
    }

    /** Adds a listener told about every ended call (SLO trackers, dashboards, tests). */
    public Builder addListener(CallListener listener) {
      this.listeners.add(Objects.requireNonNull(listener, "listener"));
      return this;
    }

    public InferenceTelemetry build() {
      return new InferenceTelemetry(this);
    }
  }
}
