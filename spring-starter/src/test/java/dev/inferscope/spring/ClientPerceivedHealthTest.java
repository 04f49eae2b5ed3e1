package dev.inferscope.spring;

import static org.assertj.core.api.Assertions.assertThat;

import dev.inferscope.core.InferenceSystem;
import dev.inferscope.core.ResiliencePolicy;
import io.github.resilience4j.circuitbreaker.CircuitBreakerConfig;
import io.micrometer.core.instrument.Gauge;
import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.concurrent.atomic.AtomicReference;
import org.junit.jupiter.api.Test;

class ClientPerceivedHealthTest {
  private static final InferscopeProperties.Health SETTINGS =
      new InferscopeProperties.Health(8, Duration.ofMillis(500), Duration.ofMinutes(1), 5, Duration.ofSeconds(1), 50, false);

  private final TestCalls calls = new TestCalls();
  private final InferenceStats stats = new InferenceStats(100, 0, Duration.ofSeconds(10), calls.clock);
  private final InferenceEndpoints endpoints = new InferenceEndpoints();
  private final SimpleMeterRegistry registry = new SimpleMeterRegistry();
  private final AtomicReference<List<String>> burning = new AtomicReference<>(List.of());
  private final ClientPerceivedHealth health =
      new ClientPerceivedHealth(endpoints, stats, registry, burning::get, SETTINGS);

  @Test
  void upWhenNothingTrips() {
    for (int i = 0; i < 10; i++) {
      stats.onCallEnd(calls.infer("vision", "resnet", 200, 20, 150));
    }
    ClientPerceivedHealth.Result r = health.evaluate();
    assertThat(r.degraded()).isFalse();
    assertThat(r.reasons()).isEmpty();
    assertThat(r.details()).doesNotContainKey("reasons");
    @SuppressWarnings("unchecked")
    Map<String, Map<String, Map<String, Object>>> eps = (Map<String, Map<String, Map<String, Object>>>) r.details().get("endpoints");
    assertThat(eps.get("vision").get("resnet")).containsEntry("recentCalls", 10).containsEntry("serverQueueP50Ms", 20.0);
  }

  @Test
  void degradedWhenRecentServerQueueTimeIsHigh() {
    for (int i = 0; i < 10; i++) {
      stats.onCallEnd(calls.infer("vision", "resnet", 1500, 1300, 150));
    }
    stats.onCallEnd(calls.infer("vision", "fast", 5, 0, 2));
    ClientPerceivedHealth.Result r = health.evaluate();
    assertThat(r.degraded()).isTrue();
    assertThat(r.reasons()).singleElement().asString()
        .contains("server queue time").contains("vision/resnet").contains("1300");
  }

  @Test
  void tooFewCallsNeverCountAsBacklog() {
    for (int i = 0; i < 4; i++) {
      stats.onCallEnd(calls.infer("vision", "resnet", 1500, 1300, 150));
    }
    assertThat(health.evaluate().degraded()).isFalse();
  }

  @Test
  void oldCallsAgeOut() {
    for (int i = 0; i < 10; i++) {
      stats.onCallEnd(calls.infer("vision", "resnet", 1500, 1300, 150));
    }
    assertThat(health.evaluate().degraded()).isTrue();
    calls.clock.advanceMillis(61_000);
    assertThat(health.evaluate().degraded()).isFalse();
  }

  @Test
  void degradedWhenTheScrapedQueueDepthIsAboveTheThreshold() {
    AtomicReference<Double> depth = new AtomicReference<>(3.0);
    Gauge.builder(ClientPerceivedHealth.QUEUE_DEPTH_METER, depth, AtomicReference::get)
        .tags("system", "triton", "endpoint", "vision", "model", "resnet").register(registry);
    assertThat(health.evaluate().degraded()).isFalse();
    depth.set(20.0);
    ClientPerceivedHealth.Result r = health.evaluate();
    assertThat(r.degraded()).isTrue();
    assertThat(r.reasons()).singleElement().asString().contains("server queue backlog").contains("depth 20 > 8");
  }

  @Test
  void degradedWhileACircuitIsOpen() {
    ResiliencePolicy policy = ResiliencePolicy.builder().maxAttempts(1)
        .circuitBreaker(CircuitBreakerConfig.custom().minimumNumberOfCalls(2).slidingWindowSize(2).build()).build();
    endpoints.register(new InferenceEndpoints.Endpoint("vision", InferenceSystem.TRITON, "localhost:8001", policy, null));
    var cb = policy.circuitBreakerRegistry().circuitBreaker("vision/resnet");
    assertThat(health.evaluate().degraded()).isFalse();
    cb.transitionToOpenState();
    ClientPerceivedHealth.Result r = health.evaluate();
    assertThat(r.degraded()).isTrue();
    assertThat(r.reasons()).singleElement().asString().contains("circuit OPEN").contains("vision/resnet");
    assertThat(endpoints.circuitStates()).isEqualTo(Map.of("vision", Map.of("resnet", "OPEN")));
    cb.transitionToClosedState();
    assertThat(health.evaluate().degraded()).isFalse();
  }

  @Test
  void degradedWhileTheErrorBudgetBurnsFast() {
    burning.set(List.of("vision/resnet"));
    ClientPerceivedHealth.Result r = health.evaluate();
    assertThat(r.degraded()).isTrue();
    assertThat(r.reasons()).containsExactly("error budget burning fast: vision/resnet");
  }

  @Test
  void aFailingSignalDoesNotBreakTheEvaluation() {
    ClientPerceivedHealth h = new ClientPerceivedHealth(endpoints, stats, null,
        () -> { throw new IllegalStateException("boom"); }, SETTINGS);
    assertThat(h.evaluate().degraded()).isFalse();
  }
}
