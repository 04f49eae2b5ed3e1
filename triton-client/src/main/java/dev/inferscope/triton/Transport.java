package dev.inferscope.triton;

import dev.inferscope.core.Call;
import dev.inferscope.core.Deadline;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import org.jspecify.annotations.Nullable;

/** The operations both transports implement; each runs inside one attempt of a {@link Call}. */
interface Transport extends AutoCloseable {
  String kind();

  String host();

  int port();

  boolean serverLive(Call call, @Nullable Deadline deadline);

  boolean serverReady(Call call, @Nullable Deadline deadline);

  boolean modelReady(Call call, String model, @Nullable String version, @Nullable Deadline deadline);

  ServerMetadata serverMetadata(Call call, @Nullable Deadline deadline);

  ModelMetadata modelMetadata(Call call, String model, @Nullable String version, @Nullable Deadline deadline);

  InferResult infer(Call call, InferRequest request, @Nullable Deadline deadline);

  CompletableFuture<InferResult> inferAsync(Call call, InferRequest request, @Nullable Deadline deadline);

  List<ModelStats> statistics(Call call, String model, @Nullable Deadline deadline);

  @Override
  void close();
}
