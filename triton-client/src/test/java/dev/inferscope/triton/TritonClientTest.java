package dev.inferscope.triton;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.assertj.core.api.Assertions.catchThrowableOfType;
import static org.assertj.core.api.Assertions.within;

import dev.inferscope.core.Deadline;
import dev.inferscope.core.ErrorType;
import dev.inferscope.core.InferenceException;
import dev.inferscope.core.ResiliencePolicy;
import dev.inferscope.testkit.SimulatedModel;
import dev.inferscope.testkit.TelemetryCapture;
import dev.inferscope.testkit.triton.TritonSimulator;
import dev.inferscope.triton.protocol.CudaSharedMemoryRegisterRequest;
import dev.inferscope.triton.protocol.CudaSharedMemoryStatusRequest;
import dev.inferscope.triton.protocol.CudaSharedMemoryUnregisterRequest;
import dev.inferscope.triton.protocol.LogSettingsRequest;
import dev.inferscope.triton.protocol.SystemSharedMemoryRegisterRequest;
import dev.inferscope.triton.protocol.SystemSharedMemoryStatusRequest;
import dev.inferscope.triton.protocol.SystemSharedMemoryUnregisterRequest;
import dev.inferscope.triton.protocol.TraceSettingRequest;
import io.micrometer.core.instrument.Timer;
import io.opentelemetry.api.common.AttributeKey;
import io.opentelemetry.sdk.trace.data.SpanData;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import java.util.function.Consumer;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

class TritonClientTest {
  private final TelemetryCapture capture = new TelemetryCapture();
  private final List<AutoCloseable> closeables = new ArrayList<>();

  @AfterEach
  void close() throws Exception {
    java.util.Collections.reverse(closeables);
    for (AutoCloseable c : closeables) {
      c.close();
    }
    capture.close();
  }

  private TritonSimulator sim(SimulatedModel... models) {
    TritonSimulator.Builder b = TritonSimulator.builder();
    for (SimulatedModel m : models) {
      b.model(m);
    }
    TritonSimulator s = b.start();
    closeables.add(s);
    return s;
  }

  private TritonClient grpc(TritonSimulator s, Consumer<TritonClient.Builder> custom) {
    TritonClient.Builder b = TritonClient.grpc(s.grpcTarget()).telemetry(capture.telemetry())
        .resilience(ResiliencePolicy.none());
    custom.accept(b);
    TritonClient c = b.build();
    closeables.add(c);
    return c;
  }

  private TritonClient http(TritonSimulator s, Consumer<TritonClient.Builder> custom) {
    TritonClient.Builder b = TritonClient.http(s.httpUri()).telemetry(capture.telemetry())
        .resilience(ResiliencePolicy.none());
    custom.accept(b);
    TritonClient c = b.build();
    closeables.add(c);
    return c;
  }

  private static SimulatedModel echo(String name) {
    return SimulatedModel.builder(name).input("INPUT0", "FP32", 1, 4).computeTime(Duration.ofMillis(1)).build();
  }

  private static InferRequest small(String model) {
    return InferRequest.builder(model).input(Tensor.fp32("INPUT0", new long[] {1, 4}, 1f, 2f, 3f, 4f)).build();
  }

  private SpanData lastSpan() {
    List<SpanData> spans = capture.spans();
    return spans.get(spans.size() - 1);
  }

  @Test
  void everyGrpcRpcAnswers() {
    TritonSimulator s = sim(echo("echo"), SimulatedModel.llm("llm").generation(Duration.ofMillis(5), Duration.ofMillis(1), 4).build());
    TritonClient t = grpc(s, b -> { });
    assertThat(t.serverLive()).isTrue();
    assertThat(t.serverReady()).isTrue();
    assertThat(t.modelReady("echo")).isTrue();
    assertThat(t.modelReady("missing")).isFalse();
    assertThat(t.serverMetadata().extensions()).contains("statistics", "binary_tensor_data");
    assertThat(t.modelMetadata("echo").inputs()).extracting(ModelMetadata.TensorSpec::name).containsExactly("INPUT0");
    InferResult r = t.infer(small("echo"));
    assertThat(r.output("OUTPUT0").asFloats()).containsExactly(1f, 2f, 3f, 4f);
    assertThat(t.modelConfig("echo").getName()).isEqualTo("echo");
    assertThat(t.modelStatistics("echo").get(0).successCount()).isEqualTo(1);
    assertThat(t.repositoryIndex()).extracting(RepositoryModel::name).containsExactlyInAnyOrder("echo", "llm");
    assertThat(t.traceSettings(null, java.util.Map.of("trace_level", List.of("TIMESTAMPS")))).containsEntry("trace_level", List.of("TIMESTAMPS"));
    assertThat(t.logSettings(java.util.Map.of("log_info", false))).containsEntry("log_info", false);
    t.unloadModel("echo");
    assertThat(t.modelReady("echo")).isFalse();
    t.loadModel("echo");
    assertThat(t.modelReady("echo")).isTrue();
    t.rpc("system_shared_memory_register", "", "SystemSharedMemoryRegister", st -> st.systemSharedMemoryRegister(
        SystemSharedMemoryRegisterRequest.newBuilder().setName("r1").setKey("/shm1").setByteSize(64).build()));
    assertThat(t.rpc("system_shared_memory_status", "", "SystemSharedMemoryStatus",
        st -> st.systemSharedMemoryStatus(SystemSharedMemoryStatusRequest.getDefaultInstance())).getRegionsMap())
        .containsKey("r1");
    t.rpc("system_shared_memory_unregister", "", "SystemSharedMemoryUnregister", st -> st.systemSharedMemoryUnregister(
        SystemSharedMemoryUnregisterRequest.newBuilder().setName("r1").build()));
    t.rpc("cuda_shared_memory_register", "", "CudaSharedMemoryRegister", st -> st.cudaSharedMemoryRegister(
        CudaSharedMemoryRegisterRequest.newBuilder().setName("c1").setDeviceId(0).setByteSize(64).build()));
    assertThat(t.rpc("cuda_shared_memory_status", "", "CudaSharedMemoryStatus",
        st -> st.cudaSharedMemoryStatus(CudaSharedMemoryStatusRequest.getDefaultInstance())).getRegionsMap())
        .containsKey("c1");
    t.rpc("cuda_shared_memory_unregister", "", "CudaSharedMemoryUnregister", st -> st.cudaSharedMemoryUnregister(
        CudaSharedMemoryUnregisterRequest.newBuilder().setName("c1").build()));
    assertThat(t.rpc("trace_setting", "", "TraceSetting", st -> st.traceSetting(TraceSettingRequest.newBuilder()
        .putSettings("trace_rate", TraceSettingRequest.SettingValue.newBuilder().addValue("10").build()).build()))
        .getSettingsMap()).containsKey("trace_rate");
    assertThat(t.rpc("log_settings", "", "LogSettings", st -> st.logSettings(LogSettingsRequest.newBuilder()
        .putSettings("log_verbose_level", LogSettingsRequest.SettingValue.newBuilder().setUint32Param(1).build()).build()))
        .getSettingsMap().get("log_verbose_level").getUint32Param()).isEqualTo(1);
    try (GenerateStream g = t.generate(GenerateRequest.builder("llm", "hello").maxTokens(4).build())) {
      assertThat(g.collectText()).isEqualTo("tok0 tok1 tok2 tok3");
    }
    SpanData gen = lastSpan();
    assertThat(gen.getName()).isEqualTo("generate llm");
    // the well-known GenAI operation name for text in, text out
    assertThat(gen.getAttributes().get(AttributeKey.stringKey("gen_ai.operation.name"))).isEqualTo("text_completion");
    assertThat(gen.getAttributes().get(AttributeKey.longKey("gen_ai.usage.output_tokens"))).isEqualTo(4L);
    assertThat(gen.getAttributes().get(AttributeKey.longKey("gen_ai.usage.input_tokens"))).isEqualTo(1L);
    assertThat(gen.getAttributes().get(AttributeKey.doubleKey("gen_ai.response.time_to_first_chunk"))).isPositive();
    assertThat(gen.getAttributes().get(AttributeKey.stringArrayKey("gen_ai.response.finish_reasons"))).containsExactly("length");
    SpanData infer = capture.spans().stream().filter(sp -> sp.getName().equals("infer echo")).findFirst().orElseThrow();
    // the current RPC names (semantic-conventions v1.44.0): fully-qualified method, status by name
    assertThat(infer.getAttributes().get(AttributeKey.stringKey("rpc.method")))
        .isEqualTo("inference.GRPCInferenceService/ModelInfer");
    assertThat(infer.getAttributes().get(AttributeKey.stringKey("rpc.system.name"))).isEqualTo("grpc");
    assertThat(infer.getAttributes().get(AttributeKey.stringKey("rpc.response.status_code"))).isEqualTo("OK");
    assertThat(infer.getAttributes().get(AttributeKey.stringKey("rpc.service"))).isNull();
  }

  @Test
  void everyHttpEndpointAnswersInBinaryAndJsonForm() {
    TritonSimulator s = sim(echo("echo"));
    for (boolean binary : new boolean[] {true, false}) {
      TritonClient t = http(s, b -> b.binaryTensorData(binary));
      assertThat(t.serverLive()).isTrue();
      assertThat(t.serverReady()).isTrue();
      assertThat(t.modelReady("echo")).isTrue();
      assertThat(t.modelReady("missing")).isFalse();
      assertThat(t.serverMetadata().name()).isEqualTo("triton");
      assertThat(t.modelMetadata("echo").outputs()).extracting(ModelMetadata.TensorSpec::name).containsExactly("OUTPUT0");
      InferResult r = t.infer(small("echo"));
      assertThat(r.output("OUTPUT0").asFloats()).containsExactly(1f, 2f, 3f, 4f);
      InferResult strings = t.infer(InferRequest.builder("echo")
          .input(Tensor.strings("INPUT0", new long[] {2}, "a", "bc")).build());
      assertThat(strings.output("OUTPUT0").asStrings()).containsExactly("a", "bc");
      assertThat(t.modelStatistics("echo").get(0).successCount()).isPositive();
    }
    SpanData span = capture.spans().stream().filter(sp -> sp.getName().equals("infer echo")).findFirst().orElseThrow();
    assertThat(span.getAttributes().get(AttributeKey.stringKey("http.request.method"))).isEqualTo("POST");
    assertThat(span.getAttributes().get(AttributeKey.longKey("http.response.status_code"))).isEqualTo(200L);
    assertThat(span.getAttributes().get(AttributeKey.stringKey("url.full"))).endsWith("/v2/models/echo/infer");
  }

  @Test
  void injectedErrorsSpikesJitterAndDroppedConnections() {
    TritonSimulator s = sim(
        SimulatedModel.builder("flaky").input("INPUT0", "FP32", 1, 4).errorRate(1.0).build(),
        SimulatedModel.builder("spiky").input("INPUT0", "FP32", 1, 4).computeTime(Duration.ofMillis(1))
            .latencySpikes(1.0, Duration.ofMillis(120)).build(),
        SimulatedModel.builder("jitter").input("INPUT0", "FP32", 1, 4).computeTime(Duration.ofMillis(20))
            .computeJitter(Duration.ofMillis(10)).instances(4).build());
    TritonClient g = grpc(s, b -> { });
    TritonClient h = http(s, b -> { });
    assertThat(catchThrowableOfType(InferenceException.class, () -> g.infer(small("flaky"))).errorType())
        .isEqualTo(ErrorType.INTERNAL);
    assertThat(catchThrowableOfType(InferenceException.class, () -> h.infer(small("flaky"))).errorType())
        .isEqualTo(ErrorType.INTERNAL);
    long t0 = System.nanoTime();
    g.infer(small("spiky"));
    assertThat(System.nanoTime() - t0).isGreaterThanOrEqualTo(TimeUnit.MILLISECONDS.toNanos(120));
    for (int i = 0; i < 20; i++) {
      g.infer(small("jitter"));
    }
    double mean = s.groundTruth("jitter").meanComputeNanos() / 1e6;
    assertThat(mean).isBetween(10.0, 31.0);
    s.fault(TritonSimulator.Fault.DROP_CONNECTION);
    assertThat(catchThrowableOfType(InferenceException.class, () -> h.infer(small("jitter"))).errorType())
        .isEqualTo(ErrorType.UNAVAILABLE);
    assertThat(catchThrowableOfType(InferenceException.class, () -> g.infer(small("jitter"))).errorType())
        .isEqualTo(ErrorType.UNAVAILABLE);
  }

  @Test
  void aFinalResponseSentTwiceOrNeverEndsTheCallOnce() {
    TritonSimulator s = sim(SimulatedModel.llm("llm").generation(Duration.ofMillis(2), Duration.ofMillis(1), 3).build());
    TritonClient g = grpc(s, b -> { });
    s.fault(TritonSimulator.Fault.FINAL_TWICE);
    try (GenerateStream stream = g.generate(GenerateRequest.builder("llm", "x").build())) {
      assertThat(stream.collectText()).isEqualTo("tok0 tok1 tok2");
    }
    assertThat(capture.spans()).hasSize(1);
    s.fault(TritonSimulator.Fault.FINAL_NEVER);
    InferenceException e = catchThrowableOfType(InferenceException.class,
        () -> g.generate(GenerateRequest.builder("llm", "x").build()).collectText());
    assertThat(e.errorType()).isEqualTo(ErrorType.PROTOCOL);
    assertThat(e.chunksReceived()).isEqualTo(3);
    assertThat(capture.spans()).hasSize(2);
  }

  /** Reads a generate stream, calling {@code pause} where the reader falls behind what has arrived. */
  @FunctionalInterface
  private interface ReadWithPause {
    void read(GenerateStream g, PauseAction pause) throws Exception;
  }

  @FunctionalInterface
  private interface PauseAction {
    void run() throws InterruptedException;
  }

  /**
   * A generate stream whose reader takes what had reached the client 300 ms late (the clock jumps once
   * {@code arm}'s stamp was made): the wait is DESERIALIZE, not NETWORK.
   */
  private void theWaitForTheReaderIsDeserialize(boolean grpc, int tokens,
      java.util.function.Consumer<dev.inferscope.testkit.HandOffClock> arm, ReadWithPause read) throws Exception {
    TritonSimulator s = sim(SimulatedModel.llm("llm").generation(Duration.ofMillis(2), Duration.ofMillis(1), tokens).build());
    dev.inferscope.testkit.HandOffClock clock = new dev.inferscope.testkit.HandOffClock();
    Consumer<TritonClient.Builder> withClock = b -> b.telemetry(capture.telemetry(tb -> tb.clock(clock)));
    TritonClient t = grpc ? grpc(s, withClock) : http(s, withClock);
    t.generate(GenerateRequest.builder("llm", "warm up").maxTokens(1).build()).collectText(); // a warm connection
    long pauseMs = 300;
    arm.accept(clock);
    try (GenerateStream g = t.generate(GenerateRequest.builder("llm", "hello").maxTokens(tokens).build())) {
      read.read(g, () -> {
        assertThat(clock.awaitBodyEnd(Duration.ofSeconds(10))).as("what ends the stream reached the client").isTrue();
        clock.jump(Duration.ofMillis(pauseMs));
      });
    }
    java.util.Map<dev.inferscope.core.Phase, Double> phases =
        dev.inferscope.testkit.PhasePartition.phases(lastSpan().getAttributes());
    assertThat(phases.get(dev.inferscope.core.Phase.DESERIALIZE)).as("deserialize, s").isGreaterThan(pauseMs * 0.8e-3);
    assertThat(phases.get(dev.inferscope.core.Phase.NETWORK)).as("network, s").isLessThan(pauseMs * 0.5e-3);
  }

  @Test
  void anHttpGenerateStreamWhoseEndWaitedForTheReaderBillsTheWaitToDeserializeNotNetwork() throws Exception {
    // the end of the body reaches the client (within the body's window) while the reader holds off
    theWaitForTheReaderIsDeserialize(false, 4, dev.inferscope.testkit.HandOffClock::arm, (g, pause) -> {
      for (int i = 0; i < 4; i++) {
        assertThat(g.hasNext()).isTrue();
        g.next();
      }
      pause.run();
      assertThat(g.hasNext()).isFalse();
    });
  }

  @Test
  void aGrpcGenerateResponseThatWaitedForTheReaderBillsTheWaitToDeserializeNotNetwork() throws Exception {
    // Over gRPC the stream asks for one response at a time, so a reader cannot fall behind a response it
    // has not asked for; the first is asked for up front: with one token it is also the final one
    theWaitForTheReaderIsDeserialize(true, 1,
        c -> c.arm(GenerateStream.class.getName() + "$GrpcSource$1", "onNext"), // the listener stamps it
        (g, pause) -> {
          pause.run();
          assertThat(g.collectText()).isEqualTo("tok0");
        });
  }

  @Test
  void everyOtherHttpEndpointAnswers() {
    TritonSimulator s = sim(echo("echo"), SimulatedModel.llm("llm").generation(Duration.ofMillis(5), Duration.ofMillis(1), 4).build());
    TritonClient t = http(s, b -> { });
    assertThat(t.modelConfig("echo").getName()).isEqualTo("echo");
    assertThat(t.modelConfig("echo").getInput(0).getName()).isEqualTo("INPUT0");
    assertThat(t.repositoryIndex()).extracting(RepositoryModel::name).containsExactlyInAnyOrder("echo", "llm");
    t.unloadModel("echo");
    assertThat(t.modelReady("echo")).isFalse();
    t.loadModel("echo");
    assertThat(t.modelReady("echo")).isTrue();
    assertThat(t.traceSettings(null, java.util.Map.of("trace_rate", List.of("100")))).containsEntry("trace_rate", List.of("100"));
    assertThat(t.traceSettings("echo", java.util.Map.of())).containsKey("trace_rate");
    assertThat(t.logSettings(java.util.Map.of("log_verbose_level", 2))).containsEntry("log_verbose_level", 2L);
    try (GenerateStream g = t.generate(GenerateRequest.builder("llm", "hello world").maxTokens(3).build())) {
      assertThat(g.collectText()).isEqualTo("tok0 tok1 tok2");
    }
    SpanData streamed = lastSpan();
    assertThat(streamed.getAttributes().get(AttributeKey.longKey("gen_ai.usage.output_tokens"))).isEqualTo(3L);
    assertThat(streamed.getAttributes().get(AttributeKey.longKey("gen_ai.usage.input_tokens"))).isEqualTo(2L);
    assertThat(streamed.getAttributes().get(AttributeKey.doubleKey("gen_ai.response.time_to_first_chunk"))).isPositive();
    assertThat(streamed.getAttributes().get(AttributeKey.stringKey("url.full"))).endsWith("/v2/models/llm/generate_stream");
    try (GenerateStream g = t.generate(GenerateRequest.builder("llm", "hi").stream(false).maxTokens(2).build())) {
      assertThat(g.collectText()).isEqualTo("tok0 tok1");
    }
    assertThat(lastSpan().getAttributes().get(AttributeKey.stringArrayKey("gen_ai.response.finish_reasons")))
        .containsExactly("length");
  }

  @Test
  void dynamicBatcherGroupsConcurrentRequests() throws Exception {
    TritonSimulator s = sim(SimulatedModel.builder("batched").input("INPUT0", "FP32", 1, 4)
        .computeTime(Duration.ofMillis(100)).instances(1).dynamicBatching(8, Duration.ofMillis(80)).build());
    TritonClient t = grpc(s, b -> { });
    List<CompletableFuture<InferResult>> fs = new ArrayList<>();
    for (int i = 0; i < 8; i++) {
      fs.add(t.inferAsync(small("batched")));
    }
    for (CompletableFuture<InferResult> f : fs) {
      assertThat(f.get(10, TimeUnit.SECONDS).output("OUTPUT0").asFloats()).hasSize(4);
    }
    ModelStats stats = t.modelStatistics("batched").get(0);
    assertThat(stats.inferenceCount()).isEqualTo(8);
    assertThat(stats.executionCount()).isLessThan(8);
    assertThat(s.batchSizes("batched").keySet()).anyMatch(size -> size > 1);
  }

  @Test
  void gzipBothWaysOverHttp() throws Exception {
    TritonSimulator s = sim(echo("echo"));
    for (boolean binary : new boolean[] {true, false}) {
      TritonClient t = http(s, b -> b.gzip(true).binaryTensorData(binary));
      assertThat(t.infer(small("echo")).output("OUTPUT0").asFloats()).containsExactly(1f, 2f, 3f, 4f);
      assertThat(t.inferAsync(small("echo")).get(10, TimeUnit.SECONDS).output("OUTPUT0").asFloats()).hasSize(4);
    }
    assertThat(s.seenHeaders()).anyMatch(h -> "gzip".equals(h.get("content-encoding")));
  }

  @Test
  void backlogShowsServerQueueDominatingAndStatisticsMatchGroundTruth() throws Exception {
    TritonSimulator s = sim(SimulatedModel.builder("slow").input("INPUT0", "FP32", 1, 4)
        .computeTime(Duration.ofMillis(150)).instances(1).build());
    TritonClient t = grpc(s, b -> b.statisticsPolling(Duration.ofMillis(100), "slow"));
    List<ModelStats> before = t.modelStatistics("slow");
    ExecutorService pool = Executors.newFixedThreadPool(20);
    try {
      List<Future<InferResult>> fs = new ArrayList<>();
      for (int i = 0; i < 20; i++) {
        fs.add(pool.submit(() -> t.infer(small("slow"))));
      }
      for (Future<InferResult> f : fs) {
        f.get(30, TimeUnit.SECONDS);
      }
    } finally {
      pool.shutdownNow();
    }
    ModelStats after = t.modelStatistics("slow").get(0);
    ModelStats b0 = before.isEmpty() ? null : before.get(0);
    long n = after.successCount() - (b0 == null ? 0 : b0.successCount());
    double meanQueue = (after.queueNanos() - (b0 == null ? 0 : b0.queueNanos())) / (double) n;
    double meanCompute = (after.computeNanos() - (b0 == null ? 0 : b0.computeNanos())) / (double) n;
    TritonSimulator.GroundTruth truth = s.groundTruth("slow");
    assertThat(n).isEqualTo(20);
    assertThat(meanQueue).isCloseTo(truth.meanQueueNanos(), within(truth.meanQueueNanos() * 0.10));
    assertThat(meanCompute).isCloseTo(truth.meanComputeNanos(), within(truth.meanComputeNanos() * 0.10));
    assertThat(truth.meanQueueNanos()).isGreaterThan(TimeUnit.MILLISECONDS.toNanos(1000));

    Timer queue = capture.meters().get("inference.client.phase.duration").tag("model", "slow").tag("phase", "server_queue").timer();
    Timer compute = capture.meters().get("inference.client.phase.duration").tag("model", "slow").tag("phase", "server_compute").timer();
    Timer network = capture.meters().get("inference.client.phase.duration").tag("model", "slow").tag("phase", "network").timer();
    assertThat(queue.totalTime(TimeUnit.MILLISECONDS)).isGreaterThan(compute.totalTime(TimeUnit.MILLISECONDS))
        .isGreaterThan(network.totalTime(TimeUnit.MILLISECONDS));
    SpanData last = capture.spans().stream().filter(sp -> sp.getName().equals("infer slow"))
        .reduce((a, b) -> b).orElseThrow();
    assertThat(last.getAttributes().get(AttributeKey.stringKey("inference.server_timing.source"))).isEqualTo("statistics");
  }

  @Test
  void metricsScraperReportsTheQueueDepth() throws Exception {
    TritonSimulator s = sim(SimulatedModel.builder("busy").input("INPUT0", "FP32", 1, 4)
        .computeTime(Duration.ofMillis(300)).instances(1).build());
    TritonClient t = grpc(s, b -> b.scrapeMetrics(java.net.URI.create(s.httpUri() + "/metrics"), Duration.ofHours(1)));
    List<CompletableFuture<InferResult>> fs = new ArrayList<>();
    for (int i = 0; i < 4; i++) {
      fs.add(t.inferAsync(small("busy")));
    }
    long until = System.nanoTime() + TimeUnit.SECONDS.toNanos(5);
    double depth = 0;
    while (depth < 2 && System.nanoTime() < until) {
      depth = t.serverMetrics().refresh().getOrDefault("busy", 0.0);
    }
    assertThat(depth).isGreaterThanOrEqualTo(2);
    assertThat(capture.meters().get("inference.server.queue.depth").tag("model", "busy").gauge().value())
        .isGreaterThanOrEqualTo(0);
    for (CompletableFuture<InferResult> f : fs) {
      f.get(10, TimeUnit.SECONDS);
    }
  }

  @Test
  void deadlineExpiringWhileQueuedSpendsNoCompute() throws Exception {
    TritonSimulator s = sim(SimulatedModel.builder("busy").input("INPUT0", "FP32", 1, 4)
        .computeTime(Duration.ofMillis(400)).instances(1).build());
    TritonClient t = grpc(s, b -> { });
    CompletableFuture<InferResult> occupying = t.inferAsync(small("busy"));
    long until = System.nanoTime() + TimeUnit.SECONDS.toNanos(5);
    while (s.busy("busy") == 0 && System.nanoTime() < until) {
      Thread.onSpinWait();
    }
    assertThat(s.busy("busy")).isEqualTo(1);
    InferenceException e = catchThrowableOfType(InferenceException.class,
        () -> t.infer(small("busy"), Deadline.after(Duration.ofMillis(100))));
    assertThat(e.errorType()).isEqualTo(ErrorType.DEADLINE_EXCEEDED);
    occupying.get(10, TimeUnit.SECONDS);
    until = System.nanoTime() + TimeUnit.SECONDS.toNanos(5);
    while (s.groundTruth("busy").cancelledInQueue() == 0 && System.nanoTime() < until) {
      Thread.onSpinWait();
    }
    TritonSimulator.GroundTruth truth = s.groundTruth("busy");
    assertThat(truth.cancelledInQueue()).isEqualTo(1);
    assertThat(truth.computeNanosOnCancelled()).isZero();
    assertThat(truth.served()).isEqualTo(1);
  }

  @Test
  void tritonsTwoMeaningsOfUnavailable() throws Exception {
    TritonSimulator s = sim(SimulatedModel.builder("q").input("INPUT0", "FP32", 1, 4)
        .computeTime(Duration.ofMillis(300)).instances(1).maxQueueSize(1).queueTimeout(Duration.ofMillis(100)).build());
    TritonClient t = grpc(s, b -> { });
    CompletableFuture<InferResult> running = t.inferAsync(small("q"));
    long until = System.nanoTime() + TimeUnit.SECONDS.toNanos(5);
    while (s.busy("q") == 0 && System.nanoTime() < until) {
      Thread.onSpinWait();
    }
    CompletableFuture<InferResult> queued = t.inferAsync(small("q"));
    InferenceException timedOut = catchThrowableOfType(InferenceException.class, () -> {
      try {
        queued.get(10, TimeUnit.SECONDS);
      } catch (java.util.concurrent.ExecutionException ex) {
        throw ex.getCause();
      }
    });
    assertThat(timedOut.errorType()).isEqualTo(ErrorType.DEADLINE_EXCEEDED);
    running.get(10, TimeUnit.SECONDS);
    assertThat(s.groundTruth("q").timedOutInQueue()).isEqualTo(1);
    // queue full: one running, one waiting, a third is rejected
    CompletableFuture<InferResult> a = t.inferAsync(small("q"));
    until = System.nanoTime() + TimeUnit.SECONDS.toNanos(5);
    while (s.busy("q") == 0 && System.nanoTime() < until) {
      Thread.onSpinWait();
    }
    CompletableFuture<InferResult> b2 = t.inferAsync(small("q"));
    until = System.nanoTime() + TimeUnit.SECONDS.toNanos(5);
    while (s.pending("q") == 0 && System.nanoTime() < until) {
      Thread.onSpinWait();
    }
    InferenceException full = catchThrowableOfType(InferenceException.class, () -> t.infer(small("q")));
    assertThat(full).isNotNull();
    assertThat(full.errorType()).isEqualTo(ErrorType.RESOURCE_EXHAUSTED);
    assertThat(full.retryable()).isTrue();
    a.handle((r, x) -> null).get(10, TimeUnit.SECONDS);
    b2.handle((r, x) -> null).get(10, TimeUnit.SECONDS);
  }

  @Test
  void spansCarryTheStateOfTheGpuServingTheEndpoint() {
    dev.inferscope.core.GpuSnapshot gpu = new dev.inferscope.core.GpuSnapshot("GPU-7", 0, "H100", 0.66, 10L << 30,
        80L << 30, 300, 60, System.nanoTime(), "test", false);
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
    TritonSimulator s = sim(echo("echo"));
    TritonClient t = TritonClient.grpc(s.grpcTarget()).telemetry(capture.telemetry(b -> b.gpuStateSource(source)))
        .gpuIds(List.of("GPU-7")).build();
    closeables.add(t);
    t.infer(small("echo"));
    SpanData span = lastSpan();
    assertThat(span.getAttributes().get(AttributeKey.stringKey("hw.id"))).isEqualTo("GPU-7");
    assertThat(span.getAttributes().get(AttributeKey.doubleKey("hw.gpu.utilization"))).isEqualTo(0.66);
    assertThat(span.getAttributes().get(AttributeKey.longKey("hw.gpu.memory.limit"))).isEqualTo(80L << 30);
  }

  @Test
  void traceparentSeenByTheServerBelongsToTheClientSpan() {
    TritonSimulator s = sim(echo("echo"));
    grpc(s, b -> { }).infer(small("echo"));
    SpanData grpcSpan = lastSpan();
    http(s, b -> { }).infer(small("echo"));
    SpanData httpSpan = lastSpan();
    List<String> seen = s.traceparents();
    assertThat(seen).hasSize(2);
    assertThat(seen.get(0)).startsWith("00-" + grpcSpan.getTraceId() + "-" + grpcSpan.getSpanId() + "-");
    assertThat(seen.get(1)).startsWith("00-" + httpSpan.getTraceId() + "-" + httpSpan.getSpanId() + "-");
  }

  @Test
  void timeoutParameterIsSentInMicroseconds() {
    TritonSimulator s = sim(SimulatedModel.builder("busy").input("INPUT0", "FP32", 1, 4)
        .computeTime(Duration.ofMillis(1)).build());
    TritonClient t = grpc(s, b -> b.timeoutParameter(true));
    assertThat(t.infer(small("busy"), Deadline.after(Duration.ofSeconds(5))).output("OUTPUT0")).isNotNull();
  }

  @Test
  void badServerAnswersAreProtocolErrorsWithoutHanging() {
    TritonSimulator s = sim(echo("echo"));
    TritonClient g = grpc(s, b -> { });
    TritonClient h = http(s, b -> { });
    TritonClient json = http(s, b -> b.binaryTensorData(false));
    s.fault(TritonSimulator.Fault.WRONG_OUTPUT_SIZE);
    assertThat(catchThrowableOfType(InferenceException.class, () -> g.infer(small("echo"))).errorType())
        .isEqualTo(ErrorType.PROTOCOL);
    assertThat(catchThrowableOfType(InferenceException.class, () -> h.infer(small("echo"))).errorType())
        .isEqualTo(ErrorType.PROTOCOL);
    for (TritonSimulator.Fault f : new TritonSimulator.Fault[] {TritonSimulator.Fault.MALFORMED_JSON,
        TritonSimulator.Fault.TRUNCATED_BINARY, TritonSimulator.Fault.WRONG_HEADER_LENGTH}) {
      s.fault(f);
      InferenceException e = catchThrowableOfType(InferenceException.class, () -> h.infer(small("echo")));
      assertThat(e.errorType()).as(f.name()).isEqualTo(ErrorType.PROTOCOL);
    }
    s.fault(TritonSimulator.Fault.MALFORMED_JSON);
    assertThat(catchThrowableOfType(InferenceException.class, () -> json.infer(small("echo"))).errorType())
        .isEqualTo(ErrorType.PROTOCOL);
    s.fault(TritonSimulator.Fault.NONE);
    assertThat(h.infer(small("echo")).output("OUTPUT0").asFloats()).hasSize(4);
  }

  @Test
  void callerDataNotMatchingTheShapeFailsBeforeAnythingIsSent() {
    TritonSimulator s = sim(echo("echo"));
    grpc(s, b -> { });
    InferenceException e = catchThrowableOfType(InferenceException.class,
        () -> Tensor.fp32("INPUT0", new long[] {1, 4}, 1f, 2f, 3f));
    assertThat(e.errorType()).isEqualTo(ErrorType.INVALID_ARGUMENT);
    assertThat(catchThrowableOfType(InferenceException.class,
        () -> Tensor.of("X", Datatype.BYTES, new long[] {2}, java.nio.ByteBuffer.wrap(new byte[] {5, 0, 0, 0, 1})))
        .errorType()).isEqualTo(ErrorType.INVALID_ARGUMENT);
    assertThat(s.seenHeaders()).isEmpty();
  }

  @Test
  void unknownModelIsNotFoundOnBothTransports() {
    TritonSimulator s = sim(echo("echo"));
    assertThat(catchThrowableOfType(InferenceException.class, () -> grpc(s, b -> { }).infer(small("nope"))).errorType())
        .isEqualTo(ErrorType.NOT_FOUND);
    assertThat(catchThrowableOfType(InferenceException.class, () -> http(s, b -> { }).infer(small("nope"))).errorType())
        .isEqualTo(ErrorType.NOT_FOUND);
  }

  @Test
  void cancellingAsyncInferCancelsTheRpc() throws Exception {
    TritonSimulator s = sim(SimulatedModel.builder("busy").input("INPUT0", "FP32", 1, 4)
        .computeTime(Duration.ofMillis(500)).instances(1).build());
    TritonClient t = grpc(s, b -> { });
    CompletableFuture<InferResult> first = t.inferAsync(small("busy"));
    long until = System.nanoTime() + TimeUnit.SECONDS.toNanos(5);
    while (s.busy("busy") == 0 && System.nanoTime() < until) {
      Thread.onSpinWait();
    }
    CompletableFuture<InferResult> second = t.inferAsync(small("busy"));
    until = System.nanoTime() + TimeUnit.SECONDS.toNanos(5);
    while (s.pending("busy") == 0 && System.nanoTime() < until) {
      Thread.onSpinWait();
    }
    assertThat(second.cancel(true)).isTrue();
    first.get(10, TimeUnit.SECONDS);
    until = System.nanoTime() + TimeUnit.SECONDS.toNanos(5);
    while (s.groundTruth("busy").cancelledInQueue() == 0 && System.nanoTime() < until) {
      Thread.onSpinWait();
    }
    assertThat(s.groundTruth("busy").cancelledInQueue()).isEqualTo(1);
    assertThat(s.groundTruth("busy").served()).isEqualTo(1);
    assertThat(capture.spans().stream().anyMatch(sp ->
        "cancelled".equals(sp.getAttributes().get(AttributeKey.stringKey("error.type"))))).isTrue();
  }

  @Test
  void generateStreamReportsErrorsInBothModes() {
    TritonSimulator s = sim(SimulatedModel.llm("llm").generation(Duration.ofMillis(5), Duration.ofMillis(1), 3).build());
    TritonClient inStream = grpc(s, b -> { });
    InferenceException e1 = catchThrowableOfType(InferenceException.class,
        () -> inStream.generate(GenerateRequest.builder("missing", "x").build()).collectText());
    assertThat(e1.errorType()).isEqualTo(ErrorType.INTERNAL);
    TritonClient grpcErrors = grpc(s, b -> b.header("triton_grpc_error", "true"));
    InferenceException e2 = catchThrowableOfType(InferenceException.class,
        () -> grpcErrors.generate(GenerateRequest.builder("missing", "x").build()).collectText());
    assertThat(e2.errorType()).isEqualTo(ErrorType.NOT_FOUND);
    InferenceException e3 = catchThrowableOfType(InferenceException.class,
        () -> http(s, b -> { }).generate(GenerateRequest.builder("missing", "x").build()).collectText());
    assertThat(e3.errorType()).isEqualTo(ErrorType.NOT_FOUND);
  }

  @Test
  void canaryInTensorsPromptsAndParametersNeverReachesTelemetry() {
    String canary = "CANARY-triton-77e1";
    TritonSimulator s = sim(echo("echo"), SimulatedModel.llm("llm").generation(Duration.ofMillis(1), Duration.ofMillis(1), 2).build());
    TritonClient g = grpc(s, b -> b.header("authorization", "Bearer " + canary));
    TritonClient h = http(s, b -> b.header("authorization", "Bearer " + canary));
    InferRequest withCanary = InferRequest.builder("echo").parameter("note", canary)
        .input(Tensor.strings("INPUT0", new long[] {1}, canary)).build();
    g.infer(withCanary);
    h.infer(withCanary);
    g.generate(GenerateRequest.builder("llm", canary).sampling("stop", canary).build()).collectText();
    assertThat(capture.everythingRecorded()).doesNotContain(canary);
    assertThat(withCanary.toString()).doesNotContain(canary);
    assertThat(g.toString()).doesNotContain(canary);
  }
}
