package dev.inferscope.vllm;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.within;

import dev.inferscope.core.InferenceAttributes;
import dev.inferscope.core.Phase;
import dev.inferscope.core.ResiliencePolicy;
import dev.inferscope.core.prometheus.PrometheusTextParser;
import dev.inferscope.core.prometheus.ScrapeResult;
import dev.inferscope.testkit.Bursts;
import dev.inferscope.testkit.PhasePartition;
import dev.inferscope.testkit.Closer;
import dev.inferscope.testkit.Eventually;
import dev.inferscope.testkit.TelemetryCapture;
import dev.inferscope.testkit.vllm.VllmSimulator;
import io.opentelemetry.api.common.AttributeKey;
import io.opentelemetry.sdk.trace.data.SpanData;
import java.net.URI;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Collections;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.SplittableRandom;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.Flow;
import java.util.concurrent.TimeUnit;
import java.util.function.Function;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;

/**
 * Server timing as vLLM and llama.cpp really send it, the phase partition on every call path, and the
 * accuracy of the estimates against the simulator's ground truth.
 */
class VllmServerTimingTest {
  private static final String MODEL = "sim-llm";
  private static final AttributeKey<String> SOURCE = AttributeKey.stringKey("inference.server_timing.source");
  @RegisterExtension final Closer closer = new Closer();
  private final TelemetryCapture capture = closer.add(new TelemetryCapture());

  private VllmSimulator sim(VllmSimulator.Builder b) {
    VllmSimulator s = b.start();
    closer.add(s);
    return s;
  }

  private VllmClient client(VllmSimulator s, java.util.function.Consumer<VllmClient.Builder> custom) {
    VllmClient.Builder b = VllmClient.builder(s.baseUri()).telemetry(capture.telemetry())
        .resilience(ResiliencePolicy.builder().maxAttempts(1).circuitBreaker(null).build());
    custom.accept(b);
    VllmClient c = b.build();
    closer.add(c);
    return c;
  }

  private static ChatRequest chat(String model, int maxTokens) {
    return ChatRequest.builder(model).user("hello there")
        .sampling(SamplingParams.builder().maxTokens(maxTokens).build()).build();
  }

  private static CompletionRequest text(String model, int maxTokens) {
    return CompletionRequest.of(model, "once upon a time", SamplingParams.builder().maxTokens(maxTokens).build());
  }

  private static double attr(SpanData s, Phase p) {
    Double v = s.getAttributes().get(InferenceAttributes.phaseDuration(p));
    return v == null ? Double.NaN : v;
  }

  /** What the simulator knows of each chat request, by request id. */
  private static Map<String, VllmSimulator.RecordedRequest> truthById(VllmSimulator s) {
    Map<String, VllmSimulator.RecordedRequest> truth = new HashMap<>();
    for (VllmSimulator.RecordedRequest r : s.requests("/v1/chat/completions")) {
      truth.put(r.requestId(), r);
    }
    return truth;
  }

  private static void awaitBaseline(VllmClient c) throws InterruptedException {
    Eventually.value(c::roundTripNanos, rtt -> rtt >= 0, Duration.ofSeconds(10));
    assertThat(c.roundTripNanos()).as("round-trip baseline").isPositive();
  }

  /** Every call path of the client, each returning when the call has ended. */
  private static final List<Map.Entry<String, Function<VllmClient, Object>>> PATHS = List.of(
      Map.entry("chat", c -> c.chat(chat(MODEL, 4))),
      Map.entry("complete", c -> c.complete(text(MODEL, 4))),
      Map.entry("chatAsync", c -> c.chatAsync(chat(MODEL, 4)).join()),
      Map.entry("chatStream", c -> {
        try (CompletionStream st = c.chatStream(chat(MODEL, 4))) {
          return st.collect();
        }
      }),
      Map.entry("completeStream", c -> {
        try (CompletionStream st = c.completeStream(text(MODEL, 4))) {
          return st.collect();
        }
      }),
      Map.entry("chatPublisher", c -> collect(c.chatPublisher(chat(MODEL, 4)))));

  private static Object collect(Flow.Publisher<StreamChunk> p) {
    CompletableFuture<Integer> done = new CompletableFuture<>();
    p.subscribe(new Flow.Subscriber<>() {
      int n;

      @Override
      public void onSubscribe(Flow.Subscription s) {
        s.request(Long.MAX_VALUE);
      }

      @Override
      public void onNext(StreamChunk item) {
        n++;
      }

      @Override
      public void onError(Throwable t) {
        done.completeExceptionally(t);
      }

      @Override
      public void onComplete() {
        done.complete(n);
      }
    });
    return done.join();
  }

  @Test
  void thePartitionSumsToTheTotalOnEveryPathWithRandomisedServerTimings() throws Exception {
    SplittableRandom rnd = new SplittableRandom(14);
    for (VllmSimulator.Flavor flavor : VllmSimulator.Flavor.values()) {
      for (boolean metrics : new boolean[] {false, true}) {
        VllmSimulator s = sim(VllmSimulator.builder().flavor(flavor).perRequestMetrics(metrics)
            .models(MODEL).maxRunning(1 + rnd.nextInt(2))
            .timeToFirstToken(Duration.ofMillis(rnd.nextInt(1, 15)))
            .interTokenGap(Duration.ofMillis(rnd.nextInt(0, 4))).tokensPerResponse(4));
        VllmClient c = client(s, b -> { });
        for (Map.Entry<String, Function<VllmClient, Object>> path : PATHS) {
          capture.reset();
          // two at once, so some calls wait for a slot
          CompletableFuture<Object> other = CompletableFuture.supplyAsync(() -> path.getValue().apply(c));
          path.getValue().apply(c);
          other.join();
          List<SpanData> spans = capture.spans();
          assertThat(spans).as(path.getKey()).hasSize(2);
          for (SpanData span : spans) {
            Map<Phase, Double> p = PhasePartition.check(span.getAttributes(),
                span.getEndEpochNanos() - span.getStartEpochNanos());
            assertThat(p).as("%s %s metrics=%s", path.getKey(), flavor, metrics).containsKey(Phase.NETWORK);
          }
        }
      }
    }
  }

  @Test
  void vllmPerRequestMetricsAreExactOnBodiesAndOnTheFinalUsageChunk() throws InterruptedException {
    VllmSimulator s = sim(VllmSimulator.builder().perRequestMetrics(true).maxRunning(1)
        .timeToFirstToken(Duration.ofMillis(30)).interTokenGap(Duration.ofMillis(2)).tokensPerResponse(5));
    VllmClient c = client(s, b -> b.roundTripProbeInterval(Duration.ZERO)); // no probe among the in-flight
    CompletableFuture<Completion> first = c.chatAsync(chat(MODEL, 5));
    // the second is sent once the first is in the server, so it waits behind it however slow the machine
    dev.inferscope.testkit.Eventually.value(s::inFlight, n -> n >= 1, Duration.ofSeconds(5));
    try (CompletionStream st = c.chatStream(chat(MODEL, 5))) { // waits behind the first
      assertThat(st.collect().text()).isEqualTo("tok0 tok1 tok2 tok3 tok4");
    }
    first.join();
    Map<String, VllmSimulator.RecordedRequest> truth = truthById(s);
    List<SpanData> spans = capture.spans();
    assertThat(spans).hasSize(2);
    double maxQueue = 0;
    for (SpanData span : spans) {
      assertThat(span.getAttributes().get(SOURCE)).isEqualTo("response");
      VllmSimulator.RecordedRequest r = truth.get(span.getAttributes().get(InferenceAttributes.REQUEST_ID));
      double queue = attr(span, Phase.SERVER_QUEUE);
      assertThat(queue).isCloseTo(r.trueQueueNanos() / 1e9, org.assertj.core.api.Assertions.within(0.001));
      assertThat(attr(span, Phase.SERVER_COMPUTE)).isCloseTo(r.computeNanos() / 1e9,
          org.assertj.core.api.Assertions.within(0.001));
      assertThat(span.getAttributes().get(InferenceAttributes.SERVER_TIME_TO_FIRST_TOKEN)).isBetween(0.029, 0.2);
      assertThat(span.getAttributes().get(InferenceAttributes.SERVER_MEAN_INTER_TOKEN_LATENCY)).isBetween(0.0015, 0.1);
      maxQueue = Math.max(maxQueue, queue);
    }
    // The second waited behind the first (up to ~38 ms of work; less the time the first had run when the
    // second arrived). The per-span checks above are the exact ones.
    assertThat(maxQueue).isGreaterThan(0.005);
  }

  @Test
  void withoutIncludeUsageOrWithNAboveOneVllmSendsNoMetricsAndNothingIsMadeUp() {
    VllmSimulator s = sim(VllmSimulator.builder().perRequestMetrics(true).tokensPerResponse(3));
    VllmClient noUsage = client(s, b -> b.includeUsage(false).roundTripProbeInterval(Duration.ZERO));
    try (CompletionStream st = noUsage.chatStream(chat(MODEL, 3))) {
      st.collect();
    }
    assertThat(capture.spans().get(0).getAttributes().get(SOURCE)).isEqualTo("none");
    capture.reset();
    noUsage.chat(ChatRequest.builder(MODEL).user("hi")
        .sampling(SamplingParams.builder().maxTokens(3).n(2).build()).build());
    SpanData span = capture.spans().get(0);
    assertThat(span.getAttributes().get(SOURCE)).isEqualTo("none");
    assertThat(span.getAttributes().get(InferenceAttributes.phaseDuration(Phase.SERVER_QUEUE))).isNull();
  }

  @Test
  void llamaCppStreamsCountOnlyOutputChunksAndSplitComputeQueueAndNetwork() throws Exception {
    VllmSimulator s = sim(VllmSimulator.builder().flavor(VllmSimulator.Flavor.LLAMA_CPP).models("tiny-llama")
        .timeToFirstToken(Duration.ofMillis(5)).interTokenGap(Duration.ofMillis(1)).tokensPerResponse(16));
    VllmClient c = client(s, b -> { });
    awaitBaseline(c);
    long rttBefore = 0;
    long rttAfter = 0;
    for (int i = 0; i < 20; i++) {
      capture.reset();
      rttBefore = c.roundTripNanos();
      try (CompletionStream st = c.chatStream(chat("tiny-llama", 16))) {
        assertThat(st.collect().text()).startsWith("tok0 tok1");
      }
      rttAfter = c.roundTripNanos();
    }
    SpanData span = capture.spans().get(0);
    // role chunk, finish chunk and usage chunk are not output: 16 tokens, 16 chunks, 15 gaps
    assertThat(span.getAttributes().get(InferenceAttributes.CHUNKS)).isEqualTo(16L);
    assertThat(capture.meters().get("gen_ai.client.operation.time_per_output_chunk").timer().count())
        .isEqualTo(20 * 15);
    assertThat(span.getAttributes().get(SOURCE)).isEqualTo("response_compute");
    assertThat(attr(span, Phase.SERVER_COMPUTE)).isGreaterThan(0.015);
    System.out.printf("llama.cpp flavour, one warm stream: network %.3f ms, round trip %.3f ms%n",
        attr(span, Phase.NETWORK) * 1e3, c.roundTripNanos() / 1e6);
    // the queue is derived after the round trip: NETWORK is the round trip, or more when the stream's
    // start bounds the queue tighter, or less only when the remainder left no queue at all; never the queue
    // or the compute. The baseline may move with a probe during the call: the bounds take both readings.
    double low = Math.min(rttBefore, rttAfter) / 1e9;
    double high = Math.max(rttBefore, rttAfter) / 1e9;
    if (attr(span, Phase.SERVER_QUEUE) > 0) {
      assertThat(attr(span, Phase.NETWORK)).isGreaterThanOrEqualTo(low - 1e-9);
    }
    assertThat(attr(span, Phase.NETWORK)).isLessThan(high + 0.005);
    PhasePartition.check(span.getAttributes(), span.getEndEpochNanos() - span.getStartEpochNanos());
  }

  /**
   * The accuracy of each method under the quickstart's backlog (4 slots, 16 streams): p50 and p99 of
   * |estimated - true| SERVER_QUEUE as a fraction of each call's total, printed. Targets: per-request
   * metrics exact within 1 ms; llama.cpp timings with the round-trip estimate p99 at most 10 %.
   */
  @Test
  void serverQueueAccuracyUnderBacklog() throws Exception {
    for (VllmSimulator.Flavor flavor : VllmSimulator.Flavor.values()) {
      String model = flavor == VllmSimulator.Flavor.LLAMA_CPP ? "tiny-llama" : MODEL;
      VllmSimulator s = sim(VllmSimulator.builder().flavor(flavor).perRequestMetrics(true).models(model)
          .maxRunning(4).timeToFirstToken(Duration.ofMillis(120)).interTokenGap(Duration.ofMillis(15))
          .tokensPerResponse(24)); // the quickstart's vLLM scenario (examples/quickstart Quickstart.java)
      VllmClient c = client(s, b -> { });
      awaitBaseline(c);
      capture.reset();
      // round 0 warms the client, the server and the connection pool (16 connections) and is not counted:
      // a service measures a warm client
      Bursts.run(16, 4, 1, capture::reset, () -> {
        try (CompletionStream st = c.chatStream(chat(model, 24))) {
          return st.collect();
        }
      });
      Map<String, VllmSimulator.RecordedRequest> truth = truthById(s);
      List<Double> errors = new ArrayList<>();
      List<Double> absMs = new ArrayList<>();
      List<Double> network = new ArrayList<>();
      for (SpanData span : capture.spans()) {
        VllmSimulator.RecordedRequest r = truth.get(span.getAttributes().get(InferenceAttributes.REQUEST_ID));
        double total = (span.getEndEpochNanos() - span.getStartEpochNanos()) / 1e9;
        double err = Math.abs(attr(span, Phase.SERVER_QUEUE) - r.trueQueueNanos() / 1e9);
        errors.add(err / total);
        absMs.add(err * 1e3);
        network.add(attr(span, Phase.NETWORK) * 1e3);
      }
      assertThat(errors).hasSize(48);
      Collections.sort(errors);
      Collections.sort(absMs);
      Collections.sort(network);
      String method = flavor == VllmSimulator.Flavor.VLLM ? "vLLM per-request metrics (response)"
          : "llama.cpp timings + round trip (response_compute)";
      System.out.printf("server_queue accuracy, %s, 4 slots x 16 streams x 3: |est-true|/total p50 %.4f p99 %.4f;"
              + " |est-true| p50 %.3f ms p99 %.3f ms; network p50 %.3f ms p99 %.3f ms%n", method,
          errors.get(24), errors.get(47), absMs.get(24), absMs.get(47), network.get(24), network.get(47));
      if (flavor == VllmSimulator.Flavor.VLLM) {
        assertThat(absMs.get(47)).as("per-request metrics are exact").isLessThanOrEqualTo(1.0);
      } else {
        assertThat(errors.get(47)).as("estimate p99 error / total").isLessThanOrEqualTo(0.10);
      }
      // NETWORK here is what neither side measured: loopback, the client's HTTP selector thread handing 16
      // streams to their readers, and the in-process simulator's threads, on one shared machine. It is
      // printed above; the quickstart's figure (examples/README.md) is the one to read.
      // The bound is loose on purpose (a busy CI host doubles it); what it catches is the queue billed to the
      // network, which is hundreds of milliseconds here.
      assertThat(network.get(24)).as("network p50 on loopback, 16 streams in one JVM").isLessThanOrEqualTo(50.0);
    }
  }

  /**
   * vLLM without {@code --enable-per-request-metrics}: the answer carries no timing, so compute comes from the
   * server's own prefill and decode histograms on {@code /metrics} (mean prefill + output tokens x decode time
   * per token) and the queue is the remainder after the measured round trip, bounded by the time to first
   * token. The quickstart's backlog scenario, against the simulator's ground truth.
   */
  @Test
  void withoutPerRequestMetricsComputeComesFromTheServersHistograms() throws Exception {
    VllmSimulator s = sim(VllmSimulator.builder().perRequestMetrics(false).maxRunning(4)
        .timeToFirstToken(Duration.ofMillis(120)).interTokenGap(Duration.ofMillis(15)).tokensPerResponse(24));
    VllmClient c = client(s, b -> b.scrapeMetrics(Duration.ofMillis(200)));
    awaitBaseline(c);
    for (int i = 0; i < 2; i++) {
      c.chat(chat(MODEL, 24)); // finished requests give the histograms something to say
    }
    Eventually.value(() -> {
      VllmServerMetrics.Load l = c.serverMetrics().load(MODEL);
      return l != null && l.computeNanos(24) > 0 ? 1 : 0;
    }, n -> n == 1, Duration.ofSeconds(10));
    capture.reset();
    Completion one = c.chat(chat(MODEL, 24));
    assertThat(one.usage().completionTokens()).isEqualTo(24);
    SpanData single = capture.spans().get(0);
    assertThat(single.getAttributes().get(SOURCE)).isEqualTo("statistics");
    VllmSimulator.RecordedRequest truthOne = s.requests("/v1/chat/completions").stream()
        .filter(r -> r.requestId().equals(single.getAttributes().get(InferenceAttributes.REQUEST_ID))).findFirst()
        .orElseThrow();
    assertThat(attr(single, Phase.SERVER_COMPUTE)).isCloseTo(truthOne.computeNanos() / 1e9, within(0.02));

    Bursts.run(16, 4, 1, capture::reset, () -> {
      try (CompletionStream st = c.chatStream(chat(MODEL, 24))) {
        return st.collect();
      }
    });
    Map<String, VllmSimulator.RecordedRequest> truth = truthById(s);
    List<Double> errors = new ArrayList<>();
    List<Double> network = new ArrayList<>();
    for (SpanData span : capture.spans()) {
      assertThat(span.getAttributes().get(SOURCE)).isEqualTo("statistics");
      PhasePartition.check(span.getAttributes(), span.getEndEpochNanos() - span.getStartEpochNanos());
      VllmSimulator.RecordedRequest r = truth.get(span.getAttributes().get(InferenceAttributes.REQUEST_ID));
      double total = (span.getEndEpochNanos() - span.getStartEpochNanos()) / 1e9;
      errors.add(Math.abs(attr(span, Phase.SERVER_QUEUE) - r.trueQueueNanos() / 1e9) / total);
      network.add(attr(span, Phase.NETWORK) * 1e3);
    }
    assertThat(errors).hasSize(48);
    Collections.sort(errors);
    Collections.sort(network);
    System.out.printf("server_queue accuracy, vLLM /metrics histograms + round trip (statistics), 4 slots x 16 streams"
        + " x 3: |est-true|/total p50 %.4f p99 %.4f; network p50 %.3f ms p99 %.3f ms%n", errors.get(24), errors.get(47),
        network.get(24), network.get(47));
    assertThat(errors.get(47)).as("estimate p99 error / total").isLessThanOrEqualTo(0.10);
  }

  @Test
  void serverMetricsSumEnginesReadBothSpellingsAndLlamaCppNames() {
    VllmServerMetrics m = new VllmServerMetrics(URI.create("http://127.0.0.1:1/metrics"), Duration.ofHours(1),
        capture.telemetry(), dev.inferscope.core.InferenceSystem.VLLM, "default", Map.of(), "tiny-llama");
    closer.add(m);
    // vLLM with two data-parallel engines, sample names as prometheus_client writes them in OpenMetrics
    m.update(new ScrapeResult(PrometheusTextParser.parse("""
        # HELP vllm:num_requests_waiting Number of requests waiting to be processed.
        # TYPE vllm:num_requests_waiting gauge
        vllm_num_requests_waiting{engine="0",model_name="m"} 3.0
        vllm_num_requests_waiting{engine="1",model_name="m"} 7.0
        # TYPE vllm:num_requests_running gauge
        vllm_num_requests_running{engine="0",model_name="m"} 2.0
        vllm_num_requests_running{engine="1",model_name="m"} 4.0
        # TYPE vllm:kv_cache_usage_perc gauge
        vllm_kv_cache_usage_perc{engine="0",model_name="m"} 0.25
        vllm_kv_cache_usage_perc{engine="1",model_name="m"} 0.75
        # EOF
        """), 0, 0, 0));
    VllmServerMetrics.Load load = m.load("m");
    assertThat(load.waiting()).isEqualTo(10.0);
    assertThat(load.running()).isEqualTo(6.0);
    assertThat(load.kvCacheUsage()).isEqualTo(0.75);
    m.update(new ScrapeResult(PrometheusTextParser.parse("""
        # TYPE llamacpp:requests_processing gauge
        llamacpp:requests_processing 4
        # TYPE llamacpp:requests_deferred gauge
        llamacpp:requests_deferred 12
        """), 0, 0, 0));
    assertThat(m.load("tiny-llama").waiting()).isEqualTo(12.0);
    assertThat(m.load("tiny-llama").running()).isEqualTo(4.0);
  }

  @Test
  void theScraperReadsTheSimulatorsEngines() {
    VllmSimulator s = sim(VllmSimulator.builder().engines(2));
    VllmClient c = client(s, b -> b.scrapeMetrics(Duration.ofHours(1)));
    Map<String, VllmServerMetrics.Load> loads = c.serverMetrics().refresh();
    assertThat(loads.get(MODEL).waiting()).isZero();
    assertThat(c.serverMetrics().stale()).isFalse();
  }

  /**
   * With exact engine timing NETWORK is measured, not estimated: what neither side times. It splits into the request
   * side (the client's time to first token less its own phases, the engine's queue and the engine's time to first
   * token: the way in, the server's HTTP front end before the engine queues the request, and the first chunk's way
   * back) and the rest (after the first token). The request side can never be negative — the engine's clock starts
   * after the client sent and its first token exists before the client reads it — and the split is printed: it is
   * the figure examples/README gives for the quickstart's vLLM row.
   */
  @Test
  void withExactEngineTimingNetworkIsTheResidualAndItsRequestSideIsNeverNegative() throws InterruptedException {
    VllmSimulator s = sim(VllmSimulator.builder().perRequestMetrics(true)
        .timeToFirstToken(Duration.ofMillis(10)).interTokenGap(Duration.ofMillis(2)).tokensPerResponse(8));
    VllmClient c = client(s, b -> b.roundTripProbeInterval(Duration.ZERO));
    for (int i = 0; i < 50; i++) { // warm
      try (CompletionStream st = c.chatStream(chat(MODEL, 8))) {
        st.collect();
      }
    }
    capture.reset();
    List<Double> requestSide = new ArrayList<>();
    List<Double> rest = new ArrayList<>();
    for (int i = 0; i < 60; i++) {
      try (CompletionStream st = c.chatStream(chat(MODEL, 8))) {
        st.collect();
      }
    }
    Eventually.value(() -> capture.spans().size(), n -> n == 60, Duration.ofSeconds(5));
    for (SpanData span : capture.spans()) {
      assertThat(span.getAttributes().get(SOURCE)).isEqualTo("response");
      double own = nanToZero(attr(span, Phase.CLIENT_QUEUE)) + nanToZero(attr(span, Phase.SERIALIZE));
      double in = attr(span, Phase.TIME_TO_FIRST_TOKEN) - own - attr(span, Phase.SERVER_QUEUE)
          - span.getAttributes().get(InferenceAttributes.SERVER_TIME_TO_FIRST_TOKEN);
      assertThat(in).as("request side of the network residual, s").isGreaterThanOrEqualTo(-1e-6);
      requestSide.add(in);
      rest.add(attr(span, Phase.NETWORK) - in);
      PhasePartition.check(span.getAttributes(), span.getEndEpochNanos() - span.getStartEpochNanos());
    }
    Collections.sort(requestSide);
    Collections.sort(rest);
    System.out.printf("network with exact engine timing, one stream at a time: request side p50 %.2f ms p99 %.2f ms;"
        + " after the first token p50 %.2f ms p99 %.2f ms%n", requestSide.get(30) * 1e3, requestSide.get(59) * 1e3,
        rest.get(30) * 1e3, rest.get(59) * 1e3);
  }

  private static double nanToZero(double v) {
    return Double.isNaN(v) ? 0 : v;
  }
}
