package dev.inferscope.benchmarks;

import com.google.protobuf.UnsafeByteOperations;
import dev.inferscope.core.ResiliencePolicy;
import dev.inferscope.testkit.SimulatedModel;
import dev.inferscope.testkit.triton.TritonSimulator;
import dev.inferscope.triton.InferRequest;
import dev.inferscope.triton.InferResult;
import dev.inferscope.triton.Tensor;
import dev.inferscope.triton.TritonClient;
import dev.inferscope.triton.protocol.GRPCInferenceServiceGrpc;
import dev.inferscope.triton.protocol.ModelInferRequest;
import dev.inferscope.triton.protocol.ModelInferResponse;
import io.grpc.ManagedChannel;
import io.grpc.inprocess.InProcessChannelBuilder;
import io.grpc.netty.shaded.io.grpc.netty.NettyChannelBuilder;
import io.micrometer.core.instrument.binder.grpc.MetricCollectingClientInterceptor;
import io.micrometer.prometheusmetrics.PrometheusMeterRegistry;
import io.opentelemetry.instrumentation.grpc.v1_6.GrpcTelemetry;
import io.opentelemetry.sdk.OpenTelemetrySdk;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.time.Duration;
import java.util.concurrent.TimeUnit;
import org.openjdk.jmh.annotations.AuxCounters;
import org.openjdk.jmh.annotations.Benchmark;
import org.openjdk.jmh.annotations.BenchmarkMode;
import org.openjdk.jmh.annotations.Level;
import org.openjdk.jmh.annotations.Mode;
import org.openjdk.jmh.annotations.OutputTimeUnit;
import org.openjdk.jmh.annotations.Param;
import org.openjdk.jmh.annotations.Scope;
import org.openjdk.jmh.annotations.Setup;
import org.openjdk.jmh.annotations.State;
import org.openjdk.jmh.annotations.TearDown;

/**
 * Group 1: a unary Triton infer of a 1x16 FP32 tensor against the testkit simulator (compute time 0),
 * over Netty on loopback or in-process: (a) the raw generated stub, (b) the raw stub with OpenTelemetry's
 * gRPC instrumentation and Micrometer's gRPC client interceptor, (c) Inferscope's TritonClient with full
 * telemetry (SDK with a batch span processor, Prometheus registry with histograms, JSON log at 10 %).
 */
@State(Scope.Benchmark)
@BenchmarkMode(Mode.Throughput)
@OutputTimeUnit(TimeUnit.SECONDS)
public class UnaryInferBenchmark {
  @Param({"loopback", "inprocess"})
  public String transport;

  private TritonSimulator simulator;
  private ManagedChannel rawChannel;
  private ManagedChannel instrumentedChannel;
  private GRPCInferenceServiceGrpc.GRPCInferenceServiceBlockingStub raw;
  private GRPCInferenceServiceGrpc.GRPCInferenceServiceBlockingStub instrumented;
  private TritonClient inferscope;
  private TritonClient inferscopeNoTelemetry;
  private OpenTelemetrySdk sdkB;
  private OpenTelemetrySdk sdkC;
  private ModelInferRequest rawRequest;
  private InferRequest request;

  @Setup(Level.Trial)
  public void setup() {
    simulator = TritonSimulator.builder().model(SimulatedModel.builder("bench").input("INPUT0", "FP32", 1, 16)
        .computeTime(Duration.ZERO).instances(64).build()).start();
    float[] values = new float[16];
    for (int i = 0; i < 16; i++) {
      values[i] = i;
    }
    Tensor t = Tensor.fp32("INPUT0", new long[] {1, 16}, values);
    request = InferRequest.builder("bench").input(t).build();
    ByteBuffer data = ByteBuffer.allocate(64).order(ByteOrder.LITTLE_ENDIAN);
    data.asFloatBuffer().put(values);
    rawRequest = ModelInferRequest.newBuilder().setModelName("bench")
        .addInputs(ModelInferRequest.InferInputTensor.newBuilder().setName("INPUT0").setDatatype("FP32").addShape(1).addShape(16))
        .addRawInputContents(UnsafeByteOperations.unsafeWrap(data)).build();

    rawChannel = channel();
    raw = GRPCInferenceServiceGrpc.newBlockingStub(rawChannel);

    sdkB = Fixtures.sdk();
    PrometheusMeterRegistry registryB = Fixtures.prometheus();
    instrumentedChannel = channel(GrpcTelemetry.create(sdkB).createClientInterceptor(),
        new MetricCollectingClientInterceptor(registryB));
    instrumented = GRPCInferenceServiceGrpc.newBlockingStub(instrumentedChannel);

    sdkC = Fixtures.sdk();
    PrometheusMeterRegistry registryC = Fixtures.prometheus();
    String target = transport.equals("inprocess") ? "inprocess:" + simulator.inProcessName() : simulator.grpcTarget();
    inferscope = TritonClient.grpc(target).telemetry(Fixtures.fullTelemetry(sdkC, registryC))
        .resilience(ResiliencePolicy.defaults()).build();
    // the same client with telemetry off: what full telemetry adds is (c) minus this
    inferscopeNoTelemetry = TritonClient.grpc(target).telemetry(dev.inferscope.core.InferenceTelemetry.noop())
        .resilience(ResiliencePolicy.defaults()).build();
  }

  private ManagedChannel channel(io.grpc.ClientInterceptor... interceptors) {
    if (transport.equals("inprocess")) {
      return InProcessChannelBuilder.forName(simulator.inProcessName()).intercept(interceptors).build();
    }
    return NettyChannelBuilder.forTarget(simulator.grpcTarget()).usePlaintext().intercept(interceptors).build();
  }

  @TearDown(Level.Trial)
  public void tearDown() {
    inferscope.close();
    inferscopeNoTelemetry.close();
    rawChannel.shutdownNow();
    instrumentedChannel.shutdownNow();
    sdkB.close();
    sdkC.close();
    simulator.close();
  }

  /**
   * Process CPU time (all threads: client, simulator, gRPC's and the telemetry's own) and calls, summed
   * per iteration: CPU per call is less at the mercy of scheduling on a shared machine than throughput.
   */
  @State(Scope.Thread)
  @AuxCounters(AuxCounters.Type.EVENTS)
  public static class Counters {
    public long cpuNanos;
    public long calls;
  }

  /** Wall time of each variant inside the same operations, summed per iteration. */
  @State(Scope.Thread)
  @AuxCounters(AuxCounters.Type.EVENTS)
  public static class Paired {
    public long rawNanos;
    public long otelNanos;
    public long inferscopeNanos;
    public long inferscopeNoTelemetryNanos;
    public long rounds;
  }

  /**
   * The four variants back to back in every operation, in rotating order (raw stub, stub with the
   * OpenTelemetry and Micrometer interceptors, Inferscope with full telemetry, Inferscope with telemetry
   * off): on a shared machine whose
   * speed swings several-fold between seconds (loopback throughput of the same stub was seen between
   * 1,000 and 8,000 calls/s from one 2 s iteration to the next), comparing sums of times taken in the
   * same moments is the only fair comparison. Ratios come from the {@code *Nanos} counters.
   */
  @Benchmark
  public Object paired(Paired p) {
    Object last = null;
    int first = (int) (p.rounds % 4);
    for (int k = 0; k < 4; k++) {
      int which = (first + k) % 4;
      long t0 = System.nanoTime();
      if (which == 0) {
        last = raw.withDeadlineAfter(30, TimeUnit.SECONDS).modelInfer(rawRequest);
        p.rawNanos += System.nanoTime() - t0;
      } else if (which == 1) {
        last = instrumented.withDeadlineAfter(30, TimeUnit.SECONDS).modelInfer(rawRequest);
        p.otelNanos += System.nanoTime() - t0;
      } else if (which == 2) {
        last = inferscope.infer(request);
        p.inferscopeNanos += System.nanoTime() - t0;
      } else {
        last = inferscopeNoTelemetry.infer(request);
        p.inferscopeNoTelemetryNanos += System.nanoTime() - t0;
      }
    }
    p.rounds++;
    return last;
  }

  @Benchmark
  public ModelInferResponse a_rawStub(Counters counters) {
    long cpu0 = Cpu.processNanos();
    ModelInferResponse r = raw.withDeadlineAfter(30, TimeUnit.SECONDS).modelInfer(rawRequest);
    counters.cpuNanos += Cpu.processNanos() - cpu0;
    counters.calls++;
    return r;
  }

  @Benchmark
  public ModelInferResponse b_otelAndMicrometerInterceptors(Counters counters) {
    long cpu0 = Cpu.processNanos();
    ModelInferResponse r = instrumented.withDeadlineAfter(30, TimeUnit.SECONDS).modelInfer(rawRequest);
    counters.cpuNanos += Cpu.processNanos() - cpu0;
    counters.calls++;
    return r;
  }

  @Benchmark
  public InferResult c_inferscopeFullTelemetry(Counters counters) {
    long cpu0 = Cpu.processNanos();
    InferResult r = inferscope.infer(request);
    counters.cpuNanos += Cpu.processNanos() - cpu0;
    counters.calls++;
    return r;
  }
}
