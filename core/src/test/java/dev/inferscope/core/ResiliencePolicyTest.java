package dev.inferscope.core;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.assertj.core.api.Assertions.catchThrowableOfType;

import io.github.resilience4j.circuitbreaker.CircuitBreaker;
import io.github.resilience4j.circuitbreaker.CircuitBreakerConfig;
import io.opentelemetry.api.common.AttributeKey;
import io.opentelemetry.sdk.trace.data.SpanData;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

class ResiliencePolicyTest {
  private final TelemetryFixture fx = new TelemetryFixture();
  private final FakeClock clock = new FakeClock();

  @AfterEach
  void close() {
    fx.close();
  }

  private InferenceTelemetry telemetry() {
    return fx.telemetry().clock(clock).logPolicy(LogPolicy.disabled()).build();
  }

  private static CallDescriptor d(String model) {
    return CallDescriptor.builder(InferenceSystem.VLLM, "chat", model).endpoint("llm").build();
  }

  private static InferenceException unavailable503() {
    return InferenceException.builder(ErrorType.UNAVAILABLE, "HTTP 503").serverCode("503").build();
  }

  @Test
  void retriesAgainstAlways503StopWithinTheDeadlineBudget() {
    ResiliencePolicy policy = ResiliencePolicy.builder().maxAttempts(5)
        .backoff(Duration.ofMillis(100), 2.0, Duration.ofSeconds(5)).jitter(0).circuitBreaker(null).build();
    InferenceTelemetry telemetry = telemetry();
    Deadline deadline = Deadline.after(Duration.ofSeconds(1), clock);
    long start = clock.nanoTime();
    AtomicInteger served = new AtomicInteger();
    Call call = telemetry.start(d("m"));
    InferenceException e = catchThrowableOfType(InferenceException.class, () ->
        call.execute(policy, deadline, (n, dl) -> {
          served.incrementAndGet();
          clock.advance(Duration.ofMillis(150)); // each 503 takes 150 ms to come back
          throw unavailable503();
        }));
    long elapsed = clock.nanoTime() - start;
    // 150 +100 +150 +200 +150 = 750 ms; the next wait (400 ms) would pass the deadline: stop.
    assertThat(elapsed).isLessThan(TimeUnit.SECONDS.toNanos(1));
    assertThat(e.errorType()).isIn(ErrorType.UNAVAILABLE, ErrorType.DEADLINE_EXCEEDED);
    assertThat(served.get()).isEqualTo(3).isLessThan(5);
    assertThat(e.attempts()).isEqualTo(3);
    SpanData span = fx.onlySpan();
    assertThat(span.getAttributes().get(AttributeKey.longKey("inference.attempts"))).isEqualTo(3L);
    assertThat(span.getAttributes().get(AttributeKey.stringKey("error.type"))).isEqualTo("unavailable");
  }

  @Test
  void retryAfterLongerThanTheBudgetEndsTheCall() {
    ResiliencePolicy policy = ResiliencePolicy.builder().maxAttempts(5).circuitBreaker(null).build();
    Deadline deadline = Deadline.after(Duration.ofSeconds(1), clock);
    AtomicInteger served = new AtomicInteger();
    Call call = telemetry().start(d("m"));
    assertThatThrownBy(() -> call.execute(policy, deadline, (n, dl) -> {
      served.incrementAndGet();
      throw InferenceException.builder(ErrorType.RESOURCE_EXHAUSTED, "429")
          .retryAfter(Duration.ofSeconds(2)).build();
    })).isInstanceOf(InferenceException.class);
    assertThat(served.get()).isEqualTo(1);
  }

  @Test
  void retryAfterIsHonouredWhenItFits() {
    ResiliencePolicy policy = ResiliencePolicy.builder().maxAttempts(3)
        .backoff(Duration.ofMillis(10), 1.0, Duration.ofMillis(10)).jitter(0).circuitBreaker(null).build();
    Call call = telemetry().start(d("m"));
    long start = clock.nanoTime();
    String result = call.execute(policy, Deadline.after(Duration.ofSeconds(10), clock), (n, dl) -> {
      if (n == 1) {
        throw InferenceException.builder(ErrorType.UNAVAILABLE, "503").retryAfter(Duration.ofSeconds(3)).build();
      }
      return "ok";
    });
    assertThat(result).isEqualTo("ok");
    assertThat(clock.nanoTime() - start).isEqualTo(TimeUnit.SECONDS.toNanos(3));
  }

  @Test
  void nonRetryableErrorsAreNotRetried() {
    ResiliencePolicy policy = ResiliencePolicy.builder().maxAttempts(5).build();
    AtomicInteger served = new AtomicInteger();
    Call call = telemetry().start(d("m"));
    assertThatThrownBy(() -> call.execute(policy, null, (n, dl) -> {
      served.incrementAndGet();
      throw InferenceException.of(ErrorType.INVALID_ARGUMENT, "bad shape");
    })).isInstanceOf(InferenceException.class);
    assertThat(served.get()).isEqualTo(1);
  }

  @Test
  void neverRetriesOnceAStreamDeliveredData() {
    ResiliencePolicy policy = ResiliencePolicy.builder().maxAttempts(5).circuitBreaker(null).build();
    AtomicInteger served = new AtomicInteger();
    Call call = telemetry().start(d("m"));
    InferenceException e = catchThrowableOfType(InferenceException.class, () -> call.execute(policy, null, (n, dl) -> {
      served.incrementAndGet();
      call.onChunk();
      throw unavailable503();
    }));
    assertThat(served.get()).isEqualTo(1);
    assertThat(e.errorType()).isEqualTo(ErrorType.UNAVAILABLE);
  }

  @Test
  void circuitOpensAfterConfiguredFailuresAndShortCircuits() {
    ResiliencePolicy policy = ResiliencePolicy.builder().maxAttempts(1)
        .circuitBreaker(CircuitBreakerConfig.custom()
            .slidingWindowType(CircuitBreakerConfig.SlidingWindowType.COUNT_BASED)
            .slidingWindowSize(4).minimumNumberOfCalls(4).failureRateThreshold(50)
            .waitDurationInOpenState(Duration.ofMinutes(1)).build())
        .meterRegistry(fx.meters)
        .build();
    InferenceTelemetry telemetry = telemetry();
    AtomicInteger served = new AtomicInteger();
    for (int i = 0; i < 4; i++) {
      Call call = telemetry.start(d("m"));
      assertThatThrownBy(() -> call.execute(policy, null, (n, dl) -> {
        served.incrementAndGet();
        throw unavailable503();
      })).isInstanceOf(InferenceException.class);
    }
    assertThat(policy.circuitState("llm", "m")).isEqualTo(CircuitBreaker.State.OPEN);
    Call call = telemetry.start(d("m"));
    InferenceException e = catchThrowableOfType(InferenceException.class,
        () -> call.execute(policy, null, (n, dl) -> {
          served.incrementAndGet();
          return "never";
        }));
    assertThat(e.errorType()).isEqualTo(ErrorType.CIRCUIT_OPEN);
    assertThat(served.get()).isEqualTo(4);
    // another model on the same endpoint has its own circuit
    String fine = telemetry.start(d("other")).execute(policy, null, (n, dl) -> "fine");
    assertThat(fine).isEqualTo("fine");
    // resilience4j's own meters are bound
    assertThat(fx.meters.find("resilience4j.circuitbreaker.state").tag("name", "llm/m").gauges()).isNotEmpty();
    List<SpanData> spans = fx.finishedSpans();
    assertThat(spans.get(4).getAttributes().get(AttributeKey.stringKey("error.type"))).isEqualTo("circuit_open");
  }

  @Test
  void clientErrorsDoNotOpenTheCircuit() {
    ResiliencePolicy policy = ResiliencePolicy.builder().maxAttempts(1)
        .circuitBreaker(CircuitBreakerConfig.custom().slidingWindowSize(2).minimumNumberOfCalls(2).build()).build();
    InferenceTelemetry telemetry = telemetry();
    for (int i = 0; i < 5; i++) {
      Call call = telemetry.start(d("m"));
      assertThatThrownBy(() -> call.execute(policy, null, (n, dl) -> {
        throw InferenceException.of(ErrorType.NOT_FOUND, "unknown model");
      })).isInstanceOf(InferenceException.class);
    }
    assertThat(policy.circuitState("llm", "m")).isEqualTo(CircuitBreaker.State.CLOSED);
  }

  @Test
  void bulkheadWaitShowsAsClientQueueAndFullBulkheadFails() throws Exception {
    ResiliencePolicy policy = ResiliencePolicy.builder().maxAttempts(1).circuitBreaker(null)
        .bulkhead(1, Duration.ofSeconds(20)).build();
    InferenceTelemetry telemetry = fx.telemetry().logPolicy(LogPolicy.disabled()).build(); // real clock
    CountDownLatch holding = new CountDownLatch(1);
    CountDownLatch release = new CountDownLatch(1);
    Thread holder = new Thread(() -> telemetry.start(d("m")).execute(policy, null, (n, dl) -> {
      holding.countDown();
      assertThat(release.await(20, TimeUnit.SECONDS)).isTrue();
      return "a";
    }));
    holder.start();
    assertThat(holding.await(10, TimeUnit.SECONDS)).isTrue();
    CompletableFuture<String> waiter = new CompletableFuture<>();
    Thread second = new Thread(() -> {
      try {
        waiter.complete(telemetry.start(d("m")).execute(policy, null, (n, dl) -> "b"));
      } catch (RuntimeException e) {
        waiter.completeExceptionally(e);
      }
    });
    second.start();
    // wait until the second caller is parked on the bulkhead, then let the first finish
    long until = System.nanoTime() + TimeUnit.SECONDS.toNanos(10);
    while (second.getState() != Thread.State.TIMED_WAITING && System.nanoTime() < until) {
      Thread.onSpinWait();
    }
    assertThat(second.getState()).isEqualTo(Thread.State.TIMED_WAITING);
    release.countDown();
    assertThat(waiter.get(10, TimeUnit.SECONDS)).isEqualTo("b");
    holder.join(10_000);
    second.join(10_000);
    SpanData waited = fx.finishedSpans().stream()
        .filter(s -> s.getAttributes().get(AttributeKey.doubleKey("inference.phase.client_queue.duration")) != null)
        .max((a, b) -> Double.compare(
            a.getAttributes().get(AttributeKey.doubleKey("inference.phase.client_queue.duration")),
            b.getAttributes().get(AttributeKey.doubleKey("inference.phase.client_queue.duration"))))
        .orElseThrow();
    assertThat(waited.getAttributes().get(AttributeKey.doubleKey("inference.phase.client_queue.duration")))
        .isGreaterThan(0.0).isLessThan(20.0);
    assertThat(fx.meters.get("inference.client.phase.duration").tag("phase", "client_queue").timer().count())
        .isEqualTo(2);

    ResiliencePolicy noWait = ResiliencePolicy.builder().maxAttempts(1).circuitBreaker(null)
        .bulkhead(1, Duration.ZERO).build();
    CountDownLatch held = new CountDownLatch(1);
    CountDownLatch done = new CountDownLatch(1);
    Thread t = new Thread(() -> telemetry.start(d("m")).execute(noWait, null, (n, dl) -> {
      held.countDown();
      return done.await(10, TimeUnit.SECONDS);
    }));
    t.start();
    assertThat(held.await(10, TimeUnit.SECONDS)).isTrue();
    InferenceException full = catchThrowableOfType(InferenceException.class,
        () -> telemetry.start(d("m")).execute(noWait, null, (n, dl) -> "x"));
    done.countDown();
    t.join(10_000);
    assertThat(full.errorType()).isEqualTo(ErrorType.BULKHEAD_FULL);
  }

  @Test
  void asyncRetriesThenSucceedsAndEndsTheCallOnce() throws Exception {
    ResiliencePolicy policy = ResiliencePolicy.builder().maxAttempts(3)
        .backoff(Duration.ofMillis(1), 1.0, Duration.ofMillis(1)).circuitBreaker(null).build();
    List<CallRecord> ended = new java.util.concurrent.CopyOnWriteArrayList<>();
    InferenceTelemetry telemetry = fx.telemetry().logPolicy(LogPolicy.disabled()).addListener(ended::add).build();
    Call call = telemetry.start(d("m"));
    CompletableFuture<String> f = call.executeAsync(policy, Deadline.after(Duration.ofSeconds(10)), (n, dl) ->
        n < 3 ? CompletableFuture.failedFuture(unavailable503()) : CompletableFuture.completedFuture("ok"));
    assertThat(f.get(10, TimeUnit.SECONDS)).isEqualTo("ok");
    assertThat(ended).hasSize(1);
    assertThat(ended.get(0).attempts()).isEqualTo(3);
    assertThat(ended.get(0).outcome()).isEqualTo(Outcome.SUCCESS);
  }

  @Test
  void cancellingTheAsyncFutureCancelsTheAttemptAndEndsCancelled() throws Exception {
    List<CallRecord> ended = new java.util.concurrent.CopyOnWriteArrayList<>();
    InferenceTelemetry telemetry = fx.telemetry().logPolicy(LogPolicy.disabled()).addListener(ended::add).build();
    CompletableFuture<String> transport = new CompletableFuture<>();
    Call call = telemetry.start(d("m"));
    CompletableFuture<String> f = call.executeAsync(ResiliencePolicy.none(), null, (n, dl) -> transport);
    assertThat(f.cancel(true)).isTrue();
    assertThat(transport.isCancelled()).isTrue();
    assertThat(call.isEnded()).isTrue();
    assertThat(ended).hasSize(1);
    assertThat(ended.get(0).outcome()).isEqualTo(Outcome.CANCELLED);
    assertThatThrownBy(() -> f.get(1, TimeUnit.SECONDS)).isInstanceOf(java.util.concurrent.CancellationException.class);
  }

  @Test
  void asyncFailureCompletesWithInferenceException() {
    Call call = telemetry().start(d("m"));
    CompletableFuture<String> f = call.executeAsync(ResiliencePolicy.none(), null,
        (n, dl) -> CompletableFuture.failedFuture(new java.io.IOException("socket closed")));
    assertThatThrownBy(() -> f.get(5, TimeUnit.SECONDS)).isInstanceOf(ExecutionException.class)
        .hasCauseInstanceOf(InferenceException.class);
  }

  @Test
  void aBreakerRemovedOrReplacedInTheRegistryIsLookedUpAfresh() {
    ResiliencePolicy policy = ResiliencePolicy.builder().maxAttempts(1).build();
    InferenceTelemetry telemetry = telemetry();
    assertThat(telemetry.start(d("m")).<String>execute(policy, null, (n, dl) -> "ok")).isEqualTo("ok");
    // the same breaker the policy uses: forcing it open short-circuits the next call
    CircuitBreaker cb = policy.circuitBreakerRegistry().circuitBreaker("llm/m");
    cb.transitionToForcedOpenState();
    assertThat(catchThrowableOfType(InferenceException.class,
        () -> telemetry.start(d("m")).execute(policy, null, (n, dl) -> "ok")).errorType())
        .isEqualTo(ErrorType.CIRCUIT_OPEN);
    // removed from the registry: the next call gets a fresh, closed breaker
    policy.circuitBreakerRegistry().remove("llm/m");
    assertThat(telemetry.start(d("m")).<String>execute(policy, null, (n, dl) -> "ok")).isEqualTo("ok");
    assertThat(policy.circuitState("llm", "m")).isEqualTo(CircuitBreaker.State.CLOSED);
    // replaced by one forced open: the calls see the replacement
    CircuitBreaker forced = CircuitBreaker.ofDefaults("llm/m");
    forced.transitionToForcedOpenState();
    policy.circuitBreakerRegistry().replace("llm/m", forced);
    assertThat(catchThrowableOfType(InferenceException.class,
        () -> telemetry.start(d("m")).execute(policy, null, (n, dl) -> "ok")).errorType())
        .isEqualTo(ErrorType.CIRCUIT_OPEN);
    // the async path looks its breaker up the same way
    CompletableFuture<String> async = telemetry.start(d("m")).executeAsync(policy, null,
        (n, dl) -> CompletableFuture.completedFuture("ok"));
    assertThat(catchThrowableOfType(ExecutionException.class, async::get).getCause())
        .isInstanceOfSatisfying(InferenceException.class, e -> assertThat(e.errorType()).isEqualTo(ErrorType.CIRCUIT_OPEN));
    policy.circuitBreakerRegistry().remove("llm/m");
    assertThat(telemetry.start(d("m")).<String>executeAsync(policy, null,
        (n, dl) -> CompletableFuture.completedFuture("ok")).join()).isEqualTo("ok");
  }
}
