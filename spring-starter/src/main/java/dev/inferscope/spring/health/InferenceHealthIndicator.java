package dev.inferscope.spring.health;

import dev.inferscope.spring.ClientPerceivedHealth;
import java.util.Objects;
import org.springframework.boot.health.contributor.Health;
import org.springframework.boot.health.contributor.HealthIndicator;
import org.springframework.boot.health.contributor.Status;

/**
 * The client-perceived {@code inference} health contributor: {@link #DEGRADED} when the error budget
 * burns fast, a server queue is backlogged or a circuit breaker is open, even while the servers' own
 * readiness says {@code UP}; otherwise {@code UP}. Never {@code DOWN}: being slow is not being dead, and
 * liveness probes must not restart the application for it.
 *
 * <p>{@code DEGRADED} is not one of Spring Boot's built-in statuses: give it an order and an HTTP status,
 * e.g. {@code management.endpoint.health.status.order=down,out-of-service,degraded,up,unknown} and
 * {@code management.endpoint.health.status.http-mapping.degraded=200}.
 */
public final class InferenceHealthIndicator implements HealthIndicator {
  /** The custom status reported while the client sees a degraded service. */
  public static final Status DEGRADED = new Status("DEGRADED", "inference calls are degraded as the client sees them");

  private final ClientPerceivedHealth health;

  /** Reports {@code health}. */
  public InferenceHealthIndicator(ClientPerceivedHealth health) {
    this.health = Objects.requireNonNull(health, "health");
  }

  @Override
  public Health health() {
    ClientPerceivedHealth.Result r = health.evaluate();
    return Health.status(r.degraded() ? DEGRADED : Status.UP).withDetails(r.details()).build();
  }
}
