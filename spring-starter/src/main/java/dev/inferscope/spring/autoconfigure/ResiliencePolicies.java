package dev.inferscope.spring.autoconfigure;

import dev.inferscope.core.ResiliencePolicy;
import dev.inferscope.spring.InferscopeProperties;
import io.github.resilience4j.circuitbreaker.CircuitBreakerConfig;
import io.micrometer.core.instrument.MeterRegistry;
import org.jspecify.annotations.Nullable;

/** Turns {@code resilience.*} properties into a {@link ResiliencePolicy}. */
final class ResiliencePolicies {
  private ResiliencePolicies() {}

  static ResiliencePolicy from(InferscopeProperties.Resilience r, @Nullable MeterRegistry registry) {
    ResiliencePolicy.Builder b = ResiliencePolicy.builder()
        .maxAttempts(r.maxAttempts())
        .backoff(r.initialBackoff(), r.backoffMultiplier(), r.maxBackoff());
    InferscopeProperties.CircuitBreaker cb = r.circuitBreaker();
    b.circuitBreaker(cb.enabled()
        ? CircuitBreakerConfig.custom()
            .failureRateThreshold(cb.failureRateThreshold())
            .slidingWindowSize(cb.slidingWindowSize())
            .minimumNumberOfCalls(cb.minimumNumberOfCalls())
            .waitDurationInOpenState(cb.waitDurationInOpenState())
            .build()
        : null);
    if (r.bulkhead().maxConcurrentCalls() > 0) {
      b.bulkhead(r.bulkhead().maxConcurrentCalls(), r.bulkhead().maxWait());
    }
    return b.meterRegistry(registry).build();
  }
}
