package dev.inferscope.triton;

import dev.inferscope.core.CallListener;
import dev.inferscope.core.InferenceTelemetry;
import dev.inferscope.testkit.CallPathContract;
import java.net.URI;
import java.util.List;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;

/**
 * The call-path contract (deadline, size cap, classification, end-once) on every path of the Triton
 * client: each HTTP operation, and over gRPC the faults that are not HTTP's (a server that never answers).
 * Adding a path to {@link #paths()} puts it under every guarantee.
 */
class TritonCallPathContractTest extends CallPathContract {
  private static InferRequest infer() {
    return InferRequest.builder("m").input(Tensor.fp32("INPUT0", new long[] {1, 3}, 0.1f, 0.2f, 0.3f)).build();
  }

  @FunctionalInterface
  interface ClientCall {
    Object call(TritonClient client) throws Exception;
  }

  private static TritonClient.Builder configure(TritonClient.Builder b, CallListener listener) {
    return b.telemetry(InferenceTelemetry.builder().addListener(listener).build())
        .defaultDeadline(DEADLINE)
        .maxInboundMessageSize(MAX_RESPONSE_BYTES);
  }

  private static CallPath http(String name, boolean streams, ClientCall c) {
    return path("http " + name, streams, (URI base, CallListener listener) -> {
      try (TritonClient client = configure(TritonClient.http(base), listener).build()) {
        return c.call(client);
      }
    });
  }

  private static CallPath grpc(String name, boolean streams, ClientCall c) {
    return grpcPath("grpc " + name, streams, (URI base, CallListener listener) -> {
      try (TritonClient client = configure(TritonClient.grpc("127.0.0.1:" + base.getPort()), listener).build()) {
        return c.call(client);
      }
    });
  }

  private static Object unwrap(java.util.concurrent.CompletableFuture<?> f) throws Exception {
    try {
      return f.get(10, TimeUnit.SECONDS);
    } catch (ExecutionException e) {
      throw e.getCause() instanceof Exception x ? x : e;
    }
  }

  @Override
  protected List<CallPath> paths() {
    return List.of(
        http("infer", false, c -> c.infer(infer())),
        http("inferAsync", false, c -> unwrap(c.inferAsync(infer()))),
        http("generate", false, c -> c.generate(GenerateRequest.builder("m", "hello").stream(false).build()).collectText()),
        http("generate_stream", true, c -> c.generate(GenerateRequest.builder("m", "hello").stream(true).build())
            .collectText()),
        http("serverMetadata", false, TritonClient::serverMetadata),
        http("modelMetadata", false, c -> c.modelMetadata("m")),
        http("modelStatistics", false, c -> c.modelStatistics("m")),
        http("modelConfig", false, c -> c.modelConfig("m")),
        http("repositoryIndex", false, TritonClient::repositoryIndex),
        grpc("infer", false, c -> c.infer(infer())),
        grpc("inferAsync", false, c -> unwrap(c.inferAsync(infer()))),
        grpc("generate", true, c -> c.generate(GenerateRequest.builder("m", "hello").stream(true).build())
            .collectText()));
  }
}
