package dev.inferscope.testkit;

import com.google.protobuf.ByteString;
import com.sun.net.httpserver.HttpExchange;
import com.sun.net.httpserver.HttpServer;
import dev.inferscope.core.internal.Json;
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
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.OutputStream;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.URI;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.UUID;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Semaphore;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.locks.LockSupport;
import org.jspecify.annotations.Nullable;

/**
 * A Triton-protocol server for tests and demos: the KServe v2 gRPC service (all 20 RPCs) on 127.0.0.1 and
 * an ephemeral port (and in-process under {@link #inProcessName()}), plus an HTTP server with the v2 REST
 * endpoints the client uses and Triton's {@code /metrics}.
 *
 * <p>Each model has instances (parallel executions), a FIFO queue with an optional size limit and queue
 * timeout, and a compute time. A request whose deadline expires, or which is cancelled, while it waits
 * spends no compute and is counted as cancelled. Statistics are kept as Triton keeps them (cumulative
 * counts and nanoseconds), alongside a {@linkplain #groundTruth(String) ground truth} for assertions.
 * Incoming gRPC metadata and HTTP headers (e.g. {@code traceparent}) are recorded.
 * {@link #close()} stops every thread.
 *
 * <p>Where each wire shape comes from: the gRPC service and messages are triton-protocol's copy of
 * triton-inference-server/common {@code protobuf/grpc_service.proto} and {@code model_config.proto}; the
 * decoupled LLM model's tensors (inputs text_input, stream, sampling_parameters, exclude_input_in_output,
 * return_num_input_tokens, return_num_output_tokens; outputs text_output, num_input_tokens,
 * num_output_tokens, the last two only when asked) follow triton-inference-server/vllm_backend
 * {@code src/model.py}; the final flag is the {@code triton_final_response} response parameter that
 * Triton's gRPC frontend sets on every streamed response (server {@code src/grpc/stream_infer_handler.cc}
 * @0195d17, {@code params["triton_final_response"].set_bool_param(is_complete)}); the HTTP endpoints
 * and {@code /metrics} cite their sources where they are written.
 */
public final class TritonSimulator implements AutoCloseable {
  private static final Metadata.Key<String> TRACEPARENT = Metadata.Key.of("traceparent", Metadata.ASCII_STRING_MARSHALLER);
  private static final Metadata.Key<String> GRPC_ERROR = Metadata.Key.of("triton_grpc_error", Metadata.ASCII_STRING_MARSHALLER);
  private static final Context.Key<Metadata> HEADERS = Context.key("inferscope-sim-headers");

  /** What the simulator knows really happened to one model. */
  public record GroundTruth(long served, long queueNanos, long computeNanos, long cancelledInQueue,
      long computeNanosOnCancelled, long rejected, long timedOutInQueue) {
    /** Mean queue time of served requests, in nanoseconds. */
    public double meanQueueNanos() {
      return served == 0 ? 0 : (double) queueNanos / served;
    }

    /** Mean compute time of served requests, in nanoseconds. */
    public double meanComputeNanos() {
      return served == 0 ? 0 : (double) computeNanos / served;
    }
  }

  /**
   * What really happened to one served request, keyed by the request's {@code id} (gRPC
   * {@code ModelInferRequest.id}, HTTP body {@code "id"}): the time it waited for an instance (or for its
   * dynamic batch to start) and the time its execution took. Tests compare the client's estimates with it.
   */
  public record RequestTruth(String id, long queueNanos, long computeNanos) {}

  /** Faults the simulator can inject. */
  public enum Fault {
    NONE,
    /** Outputs whose byte size does not match their shape. */
    WRONG_OUTPUT_SIZE,
    /** HTTP: a body that is not JSON. */
    MALFORMED_JSON,
    /** HTTP: a binary body shorter than its header says. */
    TRUNCATED_BINARY,
    /** HTTP: an Inference-Header-Content-Length larger than the body. */
    WRONG_HEADER_LENGTH,
    /** Every request fails with UNAVAILABLE. */
    UNAVAILABLE,
    /** HTTP: the connection is closed without an answer; gRPC: the call ends with UNAVAILABLE. */
    DROP_CONNECTION,
    /** Decoupled models: the final response is sent twice. */
    FINAL_TWICE,
    /** Decoupled models: no response carries triton_final_response; the stream just completes. */
    FINAL_NEVER
  }

  private final Map<String, ModelState> models = new LinkedHashMap<>();
  private final Server server;
  private final Server inProcess;
  private final String inProcessName;
  private final HttpServer http;
  private final ExecutorService executor;
  private final ConcurrentLinkedQueue<Map<String, String>> seenHeaders = new ConcurrentLinkedQueue<>();
  private final java.util.concurrent.atomic.AtomicInteger seenHeaderCount = new java.util.concurrent.atomic.AtomicInteger();
  private final Map<String, SystemSharedMemoryStatusResponse.RegionStatus> systemRegions = new ConcurrentHashMap<>();
  private final Map<String, CudaSharedMemoryStatusResponse.RegionStatus> cudaRegions = new ConcurrentHashMap<>();
  private final Map<String, List<String>> traceSettings = new ConcurrentHashMap<>(Map.of("trace_level", List.of("OFF")));
  private final Map<String, Object> logSettings = new ConcurrentHashMap<>(Map.of("log_info", true, "log_verbose_level", 0));
  private volatile Fault fault = Fault.NONE;
  private volatile double gpuUtilization = 0.42;

  private TritonSimulator(Builder b) throws IOException {
    for (SimulatedModel m : b.models) {
      models.put(m.name(), new ModelState(m));
    }
    AtomicInteger ids = new AtomicInteger();
    this.executor = Executors.newCachedThreadPool(r -> {
      Thread t = new Thread(r, "triton-simulator-" + ids.incrementAndGet());
      t.setDaemon(true);
      return t;
    });
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
        remember(h);
        return Contexts.interceptCall(Context.current().withValue(HEADERS, headers), call, headers, next);
      }
    };
    NettyServerBuilder nb = NettyServerBuilder.forAddress(new InetSocketAddress(InetAddress.getLoopbackAddress(), 0))
        .executor(executor)
        .maxInboundMessageSize(256 << 20)
        .addService(ServerInterceptors.intercept(service, capture));
    if (b.serverKeys != null) {
      io.grpc.netty.shaded.io.netty.handler.ssl.SslContextBuilder ssl =
          io.grpc.netty.shaded.io.grpc.netty.GrpcSslContexts.configure(
              io.grpc.netty.shaded.io.netty.handler.ssl.SslContextBuilder.forServer(b.serverKeys));
      if (b.clientTrust != null) {
        ssl.trustManager(b.clientTrust)
            .clientAuth(io.grpc.netty.shaded.io.netty.handler.ssl.ClientAuth.REQUIRE);
      }
      nb.sslContext(ssl.build());
    }
    this.server = nb.build().start();
    this.inProcessName = "triton-simulator-" + UUID.randomUUID();
    this.inProcess = InProcessServerBuilder.forName(inProcessName).executor(executor)
        .addService(ServerInterceptors.intercept(service, capture)).build().start();
    this.http = HttpServer.create(new InetSocketAddress(InetAddress.getLoopbackAddress(), 0), 128);
    http.setExecutor(executor);
    http.createContext("/", this::handleHttp);
    http.start();
  }

  /** A builder. */
  public static Builder builder() {
    return new Builder();
  }

  /** The gRPC target, {@code 127.0.0.1:<port>}. */
  public String grpcTarget() {
    return "127.0.0.1:" + server.getPort();
  }

  /** The gRPC port. */
  public int grpcPort() {
    return server.getPort();
  }

  /** The in-process server name (for {@code InProcessChannelBuilder.forName}). */
  public String inProcessName() {
    return inProcessName;
  }

  /** The HTTP base URI (v2 REST API and {@code /metrics}). */
  public URI httpUri() {
    return URI.create("http://127.0.0.1:" + http.getAddress().getPort());
  }

  /** Switches a fault on (or off with {@link Fault#NONE}). */
  public void fault(Fault fault) {
    this.fault = Objects.requireNonNull(fault, "fault");
  }

  /** Sets the simulated GPU utilization reported on {@code /metrics}. */
  public void gpuUtilization(double ratio) {
    this.gpuUtilization = ratio;
  }

  /** The ground truth of one model. */
  public GroundTruth groundTruth(String model) {
    ModelState s = state(model);
    return new GroundTruth(s.served.get(), s.queueNanos.get(), s.computeNanos.get(), s.cancelledInQueue.get(),
        s.computeOnCancelled.get(), s.rejected.get(), s.timedOut.get());
  }

  /** Requests whose headers are kept: a long-running simulator (benchmarks, load) must not grow. */
  static final int HEADERS_KEPT = 10_000;

  private void remember(Map<String, String> h) {
    seenHeaders.add(h);
    if (seenHeaderCount.incrementAndGet() > HEADERS_KEPT && seenHeaders.poll() != null) {
      seenHeaderCount.decrementAndGet();
    }
  }

  /**
   * Headers (gRPC metadata and HTTP headers, lower-case names) of the last {@value #HEADERS_KEPT}
   * requests, in arrival order.
   */
  public List<Map<String, String>> seenHeaders() {
    return new ArrayList<>(seenHeaders);
  }

  /** The {@code traceparent} of every request that carried one. */
  public List<String> traceparents() {
    List<String> out = new ArrayList<>();
    for (Map<String, String> h : seenHeaders) {
      if (h.get("traceparent") != null) {
        out.add(h.get("traceparent"));
      }
    }
    return out;
  }

  /** Instances of one model executing right now. */
  public int busy(String model) {
    ModelState s = state(model);
    return s.model.instances() - s.instances.availablePermits();
  }

  /** Requests of one model waiting for an instance right now. */
  public int pending(String model) {
    return state(model).waiting.get();
  }

  /**
   * Starts a graceful shutdown of the network gRPC server: HTTP/2 GOAWAY to every connected client, no
   * new connections or calls, while calls in flight run to their end. {@link #close()} still stops
   * everything else.
   */
  public void goAway() {
    server.shutdown();
  }

  @Override
  public void close() {
    server.shutdownNow();
    inProcess.shutdownNow();
    http.stop(0);
    try {
      server.awaitTermination(5, TimeUnit.SECONDS);
      inProcess.awaitTermination(5, TimeUnit.SECONDS);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
    }
    executor.shutdownNow();
    try {
      executor.awaitTermination(5, TimeUnit.SECONDS);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
    }
  }

  private ModelState state(String model) {
    ModelState s = models.get(model);
    if (s == null) {
      throw new IllegalArgumentException("no simulated model " + model);
    }
    return s;
  }

  // ---------------------------------------------------------------------------------------------
  // execution shared by gRPC and HTTP

  /** Thrown inside the simulator to answer with an error. */
  static final class SimError extends RuntimeException {
    private static final long serialVersionUID = 1L;
    final Status status;
    final int http;

    SimError(Status status, int http, String message) {
      super(message, null, false, false);
      this.status = status.withDescription(message);
      this.http = http;
    }
  }

  private static final class ModelState {
    final SimulatedModel model;
    final Semaphore instances;
    final AtomicInteger waiting = new AtomicInteger();
    final AtomicLong served = new AtomicLong();
    final AtomicLong queueNanos = new AtomicLong();
    final AtomicLong computeNanos = new AtomicLong();
    final AtomicLong cancelledInQueue = new AtomicLong();
    final AtomicLong computeOnCancelled = new AtomicLong();
    final AtomicLong rejected = new AtomicLong();
    final AtomicLong timedOut = new AtomicLong();
    final AtomicLong failed = new AtomicLong();
    final AtomicLong failedNanos = new AtomicLong();
    final AtomicLong successNanos = new AtomicLong();
    final AtomicLong inferences = new AtomicLong();
    volatile long lastInference;
    volatile boolean loaded = true;
    final java.util.Random random;
    final Object batchLock = new Object();
    @Nullable Batch forming;
    final AtomicLong executions = new AtomicLong();
    final java.util.concurrent.ConcurrentHashMap<Integer, AtomicLong> batchSizes = new java.util.concurrent.ConcurrentHashMap<>();

    ModelState(SimulatedModel model) {
      this.model = model;
      this.random = new java.util.Random(model.seed());
      this.instances = new Semaphore(model.instances(), true);
    }
  }

  /** A dynamic batch: formed by the request that got an instance, joined by those arriving meanwhile. */
  private static final class Batch {
    int size = 1;
    boolean closed;
    final java.util.concurrent.CountDownLatch done = new java.util.concurrent.CountDownLatch(1);
    volatile long startedNanos;
    volatile long computedNanos;
    volatile @Nullable SimError failure;
  }

  private final Map<String, RequestTruth> truths = new ConcurrentHashMap<>();

  /** The true queue and compute time of the served request with this {@code id}, or {@code null}. */
  public @Nullable RequestTruth requestTruth(String id) {
    return truths.get(id);
  }

  private void rememberTruth(String id, long[] timing) {
    if (!id.isEmpty() && truths.size() < 100_000) {
      truths.put(id, new RequestTruth(id, timing[0], timing[1]));
    }
  }

  /** Waits for an instance and runs the compute; returns the queue and compute time. */
  private long[] execute(ModelState s, long deadlineNanos, Runnable checkCancelled) {
    if (s.model.maxBatchSize() > 1 && fault == Fault.NONE) {
      Batch joined = null;
      long arrivedAt = System.nanoTime();
      synchronized (s.batchLock) {
        Batch b = s.forming;
        if (b != null && !b.closed && b.size < s.model.maxBatchSize()) {
          b.size++;
          joined = b;
        }
      }
      if (joined != null) {
        try {
          long wait = deadlineNanos == Long.MAX_VALUE ? TimeUnit.MINUTES.toNanos(10) : deadlineNanos - System.nanoTime();
          if (!joined.done.await(Math.max(0, wait), TimeUnit.NANOSECONDS)) {
            throw new SimError(Status.DEADLINE_EXCEEDED, 504, "Request timeout expired");
          }
        } catch (InterruptedException e) {
          Thread.currentThread().interrupt();
          throw new SimError(Status.CANCELLED, 499, "cancelled");
        }
        if (joined.failure != null) {
          throw joined.failure;
        }
        long queue = Math.max(0, joined.startedNanos - arrivedAt);
        s.served.incrementAndGet();
        s.inferences.incrementAndGet();
        s.queueNanos.addAndGet(queue);
        // Triton counts a batch's execution in the compute statistics of every request in it
        // (triton-inference-server/core src/infer_stats.cc, UpdateSuccess per request)
        s.computeNanos.addAndGet(joined.computedNanos);
        s.successNanos.addAndGet(System.nanoTime() - arrivedAt);
        return new long[] {queue, joined.computedNanos};
      }
    }
    return executeAlone(s, deadlineNanos, checkCancelled);
  }

  private long[] executeAlone(ModelState s, long deadlineNanos, Runnable checkCancelled) {
    if (fault == Fault.UNAVAILABLE) {
      throw new SimError(Status.UNAVAILABLE, 503, "simulated outage");
    }
    if (fault == Fault.DROP_CONNECTION) {
      throw new SimError(Status.UNAVAILABLE, -1, "connection dropped");
    }
    long arrived = System.nanoTime();
    SimulatedModel m = s.model;
    if (m.maxQueueSize() > 0 && s.waiting.get() >= m.maxQueueSize() && s.instances.availablePermits() == 0) {
      s.rejected.incrementAndGet();
      throw new SimError(Status.UNAVAILABLE, 503, "Exceeds maximum queue size");
    }
    long queueLimit = m.queueTimeout().isZero() ? Long.MAX_VALUE : arrived + m.queueTimeout().toNanos();
    s.waiting.incrementAndGet();
    // One timed wait on the fair semaphore keeps the queue first-in-first-out; a cancelled gRPC call
    // interrupts the wait through a context listener.
    Thread waiter = Thread.currentThread();
    Context ctx = Context.current();
    Context.CancellationListener onCancel = c -> waiter.interrupt();
    ctx.addListener(onCancel, Runnable::run);
    boolean acquired;
    try {
      checkCancelled.run();
      long limit = Math.min(deadlineNanos, queueLimit);
      long wait = limit == Long.MAX_VALUE ? Long.MAX_VALUE : limit - System.nanoTime();
      acquired = wait > 0 && s.instances.tryAcquire(wait, TimeUnit.NANOSECONDS);
    } catch (InterruptedException e) {
      s.cancelledInQueue.incrementAndGet();
      throw new SimError(Status.CANCELLED, 499, "cancelled");
    } catch (SimError e) {
      s.cancelledInQueue.incrementAndGet();
      throw e;
    } finally {
      ctx.removeListener(onCancel);
      s.waiting.decrementAndGet();
    }
    if (Thread.interrupted() || ctx.isCancelled()) {
      if (acquired) {
        s.instances.release();
      }
      s.cancelledInQueue.incrementAndGet();
      throw new SimError(Status.CANCELLED, 499, "cancelled");
    }
    if (!acquired) {
      if (System.nanoTime() >= queueLimit && queueLimit <= deadlineNanos) {
        s.timedOut.incrementAndGet();
        throw new SimError(Status.UNAVAILABLE, 503, "Request timeout expired");
      }
      s.cancelledInQueue.incrementAndGet();
      throw new SimError(Status.DEADLINE_EXCEEDED, 504, "Request timeout expired");
    }
    Batch batch = null;
    if (m.maxBatchSize() > 1) {
      batch = new Batch();
      synchronized (s.batchLock) {
        s.forming = batch;
      }
      sleep(m.maxQueueDelay().toNanos());
      synchronized (s.batchLock) {
        batch.closed = true;
        if (s.forming == batch) {
          s.forming = null;
        }
      }
    }
    long queue = System.nanoTime() - arrived;
    try {
      long start = System.nanoTime();
      if (batch != null) {
        batch.startedNanos = start;
      }
      long compute = m.computeTime().toNanos();
      boolean fail;
      synchronized (s.random) {
        if (!m.computeJitter().isZero()) {
          compute += (long) ((s.random.nextDouble() * 2 - 1) * m.computeJitter().toNanos());
        }
        if (m.spikeRate() > 0 && s.random.nextDouble() < m.spikeRate()) {
          compute += m.spike().toNanos();
        }
        fail = m.errorRate() > 0 && s.random.nextDouble() < m.errorRate();
      }
      sleep(Math.max(0, compute));
      if (fail) {
        s.failedNanos.addAndGet(System.nanoTime() - arrived);
        s.rejected.incrementAndGet();
        SimError err = new SimError(Status.INTERNAL, 500, "simulated failure");
        if (batch != null) {
          batch.failure = err;
        }
        throw err;
      }
      long computed = System.nanoTime() - start;
      s.executions.incrementAndGet();
      if (batch != null) {
        batch.computedNanos = computed;
        s.batchSizes.computeIfAbsent(batch.size, k -> new AtomicLong()).incrementAndGet();
      }
      s.served.incrementAndGet();
      s.queueNanos.addAndGet(queue);
      s.computeNanos.addAndGet(computed);
      s.successNanos.addAndGet(queue + computed);
      s.inferences.incrementAndGet();
      s.lastInference = System.currentTimeMillis();
      try {
        checkCancelled.run();
      } catch (SimError e) {
        s.computeOnCancelled.addAndGet(computed);
      }
      return new long[] {queue, computed};
    } finally {
      if (batch != null) {
        batch.done.countDown();
      }
      s.instances.release();
    }
  }

  /** Dynamic batching: executions per batch size of one model. */
  public Map<Integer, Long> batchSizes(String model) {
    Map<Integer, Long> out = new java.util.TreeMap<>();
    state(model).batchSizes.forEach((k, v) -> out.put(k, v.get()));
    return out;
  }

  private static void sleep(long nanos) {
    long until = System.nanoTime() + nanos;
    long left;
    while ((left = until - System.nanoTime()) > 0) {
      LockSupport.parkNanos(left);
      if (Thread.currentThread().isInterrupted()) {
        return;
      }
    }
  }

  private static long elementSize(String datatype) {
    return switch (datatype) {
      case "BOOL", "UINT8", "INT8" -> 1;
      case "UINT16", "INT16", "FP16", "BF16" -> 2;
      case "UINT32", "INT32", "FP32" -> 4;
      case "UINT64", "INT64", "FP64" -> 8;
      default -> -1;
    };
  }

  private static long elements(List<Long> shape) {
    long n = 1;
    for (long d : shape) {
      n *= d;
    }
    return n;
  }

  // ---------------------------------------------------------------------------------------------
  // gRPC

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
      ModelState s = models.get(r.getName());
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
        reply(o, metadata(model(r.getName())));
      } catch (SimError e) {
        o.onError(e.status.asRuntimeException());
      }
    }

    @Override
    public void modelConfig(ModelConfigRequest r, StreamObserver<ModelConfigResponse> o) {
      try {
        reply(o, ModelConfigResponse.newBuilder().setConfig(config(model(r.getName()))).build());
      } catch (SimError e) {
        o.onError(e.status.asRuntimeException());
      }
    }

    @Override
    public void modelStatistics(ModelStatisticsRequest r, StreamObserver<ModelStatisticsResponse> o) {
      ModelStatisticsResponse.Builder b = ModelStatisticsResponse.newBuilder();
      for (ModelState s : models.values()) {
        if (r.getName().isEmpty() || r.getName().equals(s.model.name())) {
          b.addModelStats(statistics(s));
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
      for (ModelState s : models.values()) {
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
        model(r.getModelName(), true).loaded = true;
        reply(o, RepositoryModelLoadResponse.getDefaultInstance());
      } catch (SimError e) {
        o.onError(e.status.asRuntimeException());
      }
    }

    @Override
    public void repositoryModelUnload(RepositoryModelUnloadRequest r, StreamObserver<RepositoryModelUnloadResponse> o) {
      try {
        model(r.getModelName(), true).loaded = false;
        reply(o, RepositoryModelUnloadResponse.getDefaultInstance());
      } catch (SimError e) {
        o.onError(e.status.asRuntimeException());
      }
    }

    @Override
    public void systemSharedMemoryStatus(SystemSharedMemoryStatusRequest r,
        StreamObserver<SystemSharedMemoryStatusResponse> o) {
      reply(o, SystemSharedMemoryStatusResponse.newBuilder().putAllRegions(systemRegions).build());
    }

    @Override
    public void systemSharedMemoryRegister(SystemSharedMemoryRegisterRequest r,
        StreamObserver<SystemSharedMemoryRegisterResponse> o) {
      systemRegions.put(r.getName(), SystemSharedMemoryStatusResponse.RegionStatus.newBuilder().setName(r.getName())
          .setKey(r.getKey()).setOffset(r.getOffset()).setByteSize(r.getByteSize()).build());
      reply(o, SystemSharedMemoryRegisterResponse.getDefaultInstance());
    }

    @Override
    public void systemSharedMemoryUnregister(SystemSharedMemoryUnregisterRequest r,
        StreamObserver<SystemSharedMemoryUnregisterResponse> o) {
      if (r.getName().isEmpty()) {
        systemRegions.clear();
      } else {
        systemRegions.remove(r.getName());
      }
      reply(o, SystemSharedMemoryUnregisterResponse.getDefaultInstance());
    }

    @Override
    public void cudaSharedMemoryStatus(CudaSharedMemoryStatusRequest r, StreamObserver<CudaSharedMemoryStatusResponse> o) {
      reply(o, CudaSharedMemoryStatusResponse.newBuilder().putAllRegions(cudaRegions).build());
    }

    @Override
    public void cudaSharedMemoryRegister(CudaSharedMemoryRegisterRequest r,
        StreamObserver<CudaSharedMemoryRegisterResponse> o) {
      cudaRegions.put(r.getName(), CudaSharedMemoryStatusResponse.RegionStatus.newBuilder().setName(r.getName())
          .setDeviceId(r.getDeviceId()).setByteSize(r.getByteSize()).build());
      reply(o, CudaSharedMemoryRegisterResponse.getDefaultInstance());
    }

    @Override
    public void cudaSharedMemoryUnregister(CudaSharedMemoryUnregisterRequest r,
        StreamObserver<CudaSharedMemoryUnregisterResponse> o) {
      if (r.getName().isEmpty()) {
        cudaRegions.clear();
      } else {
        cudaRegions.remove(r.getName());
      }
      reply(o, CudaSharedMemoryUnregisterResponse.getDefaultInstance());
    }

    @Override
    public void traceSetting(TraceSettingRequest r, StreamObserver<TraceSettingResponse> o) {
      r.getSettingsMap().forEach((k, v) -> traceSettings.put(k, List.copyOf(v.getValueList())));
      TraceSettingResponse.Builder b = TraceSettingResponse.newBuilder();
      traceSettings.forEach((k, v) -> b.putSettings(k, TraceSettingResponse.SettingValue.newBuilder().addAllValue(v).build()));
      reply(o, b.build());
    }

    @Override
    public void logSettings(LogSettingsRequest r, StreamObserver<LogSettingsResponse> o) {
      r.getSettingsMap().forEach((k, v) -> {
        switch (v.getParameterChoiceCase()) {
          case BOOL_PARAM -> logSettings.put(k, v.getBoolParam());
          case UINT32_PARAM -> logSettings.put(k, v.getUint32Param());
          case STRING_PARAM -> logSettings.put(k, v.getStringParam());
          default -> { }
        }
      });
      LogSettingsResponse.Builder b = LogSettingsResponse.newBuilder();
      logSettings.forEach((k, v) -> {
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
        reply(o, infer(r, deadlineOf(r), () -> {
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
              ModelState s = model(r.getModelName());
              if (s.model.decoupledLlm()) {
                generate(s, r, resp -> send(ModelStreamInferResponse.newBuilder().setInferResponse(resp).build()));
              } else {
                send(ModelStreamInferResponse.newBuilder().setInferResponse(infer(r, deadlineOf(r), () -> {
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

  private static long deadlineOf(ModelInferRequest r) {
    long deadline = Long.MAX_VALUE;
    io.grpc.Deadline d = Context.current().getDeadline();
    if (d != null) {
      deadline = System.nanoTime() + d.timeRemaining(TimeUnit.NANOSECONDS);
    }
    InferParameter timeout = r.getParametersMap().get("timeout");
    if (timeout != null && timeout.getInt64Param() > 0) {
      deadline = Math.min(deadline, System.nanoTime() + TimeUnit.MICROSECONDS.toNanos(timeout.getInt64Param()));
    }
    return deadline;
  }

  private static <T> void reply(StreamObserver<T> o, T value) {
    o.onNext(value);
    o.onCompleted();
  }

  private ModelState model(String name) {
    return model(name, false);
  }

  private ModelState model(String name, boolean evenUnloaded) {
    ModelState s = models.get(name);
    if (s == null) {
      throw new SimError(Status.NOT_FOUND, 404, "Request for unknown model: '" + name + "' is not found");
    }
    if (!s.loaded && !evenUnloaded) {
      throw new SimError(Status.UNAVAILABLE, 503, "Request for unknown model: '" + name + "' is not ready");
    }
    return s;
  }

  private ModelInferResponse infer(ModelInferRequest r, long deadlineNanos, Runnable checkCancelled) {
    ModelState s = model(r.getModelName());
    SimulatedModel m = s.model;
    // Validate inputs against the signature
    for (int i = 0; i < r.getInputsCount(); i++) {
      ModelInferRequest.InferInputTensor in = r.getInputs(i);
      long size = elementSize(in.getDatatype());
      if (size > 0 && i < r.getRawInputContentsCount()
          && r.getRawInputContents(i).size() != size * elements(in.getShapeList())) {
        throw new SimError(Status.INVALID_ARGUMENT, 400, "unexpected size for input '" + in.getName() + "'");
      }
    }
    rememberTruth(r.getId(), execute(s, deadlineNanos, checkCancelled));
    ModelInferResponse.Builder b = ModelInferResponse.newBuilder().setModelName(m.name()).setModelVersion(m.version())
        .setId(r.getId());
    for (int i = 0; i < r.getInputsCount(); i++) {
      ModelInferRequest.InferInputTensor in = r.getInputs(i);
      b.addOutputs(ModelInferResponse.InferOutputTensor.newBuilder().setName("OUTPUT" + i)
          .setDatatype(in.getDatatype()).addAllShape(in.getShapeList()));
      ByteString raw = i < r.getRawInputContentsCount() ? r.getRawInputContents(i) : ByteString.EMPTY;
      if (fault == Fault.WRONG_OUTPUT_SIZE && raw.size() > 0) {
        raw = raw.substring(0, raw.size() - 1);
      }
      b.addRawOutputContents(raw);
    }
    return b.build();
  }

  /** Generates tokens for a decoupled LLM request, calling {@code sink} per response. */
  private void generate(ModelState s, ModelInferRequest r, java.util.function.Consumer<ModelInferResponse> sink) {
    SimulatedModel m = s.model;
    String text = "";
    boolean stream = false;
    int maxTokens = m.tokens();
    boolean wantInputCount = false;
    boolean wantFinishReason = false;
    boolean wantOutputCount = false;
    for (int i = 0; i < r.getInputsCount(); i++) {
      ModelInferRequest.InferInputTensor in = r.getInputs(i);
      ByteString raw = i < r.getRawInputContentsCount() ? r.getRawInputContents(i) : ByteString.EMPTY;
      switch (in.getName()) {
        case "text_input" -> text = firstString(raw, in);
        case "stream" -> stream = raw.size() > 0 ? raw.byteAt(0) != 0
            : in.getContents().getBoolContentsCount() > 0 && in.getContents().getBoolContents(0);
        case "sampling_parameters" -> {
          String json = firstString(raw, in);
          if (!json.isEmpty()) {
            try {
              maxTokens = (int) Math.min(m.tokens(), Json.longValue(Json.parseObject(json, "sampling_parameters"),
                  "max_tokens", m.tokens()));
            } catch (RuntimeException e) {
              throw new SimError(Status.INVALID_ARGUMENT, 400, "sampling_parameters is not valid JSON");
            }
          }
        }
        case "return_num_input_tokens" -> wantInputCount = raw.size() > 0 && raw.byteAt(0) != 0;
        case "return_finish_reason" -> wantFinishReason = raw.size() > 0 && raw.byteAt(0) != 0;
        case "return_num_output_tokens" -> wantOutputCount = raw.size() > 0 && raw.byteAt(0) != 0;
        default -> { }
      }
    }
    int promptTokens = text.isBlank() ? 0 : text.trim().split("\\s+").length;
    long arrived = System.nanoTime();
    s.served.incrementAndGet();
    StringBuilder all = new StringBuilder();
    for (int t = 0; t < maxTokens; t++) {
      sleep(t == 0 ? m.timeToFirstToken().toNanos() : m.interTokenGap().toNanos());
      String piece = (t == 0 ? "" : " ") + "tok" + t;
      all.append(piece);
      boolean last = t == maxTokens - 1;
      Fault f = fault;
      if (stream || last) {
        ModelInferResponse resp = llmResponse(m, r.getId(), stream ? piece : all.toString(),
            last && wantFinishReason ? "length" : null,
            last && f != Fault.FINAL_NEVER, wantInputCount ? promptTokens : -1, wantOutputCount && last ? maxTokens : -1);
        sink.accept(resp);
        if (last && f == Fault.FINAL_TWICE) {
          sink.accept(resp);
        }
      }
    }
    s.computeNanos.addAndGet(System.nanoTime() - arrived);
  }

  private static String firstString(ByteString raw, ModelInferRequest.InferInputTensor in) {
    if (raw.size() >= 4) {
      ByteBuffer bb = raw.asReadOnlyByteBuffer().order(ByteOrder.LITTLE_ENDIAN);
      int len = bb.getInt();
      if (len < 0 || len > bb.remaining()) {
        throw new SimError(Status.INVALID_ARGUMENT, 400, "malformed BYTES tensor");
      }
      byte[] b = new byte[len];
      bb.get(b);
      return new String(b, StandardCharsets.UTF_8);
    }
    if (in.getContents().getBytesContentsCount() > 0) {
      return in.getContents().getBytesContents(0).toStringUtf8();
    }
    return "";
  }

  private static ModelInferResponse llmResponse(SimulatedModel m, String id, String text, @Nullable String finish,
      boolean last, int inputTokens, int outputTokens) {
    ModelInferResponse.Builder b = ModelInferResponse.newBuilder().setModelName(m.name()).setModelVersion(m.version())
        .setId(id)
        .putParameters("triton_final_response", InferParameter.newBuilder().setBoolParam(last).build());
    addBytes(b, "text_output", text);
    if (finish != null) {
      addBytes(b, "finish_reason", finish);
    }
    if (inputTokens >= 0) {
      addInt(b, "num_input_tokens", inputTokens);
    }
    if (outputTokens >= 0) {
      addInt(b, "num_output_tokens", outputTokens);
    }
    return b.build();
  }

  private static void addBytes(ModelInferResponse.Builder b, String name, String value) {
    byte[] v = value.getBytes(StandardCharsets.UTF_8);
    ByteBuffer bb = ByteBuffer.allocate(4 + v.length).order(ByteOrder.LITTLE_ENDIAN);
    bb.putInt(v.length).put(v).flip();
    b.addOutputs(ModelInferResponse.InferOutputTensor.newBuilder().setName(name).setDatatype("BYTES").addShape(1));
    b.addRawOutputContents(ByteString.copyFrom(bb));
  }

  private static void addInt(ModelInferResponse.Builder b, String name, int value) {
    ByteBuffer bb = ByteBuffer.allocate(4).order(ByteOrder.LITTLE_ENDIAN).putInt(value);
    bb.flip();
    b.addOutputs(ModelInferResponse.InferOutputTensor.newBuilder().setName(name).setDatatype("INT32").addShape(1));
    b.addRawOutputContents(ByteString.copyFrom(bb));
  }

  private static ModelMetadataResponse metadata(ModelState s) {
    ModelMetadataResponse.Builder b = ModelMetadataResponse.newBuilder().setName(s.model.name())
        .addVersions(s.model.version()).setPlatform(s.model.decoupledLlm() ? "vllm" : "simulated");
    for (int i = 0; i < s.model.inputs().size(); i++) {
      SimulatedModel.Tensor t = s.model.inputs().get(i);
      b.addInputs(ModelMetadataResponse.TensorMetadata.newBuilder().setName(t.name()).setDatatype(t.datatype())
          .addAllShape(t.shape()));
      if (!s.model.decoupledLlm()) {
        b.addOutputs(ModelMetadataResponse.TensorMetadata.newBuilder().setName("OUTPUT" + i)
            .setDatatype(t.datatype()).addAllShape(t.shape()));
      }
    }
    if (s.model.decoupledLlm()) {
      b.addOutputs(ModelMetadataResponse.TensorMetadata.newBuilder().setName("text_output").setDatatype("BYTES").addShape(-1));
    }
    return b.build();
  }

  private static ModelConfig config(ModelState s) {
    SimulatedModel m = s.model;
    ModelConfig.Builder b = ModelConfig.newBuilder().setName(m.name()).setBackend(m.decoupledLlm() ? "vllm" : "simulated")
        .setMaxBatchSize(m.maxBatchSize())
        .addInstanceGroup(ModelInstanceGroup.newBuilder().setCount(m.instances()).setKind(ModelInstanceGroup.Kind.KIND_GPU))
        .setModelTransactionPolicy(ModelTransactionPolicy.newBuilder().setDecoupled(m.decoupledLlm()));
    if (m.maxQueueSize() > 0 || !m.queueTimeout().isZero()) {
      b.setDynamicBatching(ModelDynamicBatching.newBuilder().setDefaultQueuePolicy(ModelQueuePolicy.newBuilder()
          .setMaxQueueSize(m.maxQueueSize())
          .setDefaultTimeoutMicroseconds(TimeUnit.NANOSECONDS.toMicros(m.queueTimeout().toNanos()))));
    }
    for (SimulatedModel.Tensor t : m.inputs()) {
      b.addInput(ModelInput.newBuilder().setName(t.name()).setDataType(DataType.valueOf(
          "TYPE_" + (t.datatype().equals("BYTES") ? "STRING" : t.datatype()))).addAllDims(t.shape()));
    }
    return b.build();
  }

  private static StatisticDuration dur(long count, long ns) {
    return StatisticDuration.newBuilder().setCount(count).setNs(ns).build();
  }

  private static ModelStatistics statistics(ModelState s) {
    long served = s.served.get();
    return ModelStatistics.newBuilder().setName(s.model.name()).setVersion(s.model.version())
        .setLastInference(s.lastInference).setInferenceCount(s.inferences.get()).setExecutionCount(s.executions.get())
        .setInferenceStats(InferStatistics.newBuilder()
            .setSuccess(dur(served, s.successNanos.get()))
            .setFail(dur(s.rejected.get() + s.timedOut.get() + s.cancelledInQueue.get(), s.failedNanos.get()))
            .setQueue(dur(served, s.queueNanos.get()))
            .setComputeInput(dur(served, 0))
            .setComputeInfer(dur(served, s.computeNanos.get()))
            .setComputeOutput(dur(served, 0)))
        .addAllBatchStats(batchStats(s))
        .build();
  }

  private static List<InferBatchStatistics> batchStats(ModelState s) {
    List<InferBatchStatistics> out = new ArrayList<>();
    s.batchSizes.forEach((size, n) -> out.add(InferBatchStatistics.newBuilder().setBatchSize(size)
        .setComputeInfer(dur(n.get(), 0)).build()));
    return out;
  }

  // ---------------------------------------------------------------------------------------------
  // HTTP

  private void handleHttp(HttpExchange ex) throws IOException {
    try {
      Map<String, String> h = new LinkedHashMap<>();
      ex.getRequestHeaders().forEach((k, v) -> h.put(k.toLowerCase(java.util.Locale.ROOT), v.isEmpty() ? "" : v.get(0)));
      String path = ex.getRequestURI().getPath();
      if (!path.equals("/metrics")) {
        remember(h);
      }
      String[] parts = path.split("/");
      if (path.equals("/metrics")) {
        send(ex, 200, "text/plain; version=0.0.4", metrics().getBytes(StandardCharsets.UTF_8), -1);
      // Paths and JSON shapes below: triton-inference-server/server docs/protocol/README.md @c203d37 (the KServe
      // v2 REST API: health as a bare status, server and model metadata, errors as {"error": msg}),
      // extension_model_repository.md @332bef3 (index: name, version, state, reason), extension_trace.md,
      // extension_logging.md (settings maps), extension_statistics.md @c203d37 (model_stats with
      // inference_stats {success, queue, compute_infer: {count, ns}}), extension_model_configuration.md
      // (the ModelConfig message as JSON with proto field names).
      } else if (path.equals("/v2/health/live") || path.equals("/v2/health/ready")) {
        send(ex, 200, "application/json", new byte[0], -1);
      } else if (path.equals("/v2/repository/index")) {
        List<Object> index = new ArrayList<>();
        for (ModelState ms : models.values()) {
          index.add(Map.of("name", ms.model.name(), "version", ms.model.version(),
              "state", ms.loaded ? "READY" : "UNAVAILABLE", "reason", ""));
        }
        sendJson(ex, 200, index);
      } else if (path.startsWith("/v2/repository/models/") && (path.endsWith("/load") || path.endsWith("/unload"))) {
        String name = path.substring("/v2/repository/models/".length(), path.lastIndexOf('/'));
        model(name, true).loaded = path.endsWith("/load");
        ex.getRequestBody().readAllBytes();
        send(ex, 200, "application/json", new byte[0], -1);
      } else if (path.equals("/v2/trace/setting") || (path.startsWith("/v2/models/") && path.endsWith("/trace/setting"))) {
        byte[] body = ex.getRequestBody().readAllBytes();
        if (body.length > 0) {
          Json.parseObject(body, "trace settings").forEach((k, v) -> traceSettings.put(k,
              v instanceof List<?> l ? l.stream().map(String::valueOf).toList() : List.of(String.valueOf(v))));
        }
        sendJson(ex, 200, new LinkedHashMap<>(traceSettings));
      } else if (path.equals("/v2/logging")) {
        byte[] body = ex.getRequestBody().readAllBytes();
        if (body.length > 0) {
          Json.parseObject(body, "log settings").forEach((k, v) -> logSettings.put(k, v instanceof Long l ? l.intValue() : v));
        }
        sendJson(ex, 200, new LinkedHashMap<>(logSettings));
      } else if (path.equals("/v2")) {
        sendJson(ex, 200, Map.of("name", "triton", "version", "2.60.0-sim",
            "extensions", List.of("classification", "model_repository", "statistics", "binary_tensor_data")));
      } else if (parts.length >= 4 && parts[1].equals("v2") && parts[2].equals("models")) {
        String model = parts[3];
        String action = parts.length > 4 && parts[4].equals("versions") ? (parts.length > 6 ? parts[6] : "")
            : (parts.length > 4 ? parts[4] : "");
        switch (action) {
          case "" -> sendJson(ex, 200, metadataJson(model(model)));
          case "ready" -> send(ex, models.containsKey(model) && models.get(model).loaded ? 200 : 400,
              "application/json", new byte[0], -1);
          case "config" -> {
            String json = com.google.protobuf.util.JsonFormat.printer().preservingProtoFieldNames()
                .print(config(model(model)));
            send(ex, 200, "application/json", json.getBytes(StandardCharsets.UTF_8), -1);
          }
          case "generate", "generate_stream" -> httpGenerate(ex, model(model), action.equals("generate_stream"));
          case "stats" -> {
            ModelState s = model(model);
            sendJson(ex, 200, Map.of("model_stats", List.of(Map.of("name", model, "version", s.model.version(),
                "inference_count", s.inferences.get(), "execution_count", s.executions.get(),
                "inference_stats", Map.of(
                    "success", Map.of("count", s.served.get(), "ns", s.successNanos.get()),
                    "queue", Map.of("count", s.served.get(), "ns", s.queueNanos.get()),
                    "compute_infer", Map.of("count", s.served.get(), "ns", s.computeNanos.get()))))));
          }
          case "infer" -> httpInfer(ex, model);
          default -> sendJson(ex, 404, Map.of("error", "unknown endpoint"));
        }
      } else {
        sendJson(ex, 404, Map.of("error", "unknown endpoint"));
      }
    } catch (SimError e) {
      if (e.http < 0) {
        return; // drop: close the exchange without an answer
      }
      sendJson(ex, e.http, Map.of("error", e.getMessage()));
    } catch (RuntimeException e) {
      sendJson(ex, 500, Map.of("error", "simulator failure"));
    } finally {
      ex.close();
    }
  }

  /**
   * Triton's HTTP generate extension: one JSON answer, or server-sent events for generate_stream. Shapes:
   * triton-inference-server/server {@code docs/protocol/extension_generate.md} @0bd93bc (model_name,
   * model_version, text_output; errors as {"error": msg}); the optional outputs finish_reason,
   * num_input_tokens, num_output_tokens only when the request asks for them with return_finish_reason /
   * return_num_input_tokens / return_num_output_tokens, as triton-inference-server/vllm_backend
   * {@code src/model.py} does ("additional outputs"). The request's other properties may be top-level or in
   * "parameters" (extension_generate.md: "passed either as parameters or tensors").
   */
  private void httpGenerate(HttpExchange ex, ModelState s, boolean sse) throws IOException {
    Map<String, Object> req = Json.parseObject(ex.getRequestBody().readAllBytes(), "generate request");
    Map<String, Object> params = Json.object(req, "parameters");
    if (params == null) {
      params = Map.of();
    }
    boolean wantFinish = asked(req, params, "return_finish_reason");
    boolean wantInput = asked(req, params, "return_num_input_tokens");
    boolean wantOutput = asked(req, params, "return_num_output_tokens");
    String text = Objects.toString(req.get("text_input"), "");
    int maxTokens = (int) Math.min(s.model.tokens(), Json.longValue(params, "max_tokens", s.model.tokens()));
    int promptTokens = text.isBlank() ? 0 : text.trim().split("\\s+").length;
    if (!sse) {
      StringBuilder all = new StringBuilder();
      for (int t = 0; t < maxTokens; t++) {
        sleep(t == 0 ? s.model.timeToFirstToken().toNanos() : s.model.interTokenGap().toNanos());
        all.append(t == 0 ? "" : " ").append("tok").append(t);
      }
      s.served.incrementAndGet();
      Map<String, Object> body = new LinkedHashMap<>();
      body.put("model_name", s.model.name());
      body.put("model_version", s.model.version());
      body.put("text_output", all.toString());
      additionalOutputs(body, wantFinish, wantInput, wantOutput, promptTokens, maxTokens);
      sendJson(ex, 200, body);
      return;
    }
    ex.getResponseHeaders().set("Content-Type", "text/event-stream");
    ex.sendResponseHeaders(200, 0);
    try (OutputStream out = ex.getResponseBody()) {
      for (int t = 0; t < maxTokens; t++) {
        sleep(t == 0 ? s.model.timeToFirstToken().toNanos() : s.model.interTokenGap().toNanos());
        Map<String, Object> e = new LinkedHashMap<>();
        e.put("model_name", s.model.name());
        e.put("text_output", (t == 0 ? "" : " ") + "tok" + t);
        if (t == maxTokens - 1) {
          additionalOutputs(e, wantFinish, wantInput, wantOutput, promptTokens, maxTokens);
        }
        out.write(("data: " + Json.write(e) + "\n\n").getBytes(StandardCharsets.UTF_8));
        out.flush();
      }
      s.served.incrementAndGet();
    }
  }

  private static boolean asked(Map<String, Object> req, Map<String, Object> params, String name) {
    return Boolean.TRUE.equals(req.get(name)) || Boolean.TRUE.equals(params.get(name));
  }

  private static void additionalOutputs(Map<String, Object> into, boolean finish, boolean input, boolean output,
      int promptTokens, int outputTokens) {
    if (finish) {
      into.put("finish_reason", "length");
    }
    if (input) {
      into.put("num_input_tokens", promptTokens);
    }
    if (output) {
      into.put("num_output_tokens", outputTokens);
    }
  }

  /**
   * The model metadata JSON: triton-inference-server/server {@code docs/protocol/README.md} points to the
   * KServe v2 "Model Metadata Response JSON Object" (name, versions, platform, inputs, outputs with name,
   * datatype, shape).
   */
  private static Map<String, Object> metadataJson(ModelState s) {
    List<Object> inputs = new ArrayList<>();
    List<Object> outputs = new ArrayList<>();
    for (int i = 0; i < s.model.inputs().size(); i++) {
      SimulatedModel.Tensor t = s.model.inputs().get(i);
      inputs.add(Map.of("name", t.name(), "datatype", t.datatype(), "shape", t.shape()));
      outputs.add(Map.of("name", "OUTPUT" + i, "datatype", t.datatype(), "shape", t.shape()));
    }
    return Map.of("name", s.model.name(), "versions", List.of(s.model.version()), "platform", "simulated",
        "inputs", inputs, "outputs", outputs);
  }

  /** The v2 infer endpoint: JSON and the binary tensor data extension both ways. */
  @SuppressWarnings("unchecked")
  private void httpInfer(HttpExchange ex, String model) throws IOException {
    byte[] body = ex.getRequestBody().readAllBytes();
    if ("gzip".equalsIgnoreCase(ex.getRequestHeaders().getFirst("Content-Encoding"))) {
      try (java.io.InputStream in = new java.util.zip.GZIPInputStream(new java.io.ByteArrayInputStream(body))) {
        body = in.readAllBytes();
      } catch (IOException e) {
        throw new SimError(Status.INVALID_ARGUMENT, 400, "request body is not valid gzip");
      }
    }
    String acceptEncoding = ex.getRequestHeaders().getFirst("Accept-Encoding");
    boolean gzipAnswer = acceptEncoding != null && acceptEncoding.contains("gzip");
    String hl = ex.getRequestHeaders().getFirst("Inference-Header-Content-Length");
    int jsonLen = hl == null ? body.length : Integer.parseInt(hl.trim());
    if (jsonLen < 0 || jsonLen > body.length) {
      throw new SimError(Status.INVALID_ARGUMENT, 400, "Inference-Header-Content-Length larger than the body");
    }
    Map<String, Object> req;
    try {
      req = Json.parseObject(java.util.Arrays.copyOf(body, jsonLen), "infer request");
    } catch (RuntimeException e) {
      throw new SimError(Status.INVALID_ARGUMENT, 400, "malformed JSON in infer request");
    }
    ModelInferRequest.Builder grpc = ModelInferRequest.newBuilder().setModelName(model);
    if (req.get("id") instanceof String id) {
      grpc.setId(id);
    }
    int offset = jsonLen;
    List<Object> inputs = Json.array(req, "inputs");
    List<Boolean> binaryOut = new ArrayList<>();
    for (Object o : inputs) {
      Map<String, Object> in = (Map<String, Object>) o;
      String dt = Json.string(in, "datatype");
      List<Long> shape = new ArrayList<>();
      for (Object d : Json.array(in, "shape")) {
        shape.add(((Number) d).longValue());
      }
      grpc.addInputs(ModelInferRequest.InferInputTensor.newBuilder().setName(Json.string(in, "name")).setDatatype(dt)
          .addAllShape(shape));
      Map<String, Object> params = Json.object(in, "parameters");
      if (params != null && params.get("binary_data_size") instanceof Number n) {
        int size = n.intValue();
        if (offset + size > body.length) {
          throw new SimError(Status.INVALID_ARGUMENT, 400, "binary data shorter than binary_data_size");
        }
        grpc.addRawInputContents(ByteString.copyFrom(body, offset, size));
        offset += size;
      } else {
        grpc.addRawInputContents(jsonToRaw(dt, Json.array(in, "data")));
      }
    }
    boolean binaryDefault = false;
    Map<String, Object> params = Json.object(req, "parameters");
    if (params != null && Boolean.TRUE.equals(params.get("binary_data_output"))) {
      binaryDefault = true;
    }
    ModelInferRequest r = grpc.build();
    long deadline = Long.MAX_VALUE;
    if (params != null && params.get("timeout") instanceof Number t) {
      deadline = System.nanoTime() + TimeUnit.MICROSECONDS.toNanos(t.longValue());
    }
    ModelInferResponse resp = infer(r, deadline, () -> { });
    List<Object> outs = new ArrayList<>();
    ByteArrayOutputStream bin = new ByteArrayOutputStream();
    for (int i = 0; i < resp.getOutputsCount(); i++) {
      ModelInferResponse.InferOutputTensor t = resp.getOutputs(i);
      Map<String, Object> o = new LinkedHashMap<>();
      o.put("name", t.getName());
      o.put("datatype", t.getDatatype());
      o.put("shape", t.getShapeList());
      ByteString raw = resp.getRawOutputContents(i);
      if (binaryDefault) {
        o.put("parameters", Map.of("binary_data_size", raw.size()));
        raw.writeTo(bin);
      } else {
        o.put("data", rawToJson(t.getDatatype(), raw));
      }
      outs.add(o);
    }
    byte[] json = Json.write(Map.of("model_name", model, "model_version", resp.getModelVersion(), "id", resp.getId(),
        "outputs", outs)).getBytes(StandardCharsets.UTF_8);
    Fault f = fault;
    if (f == Fault.MALFORMED_JSON) {
      json = java.util.Arrays.copyOf(json, json.length / 2);
    }
    byte[] binary = bin.toByteArray();
    if (gzipAnswer) {
      byte[] all = new byte[json.length + binary.length];
      System.arraycopy(json, 0, all, 0, json.length);
      System.arraycopy(binary, 0, all, json.length, binary.length);
      java.io.ByteArrayOutputStream z = new java.io.ByteArrayOutputStream();
      try (java.util.zip.GZIPOutputStream out = new java.util.zip.GZIPOutputStream(z)) {
        out.write(all);
      }
      ex.getResponseHeaders().set("Content-Encoding", "gzip");
      send(ex, 200, binary.length == 0 ? "application/json" : "application/octet-stream", z.toByteArray(),
          binary.length == 0 ? -1 : json.length);
      return;
    }
    if (binary.length == 0 && f != Fault.WRONG_HEADER_LENGTH) {
      send(ex, 200, "application/json", json, -1);
      return;
    }
    byte[] all = new byte[json.length + binary.length];
    System.arraycopy(json, 0, all, 0, json.length);
    System.arraycopy(binary, 0, all, json.length, binary.length);
    int headerLength = json.length;
    if (f == Fault.TRUNCATED_BINARY) {
      all = java.util.Arrays.copyOf(all, all.length - Math.max(1, binary.length / 2));
    } else if (f == Fault.WRONG_HEADER_LENGTH) {
      headerLength = all.length + 10;
    }
    send(ex, 200, "application/octet-stream", all, headerLength);
  }

  private static ByteString jsonToRaw(String dt, List<Object> data) {
    List<Object> flat = new ArrayList<>();
    flatten(data, flat);
    ByteArrayOutputStream out = new ByteArrayOutputStream();
    ByteBuffer bb = ByteBuffer.allocate(8).order(ByteOrder.LITTLE_ENDIAN);
    for (Object v : flat) {
      bb.clear();
      switch (dt) {
        case "FP32" -> bb.putFloat(((Number) v).floatValue());
        case "FP64" -> bb.putDouble(((Number) v).doubleValue());
        case "INT32", "UINT32" -> bb.putInt(((Number) v).intValue());
        case "INT64", "UINT64" -> bb.putLong(((Number) v).longValue());
        case "INT16", "UINT16" -> bb.putShort(((Number) v).shortValue());
        case "INT8", "UINT8" -> bb.put(((Number) v).byteValue());
        case "BOOL" -> bb.put((byte) (Boolean.TRUE.equals(v) ? 1 : 0));
        case "BYTES" -> {
          byte[] s = String.valueOf(v).getBytes(StandardCharsets.UTF_8);
          ByteBuffer len = ByteBuffer.allocate(4).order(ByteOrder.LITTLE_ENDIAN).putInt(s.length);
          out.writeBytes(len.array());
          out.writeBytes(s);
          continue;
        }
        default -> throw new SimError(Status.INVALID_ARGUMENT, 400, "unsupported datatype in JSON: " + dt);
      }
      out.write(bb.array(), 0, bb.position());
    }
    return ByteString.copyFrom(out.toByteArray());
  }

  private static void flatten(List<Object> in, List<Object> out) {
    for (Object o : in) {
      if (o instanceof List<?> l) {
        @SuppressWarnings("unchecked")
        List<Object> ll = (List<Object>) l;
        flatten(ll, out);
      } else {
        out.add(o);
      }
    }
  }

  private static List<Object> rawToJson(String dt, ByteString raw) {
    ByteBuffer bb = raw.asReadOnlyByteBuffer().order(ByteOrder.LITTLE_ENDIAN);
    List<Object> out = new ArrayList<>();
    while (bb.hasRemaining()) {
      switch (dt) {
        case "FP32" -> out.add((double) bb.getFloat());
        case "FP64" -> out.add(bb.getDouble());
        case "INT32", "UINT32" -> out.add((long) bb.getInt());
        case "INT64", "UINT64" -> out.add(bb.getLong());
        case "INT16", "UINT16" -> out.add((long) bb.getShort());
        case "INT8", "UINT8" -> out.add((long) bb.get());
        case "BOOL" -> out.add(bb.get() != 0);
        case "BYTES" -> {
          int len = bb.getInt();
          byte[] s = new byte[Math.min(len, bb.remaining())];
          bb.get(s);
          out.add(new String(s, StandardCharsets.UTF_8));
        }
        default -> {
          return out;
        }
      }
    }
    return out;
  }

  /**
   * Triton's {@code /metrics} text. Names, HELP strings, labels and types as Triton 2.x writes them:
   * triton-inference-server/core {@code src/metrics.cc} @00a1eef (counter families and GPU gauges) and the
   * sample output in triton-inference-server/tensorrtllm_backend {@code README.md} ("Triton Metrics":
   * {@code nv_inference_pending_request_count}, {@code nv_trt_llm_*}). The {@code waiting} request type is
   * the one added in tensorrtllm_backend {@code all_models/inflight_batcher_llm/tensorrt_llm/1/model.py}
   * @ac885a1 ({@code num_waiting_requests}).
   */
  private String metrics() {
    StringBuilder sb = new StringBuilder();
    String[][] counters = {
        {"nv_inference_request_success", "Number of successful inference requests, all batch sizes"},
        {"nv_inference_request_failure", "Number of failed inference requests, all batch sizes"},
        {"nv_inference_count", "Number of inferences performed (does not include cached requests)"},
        {"nv_inference_exec_count", "Number of model executions performed (does not include cached requests)"},
        {"nv_inference_request_duration_us", "Cumulative inference request duration in microseconds (includes cached requests)"},
        {"nv_inference_queue_duration_us", "Cumulative inference queuing duration in microseconds (includes cached requests)"},
        {"nv_inference_compute_input_duration_us", "Cumulative compute input duration in microseconds (does not include cached requests)"},
        {"nv_inference_compute_infer_duration_us", "Cumulative compute inference duration in microseconds (does not include cached requests)"},
        {"nv_inference_compute_output_duration_us", "Cumulative inference compute output duration in microseconds (does not include cached requests)"}};
    for (String[] c : counters) {
      sb.append("# HELP ").append(c[0]).append(' ').append(c[1]).append('\n');
      sb.append("# TYPE ").append(c[0]).append(" counter\n");
      for (ModelState s : models.values()) {
        long v = switch (c[0]) {
          case "nv_inference_request_success" -> s.served.get();
          case "nv_inference_request_failure" -> s.rejected.get() + s.timedOut.get() + s.cancelledInQueue.get();
          case "nv_inference_count" -> s.inferences.get();
          case "nv_inference_exec_count" -> s.executions.get();
          case "nv_inference_request_duration_us" -> s.successNanos.get() / 1000;
          case "nv_inference_queue_duration_us" -> s.queueNanos.get() / 1000;
          case "nv_inference_compute_infer_duration_us" -> s.computeNanos.get() / 1000;
          default -> 0;
        };
        sb.append(c[0]).append("{model=\"").append(s.model.name()).append("\",version=\"").append(s.model.version())
            .append("\"} ").append(v).append('\n');
      }
    }
    sb.append("# HELP nv_inference_pending_request_count Instantaneous number of pending requests awaiting execution per-model.\n");
    sb.append("# TYPE nv_inference_pending_request_count gauge\n");
    for (ModelState s : models.values()) {
      sb.append("nv_inference_pending_request_count{model=\"").append(s.model.name()).append("\",version=\"")
          .append(s.model.version()).append("\"} ").append(s.model.trtLlmMetrics() ? 0 : s.waiting.get()).append('\n');
    }
    boolean trtLlm = models.values().stream().anyMatch(s -> s.model.trtLlmMetrics());
    if (trtLlm) {
      sb.append("# HELP nv_trt_llm_request_metrics TRT LLM request metrics\n");
      sb.append("# TYPE nv_trt_llm_request_metrics gauge\n");
      for (ModelState s : models.values()) {
        if (!s.model.trtLlmMetrics()) {
          continue;
        }
        int running = s.model.instances() - s.instances.availablePermits();
        long[] values = {running, s.model.instances(), running, 0, s.waiting.get()};
        String[] types = {"active", "max", "scheduled", "context", "waiting"};
        for (int i = 0; i < types.length; i++) {
          sb.append("nv_trt_llm_request_metrics{model=\"").append(s.model.name()).append("\",request_type=\"")
              .append(types[i]).append("\",version=\"").append(s.model.version()).append("\"} ").append(values[i])
              .append('\n');
        }
      }
    }
    String uuid = "GPU-00000000-1111-2222-3333-444455556666";
    String[][] gauges = {
        {"nv_gpu_utilization", "GPU utilization rate [0.0 - 1.0)", Double.toString(gpuUtilization)},
        {"nv_gpu_memory_total_bytes", "GPU total memory, in bytes", "85899345920"},
        {"nv_gpu_memory_used_bytes", "GPU used memory, in bytes", "42949672960"},
        {"nv_gpu_power_usage", "GPU power usage in watts", "250.5"},
        {"nv_gpu_power_limit", "GPU power management limit in watts", "700"}};
    for (String[] g : gauges) {
      sb.append("# HELP ").append(g[0]).append(' ').append(g[1]).append('\n');
      sb.append("# TYPE ").append(g[0]).append(" gauge\n");
      sb.append(g[0]).append("{gpu_uuid=\"").append(uuid).append("\"} ").append(g[2]).append('\n');
    }
    return sb.toString();
  }

  private static void sendJson(HttpExchange ex, int status, Object body) throws IOException {
    send(ex, status, "application/json", Json.write(body).getBytes(StandardCharsets.UTF_8), -1);
  }

  private static void send(HttpExchange ex, int status, String type, byte[] body, int headerLength) throws IOException {
    ex.getResponseHeaders().set("Content-Type", type);
    if (headerLength >= 0) {
      ex.getResponseHeaders().set("Inference-Header-Content-Length", Integer.toString(headerLength));
    }
    ex.sendResponseHeaders(status, body.length == 0 ? -1 : body.length);
    if (body.length > 0) {
      try (OutputStream out = ex.getResponseBody()) {
        out.write(body);
      }
    }
  }

  /** Builds a {@link TritonSimulator}. */
  public static final class Builder {
    private final List<SimulatedModel> models = new ArrayList<>();
    private javax.net.ssl.@Nullable KeyManagerFactory serverKeys;
    private javax.net.ssl.@Nullable TrustManagerFactory clientTrust;

    private Builder() {}

    /** Serve gRPC over TLS with these keys (the HTTP server stays plain). */
    public Builder tls(javax.net.ssl.KeyManagerFactory serverKeys) {
      this.serverKeys = serverKeys;
      return this;
    }

    /** Require client certificates trusted by {@code clientTrust} (mutual TLS); needs {@link #tls}. */
    public Builder requireClientCertificates(javax.net.ssl.TrustManagerFactory clientTrust) {
      this.clientTrust = clientTrust;
      return this;
    }

    public Builder model(SimulatedModel model) {
      models.add(Objects.requireNonNull(model, "model"));
      return this;
    }

    /** Starts the gRPC, in-process and HTTP servers on 127.0.0.1. */
    public TritonSimulator start() {
      try {
        return new TritonSimulator(this);
      } catch (IOException e) {
        throw new IllegalStateException("could not start the Triton simulator on 127.0.0.1", e);
      }
    }
  }

  @Override
  public String toString() {
    return "TritonSimulator[grpc=" + grpcTarget() + ", http=" + httpUri() + ", models=" + models.keySet() + "]";
  }

  static Duration ms(long ms) {
    return Duration.ofMillis(ms);
  }
}
