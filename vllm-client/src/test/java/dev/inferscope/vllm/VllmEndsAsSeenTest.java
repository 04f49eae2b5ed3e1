package dev.inferscope.vllm;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.assertj.core.api.Assertions.catchThrowableOfType;

import dev.inferscope.core.CallDescriptor;
import dev.inferscope.core.CallRecord;
import dev.inferscope.core.ErrorType;
import dev.inferscope.core.InferenceException;
import dev.inferscope.core.InferenceSystem;
import dev.inferscope.core.InferenceTelemetry;
import dev.inferscope.core.Outcome;
import dev.inferscope.testkit.Eventually;
import dev.inferscope.testkit.FaultyServer;
import dev.inferscope.testkit.HostileHttp;
import dev.inferscope.testkit.TelemetryCapture;
import dev.inferscope.testkit.vllm.VllmSimulator;
import io.opentelemetry.sdk.trace.data.SpanData;
import java.io.ByteArrayInputStream;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.time.temporal.ChronoUnit;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.Executors;
import java.util.concurrent.Flow;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;

/**
 * Issue 15's examples that are not a template of {@link VllmCallPathContractTest}: a call ends once, with
 * what the caller saw, however it ends; impossible settings fail at build time; server strings reach
 * telemetry capped.
 */
class VllmEndsAsSeenTest {
  private final List<CallRecord> ends = new CopyOnWriteArrayList<>();

  /**
   * A chat completion chunk as llama-server b11669 streams it (choices[].delta.content, finish_reason null
   * until the last, {@code timings} with prompt_ms / predicted_ms; captured from ../shared/peers llama-server,
   * see vllm-project/vllm entrypoints/openai/protocol.py ChatCompletionStreamResponse for the common fields).
   */
  private static final String CHUNK = "data: {\"id\":\"c\",\"object\":\"chat.completion.chunk\",\"model\":\"m\","
      + "\"choices\":[{\"index\":0,\"delta\":{\"content\":\"hi\"},\"finish_reason\":null}],"
      + "\"timings\":{\"prompt_ms\":1.0,\"predicted_ms\":2.0}}\n\n";

  private CompletionStream streamOver(String sse, java.util.function.LongSupplier roundTrip,
      ScheduledExecutorService timers) {
    InferenceTelemetry t = InferenceTelemetry.builder().addListener(ends::add).build();
    dev.inferscope.core.Call call = t.start(CallDescriptor.builder(InferenceSystem.VLLM, "chat", "m").streaming(true)
        .genAi(true).build());
    return new CompletionStream(call, new ByteArrayInputStream(sse.getBytes(StandardCharsets.UTF_8)), () -> -1, true,
        null,
        Duration.ofSeconds(5), timers, 1 << 20, roundTrip, (c, tokens, choices, stream) -> { });
  }

  @Test
  void anExceptionWhileReadingServerTimingEndsTheCallOnceWithTheErrorTheReaderGets() {
    ScheduledExecutorService timers = Executors.newSingleThreadScheduledExecutor();
    try {
      CompletionStream s = streamOver(CHUNK + CHUNK + "data: [DONE]\n\n", () -> {
        throw new IllegalStateException("round trip exploded");
      }, timers);
      InferenceException e = catchThrowableOfType(InferenceException.class, s::hasNext);
      assertThat(e.errorType()).isEqualTo(ErrorType.PROTOCOL);
      assertThat(ends).hasSize(1);
      assertThat(ends.get(0).errorType()).isEqualTo(ErrorType.PROTOCOL);
      // asking again gives the same answer and never turns the call into a success
      assertThatThrownBy(s::hasNext).isSameAs(e);
      s.close();
      assertThat(ends).hasSize(1);
      assertThat(ends.get(0).outcome()).isEqualTo(Outcome.ERROR);
    } finally {
      timers.shutdownNow();
    }
  }

  @Test
  void aStreamCancelledBetweenChunksThrowsCancelledToItsReader() throws Exception {
    ScheduledExecutorService timers = Executors.newSingleThreadScheduledExecutor();
    try {
      CompletionStream s = streamOver(CHUNK + CHUNK + CHUNK + "data: [DONE]\n\n", () -> -1, timers);
      assertThat(s.next().text()).isEqualTo("hi");
      CompletableFuture.runAsync(s::cancel).get(5, TimeUnit.SECONDS); // another thread, between chunks
      InferenceException e = catchThrowableOfType(InferenceException.class, s::collect);
      assertThat(e.errorType()).isEqualTo(ErrorType.CANCELLED);
      assertThat(ends).hasSize(1);
      assertThat(ends.get(0).outcome()).isEqualTo(Outcome.CANCELLED);
    } finally {
      timers.shutdownNow();
    }
  }

  @Test
  void aSubscriberThatThrowsInOnNextCancelsTheStreamGetsOnErrorAndTheCallEnds() throws Exception {
    try (VllmSimulator sim = VllmSimulator.builder().models("m").timeToFirstToken(Duration.ofMillis(5))
        .interTokenGap(Duration.ofMillis(20)).tokensPerResponse(200).start();
        VllmClient client = VllmClient.builder(sim.baseUri())
            .telemetry(InferenceTelemetry.builder().addListener(ends::add).build())
            .roundTripProbeInterval(Duration.ZERO).build()) {
      CompletableFuture<Throwable> error = new CompletableFuture<>();
      RuntimeException boom = new IllegalStateException("subscriber bug");
      client.chatPublisher(ChatRequest.builder("m").user("hi").build()).subscribe(new Flow.Subscriber<>() {
        @Override
        public void onSubscribe(Flow.Subscription s) {
          s.request(Long.MAX_VALUE);
        }

        @Override
        public void onNext(StreamChunk item) {
          throw boom;
        }

        @Override
        public void onError(Throwable t) {
          error.complete(t);
        }

        @Override
        public void onComplete() {
          error.complete(null);
        }
      });
      assertThat(error.get(5, TimeUnit.SECONDS)).isSameAs(boom);
      assertThat(Eventually.value(ends::size, n -> n >= 1, Duration.ofSeconds(2))).isEqualTo(1);
      assertThat(ends.get(0).outcome()).isEqualTo(Outcome.CANCELLED);
      // the connection was closed: the server stops streaming long before its 200 tokens (4 s)
      assertThat(Eventually.value(sim::inFlight, n -> n == 0, Duration.ofSeconds(2))).isZero();
      assertThat(sim.requests("/v1/chat/completions").get(0).completed()).isFalse();
    }
  }

  @Test
  void impossibleSettingsFailAtBuildTimeNamingTheSetting() {
    VllmClient.Builder b = VllmClient.builder(java.net.URI.create("http://127.0.0.1:1"));
    assertThatThrownBy(() -> b.idleTimeout(ChronoUnit.FOREVER.getDuration()))
        .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("idleTimeout");
    assertThatThrownBy(() -> b.idleTimeout(Duration.ZERO)).hasMessageContaining("idleTimeout");
    assertThatThrownBy(() -> b.defaultDeadline(Duration.ofMillis(-1))).hasMessageContaining("defaultDeadline");
    assertThatThrownBy(() -> b.connectTimeout(ChronoUnit.FOREVER.getDuration())).hasMessageContaining("connectTimeout");
    assertThatThrownBy(() -> b.maxResponseBytes(0)).hasMessageContaining("maxResponseBytes");
    assertThatThrownBy(() -> b.header("Bad Name", "v")).hasMessageContaining("header");
    assertThatThrownBy(() -> b.header("X-Ok", "line\r\nInjected: 1")).hasMessageContaining("header")
        .hasMessageNotContaining("Injected");
    assertThatThrownBy(() -> b.scrapeMetrics(Duration.ZERO)).hasMessageContaining("scrapeMetrics");
    assertThatThrownBy(() -> VllmClient.builder(java.net.URI.create("http:///nohost")))
        .hasMessageContaining("baseUri");
    assertThatThrownBy(() -> VllmClient.builder(java.net.URI.create("ftp://host/")))
        .hasMessageContaining("baseUri");
  }

  @Test
  void theLargestSizeCapDoesNotOverflow() {
    try (VllmSimulator sim = VllmSimulator.builder().models("m").start();
        VllmClient client = VllmClient.builder(sim.baseUri()).maxResponseBytes(Integer.MAX_VALUE)
            .roundTripProbeInterval(Duration.ZERO).build()) {
      assertThat(client.chat(ChatRequest.builder("m").user("hi").build()).choices()).isNotEmpty();
      assertThat(client.chatStream(ChatRequest.builder("m").user("hi").build()).collect().choices()).isNotEmpty();
    }
  }

  @Test
  void serverStringsReachTelemetryCappedAndScrubbed() {
    // A ChatCompletionResponse (vllm-project/vllm entrypoints/openai/protocol.py @0052bed: id, object,
    // model, choices[].message, finish_reason, usage) whose strings are hostile: 1 MiB long, a canary in
    // quotes, an impossible token count. The shape is the server's; the values are the attack.
    String canary = "CANARY-7f3a";
    String huge = "x".repeat(1 << 20);
    String body = "{\"id\":\"" + huge + "\",\"object\":\"chat.completion\",\"model\":\"m '" + canary + "' " + huge
        + "\",\"choices\":[{\"index\":0,\"message\":{\"role\":\"assistant\",\"content\":\"ok\"},\"finish_reason\":\""
        + huge + "\"}],\"usage\":{\"prompt_tokens\":1,\"completion_tokens\":99999999999999,\"total_tokens\":2}}";
    try (TelemetryCapture capture = new TelemetryCapture();
        FaultyServer server = new FaultyServer(HostileHttp.answering(HostileHttp.body(200,
            body.getBytes(StandardCharsets.UTF_8), "Content-Type", "application/json")));
        VllmClient client = VllmClient.builder(server.httpUri()).telemetry(capture.telemetry())
            .roundTripProbeInterval(Duration.ZERO).build()) {
      Completion c = client.chat(ChatRequest.builder("m").user("hi").build());
      assertThat(c.choices().get(0).finishReason()).hasSize(1 << 20); // the response stays whole and usable
      SpanData span = capture.spans().get(0);
      span.getAttributes().forEach((k, v) -> assertThat(String.valueOf(v).length()).as(k.getKey()).isLessThanOrEqualTo(256));
      assertThat(capture.everythingRecorded()).doesNotContain(canary);
      assertThat(span.getAttributes().asMap().toString()).doesNotContain("99999999999999");
    }
  }
}
