package dev.inferscope.observability;

import dev.inferscope.core.Call;
import dev.inferscope.core.CallDescriptor;
import dev.inferscope.core.ErrorType;
import dev.inferscope.core.GpuSnapshot;
import dev.inferscope.core.GpuStateSource;
import dev.inferscope.core.InferenceException;
import dev.inferscope.core.InferenceSystem;
import dev.inferscope.core.InferenceTelemetry;
import dev.inferscope.core.LogPolicy;
import dev.inferscope.core.Phase;
import dev.inferscope.core.ResiliencePolicy;
import dev.inferscope.core.ServerTimingSource;
import dev.inferscope.core.drift.DriftMonitor;
import dev.inferscope.core.slo.SloTracker;
import dev.inferscope.gpu.GpuMetrics;
import io.github.resilience4j.circuitbreaker.CircuitBreakerConfig;
import io.github.resilience4j.circuitbreaker.CircuitBreakerRegistry;
import io.micrometer.core.instrument.Meter;
import io.micrometer.core.instrument.config.MeterFilter;
import io.micrometer.core.instrument.distribution.DistributionStatisticConfig;
import io.micrometer.prometheusmetrics.PrometheusConfig;
import io.micrometer.prometheusmetrics.PrometheusMeterRegistry;
import io.opentelemetry.api.OpenTelemetry;
import java.time.Duration;
import java.util.List;

/**
 * What the SDK exposes to Prometheus, produced for real: core (calls of every kind, the SLO tracker,
 * drift monitor, resilience4j meters) and dcgm-reader's GPU gauges record into a Micrometer
 * {@link PrometheusMeterRegistry} with percentile histograms on for {@code inference.client.*} and
 * {@code gen_ai.client.*} (as the Spring starter configures it), and the registry is scraped once.
 */
final class SdkScrape {
  private static final String TEXT = record();

  private SdkScrape() {}

  /** The Prometheus text exposition of the scrape. */
  static String text() {
    return TEXT;
  }

  private static String record() {
    PrometheusMeterRegistry registry = new PrometheusMeterRegistry(PrometheusConfig.DEFAULT);
    registry.config().meterFilter(new MeterFilter() {
      @Override
      public DistributionStatisticConfig configure(Meter.Id id, DistributionStatisticConfig config) {
        boolean ours = id.getName().startsWith("inference.client.") || id.getName().startsWith("gen_ai.client.");
        return ours ? DistributionStatisticConfig.builder().percentilesHistogram(true).build().merge(config) : config;
      }
    });
    SloTracker slo = SloTracker.builder().build();
    slo.bindTo(registry);
    DriftMonitor drift = DriftMonitor.builder().build();
    GpuStateSource gpus = new GpuStateSource() {
      @Override
      public List<GpuSnapshot> latest() {
        return List.of(new GpuSnapshot("GPU-0", 0, "test gpu", 0.5, 1L << 30, 2L << 30, 300, 60, 0, "nvml", false));
      }

      @Override
      public String name() {
        return "nvml";
      }
    };
    new GpuMetrics(gpus).bindTo(registry);
    InferenceTelemetry telemetry = InferenceTelemetry.builder()
        .openTelemetry(OpenTelemetry.noop())
        .meterRegistry(registry)
        .logPolicy(LogPolicy.disabled())
        .gpuStateSource(gpus)
        .driftMonitor(drift)
        .addListener(slo)
        .build();
    ResiliencePolicy policy = ResiliencePolicy.builder().maxAttempts(1)
        .circuitBreaker(CircuitBreakerConfig.ofDefaults()).bulkhead(4, Duration.ofSeconds(1))
        .meterRegistry(registry).build();

    // a unary call with every phase, in an experiment
    Call unary = telemetry.start(CallDescriptor.builder(InferenceSystem.TRITON, "infer", "resnet50")
        .endpoint("triton-a").batchSize(8).requestBytes(1024).experiment("exp", "b").build());
    for (Phase p : Phase.values()) {
      unary.recordPhase(p, 1_000_000);
    }
    unary.serverTiming(2_000_000, 3_000_000, ServerTimingSource.STATISTICS);
    unary.responseBytes(2048);
    unary.confidence(0.2);
    String answer = unary.execute(policy, null, (attempt, deadline) -> "ok");
    if (!answer.equals("ok")) {
      throw new AssertionError(answer);
    }
    // an open breaker, so that "breakers not closed" queries have something to show
    CircuitBreakerRegistry breakers = policy.circuitBreakerRegistry();
    if (breakers == null) {
      throw new AssertionError("the policy has no circuit breaker registry");
    }
    breakers.circuitBreaker("triton-a/resnet50").transitionToOpenState();
    // a failed call
    telemetry.start(CallDescriptor.builder(InferenceSystem.TRITON, "infer", "resnet50").endpoint("triton-a").build())
        .end(InferenceException.of(ErrorType.DEADLINE_EXCEEDED, "deadline"));
    // a streamed LLM call
    Call chat = telemetry.start(CallDescriptor.builder(InferenceSystem.VLLM, "chat", "llama").endpoint("vllm-a")
        .genAi(true).streaming(true).build());
    chat.onChunk();
    chat.onChunk();
    chat.onChunk();
    chat.tokens(12, 3);
    chat.end();
    // drift and prediction quality
    for (int i = 0; i < 200; i++) {
      drift.observe("resnet50", "brightness", i % 17);
      drift.observePrediction("resnet50", (i % 10) / 10.0, "cat");
    }
    String text = registry.scrape();
    registry.close();
    return text;
  }

}
