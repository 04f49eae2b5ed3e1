package dev.inferscope.core;

import io.github.resilience4j.bulkhead.Bulkhead;
import io.github.resilience4j.bulkhead.BulkheadConfig;
import io.github.resilience4j.bulkhead.BulkheadRegistry;
import io.github.resilience4j.circuitbreaker.CircuitBreaker;
import io.github.resilience4j.circuitbreaker.CircuitBreakerConfig;
import io.github.resilience4j.circuitbreaker.CircuitBreakerRegistry;
import io.github.resilience4j.core.IntervalFunction;
import io.github.resilience4j.micrometer.tagged.TaggedBulkheadMetrics;
import io.github.resilience4j.micrometer.tagged.TaggedCircuitBreakerMetrics;
import io.micrometer.core.instrument.MeterRegistry;
import java.time.Duration;
import java.util.Collections;
import java.util.IdentityHashMap;
import java.util.Objects;
import java.util.Set;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicReference;
import org.jspecify.annotations.Nullable;

/**
 * Retries, circuit breaking and bulkheads for inference calls, on resilience4j, per endpoint and model
 * (the instance name is {@code endpoint/model}).
 *
 * <ul>
 *   <li>Retries only {@linkplain InferenceException#retryable() retryable} failures, never after a
 *       stream has delivered data, and never past the call's deadline: every backoff wait is taken from
 *       the same remaining budget, and a wait that would not leave time for another attempt ends the
 *       call with the last failure. A server's {@code Retry-After} is honoured (it lengthens the wait).
 *       Backoff is resilience4j's exponential random {@link IntervalFunction}.
 *   <li>A resilience4j {@link CircuitBreaker} per endpoint and model; when it is open the call fails at
 *       once with {@link ErrorType#CIRCUIT_OPEN}. Only server-side failures count against it.
 *   <li>An optional resilience4j semaphore {@link Bulkhead}; the time spent waiting for a permit is the
 *       call's {@link Phase#CLIENT_QUEUE}; no permit in time gives {@link ErrorType#BULKHEAD_FULL}.
 * </ul>
 *
 * <p>Immutable and thread-safe; share one per client (or per application).
 */
public final class ResiliencePolicy {
  private static final ResiliencePolicy NONE = builder().maxAttempts(1).circuitBreaker(null).build();

  /** A single attempt that runs synchronously. */
  @FunctionalInterface
  public interface Attempt<T> {
    /**
     * Runs attempt number {@code attemptNumber} (from 1) within {@code deadline}.
     *
     * @throws Exception any failure; it is classified with {@link InferenceException#from}
     */
    T run(int attemptNumber, @Nullable Deadline deadline) throws Exception;
  }

  /** A single attempt that runs asynchronously. */
  @FunctionalInterface
  public interface AsyncAttempt<T> {
    /** Starts attempt number {@code attemptNumber}; cancelling the future must cancel the transport. */
    CompletableFuture<T> run(int attemptNumber, @Nullable Deadline deadline);
  }

  private final int maxAttempts;
  private final IntervalFunction backoff;
  private final @Nullable CircuitBreakerRegistry circuitBreakers;
  private final @Nullable BulkheadRegistry bulkheads;
  private final Set<MeterRegistry> boundTo = Collections.synchronizedSet(
      Collections.newSetFromMap(new IdentityHashMap<>()));
  private final String description;

  private ResiliencePolicy(Builder b) {
    this.maxAttempts = b.maxAttempts;
    this.backoff = IntervalFunction.ofExponentialRandomBackoff(
        b.initialBackoff, b.backoffMultiplier, b.jitter, b.maxBackoff);
    this.circuitBreakers = b.circuitBreaker == null ? null : CircuitBreakerRegistry.of(b.circuitBreaker);
    this.bulkheads = b.bulkhead == null ? null : BulkheadRegistry.of(b.bulkhead);
    // a breaker or bulkhead a user removes or replaces in the registries is looked up afresh
    if (circuitBreakers != null) {
      circuitBreakers.getEventPublisher().onEntryRemoved(e -> guards.clear()).onEntryReplaced(e -> guards.clear());
    }
    if (bulkheads != null) {
      bulkheads.getEventPublisher().onEntryRemoved(e -> guards.clear()).onEntryReplaced(e -> guards.clear());
    }
    this.description = "ResiliencePolicy[maxAttempts=" + maxAttempts + ", initialBackoff=" + b.initialBackoff
        + ", maxBackoff=" + b.maxBackoff + ", circuitBreaker=" + (b.circuitBreaker != null)
        + ", bulkhead=" + (b.bulkhead == null ? "none" : b.bulkhead.getMaxConcurrentCalls()) + "]";
    if (b.meterRegistry != null) {
      bindTo(b.meterRegistry);
    }
  }

  /** No retries, no circuit breaker, no bulkhead. */
  public static ResiliencePolicy none() {
    return NONE;
  }

  /**
   * Up to 3 attempts with exponential backoff from 50 ms (×2, ±50 % jitter, at most 2 s), a circuit
   * breaker with resilience4j's defaults (50 % failures over 100 calls) and no bulkhead.
   */
  public static ResiliencePolicy defaults() {
    return builder().build();
  }

  /** A builder starting from {@link #defaults()}. */
  public static Builder builder() {
    return new Builder();
  }

  /**
   * Binds resilience4j's own circuit breaker and bulkhead meters (resilience4j-micrometer) to
   * {@code registry}. Idempotent per registry.
   */
  public void bindTo(MeterRegistry registry) {
    if (!boundTo.add(registry)) {
      return;
    }
    if (circuitBreakers != null) {
      TaggedCircuitBreakerMetrics.ofCircuitBreakerRegistry(circuitBreakers).bindTo(registry);
    }
    if (bulkheads != null) {
      TaggedBulkheadMetrics.ofBulkheadRegistry(bulkheads).bindTo(registry);
    }
  }

  /** The maximum number of attempts per call. */
  public int maxAttempts() {
    return maxAttempts;
  }

  /** The circuit breaker state for an endpoint and model, or {@code null} without a circuit breaker. */
  public CircuitBreaker.@Nullable State circuitState(String endpoint, String model) {
    return circuitBreakers == null ? null : circuitBreakers.circuitBreaker(name(endpoint, model)).getState();
  }

  /** The resilience4j circuit breaker registry, or {@code null} (for health indicators). */
  public @Nullable CircuitBreakerRegistry circuitBreakerRegistry() {
    return circuitBreakers;
  }

  private static String name(String endpoint, String model) {
    return endpoint + "/" + model;
  }

  /** One endpoint and model's name, circuit breaker and bulkhead, looked up once instead of per call. */
  private record Guards(String name, @Nullable CircuitBreaker circuitBreaker, @Nullable Bulkhead bulkhead) {}

  private final java.util.concurrent.ConcurrentHashMap<String, java.util.concurrent.ConcurrentHashMap<String, Guards>>
      guards = new java.util.concurrent.ConcurrentHashMap<>();

  private Guards guards(CallDescriptor d) {
    java.util.concurrent.ConcurrentHashMap<String, Guards> perModel =
        guards.computeIfAbsent(d.endpoint(), e -> new java.util.concurrent.ConcurrentHashMap<>());
    Guards g = perModel.get(d.model());
    if (g == null) {
      String name = name(d.endpoint(), d.model());
      g = new Guards(name, circuitBreakers == null ? null : circuitBreakers.circuitBreaker(name),
          bulkheads == null ? null : bulkheads.bulkhead(name));
      Guards raced = perModel.putIfAbsent(d.model(), g);
      if (raced != null) {
        g = raced;
      }
    }
    return g;
  }

  /**
   * Runs {@code attempt} under this policy for {@code call}. Does not end the call (use
   * {@link Call#execute}); records the attempts and the client queue time on it.
   */
  public <T> T execute(Call call, @Nullable Deadline deadline, Attempt<T> attempt) {
    InferenceClock clock = call.clock();
    Guards g = guards(call.descriptor());
    String name = g.name();
    Bulkhead bulkhead = acquireBulkhead(call, g, clock);
    try {
      CircuitBreaker cb = g.circuitBreaker();
      InferenceException last = null;
      for (int n = 1; ; n++) {
        call.attempts(n);
        if (deadline != null && deadline.isExpired()) {
          throw last != null
              ? last.withAttempts(n - 1)
              : InferenceException.of(ErrorType.DEADLINE_EXCEEDED, "deadline expired before the call was sent");
        }
        if (cb != null && !cb.tryAcquirePermission()) {
          throw InferenceException.builder(ErrorType.CIRCUIT_OPEN,
              "circuit breaker " + name + " is " + cb.getState()).attempts(n).build();
        }
        long started = clock.nanoTime();
        InferenceException failure;
        // The call's span is current while the attempt sends: instrumentation below us (the OpenTelemetry
        // Java agent's gRPC and java.net.http spans, a user's interceptors) then joins the call's trace.
        try (io.opentelemetry.context.Scope ignored = call.makeCurrent()) {
          T result = attempt.run(n, deadline);
          if (cb != null) {
            cb.onSuccess(clock.nanoTime() - started, TimeUnit.NANOSECONDS);
          }
          return result;
        } catch (Throwable t) {
          failure = InferenceException.from(t);
          if (t instanceof InterruptedException) {
            Thread.currentThread().interrupt();
          }
        }
        onFailure(cb, clock.nanoTime() - started, failure);
        last = failure.withAttempts(n);
        long wait = nextWait(call, deadline, n, failure);
        if (wait < 0) {
          throw last;
        }
        try {
          clock.sleepNanos(wait);
        } catch (InterruptedException e) {
          Thread.currentThread().interrupt();
          throw InferenceException.builder(ErrorType.CANCELLED, "interrupted while waiting to retry")
              .attempts(n).cause(e).build();
        }
      }
    } finally {
      if (bulkhead != null) {
        bulkhead.onComplete();
      }
    }
  }

  /**
   * Async form of {@link #execute}. Retries are scheduled without blocking a thread; cancelling the
   * returned future cancels the attempt in flight. Does not end the call.
   */
  public <T> CompletableFuture<T> executeAsync(Call call, @Nullable Deadline deadline, AsyncAttempt<T> attempt) {
    CompletableFuture<T> result = new CompletableFuture<>();
    Guards g = guards(call.descriptor());
    Bulkhead bulkhead;
    try {
      bulkhead = acquireBulkhead(call, g, call.clock());
    } catch (InferenceException e) {
      result.completeExceptionally(e);
      return result;
    }
    if (bulkhead != null) {
      result.whenComplete((r, t) -> bulkhead.onComplete());
    }
    CircuitBreaker cb = g.circuitBreaker();
    AtomicReference<CompletableFuture<T>> inFlight = new AtomicReference<>();
    result.whenComplete((r, t) -> {
      CompletableFuture<T> f = inFlight.get();
      if (result.isCancelled() && f != null) {
        f.cancel(true);
      }
    });
    runAsyncAttempt(call, deadline, attempt, 1, null, cb, inFlight, result);
    return result;
  }

  private <T> void runAsyncAttempt(Call call, @Nullable Deadline deadline, AsyncAttempt<T> attempt, int n,
      @Nullable InferenceException last, @Nullable CircuitBreaker cb,
      AtomicReference<CompletableFuture<T>> inFlight, CompletableFuture<T> result) {
    if (result.isDone()) {
      return;
    }
    call.attempts(n);
    if (deadline != null && deadline.isExpired()) {
      result.completeExceptionally(last != null ? last.withAttempts(n - 1)
          : InferenceException.of(ErrorType.DEADLINE_EXCEEDED, "deadline expired before the call was sent"));
      return;
    }
    if (cb != null && !cb.tryAcquirePermission()) {
      result.completeExceptionally(InferenceException.builder(ErrorType.CIRCUIT_OPEN,
          "circuit breaker " + cb.getName() + " is " + cb.getState()).attempts(n).build());
      return;
    }
    InferenceClock clock = call.clock();
    long started = clock.nanoTime();
    CompletableFuture<T> f;
    try (io.opentelemetry.context.Scope ignored = call.makeCurrent()) { // as in execute: the span is current
      f = Objects.requireNonNull(attempt.run(n, deadline), "attempt returned null");
    } catch (Throwable t) {
      f = CompletableFuture.failedFuture(t);
    }
    inFlight.set(f);
    if (result.isCancelled()) {
      f.cancel(true);
    }
    f.whenComplete((r, t) -> {
      if (t == null) {
        if (cb != null) {
          cb.onSuccess(clock.nanoTime() - started, TimeUnit.NANOSECONDS);
        }
        result.complete(r);
        return;
      }
      InferenceException failure = InferenceException.from(t);
      onFailure(cb, clock.nanoTime() - started, failure);
      InferenceException withAttempts = failure.withAttempts(n);
      long wait = result.isDone() ? -1 : nextWait(call, deadline, n, failure);
      if (wait < 0) {
        result.completeExceptionally(withAttempts);
        return;
      }
      Scheduler.INSTANCE.schedule(
          () -> runAsyncAttempt(call, deadline, attempt, n + 1, withAttempts, cb, inFlight, result),
          wait, TimeUnit.NANOSECONDS);
    });
  }

  private static @Nullable Bulkhead acquireBulkhead(Call call, Guards g, InferenceClock clock) {
    Bulkhead bulkhead = g.bulkhead();
    if (bulkhead == null) {
      return null;
    }
    long t0 = clock.nanoTime();
    boolean permitted = bulkhead.tryAcquirePermission();
    call.recordPhase(Phase.CLIENT_QUEUE, clock.nanoTime() - t0);
    if (!permitted) {
      throw InferenceException.of(ErrorType.BULKHEAD_FULL, "bulkhead " + g.name() + " has no free permit");
    }
    return bulkhead;
  }

  private static void onFailure(@Nullable CircuitBreaker cb, long nanos, InferenceException failure) {
    if (cb == null) {
      return;
    }
    switch (failure.errorType()) {
      case UNAVAILABLE, RESOURCE_EXHAUSTED, DEADLINE_EXCEEDED, INTERNAL, UNKNOWN, PROTOCOL ->
          cb.onError(nanos, TimeUnit.NANOSECONDS, failure);
      case CANCELLED -> cb.releasePermission();
      default -> cb.onSuccess(nanos, TimeUnit.NANOSECONDS); // the server answered; the caller erred
    }
  }

  /** The wait before the next attempt, or -1 when there must be none. */
  private long nextWait(Call call, @Nullable Deadline deadline, int n, InferenceException failure) {
    if (!failure.retryable() || n >= maxAttempts || call.dataDelivered()) {
      return -1;
    }
    long wait = TimeUnit.MILLISECONDS.toNanos(backoff.apply(n));
    Duration retryAfter = failure.retryAfter();
    if (retryAfter != null) {
      wait = Math.max(wait, Deadline.saturatedNanos(retryAfter));
    }
    if (deadline != null && deadline.remainingNanos() <= wait) {
      return -1; // no budget left for another attempt
    }
    return wait;
  }

  @Override
  public String toString() {
    return description;
  }

  private static final class Scheduler {
    static final ScheduledExecutorService INSTANCE = Executors.newSingleThreadScheduledExecutor(r -> {
      Thread t = new Thread(r, "inferscope-retry");
      t.setDaemon(true);
      return t;
    });
  }

  /** Builds a {@link ResiliencePolicy}. */
  public static final class Builder {
    private int maxAttempts = 3;
    private Duration initialBackoff = Duration.ofMillis(50);
    private Duration maxBackoff = Duration.ofSeconds(2);
    private double backoffMultiplier = 2.0;
    private double jitter = 0.5;
    private @Nullable CircuitBreakerConfig circuitBreaker = CircuitBreakerConfig.ofDefaults();
    private @Nullable BulkheadConfig bulkhead;
    private @Nullable MeterRegistry meterRegistry;

    private Builder() {}

    /** Attempts per call, at least 1 (1 = no retries). */
    public Builder maxAttempts(int maxAttempts) {
      if (maxAttempts < 1) {
        throw new IllegalArgumentException("maxAttempts must be at least 1");
      }
      this.maxAttempts = maxAttempts;
      return this;
    }

    /** Exponential backoff: first wait, multiplier and cap. */
    public Builder backoff(Duration initial, double multiplier, Duration max) {
      if (initial.isNegative() || initial.isZero() || multiplier < 1 || max.compareTo(initial) < 0) {
        throw new IllegalArgumentException("backoff needs initial > 0, multiplier >= 1, max >= initial");
      }
      this.initialBackoff = initial;
      this.backoffMultiplier = multiplier;
      this.maxBackoff = max;
      return this;
    }

    /** Randomisation factor of the backoff, 0 (none) to 1. */
    public Builder jitter(double jitter) {
      if (jitter < 0 || jitter >= 1) {
        throw new IllegalArgumentException("jitter must be within [0, 1)");
      }
      this.jitter = jitter;
      return this;
    }

    /** The circuit breaker configuration; {@code null} turns circuit breaking off. */
    public Builder circuitBreaker(@Nullable CircuitBreakerConfig config) {
      this.circuitBreaker = config;
      return this;
    }

    /**
     * A bulkhead of {@code maxConcurrentCalls} per endpoint and model, waiting at most {@code maxWait}
     * for a permit.
     */
    public Builder bulkhead(int maxConcurrentCalls, Duration maxWait) {
      this.bulkhead = BulkheadConfig.custom()
          .maxConcurrentCalls(maxConcurrentCalls)
          .maxWaitDuration(maxWait)
          .build();
      return this;
    }

    /** A custom resilience4j bulkhead configuration; {@code null} turns the bulkhead off. */
    public Builder bulkhead(@Nullable BulkheadConfig config) {
      this.bulkhead = config;
      return this;
    }

    /** Binds resilience4j's meters to this registry when built. */
    public Builder meterRegistry(@Nullable MeterRegistry registry) {
      this.meterRegistry = registry;
      return this;
    }

    public ResiliencePolicy build() {
      return new ResiliencePolicy(this);
    }
  }
}
