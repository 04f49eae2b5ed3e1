package dev.inferscope.core;

import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import org.jspecify.annotations.Nullable;

/**
 * What is known about an inference call before it starts: where it goes, which model, how big. Never a
 * payload. Immutable; build one with {@link #builder(InferenceSystem, String, String)}.
 */
public final class CallDescriptor {
  private final InferenceSystem system;
  private final String operation;
  private final String model;
  private final String endpoint;
  private final @Nullable String modelVersion;
  private final @Nullable String requestId;
  private final @Nullable String serverAddress;
  private final int serverPort;
  private final long batchSize;
  private final long requestBytes;
  private final @Nullable String rpcService;
  private final @Nullable String rpcMethod;
  private final @Nullable String httpMethod;
  private final @Nullable String urlFull;
  private final boolean streaming;
  private final boolean genAi;
  private final @Nullable Long maxTokens;
  private final @Nullable Double temperature;
  private final @Nullable Double topP;
  private final List<String> gpuIds;
  private final @Nullable String userId;
  private final @Nullable String clientAddress;
  private final @Nullable String experiment;
  private final @Nullable String variant;
  private final Map<String, String> attributes;
  private final @Nullable GpuStateSource gpuSource;
  private final boolean probe;
  private final @Nullable String genAiOperation;
  private final io.opentelemetry.api.common.Attributes requestAttributes;
  private final String spanName;

  private CallDescriptor(Builder b) {
    this.system = b.system;
    this.operation = b.operation;
    this.model = b.model;
    this.endpoint = b.endpoint;
    this.modelVersion = b.modelVersion;
    this.requestId = b.requestId;
    this.serverAddress = b.serverAddress;
    this.serverPort = b.serverPort;
    this.batchSize = b.batchSize;
    this.requestBytes = b.requestBytes;
    this.rpcService = b.rpcService;
    this.rpcMethod = b.rpcMethod;
    this.httpMethod = b.httpMethod;
    this.urlFull = b.urlFull == null ? null : UrlSanitizer.sanitize(b.urlFull);
    this.streaming = b.streaming;
    this.genAi = b.genAi;
    this.maxTokens = b.maxTokens;
    this.temperature = b.temperature;
    this.topP = b.topP;
    this.gpuIds = List.copyOf(b.gpuIds);
    this.userId = b.userId;
    this.clientAddress = b.clientAddress;
    this.experiment = b.experiment;
    this.variant = b.variant;
    this.attributes = b.attributes;
    this.gpuSource = b.gpuSource;
    this.probe = b.probe;
    this.genAiOperation = b.genAiOperation;
    this.requestAttributes = b.requestAttributes == null ? io.opentelemetry.api.common.Attributes.empty()
        : b.requestAttributes.build();
    this.spanName = model.isEmpty() ? operation : operation + ' ' + model;
  }

  /**
   * A builder.
   *
   * @param system the kind of server
   * @param operation the operation, e.g. {@code infer}, {@code chat}, {@code model_ready}
   * @param model the model name; empty for server-level operations
   */
  public static Builder builder(InferenceSystem system, String operation, String model) {
    return new Builder(system, operation, model);
  }

  /** A builder initialised with this descriptor's values. */
  public Builder toBuilder() {
    Builder b = new Builder(system, operation, model);
    b.endpoint = endpoint;
    b.modelVersion = modelVersion;
    b.requestId = requestId;
    b.serverAddress = serverAddress;
    b.serverPort = serverPort;
    b.batchSize = batchSize;
    b.requestBytes = requestBytes;
    b.rpcService = rpcService;
    b.rpcMethod = rpcMethod;
    b.httpMethod = httpMethod;
    b.urlFull = urlFull;
    b.streaming = streaming;
    b.genAi = genAi;
    b.maxTokens = maxTokens;
    b.temperature = temperature;
    b.topP = topP;
    b.gpuIds = gpuIds;
    b.userId = userId;
    b.clientAddress = clientAddress;
    b.experiment = experiment;
    b.variant = variant;
    b.attributes = attributes;
    b.gpuSource = gpuSource;
    b.probe = probe;
    b.genAiOperation = genAiOperation;
    if (!requestAttributes.isEmpty()) {
      b.requestAttributes = requestAttributes.toBuilder();
    }
    return b;
  }

  public InferenceSystem system() {
    return system;
  }

  public String operation() {
    return operation;
  }

  public String model() {
    return model;
  }

  /** The configured endpoint name (e.g. the Spring property key); {@code default} if none was set. */
  public String endpoint() {
    return endpoint;
  }

  public @Nullable String modelVersion() {
    return modelVersion;
  }

  public @Nullable String requestId() {
    return requestId;
  }

  public @Nullable String serverAddress() {
    return serverAddress;
  }

  /** The server port, or -1 when unknown. */
  public int serverPort() {
    return serverPort;
  }

  /** The batch size, or -1 when unknown. */
  public long batchSize() {
    return batchSize;
  }

  /** The request size in bytes, or -1 when unknown. */
  public long requestBytes() {
    return requestBytes;
  }

  public @Nullable String rpcService() {
    return rpcService;
  }

  public @Nullable String rpcMethod() {
    return rpcMethod;
  }

  public @Nullable String httpMethod() {
    return httpMethod;
  }

  /** The request URL with user info, query and fragment removed. */
  public @Nullable String urlFull() {
    return urlFull;
  }

  public boolean streaming() {
    return streaming;
  }

  /** Whether GenAI conventions apply (LLM calls). */
  public boolean genAi() {
    return genAi;
  }

  public @Nullable Long maxTokens() {
    return maxTokens;
  }

  public @Nullable Double temperature() {
    return temperature;
  }

  public @Nullable Double topP() {
    return topP;
  }

  /** UUIDs (or ids) of the GPUs that serve this call, for GPU state attachment; empty means all. */
  public List<String> gpuIds() {
    return gpuIds;
  }

  /** The caller's user id; only ever emitted as a keyed hash. */
  public @Nullable String userId() {
    return userId;
  }

  /** The caller's client address; only ever emitted as a keyed hash. */
  public @Nullable String clientAddress() {
    return clientAddress;
  }

  public @Nullable String experiment() {
    return experiment;
  }

  public @Nullable String variant() {
    return variant;
  }

  /** The caller's custom attributes ({@link CallContext#attributes()}), in order; empty when none. */
  public Map<String, String> attributes() {
    return attributes;
  }

  /**
   * The GPU source of the server this call goes to, or {@code null} to use the telemetry's default
   * ({@link InferenceTelemetry.Builder#gpuStateSource}).
   */
  public @Nullable GpuStateSource gpuSource() {
    return gpuSource;
  }

  /**
   * Whether this is a health or readiness probe (liveness, readiness, model readiness, model listing)
   * rather than an inference call: probes never reach the client meters, and have a span and log line
   * only when the telemetry {@linkplain InferenceTelemetry.Builder#recordProbes records probes}.
   */
  public boolean probe() {
    return probe;
  }

  /**
   * The GenAI operation name ({@code gen_ai.operation.name}, and the operation tag of the GenAI meters): the
   * well-known name when the client's own operation is another word (Triton {@code generate} is a
   * {@code text_completion}), else {@link #operation()}.
   */
  public String genAiOperation() {
    return genAiOperation != null ? genAiOperation : operation;
  }

  /**
   * Facts about the request that a client adds to the span at the start (counts and settings such as
   * {@code gen_ai.request.choice.count}, never content). Empty when none.
   */
  public io.opentelemetry.api.common.Attributes requestAttributes() {
    return requestAttributes;
  }

  /** {@code "{operation} {model}"}. */
  public String spanName() {
    return spanName;
  }

  @Override
  public String toString() {
    return "CallDescriptor[" + system.value() + " " + spanName + " endpoint=" + endpoint + "]";
  }

  /** Builds a {@link CallDescriptor}. */
  public static final class Builder {
    private final InferenceSystem system;
    private final String operation;
    private final String model;
    private String endpoint = "default";
    private @Nullable String modelVersion;
    private @Nullable String requestId;
    private @Nullable String serverAddress;
    private int serverPort = -1;
    private long batchSize = -1;
    private long requestBytes = -1;
    private @Nullable String rpcService;
    private @Nullable String rpcMethod;
    private @Nullable String httpMethod;
    private @Nullable String urlFull;
    private boolean streaming;
    private boolean genAi;
    private @Nullable Long maxTokens;
    private @Nullable Double temperature;
    private @Nullable Double topP;
    private List<String> gpuIds = List.of();
    private @Nullable String userId;
    private @Nullable String clientAddress;
    private @Nullable String experiment;
    private @Nullable String variant;
    private Map<String, String> attributes = Map.of();
    private @Nullable GpuStateSource gpuSource;
    private boolean probe;
    private io.opentelemetry.api.common.@Nullable AttributesBuilder requestAttributes;
    private @Nullable String genAiOperation;

    private Builder(InferenceSystem system, String operation, String model) {
      this.system = Objects.requireNonNull(system, "system");
      this.operation = Objects.requireNonNull(operation, "operation");
      this.model = Objects.requireNonNull(model, "model");
    }

    public Builder endpoint(String endpoint) {
      this.endpoint = Objects.requireNonNull(endpoint, "endpoint");
      return this;
    }

    public Builder modelVersion(@Nullable String modelVersion) {
      this.modelVersion = modelVersion == null || modelVersion.isEmpty() ? null : modelVersion;
      return this;
    }

    public Builder requestId(@Nullable String requestId) {
      this.requestId = requestId;
      return this;
    }

    public Builder server(@Nullable String address, int port) {
      this.serverAddress = address;
      this.serverPort = port;
      return this;
    }

    public Builder batchSize(long batchSize) {
      this.batchSize = batchSize;
      return this;
    }

    public Builder requestBytes(long requestBytes) {
      this.requestBytes = requestBytes;
      return this;
    }

    /** gRPC calls: the full service name and the method. */
    public Builder rpc(String service, String method) {
      this.rpcService = service;
      this.rpcMethod = method;
      return this;
    }

    /** HTTP calls: the method and URL (sanitised: no user info, query or fragment is kept). */
    public Builder http(String method, String url) {
      this.httpMethod = method;
      this.urlFull = url;
      return this;
    }

    public Builder streaming(boolean streaming) {
      this.streaming = streaming;
      return this;
    }

    /** Marks the call as an LLM call, so the GenAI conventions apply. */
    public Builder genAi(boolean genAi) {
      this.genAi = genAi;
      return this;
    }

    public Builder maxTokens(@Nullable Long maxTokens) {
      this.maxTokens = maxTokens;
      return this;
    }

    public Builder temperature(@Nullable Double temperature) {
      this.temperature = temperature;
      return this;
    }

    public Builder topP(@Nullable Double topP) {
      this.topP = topP;
      return this;
    }

    public Builder gpuIds(List<String> gpuIds) {
      this.gpuIds = List.copyOf(gpuIds);
      return this;
    }

    /** The end user's id; emitted only as a keyed HMAC, and only when a key is configured. */
    public Builder userId(@Nullable String userId) {
      this.userId = userId;
      return this;
    }

    /** The end user's address; emitted only as a keyed HMAC, and only when a key is configured. */
    public Builder clientAddress(@Nullable String clientAddress) {
      this.clientAddress = clientAddress;
      return this;
    }

    /** Experiment and variant attribution (bounded values, e.g. "ranker-v2" / "b"). */
    public Builder experiment(@Nullable String experiment, @Nullable String variant) {
      this.experiment = experiment;
      this.variant = variant;
      return this;
    }

    /**
     * Applies what the caller set on the request: experiment and variant, user id, client address and
     * custom attributes. Values the context leaves unset keep what this builder has.
     */
    public Builder context(@Nullable CallContext context) {
      if (context == null || context.isEmpty()) {
        return this;
      }
      if (context.experiment() != null) {
        this.experiment = context.experiment();
        this.variant = context.variant();
      }
      if (context.userId() != null) {
        this.userId = context.userId();
      }
      if (context.clientAddress() != null) {
        this.clientAddress = context.clientAddress();
      }
      if (!context.attributes().isEmpty()) {
        if (attributes.isEmpty()) {
          this.attributes = context.attributes();
        } else {
          Map<String, String> merged = new LinkedHashMap<>(attributes);
          merged.putAll(context.attributes());
          this.attributes = Collections.unmodifiableMap(merged);
        }
      }
      return this;
    }

    /** Custom attributes (keys checked as {@link CallContext#isValidKey}). */
    public Builder attributes(Map<String, String> attributes) {
      attributes.keySet().forEach(CallContext::checkKey);
      this.attributes = attributes.isEmpty() ? Map.of() : Collections.unmodifiableMap(new LinkedHashMap<>(attributes));
      return this;
    }

    /** Marks a health or readiness probe (see {@link CallDescriptor#probe()}). */
    public Builder probe(boolean probe) {
      this.probe = probe;
      return this;
    }

    /** The GPU source of this call's server; {@code null} for the telemetry's default. */
    public Builder gpuSource(@Nullable GpuStateSource gpuSource) {
      this.gpuSource = gpuSource;
      return this;
    }

    /**
     * The GenAI operation name when it differs from the operation (see {@link CallDescriptor#genAiOperation()}).
     */
    public Builder genAiOperation(@Nullable String genAiOperation) {
      this.genAiOperation = genAiOperation;
      return this;
    }

    /**
     * A fact about the request for the span (a count or a setting: never content, which a client must not
     * pass here). {@code null} values are ignored.
     */
    public <T> Builder requestAttribute(io.opentelemetry.api.common.AttributeKey<T> key, @Nullable T value) {
      if (value != null) {
        if (requestAttributes == null) {
          requestAttributes = io.opentelemetry.api.common.Attributes.builder();
        }
        requestAttributes.put(key, value);
      }
      return this;
    }

    public CallDescriptor build() {
      return new CallDescriptor(this);
    }
  }
}
