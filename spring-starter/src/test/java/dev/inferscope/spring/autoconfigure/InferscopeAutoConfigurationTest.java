package dev.inferscope.spring.autoconfigure;

import static org.assertj.core.api.Assertions.assertThat;

import dev.inferscope.core.Call;
import dev.inferscope.core.CallDescriptor;
import dev.inferscope.core.ErrorType;
import dev.inferscope.core.InferenceException;
import dev.inferscope.core.slo.SloTracker;
import dev.inferscope.spring.TestCalls;
import dev.inferscope.core.GpuStateSource;
import dev.inferscope.core.InferenceSystem;
import dev.inferscope.core.InferenceTelemetry;
import dev.inferscope.core.LogPolicy;
import dev.inferscope.spring.ClientPerceivedHealth;
import dev.inferscope.spring.InferenceEndpoints;
import dev.inferscope.spring.InferenceStats;
import dev.inferscope.spring.InferscopeProperties;
import io.micrometer.core.instrument.Meter;
import io.micrometer.core.instrument.MeterRegistry;
import io.micrometer.core.instrument.Tags;
import io.micrometer.core.instrument.distribution.DistributionStatisticConfig;
import io.micrometer.prometheusmetrics.PrometheusMeterRegistry;
import io.micrometer.core.instrument.Timer;
import io.micrometer.core.instrument.config.MeterFilter;
import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import io.opentelemetry.api.GlobalOpenTelemetry;
import io.opentelemetry.api.OpenTelemetry;
import io.opentelemetry.sdk.testing.exporter.InMemorySpanExporter;
import io.opentelemetry.sdk.OpenTelemetrySdk;
import io.opentelemetry.sdk.trace.SdkTracerProvider;
import io.opentelemetry.sdk.trace.export.SimpleSpanProcessor;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.springframework.boot.autoconfigure.AutoConfigurations;
import org.springframework.boot.micrometer.metrics.autoconfigure.CompositeMeterRegistryAutoConfiguration;
import org.springframework.boot.micrometer.metrics.autoconfigure.MetricsAutoConfiguration;
import org.springframework.boot.micrometer.metrics.autoconfigure.export.prometheus.PrometheusMetricsExportAutoConfiguration;
import org.springframework.boot.test.context.FilteredClassLoader;
import org.springframework.boot.test.context.runner.ApplicationContextRunner;
import org.springframework.context.annotation.Bean;
import org.springframework.context.annotation.Configuration;

class InferscopeAutoConfigurationTest {

  private final ApplicationContextRunner runner = new ApplicationContextRunner()
      .withConfiguration(AutoConfigurations.of(InferscopeAutoConfiguration.class));

  @Test
  void worksWithoutOpenTelemetryBeanAndWithoutMeterRegistry() {
    runner.run(ctx -> {
      assertThat(ctx).hasNotFailed();
      assertThat(ctx).hasSingleBean(InferenceTelemetry.class).hasSingleBean(LogPolicy.class)
          .hasSingleBean(InferenceStats.class).hasSingleBean(InferenceEndpoints.class)
          .hasSingleBean(ClientPerceivedHealth.class).hasSingleBean(InferscopeProperties.class);
      InferenceTelemetry t = ctx.getBean(InferenceTelemetry.class);
      assertThat(t.openTelemetry()).isSameAs(GlobalOpenTelemetry.getOrNoop());
      assertThat(t.meterRegistry()).isNull();
      assertThat(t.gpuStateSource().name()).isEqualTo("none");
      // a call works end to end and reaches the statistics listener
      t.start(CallDescriptor.builder(InferenceSystem.TRITON, "infer", "m").endpoint("e").build()).end();
      assertThat(ctx.getBean(InferenceStats.class).snapshot()).singleElement()
          .satisfies(s -> assertThat(s.totalCalls()).isEqualTo(1));
    });
  }

  @Test
  void worksWhenTheOpenTelemetrySdkAndBootsOpenTelemetryModuleAreAbsent() {
    runner.withClassLoader(new FilteredClassLoader("io.opentelemetry.sdk", "org.springframework.boot.opentelemetry"))
        .run(ctx -> {
          assertThat(ctx).hasNotFailed().hasSingleBean(InferenceTelemetry.class);
          assertThat(ctx.getBean(InferenceTelemetry.class).openTelemetry()).isSameAs(GlobalOpenTelemetry.getOrNoop());
        });
  }

  @Test
  void worksWhenBootsMetricsModuleIsAbsent() {
    runner.withClassLoader(new FilteredClassLoader("org.springframework.boot.micrometer"))
        .run(ctx -> {
          assertThat(ctx).hasNotFailed().hasSingleBean(InferenceTelemetry.class).doesNotHaveBean(MeterRegistry.class);
          assertThat(ctx.getBean(InferenceTelemetry.class).meterRegistry()).isNull();
        });
  }

  @Test
  void usesTheApplicationsOpenTelemetryAndMeterRegistry() {
    runner.withUserConfiguration(ObservabilityConfig.class).run(ctx -> {
      InferenceTelemetry t = ctx.getBean(InferenceTelemetry.class);
      assertThat(t.openTelemetry()).isSameAs(ctx.getBean(OpenTelemetry.class));
      assertThat(t.meterRegistry()).isSameAs(ctx.getBean(MeterRegistry.class));
      t.start(CallDescriptor.builder(InferenceSystem.TRITON, "infer", "resnet").endpoint("e").build()).end();
      assertThat(ctx.getBean(InMemorySpanExporter.class).getFinishedSpanItems())
          .singleElement().satisfies(s -> assertThat(s.getName()).isEqualTo("infer resnet"));
      assertThat(ctx.getBean(MeterRegistry.class).find("inference.client.duration").timer()).isNotNull();
    });
  }

  @Test
  void usesAGpuStateSourceBean() {
    runner.withBean(GpuStateSource.class, () -> new FixedGpu()).run(ctx ->
        assertThat(ctx.getBean(InferenceTelemetry.class).gpuStateSource()).isInstanceOf(FixedGpu.class));
  }

  @Test
  void backsOffWhenTheApplicationDefinesItsOwnBeans() {
    InferenceTelemetry own = InferenceTelemetry.noop();
    LogPolicy ownPolicy = LogPolicy.disabled();
    InferenceStats ownStats = new InferenceStats(3, 0, Duration.ZERO);
    InferenceEndpoints ownEndpoints = new InferenceEndpoints();
    runner.withBean(InferenceTelemetry.class, () -> own)
        .withBean(LogPolicy.class, () -> ownPolicy)
        .withBean(InferenceStats.class, () -> ownStats)
        .withBean(InferenceEndpoints.class, () -> ownEndpoints)
        .run(ctx -> {
          assertThat(ctx.getBean(InferenceTelemetry.class)).isSameAs(own);
          assertThat(ctx.getBean(LogPolicy.class)).isSameAs(ownPolicy);
          assertThat(ctx.getBean(InferenceStats.class)).isSameAs(ownStats);
          assertThat(ctx.getBean(InferenceEndpoints.class)).isSameAs(ownEndpoints);
        });
  }

  @Test
  void disabledByProperty() {
    runner.withPropertyValues("inferscope.enabled=false").run(ctx -> {
      assertThat(ctx).hasNotFailed().doesNotHaveBean(InferenceTelemetry.class).doesNotHaveBean(InferenceStats.class)
          .doesNotHaveBean(MeterFilter.class);
    });
  }

  @Test
  void loggingPropertiesBecomeTheLogPolicy() {
    runner.withPropertyValues("inferscope.logging.sample-rate=0.25", "inferscope.logging.slow-threshold=750ms",
        "inferscope.logging.low-confidence=0.3", "inferscope.logging.identity-key=0123456789abcdef-secret")
        .run(ctx -> {
          LogPolicy p = ctx.getBean(LogPolicy.class);
          assertThat(p.enabled()).isTrue();
          assertThat(p.sampleRate()).isEqualTo(0.25);
          assertThat(p.slowThreshold()).isEqualTo(Duration.ofMillis(750));
          assertThat(p.lowConfidenceThreshold()).isEqualTo(0.3);
          assertThat(p.hashesIdentities()).isTrue();
          assertThat(p.toString()).doesNotContain("secret");
          assertThat(ctx.getBean(InferscopeProperties.class).toString()).doesNotContain("secret");
          assertThat(ctx.getBean(InferenceTelemetry.class).logPolicy()).isSameAs(p);
        });
    runner.withPropertyValues("inferscope.logging.enabled=false").run(ctx ->
        assertThat(ctx.getBean(LogPolicy.class).enabled()).isFalse());
  }

  @Test
  void badPropertiesFailTheStartupClearly() {
    runner.withPropertyValues("inferscope.logging.identity-key=short").run(ctx ->
        assertThat(ctx).getFailure().rootCause().hasMessageContaining("at least 16 bytes"));
    runner.withPropertyValues("inferscope.logging.sample-rate=2").run(ctx ->
        assertThat(ctx).getFailure().rootCause().hasMessageContaining("sampleRate"));
    runner.withPropertyValues("inferscope.stats.window-size=0").run(ctx ->
        assertThat(ctx).getFailure().rootCause().hasMessageContaining("window-size"));
  }

  @Test
  void statsPropertiesSizeTheWindows() {
    runner.withPropertyValues("inferscope.stats.window-size=7").run(ctx ->
        assertThat(ctx.getBean(InferenceStats.class).windowSize()).isEqualTo(7));
  }

  @Test
  void healthPropertiesBind() {
    runner.withPropertyValues("inferscope.health.queue-backlog-threshold=3", "inferscope.health.queue-time-threshold=2s",
        "inferscope.health.window=30s", "inferscope.health.min-calls=9", "inferscope.health.readiness-timeout=300ms")
        .run(ctx -> {
          InferscopeProperties.Health h = ctx.getBean(ClientPerceivedHealth.class).settings();
          assertThat(h.queueBacklogThreshold()).isEqualTo(3.0);
          assertThat(h.queueTimeThreshold()).isEqualTo(Duration.ofSeconds(2));
          assertThat(h.window()).isEqualTo(Duration.ofSeconds(30));
          assertThat(h.minCalls()).isEqualTo(9);
          assertThat(h.readinessTimeout()).isEqualTo(Duration.ofMillis(300));
        });
  }

  @Test
  void defaultsOfEveryGroup() {
    runner.run(ctx -> {
      InferscopeProperties p = ctx.getBean(InferscopeProperties.class);
      assertThat(p.enabled()).isTrue();
      assertThat(p.metrics().histograms()).isTrue();
      assertThat(p.logging().sampleRate()).isEqualTo(0.1);
      assertThat(p.slo().availabilityObjective()).isEqualTo(0.999);
      assertThat(p.slo().latencyThreshold()).isEqualTo(Duration.ofSeconds(1));
      assertThat(p.gpu().source()).isEqualTo(InferscopeProperties.GpuSourceType.NONE);
      assertThat(p.gpu().period()).isEqualTo(Duration.ofSeconds(1));
      assertThat(p.health().queueTimeThreshold()).isEqualTo(Duration.ofMillis(500));
      assertThat(p.stats().windowSize()).isEqualTo(1024);
      assertThat(p.triton().endpoints()).isEmpty();
      assertThat(p.vllm().endpoints()).isEmpty();
      assertThat(p).isEqualTo(InferscopeProperties.defaults());
    });
  }

  @Test
  void endpointPropertiesBindWithNestedDefaults() {
    runner.withPropertyValues(
        "inferscope.triton.endpoints.vision.grpc-target=localhost:8001",
        "inferscope.triton.endpoints.vision.http-url=http://localhost:8000",
        "inferscope.triton.endpoints.vision.deadline=2s",
        "inferscope.triton.endpoints.vision.timeout-parameter=true",
        "inferscope.triton.endpoints.vision.tls.enabled=true",
        "inferscope.triton.endpoints.vision.tls.bundle=triton",
        "inferscope.triton.endpoints.vision.resilience.max-attempts=5",
        "inferscope.triton.endpoints.vision.resilience.circuit-breaker.enabled=false",
        "inferscope.triton.endpoints.vision.resilience.bulkhead.max-concurrent-calls=4",
        "inferscope.triton.endpoints.vision.resilience.bulkhead.max-wait=20ms",
        "inferscope.triton.endpoints.vision.statistics-interval=1s",
        "inferscope.triton.endpoints.vision.metrics.url=http://localhost:8002/metrics",
        "inferscope.triton.endpoints.vision.metrics.interval=5s",
        "inferscope.triton.endpoints.vision.gpu-uuids=GPU-1,GPU-2",
        "inferscope.triton.endpoints.vision.models=resnet50,tiny",
        "inferscope.vllm.endpoints.chat.base-url=http://localhost:8000",
        "inferscope.vllm.endpoints.chat.api-key=sk-canary-key",
        "inferscope.vllm.endpoints.chat.idle-timeout=10s",
        "inferscope.gpu.source=dcgm-exporter",
        "inferscope.gpu.url=http://localhost:9400/metrics",
        "inferscope.gpu.uuids=GPU-1")
        .run(ctx -> {
          InferscopeProperties p = ctx.getBean(InferscopeProperties.class);
          InferscopeProperties.TritonEndpoint v = p.triton().endpoints().get("vision");
          assertThat(v.grpcTarget()).isEqualTo("localhost:8001");
          assertThat(v.httpUrl()).hasToString("http://localhost:8000");
          assertThat(v.deadline()).isEqualTo(Duration.ofSeconds(2));
          assertThat(v.timeoutParameter()).isTrue();
          assertThat(v.tls().enabled()).isTrue();
          assertThat(v.tls().bundle()).isEqualTo("triton");
          assertThat(v.resilience().maxAttempts()).isEqualTo(5);
          assertThat(v.resilience().initialBackoff()).isEqualTo(Duration.ofMillis(50));
          assertThat(v.resilience().circuitBreaker().enabled()).isFalse();
          assertThat(v.resilience().circuitBreaker().failureRateThreshold()).isEqualTo(50f);
          assertThat(v.resilience().bulkhead().maxConcurrentCalls()).isEqualTo(4);
          assertThat(v.resilience().bulkhead().maxWait()).isEqualTo(Duration.ofMillis(20));
          assertThat(v.statisticsInterval()).isEqualTo(Duration.ofSeconds(1));
          assertThat(v.metrics().url()).hasToString("http://localhost:8002/metrics");
          assertThat(v.metrics().interval()).isEqualTo(Duration.ofSeconds(5));
          assertThat(v.gpuUuids()).containsExactly("GPU-1", "GPU-2");
          assertThat(v.models()).containsExactly("resnet50", "tiny");
          InferscopeProperties.VllmEndpoint c = p.vllm().endpoints().get("chat");
          assertThat(c.baseUrl()).hasToString("http://localhost:8000");
          assertThat(c.apiKey()).isEqualTo("sk-canary-key");
          assertThat(c.idleTimeout()).isEqualTo(Duration.ofSeconds(10));
          assertThat(c.deadline()).isNull();
          assertThat(c.resilience().maxAttempts()).isEqualTo(3);
          assertThat(c.resilience().circuitBreaker().enabled()).isTrue();
          assertThat(c.metrics().url()).isNull();
          assertThat(c.toString()).doesNotContain("sk-canary-key");
          assertThat(p.toString()).doesNotContain("sk-canary-key");
          assertThat(p.gpu().source()).isEqualTo(InferscopeProperties.GpuSourceType.DCGM_EXPORTER);
          assertThat(p.gpu().url()).hasToString("http://localhost:9400/metrics");
          assertThat(p.gpu().uuids()).containsExactly("GPU-1");
        });
  }

  @Test
  void histogramFilterTurnsOnPercentileHistogramsForInferscopeMetersOnly() {
    runner.withConfiguration(AutoConfigurations.of(MetricsAutoConfiguration.class,
            CompositeMeterRegistryAutoConfiguration.class, PrometheusMetricsExportAutoConfiguration.class))
        .run(ctx -> {
          assertThat(ctx).hasBean(InferscopeAutoConfiguration.HISTOGRAM_FILTER_BEAN);
          PrometheusMeterRegistry registry = ctx.getBean(PrometheusMeterRegistry.class);
          assertThat(ctx.getBean(InferenceTelemetry.class).meterRegistry()).isSameAs(registry);
          for (String name : List.of("inference.client.duration", "gen_ai.client.operation.duration", "http.other")) {
            Timer.builder(name).register(registry).record(3, TimeUnit.MILLISECONDS);
          }
          String text = registry.scrape();
          assertThat(text).contains("inference_client_duration_seconds_bucket{")
              .contains("gen_ai_client_operation_duration_seconds_bucket{")
              .contains("http_other_seconds_count").doesNotContain("http_other_seconds_bucket");
        });
  }

  @Test
  void histogramsCanBeTurnedOff() {
    runner.withPropertyValues("inferscope.metrics.histograms=false")
        .withConfiguration(AutoConfigurations.of(MetricsAutoConfiguration.class,
            CompositeMeterRegistryAutoConfiguration.class, PrometheusMetricsExportAutoConfiguration.class))
        .run(ctx -> {
          assertThat(ctx).doesNotHaveBean(InferscopeAutoConfiguration.HISTOGRAM_FILTER_BEAN);
          PrometheusMeterRegistry registry = ctx.getBean(PrometheusMeterRegistry.class);
          Timer.builder("inference.client.duration").register(registry).record(3, TimeUnit.MILLISECONDS);
          assertThat(registry.scrape()).contains("inference_client_duration_seconds_count")
              .doesNotContain("inference_client_duration_seconds_bucket");
        });
  }

  @Test
  void histogramFilterKeepsSettingsTheApplicationMadeAndBoundsSummaries() {
    MeterFilter filter = new HistogramMeterFilter();
    Meter.Id timer = new Meter.Id("inference.client.phase.duration", Tags.empty(), null, null, Meter.Type.TIMER);
    Meter.Id summary = new Meter.Id("gen_ai.client.token.usage", Tags.empty(), null, null,
        Meter.Type.DISTRIBUTION_SUMMARY);
    Meter.Id other = new Meter.Id("jvm.gc.pause", Tags.empty(), null, null, Meter.Type.TIMER);
    DistributionStatisticConfig empty = DistributionStatisticConfig.builder().build();
    assertThat(filter.configure(timer, empty).isPercentileHistogram()).isTrue();
    assertThat(filter.configure(summary, empty).isPercentileHistogram()).isTrue();
    assertThat(filter.configure(summary, empty).getMaximumExpectedValueAsDouble()).isEqualTo(1L << 30);
    assertThat(filter.configure(other, empty).isPercentileHistogram()).isNull();
    DistributionStatisticConfig off = DistributionStatisticConfig.builder().percentilesHistogram(false).build();
    assertThat(filter.configure(timer, off).isPercentileHistogram()).isFalse();
  }

  @Test
  void customizersAndListenerBeansReachTheTelemetry() {
    List<String> seen = new java.util.concurrent.CopyOnWriteArrayList<>();
    runner.withBean("myListener", dev.inferscope.core.CallListener.class,
            () -> r -> seen.add("listener:" + r.descriptor().model()))
        .withBean(InferenceTelemetryCustomizer.class, () -> b -> b.addListener(r -> seen.add("customized")))
        .run(ctx -> {
          ctx.getBean(InferenceTelemetry.class)
              .start(CallDescriptor.builder(InferenceSystem.TRITON, "infer", "m").build()).end();
          assertThat(seen).containsExactlyInAnyOrder("listener:m", "customized");
          assertThat(ctx.getBean(InferenceStats.class).snapshot()).hasSize(1);
        });
  }

  @Test
  void sloTrackerListensToEveryCallAndItsFastBurnDegradesClientHealth() {
    TestCalls.FakeClock clock = new TestCalls.FakeClock();
    runner.withBean(dev.inferscope.core.InferenceClock.class, () -> clock)
        .withBean(MeterRegistry.class, SimpleMeterRegistry::new)
        .withPropertyValues("inferscope.slo.availability-objective=0.999", "inferscope.slo.latency-threshold=2s")
        .run(ctx -> {
          SloTracker tracker = ctx.getBean(SloTracker.class);
          InferenceTelemetry t = ctx.getBean(InferenceTelemetry.class);
          ClientPerceivedHealth health = ctx.getBean(ClientPerceivedHealth.class);
          CallDescriptor d = CallDescriptor.builder(InferenceSystem.TRITON, "infer", "resnet").endpoint("vision").build();
          // 0.05 % failures: within a 99.9 % objective
          for (int i = 0; i < 2000; i++) {
            Call c = t.start(d);
            clock.advanceMillis(1);
            if (i == 0) {
              c.end(InferenceException.of(ErrorType.UNAVAILABLE, "down"));
            } else {
              c.end();
            }
          }
          assertThat(tracker.status("vision", "resnet").fastBurn()).isFalse();
          assertThat(health.evaluate().degraded()).isFalse();
          // then 5 % failures: 2.5 % over both windows, 25 times the allowed pace (fast burn is 14.4)
          for (int i = 0; i < 2000; i++) {
            Call c = t.start(d);
            clock.advanceMillis(1);
            if (i % 20 == 0) {
              c.end(InferenceException.of(ErrorType.UNAVAILABLE, "down"));
            } else {
              c.end();
            }
          }
          assertThat(tracker.status("vision", "resnet").fastBurn()).isTrue();
          assertThat(health.evaluate().reasons()).contains("error budget burning fast: vision/resnet");
          // a burn rate over a handful of calls is noise: another model's 3 calls, 1 failed, do not count
          CallDescriptor other = CallDescriptor.builder(InferenceSystem.TRITON, "infer", "tiny").endpoint("vision").build();
          for (int i = 0; i < 3; i++) {
            Call c = t.start(other);
            if (i == 0) {
              c.end(InferenceException.of(ErrorType.UNAVAILABLE, "down"));
            } else {
              c.end();
            }
          }
          assertThat(tracker.status("vision", "tiny").fastBurn()).isTrue();
          assertThat(health.evaluate().reasons()).doesNotContain("error budget burning fast: vision/tiny");
          // readiness probes and metadata calls are not counted against the objectives
          long before = tracker.status("vision", "resnet").calls();
          t.start(CallDescriptor.builder(InferenceSystem.TRITON, "model_ready", "resnet").endpoint("vision").build())
              .end(InferenceException.of(ErrorType.UNAVAILABLE, "down"));
          assertThat(tracker.status("vision", "resnet").calls()).isEqualTo(before);
          assertThat(ctx.getBean(MeterRegistry.class).find("inference.slo.burn_rate").tag("window", "5m").gauges())
              .isNotEmpty();
        });
  }

  @Test
  void sloObjectivesComeFromTheProperties() {
    TestCalls.FakeClock clock = new TestCalls.FakeClock();
    runner.withBean(dev.inferscope.core.InferenceClock.class, () -> clock)
        .withPropertyValues("inferscope.slo.latency-threshold=100ms", "inferscope.slo.latency-objective=0.9")
        .run(ctx -> {
          SloTracker tracker = ctx.getBean(SloTracker.class);
          InferenceTelemetry t = ctx.getBean(InferenceTelemetry.class);
          CallDescriptor d = CallDescriptor.builder(InferenceSystem.TRITON, "infer", "m").endpoint("e").build();
          for (int i = 0; i < 10; i++) {
            Call c = t.start(d);
            clock.advanceMillis(i < 5 ? 50 : 150); // half the calls slower than 100 ms
            c.end();
          }
          // 50 % slow against a 10 % budget: burn rate 5 in the 5 m window
          assertThat(tracker.status("e", "m").latencyBurn().get("5m")).isEqualTo(5.0,
              org.assertj.core.api.Assertions.within(1e-9));
          assertThat(tracker.status("e", "m").availabilityBurn().get("5m")).isZero();
        });
  }

  @Test
  void sloTrackingCanBeTurnedOff() {
    runner.withPropertyValues("inferscope.slo.enabled=false").run(ctx ->
        assertThat(ctx).hasNotFailed().doesNotHaveBean(SloTracker.class).doesNotHaveBean(FastBurnSignal.class)
            .hasSingleBean(ClientPerceivedHealth.class));
  }

  @Configuration(proxyBeanMethods = false)
  static class ObservabilityConfig {
    @Bean
    InMemorySpanExporter exporter() {
      return InMemorySpanExporter.create();
    }

    @Bean
    OpenTelemetry openTelemetry(InMemorySpanExporter exporter) {
      return OpenTelemetrySdk.builder()
          .setTracerProvider(SdkTracerProvider.builder().addSpanProcessor(SimpleSpanProcessor.create(exporter)).build())
          .build();
    }

    @Bean
    MeterRegistry meterRegistry() {
      return new SimpleMeterRegistry();
    }
  }

  static final class FixedGpu implements GpuStateSource {
    @Override
    public List<dev.inferscope.core.GpuSnapshot> latest() {
      return List.of();
    }

    @Override
    public String name() {
      return "fixed";
    }
  }
}
