package dev.inferscope.core;

import dev.inferscope.core.internal.CallMeters;
import dev.inferscope.core.internal.IdentityHasher;
import dev.inferscope.core.internal.RequestLogWriter;
import io.micrometer.core.instrument.MeterRegistry;
import io.opentelemetry.api.GlobalOpenTelemetry;
import io.opentelemetry.api.OpenTelemetry;
import io.opentelemetry.api.trace.Tracer;
import java.util.ArrayList;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Set;
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
  private final AttributesExtractor[] extractors;
  private final @Nullable SpanNameExtractor spanNameExtractor;
  private final @Nullable MeterTagConvention meterTagConvention;
  private final String[] baggageAttributes;
  private final @Nullable String experimentBaggageKey;
  private final @Nullable String variantBaggageKey;
  private final List<String> meterAttributes;
  private final boolean phaseEvents;
  private final SemconvMode rpcSemconv;
  private final boolean recordProbes;

  private InferenceTelemetry(Builder b) {
    this.openTelemetry = b.openTelemetry != null ? b.openTelemetry : GlobalOpenTelemetry.getOrNoop();
    this.tracer = openTelemetry.getTracer(INSTRUMENTATION_NAME, Version.VERSION);
    this.meterRegistry = b.meterRegistry;
    this.logPolicy = b.logPolicy;
    byte[] key = b.logPolicy.identityKey();
    this.logWriter = new RequestLogWriter(
        b.logPolicy.loggerName(), key == null ? null : new IdentityHasher(key), b.logPolicy.keyValues());
    this.gpuStateSource = b.gpuStateSource;
    this.clock = b.clock;
    this.listeners = b.listeners.toArray(new CallListener[0]);
    this.extractors = b.extractors.toArray(new AttributesExtractor[0]);
    this.spanNameExtractor = b.spanNameExtractor;
    this.meterTagConvention = b.meterTagConvention;
    this.baggageAttributes = b.baggageAttributes.toArray(new String[0]);
    this.experimentBaggageKey = b.experimentBaggageKey;
    this.variantBaggageKey = b.variantBaggageKey;
    this.meterAttributes = List.copyOf(b.meterAttributes);
    this.phaseEvents = b.phaseEvents;
    this.rpcSemconv = b.rpcSemconv != null ? b.rpcSemconv : SemconvMode.rpcFromEnvironment();
    this.recordProbes = b.recordProbes;
    this.meters = b.meterRegistry == null ? null : new CallMeters(b.meterRegistry, meterAttributes);
    this.driftMonitor = b.driftMonitor != null ? b.driftMonitor : dev.inferscope.core.drift.DriftMonitor.builder().build();
    if (b.meterRegistry != null) {
      // meters appear only for models and features actually observed
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

  /**
   * Starts the telemetry of one call: the span begins now. End it with {@link Call#end()}. A
   * {@linkplain CallDescriptor#probe() probe} records nothing unless {@link Builder#recordProbes} is on.
   */
  public Call start(CallDescriptor descriptor) {
    Objects.requireNonNull(descriptor, "descriptor");
    if (descriptor.probe() && !recordProbes && this != NOOP) {
      return NOOP.start(descriptor);
    }
    return new Call(this, descriptor);
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

  AttributesExtractor[] extractors() {
    return extractors;
  }

  @Nullable SpanNameExtractor spanNameExtractor() {
    return spanNameExtractor;
  }

  @Nullable MeterTagConvention meterTagConvention() {
    return meterTagConvention;
  }

  String[] baggageAttributes() {
    return baggageAttributes;
  }

  @Nullable String experimentBaggageKey() {
    return experimentBaggageKey;
  }

  @Nullable String variantBaggageKey() {
    return variantBaggageKey;
  }

  /** Which RPC and hardware attribute names spans get (see {@link SemconvMode}). */
  public SemconvMode rpcSemconv() {
    return rpcSemconv;
  }

  boolean phaseEvents() {
    return phaseEvents;
  }

  /** The custom attribute keys allowed onto the duration meters as tags. */
  public List<String> meterAttributes() {
    return meterAttributes;
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
    b.extractors.addAll(List.of(extractors));
    b.spanNameExtractor = spanNameExtractor;
    b.meterTagConvention = meterTagConvention;
    b.baggageAttributes.addAll(List.of(baggageAttributes));
    b.experimentBaggageKey = experimentBaggageKey;
    b.variantBaggageKey = variantBaggageKey;
    b.meterAttributes.addAll(meterAttributes);
    b.phaseEvents = phaseEvents;
    b.rpcSemconv = rpcSemconv;
    b.recordProbes = recordProbes;
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
    private final List<AttributesExtractor> extractors = new ArrayList<>();
    private @Nullable SpanNameExtractor spanNameExtractor;
    private @Nullable MeterTagConvention meterTagConvention;
    private final Set<String> baggageAttributes = new LinkedHashSet<>();
    private @Nullable String experimentBaggageKey;
    private @Nullable String variantBaggageKey;
    private final Set<String> meterAttributes = new LinkedHashSet<>();
    private boolean phaseEvents;
    private @Nullable SemconvMode rpcSemconv;
    private boolean recordProbes;

    private Builder() {}

    /**
     * Give health and readiness probes ({@code server_live}, {@code server_ready}, {@code model_ready},
     * {@code health}, {@code models}) a span and a log line (default off: a Kubernetes probe every few
     * seconds would start a root trace each time). Probes never reach the client meters, so alert rules,
     * dashboards and SLOs see inference calls only.
     */
    public Builder recordProbes(boolean recordProbes) {
      this.recordProbes = recordProbes;
      return this;
    }

    /**
     * Also record one {@code inference.phase} span event per phase (name, duration, estimated), as
     * Inferscope did before 0.2; default off. The span attributes carry the same facts
     * ({@code inference.phase.<phase>.duration}, {@code inference.phases.estimated}), and OpenTelemetry is
     * deprecating the Span Event API in favour of log-based events (OTEP 4430). Turn it on only while
     * queries that read the events are migrated.
     */
    public Builder phaseEvents(boolean phaseEvents) {
      this.phaseEvents = phaseEvents;
      return this;
    }

    /**
     * The RPC and hardware attribute names to write: current (default), old, or both (see
     * {@link SemconvMode}); default from {@code inferscope.semconv.rpc} or {@code OTEL_SEMCONV_STABILITY_OPT_IN}
     * ({@code rpc/dup}).
     */
    public Builder rpcSemconv(SemconvMode mode) {
      this.rpcSemconv = Objects.requireNonNull(mode, "mode");
      return this;
    }

    /** Adds an extractor of span attributes, run when each call starts and before its span ends. */
    public Builder addAttributesExtractor(AttributesExtractor extractor) {
      this.extractors.add(Objects.requireNonNull(extractor, "extractor"));
      return this;
    }

    /** Names spans; default {@code "{operation} {model}"}. */
    public Builder spanNameExtractor(@Nullable SpanNameExtractor extractor) {
      this.spanNameExtractor = extractor;
      return this;
    }

    /** Adds tags to the call duration meters; default none. */
    public Builder meterTagConvention(@Nullable MeterTagConvention convention) {
      this.meterTagConvention = convention;
      return this;
    }

    /**
     * OpenTelemetry Baggage entries to copy into every call's custom attributes when it starts (the key
     * becomes the attribute key, so it must be valid as one: {@link CallContext#isValidKey}). Lets a web
     * filter tag every call a request makes. A value the request itself sets for the same key wins.
     * Values longer than {@value CallContext#MAX_VALUE_LENGTH} characters or holding control characters
     * are skipped.
     *
     * @throws IllegalArgumentException for an invalid key
     */
    public Builder attributesFromBaggage(String... keys) {
      baggageAttributes.addAll(checkedKeys(keys, false));
      return this;
    }

    /**
     * Baggage entries that give a call its experiment and variant when the request sets none (for
     * example {@code ab.experiment}, {@code ab.variant}).
     *
     * @throws IllegalArgumentException when a key is empty, or both keys are the same
     */
    public Builder experimentFromBaggage(String experimentKey, String variantKey) {
      if (experimentKey.isBlank() || variantKey.isBlank() || experimentKey.equals(variantKey)) {
        throw new IllegalArgumentException("experiment and variant Baggage keys must be two non-empty keys");
      }
      this.experimentBaggageKey = experimentKey;
      this.variantBaggageKey = variantKey;
      return this;
    }

    /**
     * Custom attribute keys allowed onto the call duration meters as tags (by default none is: custom
     * attributes go to spans and log lines only). Each key keeps at most
     * {@value dev.inferscope.core.internal.CallMeters#MAX_VALUES_PER_TAG} distinct values; later values
     * are tagged {@code other}, so a mistaken per-user key cannot exhaust the meter registry.
     *
     * @throws IllegalArgumentException for an invalid key
     */
    public Builder meterAttributes(String... keys) {
      meterAttributes.addAll(checkedKeys(keys, true));
      return this;
    }

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

    /** The keys, each valid as a custom attribute key (and, for meters, not a contract tag already). */
    private static List<String> checkedKeys(String[] keys, boolean meterTag) {
      for (String k : keys) {
        CallContext.checkKey(Objects.requireNonNull(k, "key"));
        if (meterTag && CallMeters.isContractTag(k)) {
          throw new IllegalArgumentException("'" + k + "' is a tag of the duration meters already");
        }
      }
      return List.of(keys);
    }

    public InferenceTelemetry build() {
      return new InferenceTelemetry(this);
    }
  }
}
