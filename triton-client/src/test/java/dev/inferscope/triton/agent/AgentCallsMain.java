package dev.inferscope.triton.agent;

import dev.inferscope.core.InferenceTelemetry;
import dev.inferscope.core.LogPolicy;
import dev.inferscope.core.ResiliencePolicy;
import dev.inferscope.testkit.SimulatedModel;
import dev.inferscope.testkit.triton.TritonSimulator;
import dev.inferscope.triton.InferRequest;
import dev.inferscope.triton.Tensor;
import dev.inferscope.triton.TritonClient;
import dev.inferscope.triton.TritonTelemetryInterceptor;
import dev.inferscope.triton.protocol.GRPCInferenceServiceGrpc;
import dev.inferscope.triton.protocol.ModelReadyRequest;
import io.opentelemetry.api.GlobalOpenTelemetry;

/**
 * Run in a child JVM under the OpenTelemetry Java agent by {@code JavaAgentCoexistenceTest}: one Triton
 * call over gRPC, one over HTTP (java.net.http), and one through a user's own stub with
 * {@link TritonTelemetryInterceptor}, with Inferscope on the agent's OpenTelemetry
 * ({@link GlobalOpenTelemetry}), as an application would run it. Prints the traceparent headers the
 * server received, one per line, prefixed {@code TRACEPARENT }.
 */
public final class AgentCallsMain {
  private AgentCallsMain() {}

  public static void main(String[] args) throws Exception {
    InferenceTelemetry telemetry = InferenceTelemetry.builder().openTelemetry(GlobalOpenTelemetry.get())
        .logPolicy(LogPolicy.disabled()).recordProbes(true).build();
    try (TritonSimulator sim = TritonSimulator.builder()
        .model(SimulatedModel.builder("echo").input("INPUT0", "FP32", 1, 4).build()).start();
        TritonClient grpc = TritonClient.grpc(sim.grpcTarget()).telemetry(telemetry)
            .resilience(ResiliencePolicy.none()).build();
        TritonClient http = TritonClient.http(sim.httpUri()).telemetry(telemetry)
            .resilience(ResiliencePolicy.none()).build()) {
      InferRequest r = InferRequest.builder("echo").input(Tensor.fp32("INPUT0", new long[] {1, 4}, 1f, 2f, 3f, 4f))
          .build();
      grpc.infer(r);
      http.infer(r);
      // a user's own stub with the interceptor, on a channel the user built
      io.grpc.ManagedChannel channel = io.grpc.ManagedChannelBuilder.forTarget(sim.grpcTarget()).usePlaintext().build();
      try {
        GRPCInferenceServiceGrpc.newBlockingStub(channel)
            .withInterceptors(TritonTelemetryInterceptor.builder(telemetry).build())
            .modelReady(ModelReadyRequest.newBuilder().setName("echo").build());
      } finally {
        channel.shutdownNow().awaitTermination(5, java.util.concurrent.TimeUnit.SECONDS);
      }
      for (java.util.Map<String, String> h : sim.seenHeaders()) {
        System.out.println("TRACEPARENT " + h.get("traceparent"));
      }
    }
  }
}
