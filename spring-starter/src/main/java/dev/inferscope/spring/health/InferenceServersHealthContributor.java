package dev.inferscope.spring.health;

import dev.inferscope.spring.InferenceEndpoints;
import java.time.Duration;
import java.util.Objects;
import java.util.stream.Stream;
import org.jspecify.annotations.Nullable;
import org.springframework.boot.health.contributor.CompositeHealthContributor;
import org.springframework.boot.health.contributor.Health;
import org.springframework.boot.health.contributor.HealthContributor;
import org.springframework.boot.health.contributor.HealthIndicator;

/**
 * The servers' own readiness, one child per configured endpoint: {@code UP} when the server and every
 * checked model say ready, {@code DOWN} otherwise. Details: the target, server readiness, each model's
 * readiness and, on failure, a short scrubbed reason. Endpoints are read from {@link InferenceEndpoints}
 * at each request, so clients built after this contributor are included.
 */
public final class InferenceServersHealthContributor implements CompositeHealthContributor {
  private final InferenceEndpoints endpoints;
  private final Duration timeout;

  /**
   * Creates the contributor.
   *
   * @param endpoints the configured endpoints
   * @param timeout how long one probe may take
   */
  public InferenceServersHealthContributor(InferenceEndpoints endpoints, Duration timeout) {
    this.endpoints = Objects.requireNonNull(endpoints, "endpoints");
    this.timeout = Objects.requireNonNull(timeout, "timeout");
  }

  @Override
  public @Nullable HealthContributor getContributor(String name) {
    InferenceEndpoints.Endpoint e = endpoints.get(name);
    return e == null || e.readiness() == null ? null : indicator(e);
  }

  @Override
  public Stream<Entry> stream() {
    return endpoints.all().stream()
        .filter(e -> e.readiness() != null)
        .map(e -> new Entry(e.name(), indicator(e)));
  }

  private HealthIndicator indicator(InferenceEndpoints.Endpoint e) {
    return () -> probe(e);
  }

  private Health probe(InferenceEndpoints.Endpoint e) {
    InferenceEndpoints.ReadinessProbe probe = e.readiness();
    InferenceEndpoints.Readiness r;
    try {
      r = probe == null ? InferenceEndpoints.Readiness.failed("no readiness probe") : probe.check(timeout);
    } catch (RuntimeException ex) {
      r = InferenceEndpoints.Readiness.failed("probe failed: " + ex.getClass().getSimpleName());
    }
    Health.Builder b = r.ready() ? Health.up() : Health.down();
    b.withDetail("system", e.system().value())
        .withDetail("target", e.target())
        .withDetail("serverReady", r.serverReady());
    if (!r.models().isEmpty()) {
      b.withDetail("models", r.models());
    }
    if (r.error() != null) {
      b.withDetail("error", r.error());
    }
    return b.build();
  }
}
