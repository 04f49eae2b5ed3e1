package dev.inferscope.triton;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import com.google.protobuf.ByteString;
import dev.inferscope.core.CallContext;
import dev.inferscope.core.CallRecord;
import dev.inferscope.core.GpuStateSource;
import dev.inferscope.core.InferenceException;
import dev.inferscope.core.ResiliencePolicy;
import dev.inferscope.testkit.SimulatedModel;
import dev.inferscope.testkit.Closer;
import dev.inferscope.testkit.TelemetryCapture;
import dev.inferscope.testkit.TestGpus;
import dev.inferscope.testkit.triton.TritonSimulator;
import dev.inferscope.triton.internal.GrpcTargets;
import dev.inferscope.triton.protocol.GRPCInferenceServiceGrpc;
import dev.inferscope.triton.protocol.ModelInferRequest;
import dev.inferscope.triton.protocol.ModelInferResponse;
import dev.inferscope.triton.protocol.ModelReadyRequest;
import io.grpc.ManagedChannel;
import io.grpc.StatusRuntimeException;
import io.grpc.netty.shaded.io.grpc.netty.NettyChannelBuilder;
import io.micrometer.core.instrument.Meter;
import io.micrometer.core.instrument.Timer;
import io.opentelemetry.api.common.AttributeKey;
import io.opentelemetry.sdk.trace.data.SpanData;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;
import java.util.concurrent.TimeUnit;
import java.util.stream.Collectors;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;

/**
 * Reaching Triton the way production apps do: gRPC targets by gRPC's rules, the caller's own channel,
 * the caller's own stubs through {@link TritonTelemetryInterceptor}, per-call context and a GPU source
 * per endpoint. Public API only.
 */
class TritonReachTest {
  @RegisterExtension
  final Closer closer = new Closer();
  private final TelemetryCapture capture = closer.add(new TelemetryCapture());

  private TritonSimulator sim() {
    TritonSimulator s = TritonSimulator.builder()
        .model(SimulatedModel.builder("echo").input("INPUT0", "FP32", 1, 4).computeTime(Duration.ofMillis(1)).build())
        .start();
    closer.add(s);
    return s;
  }

  private ManagedChannel channel(TritonSimulator s) {
    ManagedChannel ch = NettyChannelBuilder.forTarget("dns:///127.0.0.1:" + s.grpcPort()).usePlaintext().build();
    closer.add(() -> {
      ch.shutdownNow();
      ch.awaitTermination(5, TimeUnit.SECONDS);
    });
    return ch;
  }

  private static InferRequest request(String id) {
    return InferRequest.builder("echo").id(id).input(Tensor.fp32("INPUT0", new long[] {1, 4}, 1f, 2f, 3f, 4f)).build();
  }

  /** The same request as the user's generated code would build it. */
  private static ModelInferRequest proto(String id) {
    ByteBuffer b = ByteBuffer.allocate(16).order(ByteOrder.LITTLE_ENDIAN);
    b.putFloat(1f).putFloat(2f).putFloat(3f).putFloat(4f).flip();
    return ModelInferRequest.newBuilder().setModelName("echo").setId(id)
        .addInputs(ModelInferRequest.InferInputTensor.newBuilder().setName("INPUT0").setDatatype("FP32")
            .addShape(1).addShape(4))
        .addRawInputContents(ByteString.copyFrom(b)).build();
  }

  @Test
  void dnsTargetsWorkAndReportTheResolvedHostAndPort() {
    TritonSimulator s = sim();
    TritonClient t = TritonClient.grpc("dns:///127.0.0.1:" + s.grpcPort()).telemetry(capture.telemetry())
        .resilience(ResiliencePolicy.none()).build();
    closer.add(t);
    assertThat(t.infer(request("r1")).output("OUTPUT0").asFloats()).containsExactly(1f, 2f, 3f, 4f);
    SpanData span = capture.spans().get(0);
    assertThat(span.getAttributes().get(AttributeKey.stringKey("server.address"))).isEqualTo("127.0.0.1");
    assertThat(span.getAttributes().get(AttributeKey.longKey("server.port"))).isEqualTo((long) s.grpcPort());
  }

  @Test
  void targetsAreReadByGrpcsRules() {
    assertThat(GrpcTargets.endpoint("triton")).isEqualTo(new GrpcTargets.Endpoint("triton", 8001));
    assertThat(GrpcTargets.channelTarget("triton")).isEqualTo("triton:8001");
    assertThat(GrpcTargets.endpoint("triton:9001")).isEqualTo(new GrpcTargets.Endpoint("triton", 9001));
    assertThat(GrpcTargets.endpoint("[::1]:9001")).isEqualTo(new GrpcTargets.Endpoint("::1", 9001));
    assertThat(GrpcTargets.channelTarget("[::1]")).isEqualTo("[::1]:8001");
    assertThat(GrpcTargets.endpoint("dns:///triton.ml.svc:8001")).isEqualTo(new GrpcTargets.Endpoint("triton.ml.svc", 8001));
    assertThat(GrpcTargets.endpoint("dns://10.0.0.10/triton:8001")).isEqualTo(new GrpcTargets.Endpoint("triton", 8001));
    assertThat(GrpcTargets.channelTarget("dns:///triton")).isEqualTo("dns:///triton");
    assertThat(GrpcTargets.endpoint("unix:/run/triton.sock")).isEqualTo(new GrpcTargets.Endpoint("/run/triton.sock", -1));
    assertThat(GrpcTargets.endpoint("unix:///run/triton.sock")).isEqualTo(new GrpcTargets.Endpoint("/run/triton.sock", -1));
    assertThatThrownBy(() -> TritonClient.grpc("triton:99999").build())
        .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("99999");
    assertThatThrownBy(() -> TritonClient.grpc("triton:http").build())
        .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("not a number");
    assertThatThrownBy(() -> TritonClient.grpc("").build()).isInstanceOf(IllegalArgumentException.class);
  }

  @Test
  void theCallersChannelIsUsedAndNeverClosed() {
    TritonSimulator s = sim();
    ManagedChannel ch = channel(s);
    TritonClient t = TritonClient.grpc(ch).telemetry(capture.telemetry()).resilience(ResiliencePolicy.none()).build();
    assertThat(t.serverReady()).isTrue();
    t.infer(request("r1"));
    t.close();
    assertThat(ch.isShutdown()).isFalse();
    assertThat(GRPCInferenceServiceGrpc.newBlockingStub(ch).serverLive(
        dev.inferscope.triton.protocol.ServerLiveRequest.getDefaultInstance()).getLive()).isTrue();
    assertThat(capture.spans().get(0).getAttributes().get(AttributeKey.longKey("server.port")))
        .isEqualTo((long) s.grpcPort());
    assertThatThrownBy(() -> TritonClient.grpc(ch).tls(true).build())
        .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("caller's channel");
    assertThatThrownBy(() -> TritonClient.grpc(ch).maxInboundMessageSize(1 << 20).build())
        .isInstanceOf(IllegalArgumentException.class);
  }

  /**
   * The acceptance check of the interceptor: the same call through {@link TritonClient} and through the
   * caller's own blocking stub gives the same span (name, kind, every attribute but the measured
   * durations), the same phases, and the same meters.
   */
  @Test
  void aUsersOwnStubWithTheInterceptorRecordsWhatTritonClientRecords() {
    TritonSimulator s = sim();
    ManagedChannel ch = channel(s);
    TritonClient t = TritonClient.grpc(ch).telemetry(capture.telemetry()).endpoint("vision")
        .resilience(ResiliencePolicy.none()).build();
    closer.add(t);
    t.infer(request("req-7"));
    var stub = GRPCInferenceServiceGrpc.newBlockingStub(ch)
        .withInterceptors(TritonTelemetryInterceptor.builder(capture.telemetry()).endpoint("vision").build());
    ModelInferResponse r = stub.modelInfer(proto("req-7"));
    assertThat(r.getRawOutputContents(0).size()).isEqualTo(16);

    List<SpanData> spans = capture.spans();
    assertThat(spans).hasSize(2);
    SpanData viaClient = spans.get(0);
    SpanData viaStub = spans.get(1);
    assertThat(viaStub.getName()).isEqualTo(viaClient.getName()).isEqualTo("infer echo");
    assertThat(viaStub.getKind()).isEqualTo(viaClient.getKind());
    assertThat(viaStub.getStatus()).isEqualTo(viaClient.getStatus());
    assertThat(withoutDurations(viaStub)).isEqualTo(withoutDurations(viaClient));
    assertThat(phases(viaStub)).isEqualTo(phases(viaClient))
        .contains("inference.phase.serialize.duration", "inference.phase.deserialize.duration",
            "inference.phase.network.duration");
    assertThat(viaStub.getAttributes().get(AttributeKey.stringArrayKey("inference.phases.estimated")))
        .isEqualTo(viaClient.getAttributes().get(AttributeKey.stringArrayKey("inference.phases.estimated")))
        .containsExactly("network");
    // the server got the trace context of each call's own span
    assertThat(s.traceparents()).hasSize(2);
    assertThat(s.traceparents().get(1)).contains(viaStub.getTraceId()).contains(viaStub.getSpanId());
    Timer duration = capture.meters().get("inference.client.duration").tags("model", "echo", "endpoint", "vision",
        "operation", "infer", "outcome", "success").timer();
    assertThat(duration.count()).isEqualTo(2);
    assertThat(meterIds()).allSatisfy(id -> assertThat(id).doesNotContain("stream_infer"));
  }

  @Test
  void theInterceptorRecordsFailuresAndAdministrativeRpcsAsTritonClientDoes() {
    TritonSimulator s = sim();
    ManagedChannel ch = channel(s);
    // probes (model_ready) have spans only when asked for
    dev.inferscope.core.InferenceTelemetry telemetry = capture.telemetry(b -> b.recordProbes(true));
    TritonClient t = TritonClient.grpc(ch).telemetry(telemetry).resilience(ResiliencePolicy.none()).build();
    closer.add(t);
    var stub = GRPCInferenceServiceGrpc.newBlockingStub(ch)
        .withInterceptors(TritonTelemetryInterceptor.builder(telemetry).build());
    assertThatThrownBy(() -> t.infer(InferRequest.builder("missing").id("x")
        .input(Tensor.fp32("INPUT0", new long[] {1, 4}, 1f, 2f, 3f, 4f)).build()))
        .isInstanceOf(InferenceException.class);
    ModelInferRequest missing = proto("x").toBuilder().setModelName("missing").build();
    assertThatThrownBy(() -> stub.modelInfer(missing)).isInstanceOf(StatusRuntimeException.class);
    assertThat(t.modelReady("echo")).isTrue();
    assertThat(stub.modelReady(ModelReadyRequest.newBuilder().setName("echo").build()).getReady()).isTrue();

    List<SpanData> spans = capture.spans();
    assertThat(spans).hasSize(4);
    assertThat(withoutDurations(spans.get(1))).isEqualTo(withoutDurations(spans.get(0)))
        .containsKey("error.type");
    assertThat(spans.get(1).getStatus()).isEqualTo(spans.get(0).getStatus());
    assertThat(spans.get(3).getName()).isEqualTo(spans.get(2).getName()).isEqualTo("model_ready echo");
    assertThat(withoutDurations(spans.get(3))).isEqualTo(withoutDurations(spans.get(2)));
  }

  @Test
  void theInterceptorLeavesOtherServicesAlone() {
    TritonTelemetryInterceptor i = TritonTelemetryInterceptor.builder(capture.telemetry()).build();
    io.grpc.MethodDescriptor<String, String> other = io.grpc.MethodDescriptor.<String, String>newBuilder()
        .setType(io.grpc.MethodDescriptor.MethodType.UNARY).setFullMethodName("other.Service/Do")
        .setRequestMarshaller(new StringMarshaller()).setResponseMarshaller(new StringMarshaller()).build();
    io.grpc.ClientCall<?, ?>[] made = new io.grpc.ClientCall<?, ?>[1];
    io.grpc.Channel next = new io.grpc.Channel() {
      @Override
      public <Q, R> io.grpc.ClientCall<Q, R> newCall(io.grpc.MethodDescriptor<Q, R> m, io.grpc.CallOptions o) {
        assertThat(m).isSameAs(other);
        io.grpc.ClientCall<Q, R> c = new io.grpc.ClientCall<>() {
          @Override public void start(Listener<R> l, io.grpc.Metadata h) { }
          @Override public void request(int n) { }
          @Override public void cancel(String msg, Throwable cause) { }
          @Override public void halfClose() { }
          @Override public void sendMessage(Q message) { }
        };
        made[0] = c;
        return c;
      }

      @Override
      public String authority() {
        return "x:1";
      }
    };
    assertThat(i.interceptCall(other, io.grpc.CallOptions.DEFAULT, next)).isSameAs(made[0]);
  }

  @Test
  void perCallContextAndConfidenceReachTelemetry() {
    TritonSimulator s = sim();
    List<CallRecord> records = new ArrayList<>();
    TritonClient t = TritonClient.grpc(s.grpcTarget()).telemetry(capture.telemetry(b -> b.addListener(records::add)))
        .resilience(ResiliencePolicy.none()).build();
    closer.add(t);
    InferRequest req = InferRequest.builder("echo").input(Tensor.fp32("INPUT0", new long[] {1, 4}, 0.1f, 0.7f, 0.2f, 0f))
        .context(CallContext.builder().experiment("ranker", "b").attribute("tenant", "acme").build())
        .confidence(r -> max(r.output("OUTPUT0").asFloats()))
        .build();
    t.infer(req);
    t.inferAsync(req).join();
    t.infer(InferRequest.builder("echo").input(Tensor.fp32("INPUT0", new long[] {1, 4}, 1f, 1f, 1f, 1f))
        .confidence(r -> { throw new IllegalStateException("user bug"); }).build());
    assertThat(records).hasSize(3);
    assertThat(records.get(0).confidence()).isCloseTo(0.7, org.assertj.core.api.Assertions.within(1e-6));
    assertThat(records.get(1).confidence()).isCloseTo(0.7, org.assertj.core.api.Assertions.within(1e-6));
    assertThat(records.get(2).confidence()).isNaN();
    assertThat(records.get(2).outcome().value()).isEqualTo("success");
    SpanData span = capture.spans().get(0);
    assertThat(span.getAttributes().get(AttributeKey.stringKey("inference.experiment"))).isEqualTo("ranker");
    assertThat(span.getAttributes().get(AttributeKey.stringKey("tenant"))).isEqualTo("acme");
    assertThat(capture.meters().get("inference.client.duration").tags("experiment", "ranker", "variant", "b")
        .timer().count()).isEqualTo(2);
  }

  /** The context reaches generate too, on gRPC (ModelStreamInfer) and HTTP (generate_stream). */
  @Test
  void perCallContextReachesGenerateOnBothTransports() {
    TritonSimulator s = TritonSimulator.builder()
        .model(SimulatedModel.llm("llm").generation(Duration.ofMillis(2), Duration.ofMillis(1), 3).build()).start();
    closer.add(s);
    TritonClient grpc = closer.add(TritonClient.grpc(s.grpcTarget()).telemetry(capture.telemetry())
        .resilience(ResiliencePolicy.none()).build());
    TritonClient http = closer.add(TritonClient.http(s.httpUri()).telemetry(capture.telemetry())
        .resilience(ResiliencePolicy.none()).build());
    GenerateRequest req = GenerateRequest.builder("llm", "hello").maxTokens(3)
        .context(CallContext.builder().experiment("prompt-v2", "a").attribute("tenant", "acme").build()).build();
    for (TritonClient t : List.of(grpc, http)) {
      try (GenerateStream g = t.generate(req)) {
        assertThat(g.collectText()).isNotEmpty();
      }
    }
    assertThat(capture.spans()).hasSize(2).allSatisfy(sp -> {
      assertThat(sp.getName()).isEqualTo("generate llm");
      assertThat(sp.getAttributes().get(AttributeKey.stringKey("inference.experiment"))).isEqualTo("prompt-v2");
      assertThat(sp.getAttributes().get(AttributeKey.stringKey("tenant"))).isEqualTo("acme");
    });
  }

  @Test
  void eachEndpointCarriesItsOwnGpu() {
    TritonSimulator s = sim();
    GpuStateSource telemetryWide = TestGpus.source("GPU-default");
    TritonClient a = TritonClient.grpc(s.grpcTarget()).telemetry(capture.telemetry(b -> b.gpuStateSource(telemetryWide)))
        .resilience(ResiliencePolicy.none()).gpuSource(TestGpus.source("GPU-triton-a")).build();
    TritonClient b = TritonClient.grpc(s.grpcTarget()).telemetry(capture.telemetry(x -> x.gpuStateSource(telemetryWide)))
        .resilience(ResiliencePolicy.none()).build();
    closer.add(a);
    closer.add(b);
    a.infer(request("1"));
    b.infer(request("2"));
    var stub = GRPCInferenceServiceGrpc.newBlockingStub(channel(s)).withInterceptors(
        TritonTelemetryInterceptor.builder(capture.telemetry()).gpuSource(TestGpus.source("GPU-stub")).build());
    stub.modelInfer(proto("3"));
    assertThat(capture.spans()).extracting(sp -> sp.getAttributes().get(AttributeKey.stringKey("hw.id")))
        .containsExactly("GPU-triton-a", "GPU-default", "GPU-stub");
  }

  /**
   * Probes (liveness, readiness, model readiness) are not inference calls: no client meter ever, a span
   * only when asked for, and never behind the circuit breaker — a model whose breaker is open still
   * reports ready when the server says so.
   */
  @Test
  void probesAreNotInferenceCallsAndNeverWaitOnTheBreaker() {
    TritonSimulator s = sim();
    ResiliencePolicy policy = ResiliencePolicy.builder().maxAttempts(1).build();
    TritonClient t = TritonClient.grpc(s.grpcTarget()).telemetry(capture.telemetry()).resilience(policy).build();
    closer.add(t);
    assertThat(t.serverLive()).isTrue();
    assertThat(t.serverReady()).isTrue();
    assertThat(t.modelReady("echo")).isTrue();
    assertThat(capture.spans()).isEmpty();
    assertThat(capture.meters().getMeters()).noneMatch(m -> m.getId().getName().startsWith("inference.client."));

    policy.circuitBreakerRegistry().circuitBreaker("default/echo").transitionToOpenState();
    assertThatThrownBy(() -> t.infer(request("r1"))).isInstanceOfSatisfying(InferenceException.class,
        e -> assertThat(e.errorType()).isEqualTo(dev.inferscope.core.ErrorType.CIRCUIT_OPEN));
    assertThat(t.modelReady("echo")).isTrue();

    TritonClient traced = TritonClient.grpc(s.grpcTarget()).telemetry(capture.telemetry(b -> b.recordProbes(true)))
        .resilience(ResiliencePolicy.none()).build();
    closer.add(traced);
    capture.reset();
    traced.modelReady("echo");
    assertThat(capture.spans()).extracting(SpanData::getName).containsExactly("model_ready echo");
    assertThat(capture.meters().find("inference.client.duration").tag("operation", "model_ready").timers()).isEmpty();
  }

  private static double max(float[] v) {
    double m = Double.NEGATIVE_INFINITY;
    for (float f : v) {
      m = Math.max(m, f);
    }
    return m;
  }


  /** Every attribute but the measured ones (durations, ids that differ per span). */
  private static Map<String, Object> withoutDurations(SpanData span) {
    Map<String, Object> out = new TreeMap<>();
    span.getAttributes().forEach((k, v) -> {
      if (!k.getKey().endsWith(".duration") && !k.getKey().equals("hw.gpu.sample.age")) {
        out.put(k.getKey(), v);
      }
    });
    return out;
  }

  private static Set<String> phases(SpanData span) {
    return span.getAttributes().asMap().keySet().stream().map(AttributeKey::getKey)
        .filter(k -> k.startsWith("inference.phase.")).collect(Collectors.toCollection(java.util.TreeSet::new));
  }

  private List<String> meterIds() {
    return capture.meters().getMeters().stream().map(Meter::getId).map(Object::toString).toList();
  }

  private static final class StringMarshaller implements io.grpc.MethodDescriptor.Marshaller<String> {
    @Override
    public java.io.InputStream stream(String value) {
      return new java.io.ByteArrayInputStream(value.getBytes(java.nio.charset.StandardCharsets.UTF_8));
    }

    @Override
    public String parse(java.io.InputStream stream) {
      return "";
    }
  }
}
