package dev.inferscope.testkit.triton;

import dev.inferscope.triton.protocol.*;
import io.grpc.Context;
import io.grpc.Contexts;
import io.grpc.Metadata;
import io.grpc.Server;
import io.grpc.ServerCall;
import io.grpc.ServerCallHandler;
import io.grpc.ServerInterceptor;
import io.grpc.ServerInterceptors;
import io.grpc.Status;
import io.grpc.inprocess.InProcessServerBuilder;
import io.grpc.netty.shaded.io.grpc.netty.NettyServerBuilder;
import io.grpc.stub.ServerCallStreamObserver;
import io.grpc.stub.StreamObserver;
import java.io.IOException;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.TimeUnit;
import org.jspecify.annotations.Nullable;

/**
 * The gRPC frontend: the KServe v2 {@code GRPCInferenceService} (all 20 RPCs) on 127.0.0.1 and an
 * ephemeral port (optionally TLS, optionally mutual) and in-process, over the shared {@link Scheduler}.
 * Incoming metadata is recorded. Streams follow Triton's gRPC frontend: a response per
 * {@code ModelStreamInfer} request (per token for a decoupled model), errors as {@code error_message} in
 * the stream unless the client sent {@code triton_grpc_error: true} (server src/grpc/stream_infer_handler.cc).
 */
final class GrpcFrontend implements AutoCloseable {
  private static final Metadata.Key<String> GRPC_ERROR = Metadata.Key.of("triton_grpc_error", Metadata.ASCII_STRING_MARSHALLER);
  private static final Context.Key<Metadata> HEADERS = Context.key("inferscope-sim-headers");

  private final Scheduler scheduler;
  private final ServerState state;
  private final ExecutorService executor;
  private final Server server;
  private final Server inProcess;
  private final String inProcessName;

  GrpcFrontend(Scheduler scheduler, ServerState state, ExecutorService executor,
      javax.net.ssl.@Nullable KeyManagerFactory serverKeys, javax.net.ssl.@Nullable TrustManagerFactory clientTrust)
      throws IOException {
    this.scheduler = scheduler;
    this.state = state;
    this.executor = executor;
    Service service = new Service();
    ServerInterceptor capture = new ServerInterceptor() {
      @Override
      public <Q, R> ServerCall.Listener<Q> interceptCall(ServerCall<Q, R> call, Metadata headers,
          ServerCallHandler<Q, R> next) {
        Map<String, String> h = new LinkedHashMap<>();
        for (String k : headers.keys()) {
          if (!k.endsWith("-bin")) {
            h.put(k, headers.get(Metadata.Key.of(k, Metadata.ASCII_STRING_MARSHALLER)));
          }
        }
        state.remember(h);
        return Contexts.interceptCall(Context.current().withValue(HEADERS, headers), call, headers, next);
      }
    };
    NettyServerBuilder nb = NettyServerBuilder.forAddress(new InetSocketAddress(InetAddress.getLoopbackAddress(), 0))
        .executor(executor)
        .maxInboundMessageSize(256 << 20)
        .addService(ServerInterceptors.intercept(service, capture));
    if (serverKeys != null) {
      io.grpc.netty.shaded.io.netty.handler.ssl.SslContextBuilder ssl =
          io.grpc.netty.shaded.io.grpc.netty.GrpcSslContexts.configure(
              io.grpc.netty.shaded.io.netty.handler.ssl.SslContextBuilder.forServer(serverKeys));
      if (clientTrust != null) {
        ssl.trustManager(clientTrust)
            .clientAuth(io.grpc.netty.shaded.io.netty.handler.ssl.ClientAuth.REQUIRE);
      }
      nb.sslContext(ssl.build());
    }
    this.server = nb.build().start();
    this.inProcessName = "triton-simulator-" + UUID.randomUUID();
    this.inProcess = InProcessServerBuilder.forName(inProcessName).executor(executor)
        .addService(ServerInterceptors.intercept(service, capture)).build().start();
  }

  int port() {
    return server.getPort();
  }

  String inProcessName() {
    return inProcessName;
  }

  /** GOAWAY to every client of the network server; calls in flight run to their end. */
  void goAway() {
    server.shutdown();
  }

  @Override
  public void close() {
    server.shutdownNow();
    inProcess.shutdownNow();
    try {
      server.awaitTermination(5, TimeUnit.SECONDS);
      inProcess.awaitTermination(5, TimeUnit.SECONDS);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
    }
  }

  private final class Service extends GRPCInferenceServiceGrpc.GRPCInferenceServiceImplBase {
    @Override
    public void serverLive(ServerLiveRequest r, StreamObserver<ServerLiveResponse> o) {
      reply(o, ServerLiveResponse.newBuilder().setLive(true).build());
    }

    @Override
    public void serverReady(ServerReadyRequest r, StreamObserver<ServerReadyResponse> o) {
      reply(o, ServerReadyResponse.newBuilder().setReady(true).build());
    }

    @Override
    public void modelReady(ModelReadyRequest r, StreamObserver<ModelReadyResponse> o) {
      ModelState s = scheduler.find(r.getName());
      reply(o, ModelReadyResponse.newBuilder().setReady(s != null && s.loaded).build());
    }

    @Override
    public void serverMetadata(ServerMetadataRequest r, StreamObserver<ServerMetadataResponse> o) {
      reply(o, ServerMetadataResponse.newBuilder().setName("triton").setVersion("2.60.0-sim")
          .addExtensions("classification").addExtensions("model_repository").addExtensions("statistics")
          .addExtensions("binary_tensor_data").addExtensions("trace").addExtensions("logging").build());
    }

    @Override
    public void modelMetadata(ModelMetadataRequest r, StreamObserver<ModelMetadataResponse> o) {
      try {
        reply(o, KserveMessages.metadata(scheduler.model(r.getName())));
      } catch (SimError e) {
        o.onError(e.status.asRuntimeException());
      }
    }

    @Override
    public void modelConfig(ModelConfigRequest r, StreamObserver<ModelConfigResponse> o) {
      try {
        reply(o, ModelConfigResponse.newBuilder().setConfig(KserveMessages.config(scheduler.model(r.getName()))).build());
      } catch (SimError e) {
        o.onError(e.status.asRuntimeException());
      }
    }

    @Override
    public void modelStatistics(ModelStatisticsRequest r, StreamObserver<ModelStatisticsResponse> o) {
      ModelStatisticsResponse.Builder b = ModelStatisticsResponse.newBuilder();
      for (ModelState s : scheduler.models()) {
        if (r.getName().isEmpty() || r.getName().equals(s.model.name())) {
          b.addModelStats(KserveMessages.statistics(s));
        }
      }
      if (!r.getName().isEmpty() && b.getModelStatsCount() == 0) {
        o.onError(Status.NOT_FOUND.withDescription("Request for unknown model").asRuntimeException());
        return;
      }
      reply(o, b.build());
    }

    @Override
    public void repositoryIndex(RepositoryIndexRequest r, StreamObserver<RepositoryIndexResponse> o) {
      RepositoryIndexResponse.Builder b = RepositoryIndexResponse.newBuilder();
      for (ModelState s : scheduler.models()) {
        if (!r.getReady() || s.loaded) {
          b.addModels(RepositoryIndexResponse.ModelIndex.newBuilder().setName(s.model.name())
              .setVersion(s.model.version()).setState(s.loaded ? "READY" : "UNAVAILABLE"));
        }
      }
      reply(o, b.build());
    }

    @Override
    public void repositoryModelLoad(RepositoryModelLoadRequest r, StreamObserver<RepositoryModelLoadResponse> o) {
      try {
        scheduler.model(r.getModelName(), true).loaded = true;
        reply(o, RepositoryModelLoadResponse.getDefaultInstance());
      } catch (SimError e) {
        o.onError(e.status.asRuntimeException());
      }
    }

    @Override
    public void repositoryModelUnload(RepositoryModelUnloadRequest r, StreamObserver<RepositoryModelUnloadResponse> o) {
      try {
        scheduler.model(r.getModelName(), true).loaded = false;
        reply(o, RepositoryModelUnloadResponse.getDefaultInstance());
      } catch (SimError e) {
        o.onError(e.status.asRuntimeException());
      }
    }

    @Override
    public void systemSharedMemoryStatus(SystemSharedMemoryStatusRequest r,
        StreamObserver<SystemSharedMemoryStatusResponse> o) {
      reply(o, SystemSharedMemoryStatusResponse.newBuilder().putAllRegions(state.systemRegions).build());
    }

    @Override
    public void systemSharedMemoryRegister(SystemSharedMemoryRegisterRequest r,
        StreamObserver<SystemSharedMemoryRegisterResponse> o) {
      state.systemRegions.put(r.getName(), SystemSharedMemoryStatusResponse.RegionStatus.newBuilder().setName(r.getName())
          .setKey(r.getKey()).setOffset(r.getOffset()).setByteSize(r.getByteSize()).build());
      reply(o, SystemSharedMemoryRegisterResponse.getDefaultInstance());
    }

    @Override
    public void systemSharedMemoryUnregister(SystemSharedMemoryUnregisterRequest r,
        StreamObserver<SystemSharedMemoryUnregisterResponse> o) {
      unregister(state.systemRegions, r.getName());
      reply(o, SystemSharedMemoryUnregisterResponse.getDefaultInstance());
    }

    @Override
    public void cudaSharedMemoryStatus(CudaSharedMemoryStatusRequest r, StreamObserver<CudaSharedMemoryStatusResponse> o) {
      reply(o, CudaSharedMemoryStatusResponse.newBuilder().putAllRegions(state.cudaRegions).build());
    }

    @Override
    public void cudaSharedMemoryRegister(CudaSharedMemoryRegisterRequest r,
        StreamObserver<CudaSharedMemoryRegisterResponse> o) {
      state.cudaRegions.put(r.getName(), CudaSharedMemoryStatusResponse.RegionStatus.newBuilder().setName(r.getName())
          .setDeviceId(r.getDeviceId()).setByteSize(r.getByteSize()).build());
      reply(o, CudaSharedMemoryRegisterResponse.getDefaultInstance());
    }

    @Override
    public void cudaSharedMemoryUnregister(CudaSharedMemoryUnregisterRequest r,
        StreamObserver<CudaSharedMemoryUnregisterResponse> o) {
      unregister(state.cudaRegions, r.getName());
      reply(o, CudaSharedMemoryUnregisterResponse.getDefaultInstance());
    }

    /** Triton's unregister: an empty name removes every region. */
    private void unregister(java.util.Map<String, ?> regions, String name) {
      if (name.isEmpty()) {
        regions.clear();
      } else {
        regions.remove(name);
      }
    }

    @Override
    public void traceSetting(TraceSettingRequest r, StreamObserver<TraceSettingResponse> o) {
      r.getSettingsMap().forEach((k, v) -> state.traceSettings.put(k, List.copyOf(v.getValueList())));
      TraceSettingResponse.Builder b = TraceSettingResponse.newBuilder();
      state.traceSettings.forEach((k, v) -> b.putSettings(k, TraceSettingResponse.SettingValue.newBuilder().addAllValue(v).build()));
      reply(o, b.build());
    }

    @Override
    public void logSettings(LogSettingsRequest r, StreamObserver<LogSettingsResponse> o) {
      r.getSettingsMap().forEach((k, v) -> {
        switch (v.getParameterChoiceCase()) {
          case BOOL_PARAM -> state.logSettings.put(k, v.getBoolParam());
          case UINT32_PARAM -> state.logSettings.put(k, v.getUint32Param());
          case STRING_PARAM -> state.logSettings.put(k, v.getStringParam());
          default -> { }
        }
      });
      LogSettingsResponse.Builder b = LogSettingsResponse.newBuilder();
      state.logSettings.forEach((k, v) -> {
        LogSettingsResponse.SettingValue.Builder sv = LogSettingsResponse.SettingValue.newBuilder();
        if (v instanceof Boolean bv) {
          sv.setBoolParam(bv);
        } else if (v instanceof Integer iv) {
          sv.setUint32Param(iv);
        } else {
          sv.setStringParam(String.valueOf(v));
        }
        b.putSettings(k, sv.build());
      });
      reply(o, b.build());
    }

    @Override
    public void modelInfer(ModelInferRequest r, StreamObserver<ModelInferResponse> o) {
      try {
        reply(o, scheduler.infer(r, deadlineOf(r), () -> {
          if (Context.current().isCancelled()) {
            throw new SimError(Status.CANCELLED, 499, "cancelled");
          }
        }));
      } catch (SimError e) {
        o.onError(e.status.asRuntimeException());
      }
    }

    @Override
    public StreamObserver<ModelInferRequest> modelStreamInfer(StreamObserver<ModelStreamInferResponse> o) {
      ServerCallStreamObserver<ModelStreamInferResponse> out = (ServerCallStreamObserver<ModelStreamInferResponse>) o;
      Metadata md = HEADERS.get();
      boolean grpcErrors = md != null && "true".equalsIgnoreCase(md.get(GRPC_ERROR));
      Context ctx = Context.current();
      return new StreamObserver<>() {
        private final Object lock = new Object();
        private boolean failed;
        private boolean halfClosed;
        private boolean completed;
        private int active;

        private void finishIfIdle() {
          synchronized (lock) {
            if (halfClosed && active == 0 && !failed && !completed) {
              completed = true;
              out.onCompleted();
            }
          }
        }

        @Override
        public void onNext(ModelInferRequest r) {
          synchronized (lock) {
            active++;
          }
          executor.execute(ctx.wrap(() -> {
            try {
              ModelState s = scheduler.model(r.getModelName());
              if (s.model.decoupledLlm()) {
                scheduler.generate(s, r, resp -> send(ModelStreamInferResponse.newBuilder().setInferResponse(resp).build()));
              } else {
                send(ModelStreamInferResponse.newBuilder().setInferResponse(scheduler.infer(r, deadlineOf(r), () -> {
                  if (out.isCancelled()) {
                    throw new SimError(Status.CANCELLED, 499, "cancelled");
                  }
                })).build());
              }
            } catch (SimError e) {
              if (grpcErrors) {
                synchronized (lock) {
                  if (!failed) {
                    failed = true;
                    out.onError(e.status.asRuntimeException());
                  }
                }
              } else {
                send(ModelStreamInferResponse.newBuilder().setErrorMessage(e.getMessage())
                    .setInferResponse(ModelInferResponse.newBuilder().setId(r.getId())).build());
              }
            } finally {
              synchronized (lock) {
                active--;
              }
              finishIfIdle();
            }
          }));
        }

        private void send(ModelStreamInferResponse resp) {
          synchronized (lock) {
            if (!failed && !completed && !out.isCancelled()) {
              out.onNext(resp);
            }
          }
        }

        @Override
        public void onError(Throwable t) {
          // client went away
        }

        @Override
        public void onCompleted() {
          // the client half-closed: answer what is in flight, then close
          synchronized (lock) {
            halfClosed = true;
          }
          finishIfIdle();
        }
      };
    }
  }

  private long deadlineOf(ModelInferRequest r) {
    long deadline = Long.MAX_VALUE;
    io.grpc.Deadline d = Context.current().getDeadline();
    if (d != null) {
      deadline = scheduler.clock().nanoTime() + d.timeRemaining(TimeUnit.NANOSECONDS);
    }
    InferParameter timeout = r.getParametersMap().get("timeout");
    if (timeout != null && timeout.getInt64Param() > 0) {
      deadline = Math.min(deadline, scheduler.deadlineAfterMicros(timeout.getInt64Param()));
    }
    return deadline;
  }

  private static <T> void reply(StreamObserver<T> o, T value) {
    o.onNext(value);
    o.onCompleted();
  }
}
