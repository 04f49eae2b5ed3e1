package dev.inferscope.triton;

import com.google.protobuf.ByteString;
import com.google.protobuf.UnsafeByteOperations;
import dev.inferscope.core.Call;
import dev.inferscope.core.Deadline;
import dev.inferscope.core.ErrorType;
import dev.inferscope.core.GrpcSupport;
import dev.inferscope.core.InferenceException;
import dev.inferscope.core.Phase;
import dev.inferscope.triton.internal.TritonErrors;
import dev.inferscope.triton.protocol.GRPCInferenceServiceGrpc;
import dev.inferscope.triton.protocol.InferParameter;
import dev.inferscope.triton.protocol.InferStatistics;
import dev.inferscope.triton.protocol.ModelInferRequest;
import dev.inferscope.triton.protocol.ModelInferResponse;
import dev.inferscope.triton.protocol.ModelMetadataRequest;
import dev.inferscope.triton.protocol.ModelMetadataResponse;
import dev.inferscope.triton.protocol.ModelReadyRequest;
import dev.inferscope.triton.protocol.ModelStatistics;
import dev.inferscope.triton.protocol.ModelStatisticsRequest;
import dev.inferscope.triton.protocol.ServerLiveRequest;
import dev.inferscope.triton.protocol.ServerMetadataRequest;
import dev.inferscope.triton.protocol.ServerMetadataResponse;
import dev.inferscope.triton.protocol.ServerReadyRequest;
import io.grpc.ManagedChannel;
import io.grpc.Metadata;
import io.grpc.StatusRuntimeException;
import io.grpc.stub.MetadataUtils;
import java.nio.ByteBuffer;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import java.util.function.Function;
import org.jspecify.annotations.Nullable;

/** KServe v2 over gRPC. */
final class GrpcTransport implements Transport {
  private final io.grpc.Channel channel;
  private final @Nullable ManagedChannel owned;
  private final GRPCInferenceServiceGrpc.GRPCInferenceServiceBlockingStub blocking;
  private final GRPCInferenceServiceGrpc.GRPCInferenceServiceFutureStub future;
  private final GRPCInferenceServiceGrpc.GRPCInferenceServiceStub async;
  private final Map<String, String> headers;
  private final String host;
  private final int port;
  private final boolean timeoutParameter;

  /**
   * @param owned the channel when Inferscope built it (closed with the client); {@code null} for a
   *     caller's channel, which is never closed here
   */
  GrpcTransport(io.grpc.Channel channel, @Nullable ManagedChannel owned, Map<String, String> headers, String host,
      int port, boolean timeoutParameter) {
    this.channel = channel;
    this.owned = owned;
    this.blocking = GRPCInferenceServiceGrpc.newBlockingStub(channel);
    this.future = GRPCInferenceServiceGrpc.newFutureStub(channel);
    this.async = GRPCInferenceServiceGrpc.newStub(channel);
    this.headers = Map.copyOf(headers);
    this.host = host;
    this.port = port;
    this.timeoutParameter = timeoutParameter;
  }

  @Override
  public String kind() {
    return "grpc";
  }

  @Override
  public String host() {
    return host;
  }

  @Override
  public int port() {
    return port;
  }

  io.grpc.Channel channel() {
    return channel;
  }

  Metadata metadata(Call call) {
    Metadata md = new Metadata();
    headers.forEach((k, v) -> md.put(Metadata.Key.of(k, Metadata.ASCII_STRING_MARSHALLER), v));
    call.inject(md, (carrier, k, v) -> {
      if (carrier != null) {
        carrier.put(Metadata.Key.of(k, Metadata.ASCII_STRING_MARSHALLER), v);
      }
    });
    return md;
  }

  <S extends io.grpc.stub.AbstractStub<S>> S prepare(S stub, Call call, @Nullable Deadline deadline) {
    S s = stub.withInterceptors(MetadataUtils.newAttachHeadersInterceptor(metadata(call)));
    if (deadline != null) {
      s = s.withDeadline(GrpcSupport.toGrpcDeadline(deadline));
    }
    return s;
  }

  private <T> T unary(Call call, @Nullable Deadline deadline,
      Function<GRPCInferenceServiceGrpc.GRPCInferenceServiceBlockingStub, T> rpc) {
    try {
      T r = rpc.apply(prepare(blocking, call, deadline));
      call.grpcStatusCode(0);
      return r;
    } catch (StatusRuntimeException e) {
      call.grpcStatusCode(e.getStatus().getCode().value());
      throw TritonErrors.fromGrpc(e);
    }
  }

  @Override
  public <T> T rpc(Call call, @Nullable Deadline deadline,
      Function<GRPCInferenceServiceGrpc.GRPCInferenceServiceBlockingStub, T> rpc) {
    return unary(call, deadline, rpc);
  }

  @Override
  public void describe(dev.inferscope.core.CallDescriptor.Builder d, String rpcMethod, String httpMethod,
      java.util.function.Supplier<String> path) {
    d.rpc("inference.GRPCInferenceService", rpcMethod);
  }

  @Override
  public GenerateStream.Source generate(Call call, GenerateRequest request, @Nullable Deadline deadline) {
    return GenerateStream.grpc(this, call, request, deadline);
  }

  @Override
  public dev.inferscope.triton.protocol.ModelConfig modelConfig(Call call, String model, @Nullable Deadline deadline) {
    return unary(call, deadline, s -> s.modelConfig(
        dev.inferscope.triton.protocol.ModelConfigRequest.newBuilder().setName(model).build())).getConfig();
  }

  @Override
  public List<RepositoryModel> repositoryIndex(Call call, @Nullable Deadline deadline) {
    dev.inferscope.triton.protocol.RepositoryIndexResponse r = unary(call, deadline,
        s -> s.repositoryIndex(dev.inferscope.triton.protocol.RepositoryIndexRequest.getDefaultInstance()));
    List<RepositoryModel> out = new ArrayList<>();
    for (dev.inferscope.triton.protocol.RepositoryIndexResponse.ModelIndex m : r.getModelsList()) {
      out.add(new RepositoryModel(m.getName(), m.getVersion().isEmpty() ? null : m.getVersion(),
          m.getState().isEmpty() ? null : m.getState(), m.getReason().isEmpty() ? null : m.getReason()));
    }
    return out;
  }

  @Override
  public void loadModel(Call call, String model, @Nullable Deadline deadline) {
    unary(call, deadline, s -> s.repositoryModelLoad(
        dev.inferscope.triton.protocol.RepositoryModelLoadRequest.newBuilder().setModelName(model).build()));
  }

  @Override
  public void unloadModel(Call call, String model, @Nullable Deadline deadline) {
    unary(call, deadline, s -> s.repositoryModelUnload(
        dev.inferscope.triton.protocol.RepositoryModelUnloadRequest.newBuilder().setModelName(model).build()));
  }

  @Override
  public Map<String, List<String>> traceSettings(Call call, @Nullable String model, Map<String, List<String>> update,
      @Nullable Deadline deadline) {
    dev.inferscope.triton.protocol.TraceSettingRequest.Builder req = dev.inferscope.triton.protocol.TraceSettingRequest
        .newBuilder().setModelName(model == null ? "" : model);
    update.forEach((k, v) -> req.putSettings(k,
        dev.inferscope.triton.protocol.TraceSettingRequest.SettingValue.newBuilder().addAllValue(v).build()));
    dev.inferscope.triton.protocol.TraceSettingResponse r = unary(call, deadline, s -> s.traceSetting(req.build()));
    Map<String, List<String>> out = new LinkedHashMap<>();
    r.getSettingsMap().forEach((k, v) -> out.put(k, List.copyOf(v.getValueList())));
    return out;
  }

  @Override
  public Map<String, Object> logSettings(Call call, Map<String, Object> update, @Nullable Deadline deadline) {
    dev.inferscope.triton.protocol.LogSettingsRequest.Builder req = dev.inferscope.triton.protocol.LogSettingsRequest.newBuilder();
    update.forEach((k, v) -> {
      dev.inferscope.triton.protocol.LogSettingsRequest.SettingValue.Builder sv =
          dev.inferscope.triton.protocol.LogSettingsRequest.SettingValue.newBuilder();
      if (v instanceof Boolean b) {
        sv.setBoolParam(b);
      } else if (v instanceof Number n) {
        sv.setUint32Param(n.intValue());
      } else {
        sv.setStringParam(String.valueOf(v));
      }
      req.putSettings(k, sv.build());
    });
    dev.inferscope.triton.protocol.LogSettingsResponse r = unary(call, deadline, s -> s.logSettings(req.build()));
    Map<String, Object> out = new LinkedHashMap<>();
    r.getSettingsMap().forEach((k, v) -> out.put(k, switch (v.getParameterChoiceCase()) {
      case BOOL_PARAM -> v.getBoolParam();
      case UINT32_PARAM -> (long) v.getUint32Param();
      default -> v.getStringParam();
    }));
    return out;
  }

  @Override
  public boolean serverLive(Call call, @Nullable Deadline deadline) {
    return unary(call, deadline, s -> s.serverLive(ServerLiveRequest.getDefaultInstance())).getLive();
  }

  @Override
  public boolean serverReady(Call call, @Nullable Deadline deadline) {
    return unary(call, deadline, s -> s.serverReady(ServerReadyRequest.getDefaultInstance())).getReady();
  }

  @Override
  public boolean modelReady(Call call, String model, @Nullable String version, @Nullable Deadline deadline) {
    ModelReadyRequest r = ModelReadyRequest.newBuilder().setName(model).setVersion(version == null ? "" : version).build();
    return unary(call, deadline, s -> s.modelReady(r)).getReady();
  }

  @Override
  public ServerMetadata serverMetadata(Call call, @Nullable Deadline deadline) {
    ServerMetadataResponse r = unary(call, deadline, s -> s.serverMetadata(ServerMetadataRequest.getDefaultInstance()));
    return new ServerMetadata(r.getName(), r.getVersion(), r.getExtensionsList());
  }

  @Override
  public ModelMetadata modelMetadata(Call call, String model, @Nullable String version, @Nullable Deadline deadline) {
    ModelMetadataRequest req = ModelMetadataRequest.newBuilder().setName(model)
        .setVersion(version == null ? "" : version).build();
    ModelMetadataResponse r = unary(call, deadline, s -> s.modelMetadata(req));
    return new ModelMetadata(r.getName(), r.getVersionsList(), r.getPlatform(), specs(r.getInputsList()),
        specs(r.getOutputsList()));
  }

  private static List<ModelMetadata.TensorSpec> specs(List<ModelMetadataResponse.TensorMetadata> in) {
    List<ModelMetadata.TensorSpec> out = new ArrayList<>(in.size());
    for (ModelMetadataResponse.TensorMetadata t : in) {
      out.add(new ModelMetadata.TensorSpec(t.getName(), t.getDatatype(), t.getShapeList()));
    }
    return out;
  }

  ModelInferRequest encode(Call call, InferRequest request, @Nullable Deadline deadline) {
    long t0 = call.clock().nanoTime();
    ModelInferRequest.Builder b = ModelInferRequest.newBuilder().setModelName(request.model());
    if (request.version() != null) {
      b.setModelVersion(request.version());
    }
    if (call.descriptor().requestId() != null) {
      b.setId(call.descriptor().requestId());
    }
    for (Map.Entry<String, Object> p : request.parameters().entrySet()) {
      b.putParameters(p.getKey(), parameter(p.getValue()));
    }
    if (timeoutParameter && deadline != null) {
      b.putParameters("timeout", InferParameter.newBuilder().setInt64Param(Math.max(1, deadline.toMicros())).build());
    }
    for (Tensor t : request.inputs()) {
      b.addInputs(ModelInferRequest.InferInputTensor.newBuilder().setName(t.name()).setDatatype(t.datatype().name())
          .addAllShape(t.shapeList()));
      // No copy: protobuf wraps the caller's buffer.
      b.addRawInputContents(UnsafeByteOperations.unsafeWrap(t.wireData())); // no copy for a heap buffer
    }
    for (String o : request.outputs()) {
      b.addOutputs(ModelInferRequest.InferRequestedOutputTensor.newBuilder().setName(o));
    }
    ModelInferRequest r = b.build();
    call.recordPhase(Phase.SERIALIZE, call.clock().nanoTime() - t0);
    call.requestBytes(request.inputBytes());
    return r;
  }

  static InferParameter parameter(Object v) {
    InferParameter.Builder p = InferParameter.newBuilder();
    if (v instanceof Boolean b) {
      p.setBoolParam(b);
    } else if (v instanceof Long l) {
      p.setInt64Param(l);
    } else if (v instanceof Integer i) {
      p.setInt64Param(i);
    } else if (v instanceof Double d) {
      p.setDoubleParam(d);
    } else {
      p.setStringParam(String.valueOf(v));
    }
    return p.build();
  }

  static Object parameterValue(InferParameter p) {
    return switch (p.getParameterChoiceCase()) {
      case BOOL_PARAM -> p.getBoolParam();
      case INT64_PARAM -> p.getInt64Param();
      case DOUBLE_PARAM -> p.getDoubleParam();
      case UINT64_PARAM -> p.getUint64Param();
      case STRING_PARAM -> p.getStringParam();
      default -> "";
    };
  }

  static InferResult decode(Call call, ModelInferResponse r) {
    long t0 = call.clock().nanoTime();
    if (r.getRawOutputContentsCount() != 0 && r.getRawOutputContentsCount() != r.getOutputsCount()) {
      throw InferenceException.of(ErrorType.PROTOCOL, "response has " + r.getOutputsCount() + " outputs but "
          + r.getRawOutputContentsCount() + " raw contents");
    }
    List<Tensor> outputs = new ArrayList<>(r.getOutputsCount());
    long bytes = 0;
    for (int i = 0; i < r.getOutputsCount(); i++) {
      ModelInferResponse.InferOutputTensor o = r.getOutputs(i);
      long[] shape = new long[o.getShapeCount()];
      for (int d = 0; d < shape.length; d++) {
        shape[d] = o.getShape(d);
      }
      ByteString raw = r.getRawOutputContentsCount() > 0 ? r.getRawOutputContents(i) : ByteString.EMPTY;
      ByteBuffer data = raw.asReadOnlyByteBuffer();
      bytes += data.remaining();
      outputs.add(Tensor.received(o.getName(), Datatype.of(o.getDatatype()), shape, data));
    }
    Map<String, Object> params = new LinkedHashMap<>();
    r.getParametersMap().forEach((k, v) -> params.put(k, parameterValue(v)));
    call.recordPhase(Phase.DESERIALIZE, call.clock().nanoTime() - t0);
    call.responseBytes(bytes);
    call.modelVersion(r.getModelVersion());
    return new InferResult(r.getModelName(), r.getModelVersion(), r.getId().isEmpty() ? null : r.getId(), outputs,
        params);
  }

  @Override
  public InferResult infer(Call call, InferRequest request, @Nullable Deadline deadline) {
    ModelInferRequest r = encode(call, request, deadline);
    return decode(call, unary(call, deadline, s -> s.modelInfer(r)));
  }

  @Override
  public CompletableFuture<InferResult> inferAsync(Call call, InferRequest request, @Nullable Deadline deadline) {
    ModelInferRequest r = encode(call, request, deadline);
    com.google.common.util.concurrent.ListenableFuture<ModelInferResponse> f = prepare(future, call, deadline).modelInfer(r);
    CompletableFuture<InferResult> out = new CompletableFuture<>() {
      @Override
      public boolean cancel(boolean mayInterruptIfRunning) {
        f.cancel(true); // cancels the RPC
        return super.cancel(mayInterruptIfRunning);
      }
    };
    f.addListener(() -> {
      try {
        ModelInferResponse resp = com.google.common.util.concurrent.Futures.getDone(f);
        call.grpcStatusCode(0);
        out.complete(decode(call, resp));
      } catch (java.util.concurrent.ExecutionException e) {
        call.grpcStatusCode(io.grpc.Status.fromThrowable(e.getCause()).getCode().value());
        out.completeExceptionally(TritonErrors.fromGrpc(e.getCause()));
      } catch (java.util.concurrent.CancellationException e) {
        out.cancel(true);
      } catch (RuntimeException e) {
        out.completeExceptionally(InferenceException.from(e));
      }
    }, Runnable::run);
    return out;
  }

  @Override
  public List<ModelStats> statistics(Call call, String model, @Nullable Deadline deadline) {
    ModelStatisticsRequest req = ModelStatisticsRequest.newBuilder().setName(model).build();
    List<ModelStats> out = new ArrayList<>();
    for (ModelStatistics s : unary(call, deadline, st -> st.modelStatistics(req)).getModelStatsList()) {
      InferStatistics is = s.getInferenceStats();
      out.add(new ModelStats(s.getName(), s.getVersion(), s.getInferenceCount(), s.getExecutionCount(),
          is.getSuccess().getCount(), is.getSuccess().getNs(), is.getQueue().getCount(), is.getQueue().getNs(),
          is.getComputeInput().getNs(), is.getComputeInfer().getNs(), is.getComputeOutput().getNs(),
          is.getComputeInfer().getCount()));
    }
    return out;
  }

  GRPCInferenceServiceGrpc.GRPCInferenceServiceStub asyncStub() {
    return async;
  }

  @Override
  public void close() {
    if (owned == null) {
      return; // the caller's channel: the caller closes it
    }
    owned.shutdownNow();
    try {
      owned.awaitTermination(5, TimeUnit.SECONDS);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
    }
  }
}
