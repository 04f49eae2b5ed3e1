package dev.inferscope.spring.autoconfigure;

import dev.inferscope.core.CallListener;
import dev.inferscope.core.GpuStateSource;
import dev.inferscope.core.InferenceClock;
import dev.inferscope.core.InferenceTelemetry;
import dev.inferscope.core.LogPolicy;
import dev.inferscope.core.slo.SloObjective;
import dev.inferscope.core.slo.SloTracker;
import dev.inferscope.spring.ClientPerceivedHealth;
import dev.inferscope.spring.InferenceEndpoints;
import dev.inferscope.spring.InferenceStats;
import dev.inferscope.spring.InferscopeProperties;
import io.micrometer.core.instrument.MeterRegistry;
import io.micrometer.core.instrument.config.MeterFilter;
import io.opentelemetry.api.GlobalOpenTelemetry;
import io.opentelemetry.api.OpenTelemetry;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import java.util.Set;
import org.springframework.beans.factory.ObjectProvider;
import org.springframework.boot.autoconfigure.AutoConfiguration;
import org.springframework.boot.autoconfigure.condition.ConditionalOnBean;
import org.springframework.boot.autoconfigure.condition.ConditionalOnBooleanProperty;
import org.springframework.boot.autoconfigure.condition.ConditionalOnClass;
import org.springframework.boot.autoconfigure.condition.ConditionalOnMissingBean;
import org.springframework.boot.context.properties.EnableConfigurationProperties;
import org.springframework.context.annotation.Bean;

/**
 * Inferscope's core auto-configuration: the {@link InferenceTelemetry} every client shares (from the
 * application's {@link OpenTelemetry} bean, else {@link GlobalOpenTelemetry#getOrNoop()}; its
 * {@link MeterRegistry} when there is one; the {@link LogPolicy} from {@code inferscope.logging.*}; a
 * {@link GpuStateSource} bean when there is one; every {@link CallListener} bean), the endpoint registry,
 * the per-model call statistics, the client-perceived health evaluation and the percentile-histogram
 * meter filter. Every bean backs off when the application defines its own.
 */
@AutoConfiguration(afterName = {
    "org.springframework.boot.micrometer.metrics.autoconfigure.CompositeMeterRegistryAutoConfiguration",
    "org.springframework.boot.micrometer.metrics.autoconfigure.export.simple.SimpleMetricsExportAutoConfiguration",
    "org.springframework.boot.micrometer.metrics.autoconfigure.export.prometheus.PrometheusMetricsExportAutoConfiguration",
    "org.springframework.boot.opentelemetry.autoconfigure.OpenTelemetrySdkAutoConfiguration",
    "org.springframework.boot.micrometer.tracing.autoconfigure.MicrometerTracingAutoConfiguration",
    "org.springframework.boot.micrometer.tracing.brave.autoconfigure.BraveAutoConfiguration",
    "org.springframework.boot.micrometer.tracing.opentelemetry.autoconfigure.OpenTelemetryTracingAutoConfiguration"})
@ConditionalOnClass(InferenceTelemetry.class)
@ConditionalOnBooleanProperty(name = "inferscope.enabled", matchIfMissing = true)
@EnableConfigurationProperties(InferscopeProperties.class)
public final class InferscopeAutoConfiguration {

  /** The name of the percentile-histogram meter filter bean. */
  public static final String HISTOGRAM_FILTER_BEAN = "inferscopeHistogramMeterFilter";

  /** The request log policy from {@code inferscope.logging.*}. */
  @Bean
  @ConditionalOnMissingBean
  LogPolicy inferscopeLogPolicy(InferscopeProperties properties) {
    InferscopeProperties.Logging l = properties.logging();
    String key = l.identityKey();
    LogPolicy.Builder b = LogPolicy.builder()
        .enabled(l.enabled())
        .sampleRate(l.sampleRate())
        .slowThreshold(l.slowThreshold())
        .lowConfidenceThreshold(l.lowConfidence());
    if (key != null && !key.isEmpty()) {
      b.identityKey(key.getBytes(StandardCharsets.UTF_8));
    }
    return b.build();
  }

  /** Per-model windows of recent calls, for the actuator endpoint and health. */
  @Bean
  @ConditionalOnMissingBean
  InferenceStats inferenceStats(InferscopeProperties properties, ObjectProvider<InferenceClock> clock) {
    InferscopeProperties.Stats s = properties.stats();
    return new InferenceStats(s.windowSize(), s.slowCalls(), s.slowThreshold(),
        clock.getIfUnique(InferenceClock::system), new java.util.HashSet<>(s.operations()));
  }

  /** The endpoints the starter configured. */
  @Bean
  @ConditionalOnMissingBean
  InferenceEndpoints inferenceEndpoints() {
    return new InferenceEndpoints();
  }

  /** Runs endpoint readiness probes with a timeout. */
  @Bean
  ReadinessProbes inferscopeReadinessProbes() {
    return new ReadinessProbes();
  }

  /** The telemetry engine every client shares. */
  @Bean
  @ConditionalOnMissingBean
  InferenceTelemetry inferenceTelemetry(
      ObjectProvider<OpenTelemetry> openTelemetry,
      ObjectProvider<MeterRegistry> meterRegistry,
      LogPolicy logPolicy,
      ObjectProvider<GpuStateSource> gpuStateSource,
      ObjectProvider<InferenceClock> clock,
      ObjectProvider<CallListener> listeners,
      ObjectProvider<InferenceTelemetryCustomizer> customizers,
      InferscopeProperties properties) {
    InferenceTelemetry.Builder b = InferenceTelemetry.builder()
        .openTelemetry(openTelemetry.getIfUnique(GlobalOpenTelemetry::getOrNoop))
        .meterRegistry(meterRegistry.getIfUnique(() -> null))
        .logPolicy(logPolicy)
        .gpuStateSource(gpuStateSource.getIfUnique(GpuStateSource::none))
        .clock(clock.getIfUnique(InferenceClock::system));
    InferscopeProperties.Context context = properties.context();
    b.attributesFromBaggage(context.baggageAttributes().toArray(new String[0]));
    if (context.experimentBaggageKey() != null && context.variantBaggageKey() != null) {
      b.experimentFromBaggage(context.experimentBaggageKey(), context.variantBaggageKey());
    }
    b.meterAttributes(context.meterAttributes().toArray(new String[0]));
    b.recordProbes(properties.health().traceProbes());
    Set<String> operations = Set.copyOf(properties.stats().operations());
    listeners.orderedStream().forEach(l -> b.addListener(l instanceof SloTracker && !operations.isEmpty()
        ? inferenceOperationsOnly(l, operations) : l));
    customizers.orderedStream().forEach(c -> c.customize(b));
    return b.build();
  }

  /**
   * SLO tracking per endpoint and model from {@code inferscope.slo.*} (a {@link CallListener}, so the
   * telemetry feeds it); its gauges are bound to the meter registry when there is one.
   */
  @Bean
  @ConditionalOnMissingBean
  @ConditionalOnBooleanProperty(name = "inferscope.slo.enabled", matchIfMissing = true)
  SloTracker inferscopeSloTracker(InferscopeProperties properties, ObjectProvider<InferenceClock> clock,
      ObjectProvider<MeterRegistry> meterRegistry) {
    InferscopeProperties.Slo slo = properties.slo();
    SloTracker tracker = SloTracker.builder()
        .clock(clock.getIfUnique(InferenceClock::system))
        .defaultObjective(new SloObjective(slo.availabilityObjective(), slo.latencyThreshold(), slo.latencyObjective()))
        .build();
    MeterRegistry registry = meterRegistry.getIfUnique(() -> null);
    if (registry != null) {
      tracker.bindTo(registry);
    }
    return tracker;
  }

  /** The endpoints and models whose error budget burns fast, from the SLO tracker. */
  @Bean
  @ConditionalOnMissingBean
  @ConditionalOnBean(SloTracker.class)
  FastBurnSignal inferscopeFastBurnSignal(SloTracker tracker, InferscopeProperties properties) {
    long minCalls = properties.health().burnMinCalls();
    return () -> {
      List<String> burning = new ArrayList<>();
      tracker.statuses().forEach((key, status) -> {
        if (status.fastBurn() && status.calls() >= minCalls) {
          burning.add(key);
        }
      });
      burning.sort(null);
      return burning;
    };
  }

  /**
   * The SLO tracker counts the calls of the inference operations only ({@code inferscope.stats.operations}):
   * readiness probes and metadata calls are not what the objectives are about.
   */
  private static CallListener inferenceOperationsOnly(CallListener listener, Set<String> operations) {
    return record -> {
      if (operations.contains(record.descriptor().operation())) {
        listener.onCallEnd(record);
      }
    };
  }

  /** Client-perceived health: circuit states, server queue backlog, fast error-budget burn. */
  @Bean
  @ConditionalOnMissingBean
  ClientPerceivedHealth inferenceClientPerceivedHealth(InferenceEndpoints endpoints, InferenceStats stats,
      ObjectProvider<MeterRegistry> meterRegistry, ObjectProvider<FastBurnSignal> fastBurn,
      InferscopeProperties properties) {
    FastBurnSignal signal = fastBurn.getIfUnique(() -> List::of);
    return new ClientPerceivedHealth(endpoints, stats, meterRegistry.getIfUnique(() -> null),
        signal::fastBurning, properties.health());
  }

  /**
   * Percentile histograms for Inferscope's {@code inference.client.*} and {@code gen_ai.client.*} meters,
   * so that p50/p99 can be computed in Prometheus. Off with {@code inferscope.metrics.histograms=false}.
   */
  @Bean(HISTOGRAM_FILTER_BEAN)
  @ConditionalOnMissingBean(name = HISTOGRAM_FILTER_BEAN)
  @ConditionalOnBooleanProperty(name = "inferscope.metrics.histograms", matchIfMissing = true)
  static MeterFilter inferscopeHistogramMeterFilter() {
    return new HistogramMeterFilter();
  }

  /**
   * Micrometer Tracing without an OpenTelemetry SDK (the Brave bridge): Inferscope's spans go through the
   * application's Micrometer {@code Tracer} and {@code Propagator}, so they join the application's traces
   * (parent: Micrometer's current span) and the server gets the application's propagation headers. With
   * the OpenTelemetry bridge there is an {@link OpenTelemetry} bean and this backs off.
   */
  @org.springframework.context.annotation.Configuration(proxyBeanMethods = false)
  @org.springframework.boot.autoconfigure.condition.ConditionalOnClass(name = "io.micrometer.tracing.Tracer")
  @ConditionalOnMissingBean(OpenTelemetry.class)
  static final class MicrometerTracingConfiguration {
    @Bean
    @org.springframework.boot.autoconfigure.condition.ConditionalOnBean({io.micrometer.tracing.Tracer.class,
        io.micrometer.tracing.propagation.Propagator.class})
    InferenceTelemetryCustomizer inferscopeMicrometerTracing(io.micrometer.tracing.Tracer tracer,
        io.micrometer.tracing.propagation.Propagator propagator) {
      MicrometerTracingOpenTelemetry otel = new MicrometerTracingOpenTelemetry(tracer, propagator);
      return b -> b.openTelemetry(otel);
    }
  }
}
