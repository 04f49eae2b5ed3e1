package dev.inferscope.triton;

import dev.inferscope.core.Call;
import dev.inferscope.core.CallDescriptor;
import dev.inferscope.core.Deadline;
import dev.inferscope.triton.protocol.GRPCInferenceServiceGrpc;
import dev.inferscope.triton.protocol.ModelConfig;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.function.Function;
import org.jspecify.annotations.Nullable;

/**
 * Every operation of {@link TritonClient}, implemented by both transports (gRPC, HTTP), so the client
 * never needs to know which one it has. Each runs inside one attempt of a {@link Call}.
 */
interface Transport extends AutoCloseable {
  String kind();

  String host();

  int port();

  /** Puts the transport's view of an operation on the descriptor: the RPC method, or the HTTP method and URL. */
  void describe(CallDescriptor.Builder d, String rpcMethod, String httpMethod, java.util.function.Supplier<String> path);

  boolean serverLive(Call call, @Nullable Deadline deadline);

  boolean serverReady(Call call, @Nullable Deadline deadline);

  boolean modelReady(Call call, String model, @Nullable String version, @Nullable Deadline deadline);

  ServerMetadata serverMetadata(Call call, @Nullable Deadline deadline);

  ModelMetadata modelMetadata(Call call, String model, @Nullable String version, @Nullable Deadline deadline);

  InferResult infer(Call call, InferRequest request, @Nullable Deadline deadline);

  CompletableFuture<InferResult> inferAsync(Call call, InferRequest request, @Nullable Deadline deadline);

  List<ModelStats> statistics(Call call, String model, @Nullable Deadline deadline);

  ModelConfig modelConfig(Call call, String model, @Nullable Deadline deadline);

  List<RepositoryModel> repositoryIndex(Call call, @Nullable Deadline deadline);

  void loadModel(Call call, String model, @Nullable Deadline deadline);

  void unloadModel(Call call, String model, @Nullable Deadline deadline);

  Map<String, List<String>> traceSettings(Call call, @Nullable String model, Map<String, List<String>> update,
      @Nullable Deadline deadline);

  Map<String, Object> logSettings(Call call, Map<String, Object> update, @Nullable Deadline deadline);

  /** Opens a generate call; its responses are read from the returned source. */
  GenerateStream.Source generate(Call call, GenerateRequest request, @Nullable Deadline deadline);

  /**
   * Any RPC of the blocking stub with the call's metadata and deadline.
   *
   * @throws UnsupportedOperationException over HTTP
   */
  <T> T rpc(Call call, @Nullable Deadline deadline,
      Function<GRPCInferenceServiceGrpc.GRPCInferenceServiceBlockingStub, T> rpc);

  @Override
  void close();
}
