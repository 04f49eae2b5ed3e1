package dev.inferscope.spring;

import static org.assertj.core.api.Assertions.assertThat;

import dev.inferscope.core.GpuSnapshot;
import dev.inferscope.core.GpuStateSource;
import dev.inferscope.core.InferenceSystem;
import dev.inferscope.core.ResiliencePolicy;
import dev.inferscope.spring.autoconfigure.InferscopeAutoConfiguration;
import dev.inferscope.spring.autoconfigure.InferscopeEndpointAutoConfiguration;
import io.micrometer.core.instrument.Gauge;
import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.Test;
import org.springframework.boot.actuate.autoconfigure.endpoint.EndpointAutoConfiguration;
import org.springframework.boot.actuate.endpoint.annotation.Endpoint;
import org.springframework.boot.autoconfigure.AutoConfigurations;
import org.springframework.boot.test.context.FilteredClassLoader;
import org.springframework.boot.test.context.runner.ApplicationContextRunner;
import tools.jackson.databind.JsonNode;
import tools.jackson.databind.json.JsonMapper;

class InferenceActuatorEndpointTest {
  private static final String CANARY = "CANARY-PAYLOAD-7f3a";

  @Test
  void reportHasThePerPhaseJsonShape() {
    TestCalls calls = new TestCalls();
    InferenceStats stats = new InferenceStats(100, 5, Duration.ofMillis(500), calls.clock);
    InferenceEndpoints endpoints = new InferenceEndpoints();
    ResiliencePolicy policy = ResiliencePolicy.defaults();
    endpoints.register(new InferenceEndpoints.Endpoint("vision", InferenceSystem.TRITON, "localhost:8001", policy, null));
    policy.circuitBreakerRegistry().circuitBreaker("vision/resnet");
    policy.circuitBreakerRegistry().circuitBreaker("vision/"); // server-level calls (readiness): no model
    SimpleMeterRegistry registry = new SimpleMeterRegistry();
    AtomicInteger active = new AtomicInteger(3);
    Gauge.builder("inference.client.active", active, AtomicInteger::get)
        .tags("system", "triton", "endpoint", "vision", "model", "resnet").register(registry);
    for (int i = 0; i < 20; i++) {
      stats.onCallEnd(calls.infer("vision", "resnet", 1000 + i, 800 + i, 150));
    }
    stats.onCallEnd(calls.chat("chat", "llama", 90, 12, 20));
    GpuStateSource gpu = new GpuStateSource() {
      @Override
      public List<GpuSnapshot> latest() {
        return List.of(new GpuSnapshot("GPU-abc", 0, "H100", 0.93, 60L << 30, 80L << 30, 512.5, Double.NaN,
            calls.clock.nanoTime() - 250_000_000L, "nvml", false));
      }

      @Override
      public String name() {
        return "nvml";
      }
    };
    ClientPerceivedHealth health = new ClientPerceivedHealth(endpoints, stats, registry, List::of,
        InferscopeProperties.defaults().health());
    InferenceActuatorEndpoint endpoint = new InferenceActuatorEndpoint(stats, endpoints, gpu, calls.clock, registry,
        health);

    JsonNode json = JsonMapper.builder().build().valueToTree(endpoint.report());

    JsonNode resnet = json.at("/endpoints/vision/models/resnet");
    assertThat(json.at("/endpoints/vision/system").asString()).isEqualTo("triton");
    assertThat(json.at("/endpoints/vision/target").asString()).isEqualTo("localhost:8001");
    assertThat(resnet.get("calls").asLong()).isEqualTo(20);
    assertThat(json.at("/endpoints/vision/models").propertyNames()).containsExactly("resnet");
    assertThat(resnet.get("errors").asLong()).isZero();
    assertThat(resnet.get("inFlight").asInt()).isEqualTo(3);
    assertThat(resnet.get("circuitState").asString()).isEqualTo("CLOSED");
    assertThat(resnet.at("/totalMs/p50").asDouble()).isEqualTo(1009.0);
    assertThat(resnet.at("/totalMs/p99").asDouble()).isEqualTo(1019.0);
    assertThat(resnet.at("/totalMs/count").asInt()).isEqualTo(20);
    assertThat(resnet.at("/phasesMs/server_queue/p50").asDouble()).isEqualTo(809.0);
    assertThat(resnet.at("/phasesMs/server_compute/p99").asDouble()).isEqualTo(150.0);
    assertThat(resnet.at("/phasesMs/network/p50").asDouble()).isEqualTo(50.0);
    assertThat(resnet.get("phasesMs").has("time_to_first_token")).isFalse();

    JsonNode llama = json.at("/endpoints/chat/models/llama");
    assertThat(json.at("/endpoints/chat/system").asString()).isEqualTo("vllm");
    assertThat(llama.at("/phasesMs/time_to_first_token/p50").asDouble()).isEqualTo(90.0);
    assertThat(llama.at("/phasesMs/decode/p50").asDouble()).isEqualTo(228.0);

    assertThat(json.at("/gpu/source").asString()).isEqualTo("nvml");
    assertThat(json.at("/gpu/available").asBoolean()).isTrue();
    assertThat(json.at("/gpu/devices/0/id").asString()).isEqualTo("GPU-abc");
    assertThat(json.at("/gpu/devices/0/utilization").asDouble()).isEqualTo(0.93);
    assertThat(json.at("/gpu/devices/0/memoryTotalBytes").asLong()).isEqualTo(80L << 30);
    assertThat(json.at("/gpu/devices/0/temperatureCelsius").isNull()).isTrue();
    assertThat(json.at("/gpu/devices/0/sampleAgeMs").asDouble()).isEqualTo(250.0);

    JsonNode slow = json.get("slowCalls");
    assertThat(slow.size()).isEqualTo(5);
    assertThat(slow.get(4).get("durationMs").asDouble()).isEqualTo(1019.0);
    assertThat(slow.get(4).at("/phasesMs/server_queue").asDouble()).isEqualTo(819.0);
    assertThat(slow.get(4).get("endedAt").isString()).isTrue();
    assertThat(slow.get(4).get("model").asString()).isEqualTo("resnet");

    assertThat(json.at("/health/status").asString()).isEqualTo("DEGRADED");
    assertThat(json.at("/health/reasons/0").asString()).contains("vision/resnet");

    assertThat(endpoint.endpoint("vision")).isNotNull();
    assertThat(endpoint.endpoint("nope")).isNull();
    assertThat(json.toString()).doesNotContain(CANARY);
  }

  @Test
  void configuredEndpointWithoutCallsIsListed() {
    InferenceEndpoints endpoints = new InferenceEndpoints();
    endpoints.register(new InferenceEndpoints.Endpoint("idle", InferenceSystem.VLLM, "http://x:8000",
        ResiliencePolicy.none(), null));
    InferenceActuatorEndpoint endpoint = new InferenceActuatorEndpoint(new InferenceStats(10, 1, Duration.ZERO),
        endpoints, GpuStateSource.none(), dev.inferscope.core.InferenceClock.system(), null, null);
    InferenceActuatorEndpoint.Report r = endpoint.report();
    assertThat(r.endpoints()).containsOnlyKeys("idle");
    assertThat(r.endpoints().get("idle").models()).isEmpty();
    assertThat(r.gpu().source()).isEqualTo("none");
    assertThat(r.gpu().devices()).isEmpty();
    assertThat(r.health()).isNull();
    assertThat(r.slowCalls()).isEmpty();
  }

  private final ApplicationContextRunner runner = new ApplicationContextRunner()
      .withConfiguration(AutoConfigurations.of(InferscopeAutoConfiguration.class,
          InferscopeEndpointAutoConfiguration.class, EndpointAutoConfiguration.class));

  @Test
  void endpointBeanOnlyWhenExposed() {
    runner.withPropertyValues("management.endpoints.web.exposure.include=inference").run(ctx ->
        assertThat(ctx).hasSingleBean(InferenceActuatorEndpoint.class));
    runner.withPropertyValues("management.endpoints.web.exposure.include=health").run(ctx ->
        assertThat(ctx).hasNotFailed().doesNotHaveBean(InferenceActuatorEndpoint.class));
    runner.withPropertyValues("management.endpoints.web.exposure.include=inference",
        "management.endpoint.inference.access=NONE").run(ctx ->
        assertThat(ctx).doesNotHaveBean(InferenceActuatorEndpoint.class));
  }

  @Test
  void noEndpointWithoutActuator() {
    runner.withPropertyValues("management.endpoints.web.exposure.include=inference")
        .withClassLoader(new FilteredClassLoader(Endpoint.class))
        .run(ctx -> assertThat(ctx).hasNotFailed().doesNotHaveBean(InferenceActuatorEndpoint.class)
            .hasSingleBean(InferenceStats.class));
  }

  @Test
  void endpointBacksOffForTheApplicationsOwn() {
    InferenceActuatorEndpoint own = new InferenceActuatorEndpoint(new InferenceStats(1, 0, Duration.ZERO),
        new InferenceEndpoints(), GpuStateSource.none(), dev.inferscope.core.InferenceClock.system(), null, null);
    runner.withPropertyValues("management.endpoints.web.exposure.include=inference")
        .withBean(InferenceActuatorEndpoint.class, () -> own)
        .run(ctx -> assertThat(ctx.getBean(InferenceActuatorEndpoint.class)).isSameAs(own));
  }

  @Test
  void endpointReadsTheTelemetrysGpuSource() {
    runner.withPropertyValues("management.endpoints.web.exposure.include=inference")
        .withBean(GpuStateSource.class, () -> new GpuStateSource() {
          @Override
          public List<GpuSnapshot> latest() {
            return List.of();
          }

          @Override
          public boolean available() {
            return false;
          }

          @Override
          public String unavailableReason() {
            return "no driver";
          }

          @Override
          public String name() {
            return "nvml";
          }
        })
        .run(ctx -> {
          InferenceActuatorEndpoint.GpuReport g = ctx.getBean(InferenceActuatorEndpoint.class).report().gpu();
          assertThat(g.source()).isEqualTo("nvml");
          assertThat(g.available()).isFalse();
          assertThat(g.unavailableReason()).isEqualTo("no driver");
          assertThat(Map.of("k", g)).isNotEmpty();
        });
  }
}
