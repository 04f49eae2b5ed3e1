package dev.inferscope.vllm;

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
import dev.inferscope.testkit.TelemetryCapture;
import dev.inferscope.testkit.vllm.VllmSimulator;
import io.github.resilience4j.circuitbreaker.CircuitBreakerConfig;
import io.opentelemetry.api.trace.StatusCode;
import io.opentelemetry.sdk.trace.data.SpanData;
import java.net.URI;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.concurrent.locks.LockSupport;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/**
 * Faults a real server produces, each checked for: one end per call with the right error type, a span
 * and meters that say so, retries inside the deadline, and nothing left behind (threads, sockets, direct
 * memory: {@link ResourceProbe}).
 */
class VllmFaultTest {
  private static final Duration SETTLE = Duration.ofSeconds(15);
  private static final long DIRECT_SLACK = 1 << 20;

  private final List<CallRecord> ended = Collections.synchronizedList(new ArrayList<>());
  private TelemetryCapture capture;
  private ResourceProbe.Snapshot before;

  @BeforeAll
  static void warmTheJvm() {
    // JVM-wide lazies (class loading, the HTTP client's shared state) happen once, before any count
    try (VllmSimulator s = VllmSimulator.builder().timeToFirstToken(Duration.ZERO).start();
        VllmClient c = VllmClient.builder(s.baseUri()).build()) {
      c.chat(hello());
      try (CompletionStream stream = c.chatStream(hello())) {
        stream.collect();
      }
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

  private static ChatRequest hello() {
    return ChatRequest.builder("sim-llm").user("hello").build();
  }

  private VllmClient.Builder clientFor(URI uri) {
    // these servers count connections and the probe accounts for sockets: no round-trip probe here
    // (VllmRoundTripTest covers it)
    return VllmClient.builder(uri).telemetry(capture.telemetry(t -> t.addListener(ended::add)))
        .roundTripProbeInterval(Duration.ZERO)
        .resilience(ResiliencePolicy.builder().maxAttempts(3).backoff(Duration.ofMillis(5), 1.0, Duration.ofMillis(5))
            .circuitBreaker(null).build());
  }

  private SpanData onlySpan() {
    assertThat(capture.spans()).hasSize(1);
    return capture.spans().get(0);
  }

  private double errors(ErrorType type) {
    return capture.meters().find("inference.client.duration").tag("error.type", type.tagValue()).timers().stream()
        .mapToDouble(t -> t.count()).sum();
  }

  private void endedOnceWith(ErrorType type) {
    assertThat(ended).hasSize(1);
    assertThat(ended.get(0).errorType()).isEqualTo(type);
    assertThat(onlySpan().getStatus().getStatusCode()).isEqualTo(StatusCode.ERROR);
    assertThat(errors(type)).isEqualTo(1.0);
  }

  private static StreamFailure readUntilFailure(CompletionStream stream) {
    int chunks = 0;
    try (stream) {
      while (stream.hasNext()) {
        stream.next();
        chunks++;
      }
    } catch (InferenceException e) {
      return new StreamFailure(chunks, e);
    }
    throw new AssertionError("the stream ended without an error after " + chunks + " chunks");
  }

  private record StreamFailure(int chunks, InferenceException error) {}

  @Test
  void serverKilledMidStream() {
    VllmSimulator s = VllmSimulator.builder().timeToFirstToken(Duration.ofMillis(5))
        .interTokenGap(Duration.ofMillis(40)).tokensPerResponse(50).start();
    try (VllmClient client = clientFor(s.baseUri()).build()) {
      CompletionStream stream = client.chatStream(hello());
      assertThat(stream.next().text()).isEqualTo("tok0");
      assertThat(stream.next().text()).isEqualTo(" tok1");
      s.close(); // the server process dies: every socket closes
      StreamFailure f = readUntilFailure(stream);
      assertThat(f.error().errorType()).isEqualTo(ErrorType.UNAVAILABLE);
      assertThat(f.error().chunksReceived()).isBetween(2L, 3L);
      assertThat(f.error().attempts()).isEqualTo(1); // nothing is retried after the first chunk
    } finally {
      s.close();
    }
    endedOnceWith(ErrorType.UNAVAILABLE);
  }

  @Test
  void connectionResetMidStreamIsNotRetried() throws InterruptedException {
    try (VllmSimulator s = VllmSimulator.builder().timeToFirstToken(Duration.ofMillis(2))
        .interTokenGap(Duration.ofMillis(2)).tokensPerResponse(10).start();
        VllmClient client = clientFor(s.baseUri()).build()) {
      s.fault(VllmSimulator.Fault.RESET_MID_STREAM);
      StreamFailure f = readUntilFailure(client.chatStream(hello()));
      assertThat(f.chunks()).isEqualTo(2);
      assertThat(f.error().errorType()).isEqualTo(ErrorType.UNAVAILABLE);
      assertThat(f.error().chunksReceived()).isEqualTo(2);
      // the simulator records a request when its handler returns, which can be after the client saw the reset
      assertThat(dev.inferscope.testkit.Eventually.value(() -> s.requests("/v1/chat/completions").size(), n -> n >= 1,
          Duration.ofSeconds(2))).isEqualTo(1);
    }
    endedOnceWith(ErrorType.UNAVAILABLE);
  }

  @Test
  void aServerThatAcceptsAndNeverAnswersHitsTheDeadline() throws Exception {
    try (FaultyServer silent = FaultyServer.silent();
        VllmClient client = clientFor(silent.httpUri()).build()) {
      long t0 = System.nanoTime();
      InferenceException e = catchThrowableOfType(InferenceException.class,
          () -> client.chat(hello(), Deadline.after(Duration.ofMillis(300))));
      long took = System.nanoTime() - t0;
      assertThat(e.errorType()).isEqualTo(ErrorType.DEADLINE_EXCEEDED);
      assertThat(took).isBetween(250_000_000L, 1_500_000_000L);
      endedOnceWith(ErrorType.DEADLINE_EXCEEDED);
      ended.clear();
      capture.reset();
      InferenceException s = catchThrowableOfType(InferenceException.class,
          () -> client.chatStream(hello(), Deadline.after(Duration.ofMillis(300))).collect());
      assertThat(s.errorType()).isEqualTo(ErrorType.DEADLINE_EXCEEDED);
      assertThat(ended).hasSize(1);
    }
  }

  @Test
  void aSlowDripOfBytesPastTheDeadlineEndsAtTheDeadline() throws Exception {
    // headers at once, then one body byte every 20 ms: the HTTP client's own timeout has ended with the
    // headers, so only Inferscope's deadline guard stops the call
    try (FaultyServer drip = new FaultyServer((in, out) -> {
      FaultyServer.readHttpHead(in);
      out.write(("HTTP/1.1 200 OK\r\nContent-Type: application/json\r\nContent-Length: 100000\r\n\r\n")
          .getBytes(StandardCharsets.US_ASCII));
      out.flush();
      for (int i = 0; i < 100_000; i++) {
        out.write(i == 0 ? '{' : ' ');
        out.flush();
        LockSupport.parkNanos(20_000_000L);
      }
    }); VllmClient client = clientFor(drip.httpUri()).build()) {
      long t0 = System.nanoTime();
      InferenceException e = catchThrowableOfType(InferenceException.class,
          () -> client.chat(hello(), Deadline.after(Duration.ofMillis(400))));
      long took = System.nanoTime() - t0;
      assertThat(e.errorType()).isEqualTo(ErrorType.DEADLINE_EXCEEDED);
      assertThat(took).isBetween(350_000_000L, 1_500_000_000L);
      assertThat(drip.connections()).isEqualTo(1); // not retried
      endedOnceWith(ErrorType.DEADLINE_EXCEEDED);
    }
  }

  @Test
  void aSlowDripOfStreamBytesPastTheDeadlineEndsAtTheDeadline() throws Exception {
    try (FaultyServer drip = new FaultyServer((in, out) -> {
      FaultyServer.readHttpHead(in);
      out.write(("HTTP/1.1 200 OK\r\nContent-Type: text/event-stream\r\nTransfer-Encoding: chunked\r\n\r\n")
          .getBytes(StandardCharsets.US_ASCII));
      out.flush();
      for (int i = 0; i < 10_000; i++) {
        out.write("1\r\n:\r\n".getBytes(StandardCharsets.US_ASCII)); // a comment byte, never an event
        out.flush();
        LockSupport.parkNanos(20_000_000L);
      }
    }); VllmClient client = clientFor(drip.httpUri()).idleTimeout(Duration.ofSeconds(30)).build()) {
      long t0 = System.nanoTime();
      InferenceException e = catchThrowableOfType(InferenceException.class,
          () -> client.chatStream(hello(), Deadline.after(Duration.ofMillis(400))).collect());
      assertThat(e.errorType()).isEqualTo(ErrorType.DEADLINE_EXCEEDED);
      assertThat(System.nanoTime() - t0).isBetween(350_000_000L, 1_500_000_000L);
      endedOnceWith(ErrorType.DEADLINE_EXCEEDED);
    }
  }

  @Test
  void a503StormOpensTheCircuitAndAHalfOpenTrialClosesItAgain() throws InterruptedException {
    ManualClock clock = new ManualClock(); // the open-state wait passes when the test says so
    CircuitBreakerConfig breaker = CircuitBreakerConfig.custom().clock(clock).slidingWindowSize(4)
        .minimumNumberOfCalls(4).failureRateThreshold(50).waitDurationInOpenState(Duration.ofMillis(300))
        .permittedNumberOfCallsInHalfOpenState(1).build();
    try (VllmSimulator s = VllmSimulator.builder().timeToFirstToken(Duration.ZERO).start();
        VllmClient client = clientFor(s.baseUri()).resilience(ResiliencePolicy.builder().maxAttempts(2)
            .backoff(Duration.ofMillis(5), 1.0, Duration.ofMillis(5)).circuitBreaker(breaker).build()).build()) {
      s.fault(VllmSimulator.Fault.UNAVAILABLE_503);
      List<ErrorType> outcomes = new ArrayList<>();
      int reachedServer = 0;
      for (int i = 0; i < 8; i++) {
        long t0 = System.nanoTime();
        InferenceException e = catchThrowableOfType(InferenceException.class,
            () -> client.chat(hello(), Deadline.after(Duration.ofSeconds(2))));
        assertThat(System.nanoTime() - t0).isLessThan(2_000_000_000L); // retries stay inside the deadline
        outcomes.add(e.errorType());
        if (e.errorType() == ErrorType.CIRCUIT_OPEN) {
          assertThat(s.requests("/v1/chat/completions")).hasSize(reachedServer); // short-circuited
        }
        reachedServer = s.requests("/v1/chat/completions").size();
      }
      assertThat(outcomes).contains(ErrorType.UNAVAILABLE).endsWith(ErrorType.CIRCUIT_OPEN);
      assertThat(ended).hasSize(8);
      // the storm passes; after the open wait one trial call goes through and closes the circuit
      s.fault(VllmSimulator.Fault.NONE);
      clock.advance(Duration.ofMillis(350));
      assertThat(client.chat(hello()).text()).isNotEmpty();
      assertThat(client.chat(hello()).text()).isNotEmpty();
      assertThat(ended).hasSize(10);
      assertThat(ended.subList(8, 10)).allSatisfy(r -> assertThat(r.errorType()).isNull());
      assertThat(errors(ErrorType.CIRCUIT_OPEN)).isEqualTo(outcomes.stream()
          .filter(t -> t == ErrorType.CIRCUIT_OPEN).count());
    }
  }

  @Test
  void aResponseLargerThanTheLimitIsAProtocolErrorAndNotRetried() {
    try (VllmSimulator s = VllmSimulator.builder().timeToFirstToken(Duration.ZERO).interTokenGap(Duration.ZERO)
        .tokensPerResponse(3000).start();
        VllmClient client = clientFor(s.baseUri()).maxResponseBytes(8192).build()) {
      InferenceException e = catchThrowableOfType(InferenceException.class,
          () -> client.chat(ChatRequest.builder("sim-llm").user("long").build()));
      assertThat(e.errorType()).isEqualTo(ErrorType.PROTOCOL);
      assertThat(e.getMessage()).contains("larger than 8192");
      assertThat(s.requests("/v1/chat/completions")).hasSize(1);
      endedOnceWith(ErrorType.PROTOCOL);
    }
  }

  @Test
  void aStreamedEventLargerThanTheLimitIsAProtocolError() {
    try (VllmSimulator s = VllmSimulator.builder().timeToFirstToken(Duration.ZERO).interTokenGap(Duration.ZERO)
        .tokensPerResponse(5).start();
        VllmClient client = clientFor(s.baseUri()).maxResponseBytes(64).build()) {
      StreamFailure f = readUntilFailure(client.chatStream(hello()));
      assertThat(f.error().errorType()).isEqualTo(ErrorType.PROTOCOL);
      assertThat(f.chunks()).isZero();
      endedOnceWith(ErrorType.PROTOCOL);
    }
  }
}
