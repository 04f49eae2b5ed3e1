package dev.inferscope.triton;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.catchThrowableOfType;

import dev.inferscope.core.CallRecord;
import dev.inferscope.core.Deadline;
import dev.inferscope.core.ErrorType;
import dev.inferscope.core.InferenceException;
import dev.inferscope.core.ResiliencePolicy;
import dev.inferscope.testkit.FaultyServer;
import dev.inferscope.testkit.ManualClock;
import dev.inferscope.testkit.ResourceProbe;
import dev.inferscope.testkit.SimulatedModel;
import dev.inferscope.testkit.TelemetryCapture;
import dev.inferscope.testkit.triton.TritonSimulator;
import io.github.resilience4j.circuitbreaker.CircuitBreakerConfig;
import io.opentelemetry.api.trace.StatusCode;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.locks.LockSupport;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/**
 * Faults against the Triton client over gRPC (Netty on loopback) and HTTP, each checked for one end per
 * call with the right error type, span and meters, and nothing left behind ({@link ResourceProbe}).
 */
class TritonFaultTest {
  private static final Duration SETTLE = Duration.ofSeconds(15);
  // Netty's pooled allocator keeps the chunks it has carved, so a first large message can leave one
  // arena chunk (up to a few MiB) cached; a leak per call would grow far beyond this
  private static final long DIRECT_SLACK = 8 << 20;

  private final List<CallRecord> ended = Collections.synchronizedList(new ArrayList<>());
  private TelemetryCapture capture;
  private ResourceProbe.Snapshot before;

  @BeforeAll
  static void warmTheJvm() {
    // gRPC's shared event loops and executors are created once per JVM and live on: start them first
    try (TritonSimulator s = TritonSimulator.builder().model(echo("echo", 1)).start();
        TritonClient g = TritonClient.grpc(s.grpcTarget()).build();
        TritonClient h = TritonClient.http(s.httpUri()).build()) {
      g.infer(small("echo"));
      g.infer(large("echo", 1 << 16));
      h.infer(small("echo"));
    }
  }

  @BeforeEach
  void start() {
    capture = new TelemetryCapture();
    before = ResourceProbe.snapshot();
  }

  @AfterEach
  void nothingLeftBehind() {
    capture.close();
    assertThat(ResourceProbe.leaksSince(before, SETTLE, DIRECT_SLACK)).as("left behind").isEmpty();
  }

  private static SimulatedModel echo(String name, int computeMillis) {
    return SimulatedModel.builder(name).input("INPUT0", "FP32", 1, -1).computeTime(Duration.ofMillis(computeMillis))
        .build();
  }

  private static InferRequest small(String model) {
    return InferRequest.builder(model).input(Tensor.fp32("INPUT0", new long[] {1, 4}, 1f, 2f, 3f, 4f)).build();
  }

  private static InferRequest large(String model, int floats) {
    return InferRequest.builder(model).input(Tensor.fp32("INPUT0", new long[] {1, floats}, new float[floats]))
        .build();
  }

  private TritonClient.Builder grpc(TritonSimulator s) {
    return TritonClient.grpc(s.grpcTarget()).telemetry(capture.telemetry(t -> t.addListener(ended::add)))
        .resilience(ResiliencePolicy.builder().maxAttempts(3).backoff(Duration.ofMillis(5), 1.0, Duration.ofMillis(5))
            .circuitBreaker(null).build());
  }

  private double errors(ErrorType type) {
    return capture.meters().find("inference.client.duration").tag("error.type", type.tagValue()).timers().stream()
        .mapToDouble(t -> t.count()).sum();
  }

  private void endedOnceWith(ErrorType type) {
    assertThat(ended).hasSize(1);
    assertThat(ended.get(0).errorType()).isEqualTo(type);
    assertThat(capture.spans()).hasSize(1);
    assertThat(capture.spans().get(0).getStatus().getStatusCode()).isEqualTo(StatusCode.ERROR);
    assertThat(errors(type)).isEqualTo(1.0);
  }

  @Test
  void goAwayLetsTheCallInFlightFinishAndLaterCallsFailUnavailable() throws Exception {
    try (TritonSimulator s = TritonSimulator.builder().model(echo("slow", 400)).start();
        TritonClient client = grpc(s).resilience(ResiliencePolicy.none()).build()) {
      CompletableFuture<InferResult> inFlight = client.inferAsync(small("slow"));
      long until = System.nanoTime() + TimeUnit.SECONDS.toNanos(5);
      while (s.busy("slow") == 0 && System.nanoTime() < until) {
        LockSupport.parkNanos(1_000_000L);
      }
      s.goAway(); // HTTP/2 GOAWAY: the server finishes what it has and takes nothing new
      assertThat(inFlight.get(5, TimeUnit.SECONDS).output("OUTPUT0").asFloats()).containsExactly(1f, 2f, 3f, 4f);
      InferenceException e = catchThrowableOfType(InferenceException.class,
          () -> client.infer(small("slow"), Deadline.after(Duration.ofSeconds(2))));
      assertThat(e.errorType()).isEqualTo(ErrorType.UNAVAILABLE);
      assertThat(ended).hasSize(2);
      assertThat(ended.get(0).errorType()).isNull();
      assertThat(ended.get(1).errorType()).isEqualTo(ErrorType.UNAVAILABLE);
      assertThat(errors(ErrorType.UNAVAILABLE)).isEqualTo(1.0);
    }
  }

  @Test
  void aGrpcResponseLargerThanTheLimitIsAProtocolErrorAndNotRetried() {
    try (TritonSimulator s = TritonSimulator.builder().model(echo("echo", 1)).start();
        TritonClient client = grpc(s).maxInboundMessageSize(64 << 10).build()) {
      InferenceException e = catchThrowableOfType(InferenceException.class,
          () -> client.infer(large("echo", 64 << 10)));
      assertThat(e.errorType()).isEqualTo(ErrorType.PROTOCOL);
      assertThat(e.retryable()).isFalse();
      assertThat(e.attempts()).isEqualTo(1);
      assertThat(s.groundTruth("echo").served()).isEqualTo(1);
      endedOnceWith(ErrorType.PROTOCOL);
    }
  }

  @Test
  void anHttpResponseLargerThanTheLimitIsAProtocolErrorAndNotRetried() {
    try (TritonSimulator s = TritonSimulator.builder().model(echo("echo", 1)).start();
        TritonClient client = TritonClient.http(s.httpUri())
            .telemetry(capture.telemetry(t -> t.addListener(ended::add))).maxInboundMessageSize(64 << 10)
            .resilience(ResiliencePolicy.builder().maxAttempts(3).circuitBreaker(null).build()).build()) {
      InferenceException e = catchThrowableOfType(InferenceException.class,
          () -> client.infer(large("echo", 64 << 10)));
      assertThat(e.errorType()).isEqualTo(ErrorType.PROTOCOL);
      assertThat(s.groundTruth("echo").served()).isEqualTo(1);
      endedOnceWith(ErrorType.PROTOCOL);
    }
  }

  @Test
  void serverKilledMidStream() {
    TritonSimulator s = TritonSimulator.builder()
        .model(SimulatedModel.llm("llm").generation(Duration.ofMillis(5), Duration.ofMillis(40), 50).build()).start();
    try (TritonClient client = grpc(s).build()) {
      GenerateStream stream = client.generate(GenerateRequest.builder("llm", "hello").build());
      assertThat(stream.next().text()).isEqualTo("tok0");
      assertThat(stream.next().text()).isNotEmpty();
      s.close(); // the server dies
      InferenceException e = catchThrowableOfType(InferenceException.class, () -> {
        while (stream.hasNext()) {
          stream.next();
        }
      });
      assertThat(e.errorType()).isIn(ErrorType.UNAVAILABLE, ErrorType.CANCELLED);
      assertThat(e.chunksReceived()).isGreaterThanOrEqualTo(2);
      assertThat(e.attempts()).isEqualTo(1);
      stream.close();
      assertThat(ended).hasSize(1);
      assertThat(ended.get(0).errorType()).isEqualTo(e.errorType());
    } finally {
      s.close();
    }
  }

  @Test
  void aServerThatAcceptsAndNeverAnswersHitsTheDeadline() {
    try (FaultyServer silent = FaultyServer.silent();
        TritonClient client = TritonClient.grpc("127.0.0.1:" + silent.port())
            .telemetry(capture.telemetry(t -> t.addListener(ended::add)))
            .resilience(ResiliencePolicy.builder().maxAttempts(3).circuitBreaker(null).build()).build()) {
      long t0 = System.nanoTime();
      InferenceException e = catchThrowableOfType(InferenceException.class,
          () -> client.infer(small("echo"), Deadline.after(Duration.ofMillis(300))));
      assertThat(e.errorType()).isEqualTo(ErrorType.DEADLINE_EXCEEDED);
      assertThat(System.nanoTime() - t0).isBetween(250_000_000L, 1_500_000_000L);
      endedOnceWith(ErrorType.DEADLINE_EXCEEDED);
    }
  }

  @Test
  void anUnavailableStormOpensTheCircuitAndAHalfOpenTrialClosesItAgain() throws InterruptedException {
    ManualClock clock = new ManualClock(); // the open-state wait passes when the test says so
    CircuitBreakerConfig breaker = CircuitBreakerConfig.custom().clock(clock).slidingWindowSize(4)
        .minimumNumberOfCalls(4).failureRateThreshold(50).waitDurationInOpenState(Duration.ofMillis(300))
        .permittedNumberOfCallsInHalfOpenState(1).build();
    try (TritonSimulator s = TritonSimulator.builder().model(echo("echo", 1)).start();
        TritonClient client = grpc(s).resilience(ResiliencePolicy.builder().maxAttempts(2)
            .backoff(Duration.ofMillis(5), 1.0, Duration.ofMillis(5)).circuitBreaker(breaker).build()).build()) {
      s.fault(TritonSimulator.Fault.UNAVAILABLE);
      List<ErrorType> outcomes = new ArrayList<>();
      for (int i = 0; i < 8; i++) {
        long t0 = System.nanoTime();
        InferenceException e = catchThrowableOfType(InferenceException.class,
            () -> client.infer(small("echo"), Deadline.after(Duration.ofSeconds(2))));
        assertThat(System.nanoTime() - t0).isLessThan(2_000_000_000L);
        outcomes.add(e.errorType());
      }
      assertThat(outcomes).contains(ErrorType.UNAVAILABLE).endsWith(ErrorType.CIRCUIT_OPEN);
      assertThat(ended).hasSize(8);
      s.fault(TritonSimulator.Fault.NONE);
      clock.advance(Duration.ofMillis(350));
      assertThat(client.infer(small("echo")).output("OUTPUT0").asFloats()).hasSize(4);
      assertThat(client.infer(small("echo")).output("OUTPUT0").asFloats()).hasSize(4);
      assertThat(ended.subList(8, 10)).allSatisfy(r -> assertThat(r.errorType()).isNull());
      assertThat(errors(ErrorType.CIRCUIT_OPEN)).isEqualTo(outcomes.stream()
          .filter(t -> t == ErrorType.CIRCUIT_OPEN).count());
    }
  }
}
