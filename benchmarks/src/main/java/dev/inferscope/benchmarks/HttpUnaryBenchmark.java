package dev.inferscope.benchmarks;

import dev.inferscope.core.ResiliencePolicy;
import dev.inferscope.testkit.SimulatedModel;
import dev.inferscope.testkit.triton.TritonSimulator;
import dev.inferscope.triton.InferRequest;
import dev.inferscope.triton.Tensor;
import dev.inferscope.triton.TritonClient;
import dev.inferscope.vllm.ChatRequest;
import dev.inferscope.vllm.VllmClient;
import io.opentelemetry.sdk.OpenTelemetrySdk;
import java.net.URI;
import java.time.Duration;
import java.util.concurrent.TimeUnit;
import org.openjdk.jmh.annotations.Benchmark;
import org.openjdk.jmh.annotations.BenchmarkMode;
import org.openjdk.jmh.annotations.Mode;
import org.openjdk.jmh.annotations.OutputTimeUnit;
import org.openjdk.jmh.annotations.Param;
import org.openjdk.jmh.annotations.Scope;
import org.openjdk.jmh.annotations.Setup;
import org.openjdk.jmh.annotations.State;
import org.openjdk.jmh.annotations.TearDown;

/**
 * Group 6: one unary HTTP call with full telemetry, per path — vLLM {@code chat} and {@code chatAsync}
 * against the vLLM simulator in a child JVM (16 tokens, no pacing), Triton HTTP {@code infer} and
 * {@code inferAsync} against an in-process Triton simulator (no compute time). Time per call over
 * loopback, so the figure is the client's overhead plus the simulators' service time; it exists to put
 * two builds of the client side by side (the HTTP layer of issue 15 against the code before it) in one
 * run, using only public API so that the same class compiles on both.
 */
@State(Scope.Benchmark)
@BenchmarkMode(Mode.AverageTime)
@OutputTimeUnit(TimeUnit.MICROSECONDS)
public class HttpUnaryBenchmark {
  @Param({"vllm_chat", "vllm_chatAsync", "triton_infer", "triton_inferAsync"})
  public String path;

  private SimulatorProcess vllmServer;
  private TritonSimulator tritonServer;
  private OpenTelemetrySdk sdk;
  private VllmClient vllm;
  private TritonClient triton;
  private ChatRequest chat;
  private InferRequest infer;

  @Setup
  public void setUp() {
    sdk = Fixtures.sdk();
    if (path.startsWith("vllm")) {
      vllmServer = new SimulatorProcess(16);
      vllm = VllmClient.builder(URI.create("http://127.0.0.1:" + vllmServer.port()))
          .telemetry(Fixtures.fullTelemetry(sdk, Fixtures.prometheus()))
          .resilience(ResiliencePolicy.none())
          .roundTripProbeInterval(Duration.ZERO)
          .build();
      chat = ChatRequest.builder("sim-llm").user("hello").build();
    } else {
      tritonServer = TritonSimulator.builder().model(SimulatedModel.builder("m").input("INPUT0", "FP32", 1, 4)
          .computeTime(Duration.ZERO).build()).start();
      triton = TritonClient.http(tritonServer.httpUri())
          .telemetry(Fixtures.fullTelemetry(sdk, Fixtures.prometheus()))
          .resilience(ResiliencePolicy.none())
          .build();
      infer = InferRequest.builder("m").input(Tensor.fp32("INPUT0", new long[] {1, 4}, 1f, 2f, 3f, 4f)).build();
    }
  }

  @Benchmark
  public Object call() throws Exception {
    return switch (path) {
      case "vllm_chat" -> vllm.chat(chat);
      case "vllm_chatAsync" -> vllm.chatAsync(chat).get(10, TimeUnit.SECONDS);
      case "triton_infer" -> triton.infer(infer);
      default -> triton.inferAsync(infer).get(10, TimeUnit.SECONDS);
    };
  }

  @TearDown
  public void tearDown() {
    if (vllm != null) {
      vllm.close();
      vllmServer.close();
    }
    if (triton != null) {
      triton.close();
      tritonServer.close();
    }
    sdk.close();
  }
}
