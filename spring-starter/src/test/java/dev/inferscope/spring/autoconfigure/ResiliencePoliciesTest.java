package dev.inferscope.spring.autoconfigure;

import static org.assertj.core.api.Assertions.assertThat;

import dev.inferscope.core.ResiliencePolicy;
import dev.inferscope.spring.InferenceEndpoints;
import dev.inferscope.spring.InferscopeProperties;
import dev.inferscope.testkit.SimulatedModel;
import dev.inferscope.testkit.triton.TritonSimulator;
import io.github.resilience4j.circuitbreaker.CircuitBreakerConfig;
import io.micrometer.core.instrument.MeterRegistry;
import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import java.time.Duration;
import org.junit.jupiter.api.Test;
import org.springframework.boot.autoconfigure.AutoConfigurations;
import org.springframework.boot.test.context.runner.ApplicationContextRunner;

class ResiliencePoliciesTest {

  @Test
  void defaultsGiveRetriesAndACircuitBreakerButNoBulkhead() {
    ResiliencePolicy p = ResiliencePolicies.from(InferscopeProperties.Resilience.defaults(), null);
    assertThat(p.maxAttempts()).isEqualTo(3);
    assertThat(p.circuitBreakerRegistry()).isNotNull();
    CircuitBreakerConfig cb = p.circuitBreakerRegistry().getDefaultConfig();
    assertThat(cb.getFailureRateThreshold()).isEqualTo(50f);
    assertThat(cb.getSlidingWindowSize()).isEqualTo(100);
    assertThat(p.toString()).contains("bulkhead=none");
  }

  @Test
  void propertiesReachThePolicyOfTheEndpoint() {
    try (TritonSimulator sim = TritonSimulator.builder()
        .model(SimulatedModel.builder("echo").input("INPUT0", "FP32", 1, 4).build()).start()) {
      new ApplicationContextRunner()
          .withConfiguration(AutoConfigurations.of(InferscopeAutoConfiguration.class,
              InferscopeTritonAutoConfiguration.class))
          .withBean(MeterRegistry.class, SimpleMeterRegistry::new)
          .withPropertyValues("inferscope.triton.endpoints.vision.grpc-target=" + sim.grpcTarget(),
              "inferscope.triton.endpoints.vision.resilience.max-attempts=5",
              "inferscope.triton.endpoints.vision.resilience.initial-backoff=10ms",
              "inferscope.triton.endpoints.vision.resilience.max-backoff=1s",
              "inferscope.triton.endpoints.vision.resilience.circuit-breaker.failure-rate-threshold=25",
              "inferscope.triton.endpoints.vision.resilience.circuit-breaker.sliding-window-size=20",
              "inferscope.triton.endpoints.vision.resilience.circuit-breaker.minimum-number-of-calls=10",
              "inferscope.triton.endpoints.vision.resilience.circuit-breaker.wait-duration-in-open-state=5s",
              "inferscope.triton.endpoints.vision.resilience.bulkhead.max-concurrent-calls=4",
              "inferscope.triton.endpoints.vision.resilience.bulkhead.max-wait=20ms",
              "inferscope.triton.endpoints.plain.grpc-target=" + sim.grpcTarget(),
              "inferscope.triton.endpoints.plain.resilience.circuit-breaker.enabled=false")
          .run(ctx -> {
            ctx.getBean("vision");
            ctx.getBean("plain");
            InferenceEndpoints endpoints = ctx.getBean(InferenceEndpoints.class);
            ResiliencePolicy vision = endpoints.get("vision").resilience();
            assertThat(vision.maxAttempts()).isEqualTo(5);
            CircuitBreakerConfig cb = vision.circuitBreakerRegistry().getDefaultConfig();
            assertThat(cb.getFailureRateThreshold()).isEqualTo(25f);
            assertThat(cb.getSlidingWindowSize()).isEqualTo(20);
            assertThat(cb.getMinimumNumberOfCalls()).isEqualTo(10);
            assertThat(cb.getWaitIntervalFunctionInOpenState().apply(1)).isEqualTo(Duration.ofSeconds(5).toMillis());
            assertThat(vision.toString()).contains("bulkhead=4").contains("initialBackoff=PT0.01S");
            assertThat(endpoints.get("plain").resilience().circuitBreakerRegistry()).isNull();
            assertThat(endpoints.circuitStates()).doesNotContainKey("plain");
          });
    }
  }
}
