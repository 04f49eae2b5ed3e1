package dev.inferscope.benchmarks;

import com.google.protobuf.UnsafeByteOperations;
import dev.inferscope.core.ResiliencePolicy;
import dev.inferscope.testkit.SimulatedModel;
import dev.inferscope.testkit.TritonSimulator;
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
    rawChannel.shutdownNow();
    instrumentedChannel.shutdownNow();
    sdkB.close();
    sdkC.close();
    simulator.close();
  }

  @Benchmark
  public ModelInferResponse a_rawStub() {
    return raw.withDeadlineAfter(30, TimeUnit.SECONDS).modelInfer(rawRequest);
  }

  @Benchmark
  public ModelInferResponse b_otelAndMicrometerInterceptors() {
    return instrumented.withDeadlineAfter(30, TimeUnit.SECONDS).modelInfer(rawRequest);
  }

  @Benchmark
  public InferResult c_inferscopeFullTelemetry() {
    return inferscope.infer(request);
  }
}
