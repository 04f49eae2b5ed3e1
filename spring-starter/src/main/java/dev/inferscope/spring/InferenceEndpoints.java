package dev.inferscope.spring;

import dev.inferscope.core.InferenceSystem;
import dev.inferscope.core.ResiliencePolicy;
import io.github.resilience4j.circuitbreaker.CircuitBreaker;
import io.github.resilience4j.circuitbreaker.CircuitBreakerRegistry;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.TreeMap;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ConcurrentMap;
import org.jspecify.annotations.Nullable;

/**
 * The inference endpoints the starter configured: their names, systems, resilience policies (for
 * circuit states) and readiness probes. The health contributors and the {@code inference} actuator
 * endpoint read it.
 *
 * <p>Thread-safe. Client factories {@linkplain #register register} each endpoint when its client is
 * built; applications may register endpoints of clients they built themselves.
 */
public final class InferenceEndpoints {
  private final ConcurrentMap<String, Endpoint> endpoints = new ConcurrentHashMap<>();

  /** An empty registry. */
  public InferenceEndpoints() {}

  /** Probes a server's and its models' readiness; must honour the timeout. */
  @FunctionalInterface
  public interface ReadinessProbe {
    /** Checks readiness, giving up after {@code timeout}. Must not throw. */
    Readiness check(Duration timeout);
  }

  /**
   * The answer of a readiness probe.
   *
   * @param serverReady whether the server said it is ready
   * @param models each checked model and whether it is ready
   * @param error why the probe failed (already scrubbed, no payload), or {@code null}
   */
  public record Readiness(boolean serverReady, Map<String, Boolean> models, @Nullable String error) {
    /** Copies the map. */
    public Readiness {
      models = Collections.unmodifiableMap(new LinkedHashMap<>(models));
    }

    /** Whether the server and every checked model are ready. */
    public boolean ready() {
      return serverReady && error == null && !models.containsValue(Boolean.FALSE);
    }

    /** A failed probe. */
    public static Readiness failed(String error) {
      return new Readiness(false, Map.of(), error);
    }
  }

  /**
   * One registered endpoint.
   *
   * @param name the endpoint name (also the client's bean name)
   * @param system the inference system
   * @param target where it points (gRPC target or base URL, without credentials)
   * @param resilience its resilience policy (circuit states are read from it)
   * @param readiness its readiness probe, or {@code null} when it has none
   */
  public record Endpoint(
      String name,
      InferenceSystem system,
      String target,
      ResiliencePolicy resilience,
      @Nullable ReadinessProbe readiness) {
    /** Validates the fields. */
    public Endpoint {
      Objects.requireNonNull(name, "name");
      Objects.requireNonNull(system, "system");
      Objects.requireNonNull(target, "target");
      Objects.requireNonNull(resilience, "resilience");
    }
  }

  /** Registers (or replaces) an endpoint. */
  public void register(Endpoint endpoint) {
    endpoints.put(endpoint.name(), endpoint);
  }

  /** Removes an endpoint. */
  public void unregister(String name) {
    endpoints.remove(name);
  }

  /** The endpoint with this name, or {@code null}. */
  public @Nullable Endpoint get(String name) {
    return endpoints.get(name);
  }

  /** Every endpoint, sorted by name. */
  public List<Endpoint> all() {
    List<Endpoint> all = new ArrayList<>(endpoints.values());
    all.sort((a, b) -> a.name().compareTo(b.name()));
    return all;
  }

  /**
   * The circuit breaker state of every endpoint and model that has been called, as endpoint → model →
   * state ({@code CLOSED}, {@code OPEN}, {@code HALF_OPEN}, ...). Endpoints without a circuit breaker are
   * left out, and so are server-level calls (readiness, metadata: no model).
   */
  public Map<String, Map<String, String>> circuitStates() {
    Map<String, Map<String, String>> out = new TreeMap<>();
    for (Endpoint e : endpoints.values()) {
      CircuitBreakerRegistry registry = e.resilience().circuitBreakerRegistry();
      if (registry == null) {
        continue;
      }
      String prefix = e.name() + "/";
      for (CircuitBreaker cb : registry.getAllCircuitBreakers()) {
        if (cb.getName().startsWith(prefix) && cb.getName().length() > prefix.length()) {
          out.computeIfAbsent(e.name(), k -> new TreeMap<>())
              .put(cb.getName().substring(prefix.length()), cb.getState().name());
        }
      }
    }
    return out;
  }

  /** Whether a circuit state means calls are being refused or probed. */
  static boolean degradingState(String state) {
    return state.equals(CircuitBreaker.State.OPEN.name())
        || state.equals(CircuitBreaker.State.FORCED_OPEN.name())
        || state.equals(CircuitBreaker.State.HALF_OPEN.name());
  }
}
