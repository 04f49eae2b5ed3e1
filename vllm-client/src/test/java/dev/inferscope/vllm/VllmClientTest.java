package dev.inferscope.vllm;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.assertj.core.api.Assertions.catchThrowableOfType;

import dev.inferscope.core.Deadline;
import dev.inferscope.core.ErrorType;
import dev.inferscope.core.InferenceException;
import dev.inferscope.core.ResiliencePolicy;
import dev.inferscope.testkit.TelemetryCapture;
import dev.inferscope.testkit.vllm.VllmSimulator;
import io.opentelemetry.api.common.AttributeKey;
import io.opentelemetry.api.trace.StatusCode;
import io.opentelemetry.sdk.trace.data.SpanData;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Flow;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicReference;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

class VllmClientTest {
  private final TelemetryCapture capture = new TelemetryCapture();
  private final List<AutoCloseable> closeables = new ArrayList<>();

  @AfterEach
  void close() throws Exception {
    Collections.reverse(closeables);
    for (AutoCloseable c : closeables) {
      c.close();
    }
    capture.close();
  }

  private VllmSimulator sim(VllmSimulator.Builder b) {
    VllmSimulator s = b.start();
    closeables.add(s);
    return s;
  }

  private VllmClient client(VllmSimulator s, java.util.function.Consumer<VllmClient.Builder> custom) {
    VllmClient.Builder b = VllmClient.builder(s.baseUri()).telemetry(capture.telemetry())
        .resilience(ResiliencePolicy.builder().maxAttempts(3)
            .backoff(Duration.ofMillis(5), 1.0, Duration.ofMillis(5)).circuitBreaker(null).build());
    custom.accept(b);
    VllmClient c = b.build();
    closeables.add(c);
    return c;
  }

  private static ChatRequest hello() {
    return ChatRequest.builder("sim-llm").user("hello there")
        .sampling(SamplingParams.builder().maxTokens(8).temperature(0.2).topP(0.9).build()).build();
  }

  private SpanData lastSpan() {
    List<SpanData> spans = capture.spans();
    assertThat(spans).isNotEmpty();
    return spans.get(spans.size() - 1);
  }

  @Test
  void streamingChatRecordsGenAiAttributesTimeToFirstTokenAndGaps() {
    VllmSimulator s = sim(VllmSimulator.builder().timeToFirstToken(Duration.ofMillis(50))
        .interTokenGap(Duration.ofMillis(4)).tokensPerResponse(6));
    VllmClient client = client(s, b -> b.roundTripProbeInterval(Duration.ZERO));
    client.chat(hello()); // open the connection
    // A service measures a warm client: run the streaming path a few hundred times first (against a
    // simulator without delays) so that the JIT compiler, not the interpreter, runs the measured calls.
    VllmSimulator fast = sim(VllmSimulator.builder().timeToFirstToken(Duration.ZERO).interTokenGap(Duration.ZERO)
        .tokensPerResponse(2));
    VllmClient warm = client(fast, b -> b.roundTripProbeInterval(Duration.ZERO));
    for (int i = 0; i < 300; i++) {
      try (CompletionStream stream = warm.chatStream(hello())) {
        stream.collect();
      }
    }
    List<Double> ttfts = new ArrayList<>();
    List<Double> differences = new ArrayList<>();
    for (int i = 0; i < 15; i++) {
      try (CompletionStream stream = client.chatStream(hello())) {
        Completion all = stream.collect();
        assertThat(all.text()).isEqualTo("tok0 tok1 tok2 tok3 tok4 tok5");
        assertThat(all.finishReasons()).containsExactly("length");
        assertThat(all.usage().completionTokens()).isEqualTo(6);
      }
      SpanData span = lastSpan();
      double measured = span.getAttributes().get(AttributeKey.doubleKey("gen_ai.response.time_to_first_chunk"));
      ttfts.add(measured);
      List<VllmSimulator.RecordedRequest> seen = s.requests("/v1/chat/completions");
      double serverSide = seen.get(seen.size() - 1).firstChunkNanos() / 1e9;
      differences.add(measured - serverSide);
    }
    // Time to first token against the configured 50 ms. The best of 15 calls shows what the client adds
    // by itself (request and response on loopback, ~1.3 ms warm): it must be within 3 ms, less than one
    // 4 ms gap (2 ms failed now and then on a loaded 2-core machine, on old code too: 52.4 ms). The median
    // also carries the scheduling noise of a shared 2-core machine, so it gets a looser bound (10 ms); a
    // regression such as timing after parsing or buffering chunks (one gap is 4 ms) fails both.
    Collections.sort(ttfts);
    Collections.sort(differences);
    System.out.printf("TTFT against 50 ms configured: best %.2f ms, median %.2f ms, worst %.2f ms; "
        + "client minus server best %.2f ms, median %.2f ms%n", ttfts.get(0) * 1e3, ttfts.get(7) * 1e3,
        ttfts.get(14) * 1e3, differences.get(0) * 1e3, differences.get(7) * 1e3);
    assertThat(ttfts.get(0)).isBetween(0.050, 0.053);
    assertThat(ttfts.get(7)).isBetween(0.050, 0.060);
    assertThat(differences.get(0)).isGreaterThanOrEqualTo(0.0); // never earlier than the server sent it
    // a stream read to [DONE] hands its connection back: all 316 sequential calls used one connection each
    // (the round-trip probe is off in this test: it would take a second connection while a stream runs)
    assertThat(s.acceptedConnections()).isEqualTo(1);
    assertThat(fast.acceptedConnections()).isEqualTo(1);
    assertThat(capture.meters().get("gen_ai.client.operation.time_per_output_chunk").timer().count())
        .isEqualTo(15 * 5 + 300);
    assertThat(capture.meters().get("gen_ai.client.token.usage").tag("gen_ai.token.type", "output")
        .summary().totalAmount()).isEqualTo(15 * 6 + 300 * 2 + 6);
    SpanData span = lastSpan();
    assertThat(span.getName()).isEqualTo("chat sim-llm");
    assertThat(span.getAttributes().get(AttributeKey.stringKey("gen_ai.operation.name"))).isEqualTo("chat");
    assertThat(span.getAttributes().get(AttributeKey.stringKey("gen_ai.provider.name"))).isEqualTo("vllm");
    assertThat(span.getAttributes().get(AttributeKey.stringKey("gen_ai.request.model"))).isEqualTo("sim-llm");
    assertThat(span.getAttributes().get(AttributeKey.stringKey("gen_ai.response.model"))).isEqualTo("sim-llm");
    assertThat(span.getAttributes().get(AttributeKey.stringKey("gen_ai.response.id"))).startsWith("chatcmpl-");
    assertThat(span.getAttributes().get(AttributeKey.longKey("gen_ai.request.max_tokens"))).isEqualTo(8L);
    assertThat(span.getAttributes().get(AttributeKey.longKey("gen_ai.usage.output_tokens"))).isEqualTo(6L);
    assertThat(span.getAttributes().get(AttributeKey.longKey("gen_ai.usage.input_tokens"))).isEqualTo(2L);
    assertThat(span.getAttributes().get(AttributeKey.stringArrayKey("gen_ai.response.finish_reasons")))
        .containsExactly("length");
    assertThat(span.getAttributes().get(AttributeKey.longKey("inference.chunks"))).isEqualTo(6L);
    // 5 gaps of ~4 ms each
    assertThat(span.getAttributes().get(AttributeKey.doubleKey("inference.phase.decode.duration")))
        .isGreaterThanOrEqualTo(0.018);
  }

  @Test
  void worksWhenTheServerSendsNoRoleAndUsageInTheLastChunk() {
    VllmSimulator s = sim(VllmSimulator.builder().omitRole(true).usageInLastChunk(true).tokensPerResponse(3));
    VllmClient client = client(s, b -> b.system(dev.inferscope.core.InferenceSystem.OPENAI));
    try (CompletionStream stream = client.chatStream(hello())) {
      Completion c = stream.collect();
      assertThat(c.text()).isEqualTo("tok0 tok1 tok2");
      assertThat(c.usage().completionTokens()).isEqualTo(3);
    }
    assertThat(lastSpan().getAttributes().get(AttributeKey.stringKey("gen_ai.provider.name"))).isEqualTo("openai");
  }

  @Test
  void nonStreamingChatAndCompletionsAndTheOtherEndpoints() {
    VllmSimulator s = sim(VllmSimulator.builder().apiKey("sk-secret-key").tokensPerResponse(4));
    VllmClient client = client(s, b -> b.apiKey("sk-secret-key"));
    Completion chat = client.chat(hello());
    assertThat(chat.text()).isEqualTo("tok0 tok1 tok2 tok3");
    assertThat(chat.id()).startsWith("chatcmpl-");
    Completion text = client.complete(CompletionRequest.of("sim-llm", "once upon a time"));
    assertThat(text.text()).isEqualTo("tok0 tok1 tok2 tok3");
    assertThat(client.models()).extracting(ModelInfo::id).containsExactly("sim-llm");
    assertThat(client.health()).isTrue();
    assertThat(client.version()).isEqualTo("0.11.0-sim");
    List<Long> tokens = client.tokenize("sim-llm", "a b c");
    assertThat(tokens).hasSize(3);
    assertThat(client.detokenize("sim-llm", List.of(1L, 2L))).isEqualTo("tok1 tok2");
    Embeddings e = client.embeddings("sim-llm", List.of("x", "y"));
    assertThat(e.vectors()).hasSize(2);
    assertThat(e.vectors().get(0)).hasSize(8);
    assertThat(s.requests()).allSatisfy(r -> {
      assertThat(r.authorized()).isTrue();
      assertThat(r.requestId()).isNotBlank();
    });
    assertThat(client.toString()).doesNotContain("sk-secret-key").contains("<redacted>");
    assertThat(capture.everythingRecorded()).doesNotContain("sk-secret-key");
  }

  @Test
  void spansCarryTheStateOfTheGpuServingTheEndpoint() {
    dev.inferscope.core.GpuSnapshot gpu = new dev.inferscope.core.GpuSnapshot("GPU-9", 1, "L40S", 0.5, 1L << 30,
        48L << 30, 200, 55, System.nanoTime(), "test", false);
    dev.inferscope.core.GpuStateSource source = new dev.inferscope.core.GpuStateSource() {
      @Override
      public List<dev.inferscope.core.GpuSnapshot> latest() {
        return List.of(gpu);
      }

      @Override
      public String name() {
        return "test";
      }
    };
    VllmSimulator s = sim(VllmSimulator.builder());
    VllmClient client = VllmClient.builder(s.baseUri()).telemetry(capture.telemetry(b -> b.gpuStateSource(source)))
        .gpuIds(List.of("GPU-9")).build();
    closeables.add(client);
    client.chatStream(hello()).collect();
    SpanData span = lastSpan();
    assertThat(span.getAttributes().get(AttributeKey.stringKey("hw.id"))).isEqualTo("GPU-9");
    assertThat(span.getAttributes().get(AttributeKey.longKey("hw.gpu.memory.usage"))).isEqualTo(1L << 30);
  }

  @Test
  void traceparentSeenByTheServerBelongsToTheClientSpan() {
    VllmSimulator s = sim(VllmSimulator.builder());
    VllmClient client = client(s, b -> { });
    client.chat(hello());
    SpanData span = lastSpan();
    String tp = s.requests("/v1/chat/completions").get(0).traceparent();
    assertThat(tp).startsWith("00-" + span.getTraceId() + "-" + span.getSpanId() + "-");
  }

  @Test
  void saturatedServerShowsQueueTimeFromResponseTimingsAndScrapedBacklog() throws Exception {
    VllmSimulator s = sim(VllmSimulator.builder().maxRunning(1).perRequestMetrics(true)
        .timeToFirstToken(Duration.ofMillis(60)).interTokenGap(Duration.ofMillis(1)).tokensPerResponse(2));
    VllmClient client = client(s, b -> b.scrapeMetrics(Duration.ofHours(1)));
    ExecutorService pool = Executors.newFixedThreadPool(4);
    try {
      List<Future<Completion>> fs = new ArrayList<>();
      for (int i = 0; i < 4; i++) {
        fs.add(pool.submit(() -> client.chat(hello())));
      }
      // while they queue, the scraper sees the backlog
      long until = System.nanoTime() + TimeUnit.SECONDS.toNanos(10);
      double waiting = 0;
      while (System.nanoTime() < until && waiting < 1) {
        waiting = client.serverMetrics().refresh().get("sim-llm").waiting();
      }
      assertThat(waiting).isGreaterThanOrEqualTo(1);
      for (Future<Completion> f : fs) {
        f.get(20, TimeUnit.SECONDS);
      }
    } finally {
      pool.shutdownNow();
    }
    double maxQueue = capture.spans().stream()
        .filter(sp -> sp.getName().equals("chat sim-llm"))
        .mapToDouble(sp -> sp.getAttributes().get(AttributeKey.doubleKey("inference.phase.server_queue.duration")))
        .max().orElse(0);
    assertThat(maxQueue).isGreaterThan(0.1); // the last of four waited for ~three 62 ms generations
    assertThat(lastSpan().getAttributes().get(AttributeKey.stringKey("inference.server_timing.source")))
        .isEqualTo("response");
    assertThat(capture.meters().get("inference.server.queue.depth").tag("model", "sim-llm").gauge()).isNotNull();
    VllmServerMetrics.Load load = client.serverMetrics().refresh().get("sim-llm");
    assertThat(load.meanQueueSeconds()).isGreaterThan(0.0);
  }

  @Test
  void cancellingAStreamClosesTheConnectionAndEndsTheCallOnceAsCancelled() throws Exception {
    VllmSimulator s = sim(VllmSimulator.builder().interTokenGap(Duration.ofMillis(50)).tokensPerResponse(100));
    VllmClient client = client(s, b -> { });
    CompletionStream stream = client.chatStream(hello());
    assertThat(stream.next().text()).isEqualTo("tok0");
    stream.cancel();
    stream.cancel();
    long until = System.nanoTime() + TimeUnit.SECONDS.toNanos(5);
    while (s.requests("/v1/chat/completions").isEmpty() && System.nanoTime() < until) {
      Thread.onSpinWait();
    }
    VllmSimulator.RecordedRequest r = s.requests("/v1/chat/completions").get(0);
    assertThat(r.completed()).isFalse();
    assertThat(r.chunksSent()).isLessThan(100);
    SpanData span = lastSpan();
    assertThat(capture.spans()).hasSize(1);
    assertThat(span.getAttributes().get(AttributeKey.stringKey("error.type"))).isEqualTo("cancelled");
    assertThat(capture.meters().get("inference.client.duration").tag("outcome", "cancelled").timer().count())
        .isEqualTo(1);
  }

  @Test
  void errorMidStreamSaysHowManyChunksArrived() throws Exception {
    VllmSimulator s = sim(VllmSimulator.builder().tokensPerResponse(10));
    s.fault(VllmSimulator.Fault.ERROR_MID_STREAM);
    VllmClient client = client(s, b -> { });
    CompletionStream stream = client.chatStream(hello());
    InferenceException e = catchThrowableOfType(InferenceException.class, stream::collect);
    assertThat(e.chunksReceived()).isEqualTo(2);
    assertThat(e.getMessage()).contains("after 2 chunks");
    assertThat(lastSpan().getStatus().getStatusCode()).isEqualTo(StatusCode.ERROR);
    // the simulator records a stream when its handler returns, which may be just after the client has failed
    dev.inferscope.testkit.Eventually.value(() -> s.requests("/v1/chat/completions").size(), n -> n >= 1,
        java.time.Duration.ofSeconds(5));
    assertThat(s.requests("/v1/chat/completions")).hasSize(1); // never retried after data
  }

  @Test
  void malformedChunkIsProtocolAndMalformedBodyToo() {
    VllmSimulator s = sim(VllmSimulator.builder().tokensPerResponse(5));
    VllmClient client = client(s, b -> { });
    s.fault(VllmSimulator.Fault.MALFORMED_CHUNK, 1);
    InferenceException e = catchThrowableOfType(InferenceException.class, () -> client.chatStream(hello()).collect());
    assertThat(e.errorType()).isEqualTo(ErrorType.PROTOCOL);
    s.fault(VllmSimulator.Fault.MALFORMED_BODY, 1);
    InferenceException body = catchThrowableOfType(InferenceException.class, () -> client.chat(hello()));
    assertThat(body.errorType()).isEqualTo(ErrorType.PROTOCOL);
  }

  @Test
  void aServerThatStopsSendingHitsTheIdleTimeout() {
    VllmSimulator s = sim(VllmSimulator.builder().tokensPerResponse(5));
    s.fault(VllmSimulator.Fault.STALL_MID_STREAM);
    VllmClient client = client(s, b -> b.idleTimeout(Duration.ofMillis(300)));
    long t0 = System.nanoTime();
    InferenceException e = catchThrowableOfType(InferenceException.class, () -> client.chatStream(hello()).collect());
    assertThat(e.errorType()).isEqualTo(ErrorType.DEADLINE_EXCEEDED);
    assertThat(e.getMessage()).contains("idle timeout");
    assertThat(System.nanoTime() - t0).isLessThan(TimeUnit.SECONDS.toNanos(10));
  }

  @Test
  void theOverallDeadlineAppliesToStreams() {
    VllmSimulator s = sim(VllmSimulator.builder().interTokenGap(Duration.ofMillis(100)).tokensPerResponse(50));
    VllmClient client = client(s, b -> b.idleTimeout(Duration.ofSeconds(30)));
    InferenceException e = catchThrowableOfType(InferenceException.class,
        () -> client.chatStream(hello(), Deadline.after(Duration.ofMillis(400))).collect());
    assertThat(e.errorType()).isEqualTo(ErrorType.DEADLINE_EXCEEDED);
    assertThat(e.chunksReceived()).isBetween(1L, 10L);
  }

  @Test
  void droppedConnectionMidStreamIsNotRetried() {
    VllmSimulator s = sim(VllmSimulator.builder().tokensPerResponse(10));
    s.fault(VllmSimulator.Fault.DROP_MID_STREAM);
    VllmClient client = client(s, b -> { });
    InferenceException e = catchThrowableOfType(InferenceException.class, () -> client.chatStream(hello()).collect());
    assertThat(e.errorType()).isEqualTo(ErrorType.UNAVAILABLE);
    assertThat(e.chunksReceived()).isEqualTo(2);
    assertThat(s.requests("/v1/chat/completions")).hasSize(1);
  }

  @Test
  void a503BeforeTheFirstByteIsRetriedWithinBudget() {
    VllmSimulator s = sim(VllmSimulator.builder().tokensPerResponse(3));
    s.fault(VllmSimulator.Fault.UNAVAILABLE_503, 2);
    VllmClient client = client(s, b -> { });
    try (CompletionStream stream = client.chatStream(hello())) {
      assertThat(stream.collect().text()).isEqualTo("tok0 tok1 tok2");
    }
    assertThat(s.requests("/v1/chat/completions")).hasSize(3);
    assertThat(lastSpan().getAttributes().get(AttributeKey.longKey("inference.attempts"))).isEqualTo(3L);
    s.fault(VllmSimulator.Fault.UNAVAILABLE_503);
    InferenceException e = catchThrowableOfType(InferenceException.class, () -> client.chat(hello()));
    assertThat(e.errorType()).isEqualTo(ErrorType.UNAVAILABLE);
    assertThat(e.attempts()).isEqualTo(3);
  }

  @Test
  void errorBodiesOfBothShapesMapToTypes() {
    VllmSimulator s = sim(VllmSimulator.builder().maxContext(20));
    VllmClient client = client(s, b -> b.resilience(ResiliencePolicy.none()));
    InferenceException notFound = catchThrowableOfType(InferenceException.class,
        () -> client.chat(ChatRequest.builder("no-such-model").user("x").build()));
    assertThat(notFound.errorType()).isEqualTo(ErrorType.NOT_FOUND);
    assertThat(notFound.serverCode()).isEqualTo("404");
    InferenceException tooLong = catchThrowableOfType(InferenceException.class,
        () -> client.chat(ChatRequest.builder("sim-llm").user("this prompt is far too long").build()));
    assertThat(tooLong.errorType()).isEqualTo(ErrorType.INVALID_ARGUMENT);
    s.fault(VllmSimulator.Fault.FLAT_ERROR_400, 1);
    InferenceException flat = catchThrowableOfType(InferenceException.class, () -> client.chat(hello()));
    assertThat(flat.errorType()).isEqualTo(ErrorType.INVALID_ARGUMENT);
    assertThat(flat.serverMessage()).isEqualTo("invalid sampling parameters");
    s.fault(VllmSimulator.Fault.RATE_LIMITED_429, 1);
    InferenceException limited = catchThrowableOfType(InferenceException.class, () -> client.chat(hello()));
    assertThat(limited.errorType()).isEqualTo(ErrorType.RESOURCE_EXHAUSTED);
    assertThat(limited.retryAfter()).isEqualTo(Duration.ofSeconds(1));
    VllmClient wrongKey = client(sim(VllmSimulator.builder().apiKey("right")), b -> b.apiKey("wrong"));
    assertThat(catchThrowableOfType(InferenceException.class, () -> wrongKey.chat(hello())).errorType())
        .isEqualTo(ErrorType.UNAUTHENTICATED);
  }

  @Test
  void asyncChatCompletesAndCancellationAbortsTheExchange() throws Exception {
    VllmSimulator s = sim(VllmSimulator.builder().timeToFirstToken(Duration.ofSeconds(5)).tokensPerResponse(1));
    VllmClient fast = client(sim(VllmSimulator.builder()), b -> { });
    assertThat(fast.chatAsync(hello()).get(10, TimeUnit.SECONDS).text()).startsWith("tok0");
    VllmClient client = client(s, b -> { });
    CompletableFuture<Completion> f = client.chatAsync(hello());
    long until = System.nanoTime() + TimeUnit.SECONDS.toNanos(5);
    while (s.inFlight() == 0 && System.nanoTime() < until) {
      Thread.onSpinWait();
    }
    assertThat(f.cancel(true)).isTrue();
    assertThat(lastSpan().getAttributes().get(AttributeKey.stringKey("error.type"))).isEqualTo("cancelled");
  }

  @Test
  void publisherHonoursBackPressureAndCancellation() throws Exception {
    VllmSimulator s = sim(VllmSimulator.builder().tokensPerResponse(20).interTokenGap(Duration.ofMillis(2)));
    VllmClient client = client(s, b -> { });
    Flow.Publisher<StreamChunk> publisher = client.chatPublisher(hello());
    List<String> got = Collections.synchronizedList(new ArrayList<>());
    AtomicReference<Flow.Subscription> sub = new AtomicReference<>();
    CountDownLatch three = new CountDownLatch(3);
    CountDownLatch subscribed = new CountDownLatch(1);
    publisher.subscribe(new Flow.Subscriber<>() {
      @Override
      public void onSubscribe(Flow.Subscription subscription) {
        sub.set(subscription);
        subscribed.countDown();
        subscription.request(3);
      }

      @Override
      public void onNext(StreamChunk item) {
        got.add(item.text());
        three.countDown();
      }

      @Override
      public void onError(Throwable throwable) {
        got.add("error:" + throwable);
      }

      @Override
      public void onComplete() {
        got.add("complete");
      }
    });
    assertThat(three.await(10, TimeUnit.SECONDS)).isTrue();
    // no more than requested arrives, even though the server keeps producing
    assertThat(got).containsExactly("tok0", " tok1", " tok2");
    sub.get().cancel();
    long until = System.nanoTime() + TimeUnit.SECONDS.toNanos(5);
    while (capture.spans().isEmpty() && System.nanoTime() < until) {
      Thread.onSpinWait();
    }
    assertThat(lastSpan().getAttributes().get(AttributeKey.stringKey("error.type"))).isEqualTo("cancelled");
    assertThat(got).hasSize(3);
  }

  @Test
  void canaryInPromptsCompletionsAndEchoingErrorsNeverReachesTelemetryOrLogs() {
    String canary = "CANARY-vllm-4b1d";
    VllmSimulator s = sim(VllmSimulator.builder().maxContext(60).apiKey("sk-" + canary));
    VllmClient client = client(s, b -> b.apiKey("sk-" + canary).resilience(ResiliencePolicy.none()));
    try (TestLogs logs = new TestLogs()) {
      ChatRequest withCanary = ChatRequest.builder("sim-llm").system(canary).user("say " + canary)
          .sampling(SamplingParams.builder().stop(List.of(canary)).extra("guided_regex", canary).build()).build();
      client.chat(withCanary);
      client.chatStream(withCanary).collect();
      client.complete(CompletionRequest.of("sim-llm", canary));
      client.embeddings("sim-llm", List.of(canary));
      // the server's 400 quotes the prompt
      InferenceException e = catchThrowableOfType(InferenceException.class, () -> client.chat(
          ChatRequest.builder("sim-llm").user(canary + " " + "x".repeat(100)).build()));
      assertThat(e.errorType()).isEqualTo(ErrorType.INVALID_ARGUMENT);
      assertThat(e.getMessage()).doesNotContain(canary);
      assertThat(withCanary.toString()).doesNotContain(canary);
      assertThat(capture.everythingRecorded()).doesNotContain(canary);
      assertThat(logs.everything()).doesNotContain(canary);
      assertThat(logs.requestLines()).isGreaterThanOrEqualTo(5);
    }
  }

  @Test
  void aGiganticErrorMessageCannotBlowUpTheExceptionOrTheLogLine() {
    VllmSimulator s = sim(VllmSimulator.builder().maxContext(10));
    VllmClient client = client(s, b -> b.resilience(ResiliencePolicy.none()));
    try (TestLogs logs = new TestLogs()) {
      String huge = "word ".repeat(200_000); // the 400 echoes it: ~1 MB of error message
      InferenceException e = catchThrowableOfType(InferenceException.class,
          () -> client.chat(ChatRequest.builder("sim-llm").user(huge).build()));
      assertThat(e.errorType()).isEqualTo(ErrorType.INVALID_ARGUMENT);
      assertThat(e.getMessage().length()).isLessThan(1_000);
      assertThat(e.serverMessage().length()).isLessThanOrEqualTo(256);
      assertThat(logs.everything().length()).isLessThan(8_000);
      assertThat(logs.everything()).doesNotContain("word word");
    }
  }

  @Test
  void unreachableServerIsUnavailable() {
    VllmSimulator s = sim(VllmSimulator.builder());
    java.net.URI dead = s.baseUri();
    s.close();
    VllmClient client = VllmClient.builder(dead).telemetry(capture.telemetry())
        .resilience(ResiliencePolicy.none()).build();
    closeables.add(client);
    assertThatThrownBy(() -> client.chat(hello())).isInstanceOf(InferenceException.class)
        .satisfies(t -> assertThat(((InferenceException) t).errorType()).isEqualTo(ErrorType.UNAVAILABLE));
  }
}
