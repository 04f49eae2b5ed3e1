package dev.inferscope.triton;

import dev.inferscope.core.Call;
import dev.inferscope.core.CallDescriptor;
import dev.inferscope.core.GpuStateSource;
import dev.inferscope.triton.internal.GrpcTargets;
import dev.inferscope.core.Deadline;
import dev.inferscope.core.InferenceException;
import dev.inferscope.core.InferenceSystem;
import dev.inferscope.core.InferenceTelemetry;
import dev.inferscope.core.ResiliencePolicy;
import dev.inferscope.core.ServerTimingSource;
import dev.inferscope.core.internal.RoundTripBaseline;
import dev.inferscope.triton.protocol.GRPCInferenceServiceGrpc;
import dev.inferscope.triton.protocol.ModelConfig;
import io.grpc.ManagedChannel;
import io.grpc.inprocess.InProcessChannelBuilder;
import io.grpc.netty.shaded.io.grpc.netty.GrpcSslContexts;
import io.grpc.netty.shaded.io.grpc.netty.NettyChannelBuilder;
import io.grpc.netty.shaded.io.netty.handler.ssl.SslContextBuilder;
import java.io.File;
import java.net.URI;
import java.net.http.HttpClient;
import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.concurrent.CompletableFuture;
import java.util.function.Function;
import javax.net.ssl.SSLException;
import org.jspecify.annotations.Nullable;

/**
 * An observable client for NVIDIA Triton Inference Server (KServe v2), over gRPC or HTTP.
 *
 * <p>Every call goes through Inferscope's {@link Call}: a CLIENT span ({@code infer resnet50}) with the
 * serialization and deserialization phases, SERVER_QUEUE and SERVER_COMPUTE estimated from Triton's
 * statistics when a {@linkplain Builder#statisticsPolling poller} runs, NETWORK as the rest, Micrometer
 * meters and a sampled JSON log line; {@code traceparent} is sent so a Triton with tracing on continues
 * the trace. Tensor data is never recorded. Immutable and thread-safe; {@link #close()} shuts the
 * channel and background threads.
 *
 * <pre>{@code
 * try (TritonClient triton = TritonClient.grpc("triton:8001").telemetry(telemetry).build()) {
 *   InferResult r = triton.infer(InferRequest.builder("resnet50")
 *       .input(Tensor.fp32("INPUT0", new long[] {1, 3}, 0.1f, 0.2f, 0.3f)).build());
 *   float[] scores = r.output("OUTPUT0").asFloats();
 * }
 * }</pre>
 */
public final class TritonClient implements AutoCloseable {
  private static final String SERVICE = "inference.GRPCInferenceService";

  private final Transport transport;
  private final InferenceTelemetry telemetry;
  private final ResiliencePolicy resilience;
  private final @Nullable Duration defaultDeadline;
  private final String endpoint;
  private final List<String> gpuIds;
  private final @Nullable GpuStateSource gpuSource;
  private final @Nullable ModelStatisticsPoller poller;
  private final @Nullable TritonServerMetrics serverMetrics;
  private final java.util.concurrent.@Nullable ScheduledExecutorService probes;
  private final @Nullable RoundTripBaseline roundTrip;

  private TritonClient(Builder b, Transport transport) {
    this.transport = transport;
    this.telemetry = b.telemetry;
    this.resilience = b.resilience;
    this.defaultDeadline = b.defaultDeadline;
    this.endpoint = b.endpoint;
    this.gpuIds = List.copyOf(b.gpuIds);
    this.gpuSource = b.gpuSource;
    if (telemetry.meterRegistry() != null) {
      resilience.bindTo(telemetry.meterRegistry());
    }
    this.poller = b.statisticsInterval == null ? null
        : new ModelStatisticsPoller(this::statisticsUntraced, b.statisticsModels, b.statisticsInterval,
            telemetry.clock(), telemetry.meterRegistry(), endpoint, b.statisticsInBackground);
    this.serverMetrics = b.metricsUri == null ? null
        : new TritonServerMetrics(b.metricsUri, b.metricsInterval, telemetry, endpoint);
    // The round trip only serves the statistics estimate, so it is measured only when statistics are polled.
    if (poller != null && !b.probeInterval.isZero()) {
      this.probes = java.util.concurrent.Executors.newSingleThreadScheduledExecutor(r -> {
        Thread t = new Thread(r, "inferscope-triton-round-trip");
        t.setDaemon(true);
        return t;
      });
      this.roundTrip = RoundTripBaseline.probing(probes, b.probeInterval.toNanos(), this::probe);
    } else {
      this.probes = null;
      this.roundTrip = null;
    }
  }

  /**
   * One {@code ServerLive} (gRPC, on the client's channel) or {@code GET /v2/health/live} (HTTP, on its
   * connection pool), timed from send to answer; no span, meter or log line.
   */
  private void probe(java.util.function.LongConsumer done) {
    long t0 = System.nanoTime();
    long rtt;
    try {
      untraced("server_live", "ServerLive", "/v2/health/live", "", Duration.ofSeconds(2), transport::serverLive);
      rtt = System.nanoTime() - t0;
    } catch (RuntimeException e) {
      rtt = -1;
    }
    done.accept(rtt);
  }

  /** One operation on the transport with no telemetry (the background poller's and prober's calls). */
  private <T> T untraced(String operation, String method, String path, String model, Duration timeout,
      java.util.function.BiFunction<Call, Deadline, T> op) {
    Call call = InferenceTelemetry.noop().start(descriptor(operation, method, "GET", path, model).build());
    try {
      T result = op.apply(call, Deadline.after(timeout, telemetry.clock()));
      call.end();
      return result;
    } catch (RuntimeException e) {
      call.end(e);
      throw e;
    }
  }

  /** The measured network round trip to the server in nanoseconds, or -1 when unknown or not measured. */
  public long roundTripNanos() {
    return roundTrip == null ? -1 : roundTrip.nanos();
  }

  /** The {@code /metrics} monitor, or {@code null} when scraping is off. */
  public @Nullable TritonServerMetrics serverMetrics() {
    return serverMetrics;
  }

  /**
   * A builder for a gRPC client of {@code target}, read by gRPC's own rules: {@code host:port} (a bare
   * host gets Triton's port 8001), a name-resolver URI such as {@code dns:///triton:8001} (round-robin
   * over a headless Service with {@code channelConfigurer}), {@code unix:/path}, or {@code inprocess:<name>}
   * for tests. Inferscope builds, owns and closes this channel.
   *
   * @throws IllegalArgumentException for an empty target or a bad port (at {@code build()})
   */
  public static Builder grpc(String target) {
    return new Builder(Objects.requireNonNull(target, "target"), null);
  }

  /**
   * A builder for a gRPC client over the caller's channel: its name resolver, load balancing,
   * keepalive, interceptors, credentials and mTLS are the caller's. Inferscope never closes it. TLS and
   * message-size settings belong on the caller's channel builder and are refused here.
   */
  public static Builder grpc(io.grpc.Channel channel) {
    Builder b = new Builder(null, null);
    b.channel = Objects.requireNonNull(channel, "channel");
    return b;
  }

  /** A builder for an HTTP client of {@code url} (e.g. {@code http://triton:8000}). */
  public static Builder http(URI url) {
    return new Builder(null, dev.inferscope.core.internal.Settings.httpUri("url", url));
  }

  /** {@code grpc} or {@code http}. */
  public String transport() {
    return transport.kind();
  }

  // ----------------------------------------------------------------------------------------------

  private CallDescriptor.Builder descriptor(String operation, String method, String httpMethod, String path,
      String model) {
    return descriptor(operation, method, httpMethod, () -> path, model);
  }

  /** {@code path} is computed only by the HTTP transport (the gRPC one has no use for it). */
  private CallDescriptor.Builder descriptor(String operation, String method, String httpMethod,
      java.util.function.Supplier<String> path, String model) {
    CallDescriptor.Builder d = CallDescriptor.builder(InferenceSystem.TRITON, operation, model)
        .endpoint(endpoint)
        .server(transport.host(), transport.port())
        .gpuIds(gpuIds)
        .gpuSource(gpuSource);
    transport.describe(d, method, httpMethod, path);
    return d;
  }

  private <T> T run(CallDescriptor d, @Nullable Deadline deadline, ResiliencePolicy.Attempt<T> attempt) {
    Call call = telemetry.start(d);
    return call.execute(resilience, Deadline.resolve(deadline, defaultDeadline, telemetry.clock()), attempt);
  }

  private <T> T simple(String operation, String method, String path, String model,
      java.util.function.BiFunction<Call, Deadline, T> op) {
    boolean probe = PROBES.contains(operation);
    CallDescriptor d = descriptor(operation, method, "GET", path, model).probe(probe).build();
    Call call = telemetry.start(d);
    // A probe reports the server's state: never behind the circuit breaker, the bulkhead or retries.
    return call.execute(probe ? ResiliencePolicy.none() : resilience,
        Deadline.resolve(null, defaultDeadline, telemetry.clock()), (n, dl) -> op.apply(call, dl));
  }

  /** Health and readiness probes: not inference calls (see {@link CallDescriptor#probe()}). */
  static final java.util.Set<String> PROBES = java.util.Set.of("server_live", "server_ready", "model_ready");

  /** Whether the server is live. */
  public boolean serverLive() {
    return simple("server_live", "ServerLive", "/v2/health/live", "", transport::serverLive);
  }

  /** Whether the server is ready. */
  public boolean serverReady() {
    return simple("server_ready", "ServerReady", "/v2/health/ready", "", transport::serverReady);
  }

  /** Whether a model (any version) is ready. */
  public boolean modelReady(String model) {
    return simple("model_ready", "ModelReady", HttpTransport.modelPath(model, null) + "/ready", model,
        (c, dl) -> transport.modelReady(c, model, null, dl));
  }

  /** The server's name, version and extensions. */
  public ServerMetadata serverMetadata() {
    return simple("server_metadata", "ServerMetadata", "/v2", "", transport::serverMetadata);
  }

  /** A model's signature. */
  public ModelMetadata modelMetadata(String model) {
    return simple("model_metadata", "ModelMetadata", HttpTransport.modelPath(model, null), model,
        (c, dl) -> transport.modelMetadata(c, model, null, dl));
  }

  /** A model's cumulative statistics (all versions). */
  public List<ModelStats> modelStatistics(String model) {
    return simple("model_statistics", "ModelStatistics", HttpTransport.modelPath(model, null) + "/stats", model,
        (c, dl) -> transport.statistics(c, model, dl));
  }

  private List<ModelStats> statisticsUntraced(String model) {
    return untraced("model_statistics", "ModelStatistics", "", model, Duration.ofSeconds(5),
        (c, dl) -> transport.statistics(c, model, dl));
  }

  /** Runs an inference within the client's default deadline. */
  public InferResult infer(InferRequest request) {
    return infer(request, null);
  }

  /**
   * Runs an inference within {@code deadline}. The request is validated before anything is sent (a data
   * size that does not match the shape is INVALID_ARGUMENT, when the tensor is built).
   */
  public InferResult infer(InferRequest request, @Nullable Deadline deadline) {
    CallDescriptor d = inferDescriptor(request);
    Call call = telemetry.start(d);
    return call.execute(resilience, Deadline.resolve(deadline, defaultDeadline, telemetry.clock()), (n, dl) -> {
      InferResult r = transport.infer(call, request, dl);
      attachServerTiming(call, request.model());
      call.confidence(r, request.confidence());
      return r;
    });
  }

  /** Runs an inference asynchronously; cancelling the future cancels the RPC or HTTP exchange. */
  public CompletableFuture<InferResult> inferAsync(InferRequest request) {
    return inferAsync(request, null);
  }

  /** Runs an inference asynchronously within {@code deadline}. */
  public CompletableFuture<InferResult> inferAsync(InferRequest request, @Nullable Deadline deadline) {
    CallDescriptor d = inferDescriptor(request);
    Call call = telemetry.start(d);
    return call.executeAsync(resilience, Deadline.resolve(deadline, defaultDeadline, telemetry.clock()),
        (n, dl) -> {
          // not thenApply: cancelling the returned future must reach the transport's future
          return dev.inferscope.core.internal.Futures.map(transport.inferAsync(call, request, dl), r -> {
            attachServerTiming(call, request.model());
            call.confidence(r, request.confidence());
            return r;
          });
        });
  }

  private CallDescriptor inferDescriptor(InferRequest request) {
    String id = request.id() != null ? request.id() : dev.inferscope.core.internal.RequestIds.next();
    return descriptor("infer", "ModelInfer", "POST",
        () -> HttpTransport.modelPath(request.model(), request.version()) + "/infer", request.model())
        .modelVersion(request.version())
        .requestId(id)
        .batchSize(request.batchSize())
        .requestBytes(request.inputBytes())
        .context(request.context())
        .build();
  }

  private void attachServerTiming(Call call, String model) {
    if (poller == null) {
      return;
    }
    long rtt = roundTripNanos();
    ModelStatisticsPoller.Estimate e = rtt >= 0 ? poller.computeEstimate(model) : poller.estimate(model);
    if (e == null) {
      poller.pollSoon();
      return;
    }
    if (rtt >= 0) {
      // The model's mean compute per request is stable from one interval to the next; its queue is not
      // (it is this call's own wait), so the queue is what is left after the client's phases, the
      // compute and the measured round trip.
      call.serverTimingEstimate(e.computeNanos(), rtt, ServerTimingSource.STATISTICS);
    } else {
      call.serverTiming(e.queueNanos(), e.computeNanos(), ServerTimingSource.STATISTICS_INTERVAL);
    }
  }

  /**
   * Generates text with an LLM model served by Triton's vLLM backend, over gRPC {@code ModelStreamInfer}.
   * Close or cancel the stream if you stop reading early. Over HTTP this uses the {@code generate} or
   * {@code generate_stream} endpoint.
   */
  public GenerateStream generate(GenerateRequest request) {
    return generate(request, null);
  }

  /** Generates within {@code deadline}, which bounds every wait for a response. */
  public GenerateStream generate(GenerateRequest request, @Nullable Deadline deadline) {
    CallDescriptor d = descriptor("generate", "ModelStreamInfer", "POST",
        () -> HttpTransport.modelPath(request.model(), null) + (request.stream() ? "/generate_stream" : "/generate"),
        request.model())
        .requestId(dev.inferscope.core.internal.RequestIds.next())
        .streaming(request.stream())
        .genAi(true)
        .genAiOperation(GENERATE_GENAI_OPERATION)
        .maxTokens(request.maxTokens())
        .temperature(request.temperature())
        .topP(request.topP())
        .context(request.context())
        .build();
    Call call = telemetry.start(d);
    Deadline dl = Deadline.resolve(deadline, defaultDeadline, telemetry.clock());
    try {
      // Resilience (bulkhead, circuit breaker, retries) covers opening: before the first response.
      GenerateStream.Source source = resilience.execute(call, dl, (n, budget) -> transport.generate(call, request, budget));
      return new GenerateStream(call, source);
    } catch (RuntimeException e) {
      InferenceException ie = InferenceException.from(e);
      call.end(ie);
      throw ie;
    }
  }

  // gRPC-only administrative RPCs --------------------------------------------------------------

  /**
   * Runs any RPC of {@code GRPCInferenceService} with this client's telemetry, metadata, deadline and
   * resilience: {@code triton.rpc("system_shared_memory_status", "", "SystemSharedMemoryStatus", s ->
   * s.systemSharedMemoryStatus(...))}.
   */
  public <T> T rpc(String operation, String model, String method,
      Function<GRPCInferenceServiceGrpc.GRPCInferenceServiceBlockingStub, T> rpc) {
    if (!"grpc".equals(transport.kind())) {
      throw new UnsupportedOperationException(method + " needs the gRPC transport");
    }
    CallDescriptor d = descriptor(operation, method, "POST", "", model).build();
    Call call = telemetry.start(d);
    return call.execute(resilience, Deadline.resolve(null, defaultDeadline, telemetry.clock()),
        (n, dl) -> transport.rpc(call, dl, rpc));
  }

  /** The model's configuration (over HTTP, Triton's JSON is read into the same message). */
  public ModelConfig modelConfig(String model) {
    return simple("model_config", "ModelConfig", HttpTransport.modelPath(model, null) + "/config", model,
        (c, dl) -> transport.modelConfig(c, model, dl));
  }

  /** The model repository's index. */
  public List<RepositoryModel> repositoryIndex() {
    return simple("repository_index", "RepositoryIndex", "/v2/repository/index", "", transport::repositoryIndex);
  }

  /** Loads (or reloads) a model. */
  public void loadModel(String model) {
    simple("repository_model_load", "RepositoryModelLoad", "/v2/repository/models/" + model + "/load", model,
        (c, dl) -> {
          transport.loadModel(c, model, dl);
          return Boolean.TRUE;
        });
  }

  /** Unloads a model. */
  public void unloadModel(String model) {
    simple("repository_model_unload", "RepositoryModelUnload", "/v2/repository/models/" + model + "/unload", model,
        (c, dl) -> {
          transport.unloadModel(c, model, dl);
          return Boolean.TRUE;
        });
  }

  /**
   * Reads (empty {@code update}) or updates the trace settings, of the server ({@code model} null) or of one
   * model; returns the settings in effect.
   */
  public Map<String, List<String>> traceSettings(@Nullable String model, Map<String, List<String>> update) {
    String path = model == null ? "/v2/trace/setting" : HttpTransport.modelPath(model, null) + "/trace/setting";
    return simple("trace_setting", "TraceSetting", path, model == null ? "" : model,
        (c, dl) -> transport.traceSettings(c, model, update, dl));
  }

  /** Reads (empty {@code update}) or updates the server's log settings; returns the settings in effect. */
  public Map<String, Object> logSettings(Map<String, Object> update) {
    return simple("log_settings", "LogSettings", "/v2/logging", "", (c, dl) -> transport.logSettings(c, update, dl));
  }

  /**
   * The GenAI operation name of {@code generate} calls: text in, text out is the well-known
   * {@code text_completion} (open-telemetry/semantic-conventions-genai {@code model/gen-ai/registry.yaml},
   * {@code gen_ai.operation.name}); Inferscope's own operation, span name and {@code inference.*} meters keep
   * {@code generate}.
   */
  static final String GENERATE_GENAI_OPERATION = "text_completion";

  /** The statistics poller, or {@code null} when polling is off. */
  public @Nullable ModelStatisticsPoller statisticsPoller() {
    return poller;
  }

  @Override
  public void close() {
    if (roundTrip != null) {
      roundTrip.close();
    }
    if (probes != null) {
      probes.shutdownNow();
    }
    if (poller != null) {
      poller.close();
    }
    if (serverMetrics != null) {
      serverMetrics.close();
    }
    transport.close();
  }

  @Override
  public String toString() {
    return "TritonClient[" + transport.kind() + " " + transport.host() + ":" + transport.port() + ", endpoint="
        + endpoint + "]";
  }

  /** Builds a {@link TritonClient}. */
  public static final class Builder {
    private final @Nullable String target;
    private final @Nullable URI url;
    private boolean tls;
    private @Nullable File trustCertificates;
    private @Nullable File clientCertificate;
    private @Nullable File clientKey;
    private javax.net.ssl.@Nullable TrustManagerFactory trustManagers;
    private javax.net.ssl.@Nullable KeyManagerFactory keyManagers;
    private int maxInboundMessageSize = 256 << 20;
    private @Nullable Duration defaultDeadline = Duration.ofSeconds(30);
    private InferenceTelemetry telemetry = InferenceTelemetry.builder().build();
    private ResiliencePolicy resilience = ResiliencePolicy.defaults();
    private final Map<String, String> headers = new LinkedHashMap<>();
    private String endpoint = "default";
    private List<String> gpuIds = List.of();
    private @Nullable GpuStateSource gpuSource;
    private io.grpc.@Nullable Channel channel;
    private java.util.function.@Nullable Consumer<NettyChannelBuilder> channelConfigurer;
    private boolean channelSettings;
    private boolean timeoutParameter;
    private boolean binary = true;
    private boolean gzip;
    private @Nullable HttpClient httpClient;
    private @Nullable Duration statisticsInterval;
    private List<String> statisticsModels = new ArrayList<>();
    private boolean statisticsInBackground = true;
    private @Nullable URI metricsUri;
    private Duration metricsInterval = Duration.ofSeconds(15);
    private Duration probeInterval = Duration.ofSeconds(5);

    private Builder(@Nullable String target, @Nullable URI url) {
      this.target = target;
      this.url = url;
    }

    /** Use TLS (gRPC). HTTPS URLs use TLS anyway. */
    public Builder tls(boolean tls) {
      this.tls = tls;
      return this;
    }

    /** A PEM file of trusted certificates (gRPC TLS). */
    public Builder trustCertificates(File pem) {
      this.trustCertificates = pem;
      this.tls = true;
      return this;
    }

    /** Trusted certificates as a TrustManagerFactory (gRPC TLS), e.g. from a PKCS#12 trust store. */
    public Builder trustManager(javax.net.ssl.TrustManagerFactory factory) {
      this.trustManagers = Objects.requireNonNull(factory, "factory");
      this.tls = true;
      return this;
    }

    /** The client's key and certificate as a KeyManagerFactory (gRPC mutual TLS), e.g. from PKCS#12. */
    public Builder keyManager(javax.net.ssl.KeyManagerFactory factory) {
      this.keyManagers = Objects.requireNonNull(factory, "factory");
      this.tls = true;
      return this;
    }

    /** A client certificate chain and PKCS#8 key, PEM (gRPC mutual TLS). */
    public Builder clientCertificate(File certificateChain, File privateKey) {
      this.clientCertificate = certificateChain;
      this.clientKey = privateKey;
      this.tls = true;
      return this;
    }

    /**
     * The largest response accepted (default 256 MiB; at least 64 MiB is recommended): gRPC's inbound
     * message limit, and over HTTP the body cap applied after decompression on every call path.
     *
     * @throws IllegalArgumentException when not positive
     */
    public Builder maxInboundMessageSize(int bytes) {
      this.channelSettings = true;
      this.maxInboundMessageSize = (int) dev.inferscope.core.internal.Settings.positive("maxInboundMessageSize", bytes);
      return this;
    }

    /** The deadline of calls made without one (default 30 s; {@code null} for none). */
    public Builder defaultDeadline(@Nullable Duration deadline) {
      this.defaultDeadline = deadline == null ? null
          : dev.inferscope.core.internal.Settings.positive("defaultDeadline", deadline);
      return this;
    }

    public Builder telemetry(InferenceTelemetry telemetry) {
      this.telemetry = Objects.requireNonNull(telemetry, "telemetry");
      return this;
    }

    public Builder resilience(ResiliencePolicy resilience) {
      this.resilience = Objects.requireNonNull(resilience, "resilience");
      return this;
    }

    /** A header (gRPC metadata) on every request; values are never logged or shown. */
    public Builder header(String name, String value) {
      dev.inferscope.core.internal.Settings.headerName("header", name);
      headers.put(name.toLowerCase(java.util.Locale.ROOT),
          dev.inferscope.core.internal.Settings.headerValue("header", name, value));
      return this;
    }

    public Builder endpoint(String endpoint) {
      this.endpoint = Objects.requireNonNull(endpoint, "endpoint");
      return this;
    }

    /** UUIDs (or indexes) of the GPUs serving this endpoint, to attach their state to spans. */
    public Builder gpuIds(List<String> gpuIds) {
      this.gpuIds = List.copyOf(gpuIds);
      return this;
    }

    /**
     * Where this server's GPU state comes from (for example a {@code RemoteGpuStateSource} over this
     * Triton's {@code /metrics}); default the telemetry's source. Calls of this client carry this
     * source's GPU, so a trace never shows another server's GPU on this server's calls.
     */
    public Builder gpuSource(@Nullable GpuStateSource gpuSource) {
      this.gpuSource = gpuSource;
      return this;
    }

    /**
     * gRPC: adjusts the channel Inferscope builds for a target, after its own settings (keepalive,
     * {@code defaultLoadBalancingPolicy("round_robin")}, interceptors, executors, …).
     */
    public Builder channelConfigurer(java.util.function.Consumer<NettyChannelBuilder> configurer) {
      this.channelConfigurer = Objects.requireNonNull(configurer, "configurer");
      return this;
    }

    /**
     * Also send the deadline as Triton's {@code timeout} request parameter (microseconds), so the
     * server's queue drops requests that can no longer make it.
     */
    public Builder timeoutParameter(boolean on) {
      this.timeoutParameter = on;
      return this;
    }

    /** HTTP: use the binary tensor data extension (default true) or plain JSON. */
    public Builder binaryTensorData(boolean binary) {
      this.binary = binary;
      return this;
    }

    /** HTTP: gzip infer request bodies and accept gzipped answers (default off). */
    public Builder gzip(boolean gzip) {
      this.gzip = gzip;
      return this;
    }

    /**
     * HTTP: a caller-owned client to use instead of one Inferscope builds. It is never closed by
     * Inferscope (the caller closes it), as with the vLLM client.
     */
    public Builder httpClient(HttpClient httpClient) {
      this.httpClient = Objects.requireNonNull(httpClient, "httpClient");
      return this;
    }

    /**
     * Poll model statistics at {@code interval} to estimate server queue and compute time per request
     * for {@code models}.
     */
    public Builder statisticsPolling(Duration interval, String... models) {
      this.statisticsInterval = dev.inferscope.core.internal.Settings.positive("statisticsPolling interval", interval);
      this.statisticsModels = List.of(models);
      return this;
    }

    /**
     * Scrape Triton's {@code /metrics} (e.g. {@code http://triton:8002/metrics}) at {@code interval} to feed
     * {@code inference.server.queue.depth}.
     */
    public Builder scrapeMetrics(URI metricsUri, Duration interval) {
      this.metricsUri = Objects.requireNonNull(metricsUri, "metricsUri");
      this.metricsInterval = dev.inferscope.core.internal.Settings.positive("scrapeMetrics interval", interval);
      return this;
    }

    /**
     * How often to measure the network round trip with {@code ServerLive} ({@code /v2/health/live} over
     * HTTP) on the client's own channel or connection pool, while {@linkplain #statisticsPolling statistics
     * are polled} (default 5 s; {@link Duration#ZERO} turns it off). With it, each call's SERVER_COMPUTE is
     * the model's mean compute per request and SERVER_QUEUE is the rest of the call after the client's
     * phases, the compute and this round trip (source {@code statistics}), so NETWORK shows the round trip
     * and not Triton's queue. Without it, both are the last interval's averages
     * ({@code statistics_interval}). Probes make no span, meter or log line.
     *
     * @throws IllegalArgumentException when negative or below 100 ms
     */
    public Builder roundTripProbeInterval(Duration interval) {
      this.probeInterval = RoundTripBaseline.checkInterval(interval);
      return this;
    }

    /** Tests: poll only when {@link ModelStatisticsPoller#poll()} is called. */
    public Builder statisticsPollingOnDemand() {
      this.statisticsInBackground = false;
      return this;
    }

    public TritonClient build() {
      Transport t;
      if (channel != null) {
        if (tls || channelSettings || channelConfigurer != null) {
          throw new IllegalArgumentException("TLS, certificates, the inbound message size and channel"
              + " configurers are settings of the caller's channel: set them on its builder");
        }
        GrpcTargets.Endpoint e = GrpcTargets.ofAuthority(channel.authority());
        t = new GrpcTransport(channel, null, headers, e == null ? "unknown" : e.host(), e == null ? -1 : e.port(),
            timeoutParameter);
      } else if (target != null) {
        t = grpcTransport(target);
      } else {
        // a caller's HttpClient is used as given and never closed; without one the layer builds its own
        t = new HttpTransport(Objects.requireNonNull(url), httpClient, headers, maxInboundMessageSize, binary,
            timeoutParameter, gzip);
      }
      return new TritonClient(this, t);
    }

    private GrpcTransport grpcTransport(String target) {
      ManagedChannel channel;
      String host;
      int port;
      if (target.startsWith("inprocess:")) {
        String name = target.substring("inprocess:".length());
        channel = InProcessChannelBuilder.forName(name).maxInboundMessageSize(maxInboundMessageSize).build();
        host = name;
        port = -1;
      } else {
        String channelTarget = GrpcTargets.channelTarget(target);
        GrpcTargets.Endpoint endpoint = GrpcTargets.endpoint(target);
        host = endpoint.host();
        port = endpoint.port();
        NettyChannelBuilder b = NettyChannelBuilder.forTarget(channelTarget)
            .maxInboundMessageSize(maxInboundMessageSize);
        if (tls) {
          try {
            SslContextBuilder ssl = GrpcSslContexts.forClient();
            if (trustCertificates != null) {
              ssl.trustManager(trustCertificates);
            }
            if (trustManagers != null) {
              ssl.trustManager(trustManagers);
            }
            if (keyManagers != null) {
              ssl.keyManager(keyManagers);
            }
            if (clientCertificate != null && clientKey != null) {
              ssl.keyManager(clientCertificate, clientKey);
            }
            b.sslContext(ssl.build());
          } catch (SSLException e) {
            throw new IllegalArgumentException("could not set up TLS: " + e.getMessage(), e);
          }
        } else {
          b.usePlaintext();
        }
        if (channelConfigurer != null) {
          channelConfigurer.accept(b);
        }
        channel = b.build();
      }
      return new GrpcTransport(channel, channel, headers, host, port, timeoutParameter);
    }
  }
}
