package dev.inferscope.vllm;

import dev.inferscope.core.Call;
import dev.inferscope.core.CallContext;
import dev.inferscope.core.CallDescriptor;
import dev.inferscope.core.GpuStateSource;
import dev.inferscope.core.Deadline;
import dev.inferscope.core.ErrorType;
import dev.inferscope.core.InferenceAttributes;
import dev.inferscope.core.InferenceException;
import dev.inferscope.core.InferenceSystem;
import dev.inferscope.core.InferenceTelemetry;
import dev.inferscope.core.Phase;
import dev.inferscope.core.ResiliencePolicy;
import dev.inferscope.core.ServerTimingSource;
import dev.inferscope.core.internal.Json;
import dev.inferscope.core.internal.RoundTripBaseline;
import dev.inferscope.core.internal.Settings;
import dev.inferscope.core.internal.http.HttpLayer;
import dev.inferscope.vllm.internal.OpenAiCodec;
import dev.inferscope.vllm.internal.ResponsesCodec;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.Executor;
import java.util.concurrent.Flow;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.ScheduledThreadPoolExecutor;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.function.ToDoubleFunction;
import javax.net.ssl.SSLContext;
import org.jspecify.annotations.Nullable;

/**
 * An observable client for vLLM's OpenAI-compatible API (and any other OpenAI-compatible server).
 *
 * <p>Every call goes through Inferscope's {@link Call}: a CLIENT span with the GenAI attributes, the
 * serialization, deserialization, time-to-first-token and decode phases, server queue and compute time
 * when the server reports them, Micrometer meters and a sampled JSON log line. Prompts and completions
 * are never recorded. The API key is sent as a bearer token and never logged or shown.
 *
 * <p>Immutable and thread-safe; build one per server and share it. {@link #close()} stops its
 * background threads (and the HTTP client's, on Java 21+).
 *
 * <pre>{@code
 * try (VllmClient client = VllmClient.builder(URI.create("http://vllm:8000"))
 *     .telemetry(telemetry).apiKey(System.getenv("VLLM_API_KEY")).build()) {
 *   Completion answer = client.chat(ChatRequest.builder("llama-3-8b").user("Hello").build());
 *   try (CompletionStream stream = client.chatStream(ChatRequest.builder("llama-3-8b").user("Hi").build())) {
 *     stream.forEachRemaining(chunk -> System.out.print(chunk.text()));
 *   }
 * }
 * }</pre>
 */
public final class VllmClient implements AutoCloseable {
  private static final int MAX_EVENT_BYTES = 16 << 20;

  private final URI baseUri;
  private final @Nullable String apiKey;
  private final @Nullable Duration defaultDeadline;
  private final Duration idleTimeout;
  private final InferenceTelemetry telemetry;
  private final ResiliencePolicy resilience;
  private final Map<String, String> headers;
  private final String endpoint;
  private final List<String> gpuIds;
  private final @Nullable GpuStateSource gpuSource;
  private final InferenceSystem system;
  private final boolean includeUsage;
  private final HttpLayer http;
  private final ScheduledExecutorService watchdog;
  private final Executor publisherExecutor;
  private final @Nullable VllmServerMetrics serverMetrics;
  private final String host;
  private final int port;
  private final @Nullable RoundTripBaseline roundTrip;

  private VllmClient(Builder b) {
    this.baseUri = b.baseUri;
    this.apiKey = b.apiKey;
    this.defaultDeadline = b.defaultDeadline;
    this.idleTimeout = b.idleTimeout;
    this.telemetry = b.telemetry;
    this.resilience = b.resilience;
    this.headers = Map.copyOf(b.headers);
    this.endpoint = b.endpoint;
    this.gpuIds = List.copyOf(b.gpuIds);
    this.gpuSource = b.gpuSource;
    this.system = b.system;
    this.includeUsage = b.includeUsage;
    if (telemetry.meterRegistry() != null) {
      resilience.bindTo(telemetry.meterRegistry());
    }
    AtomicInteger n = new AtomicInteger();
    ScheduledThreadPoolExecutor timers = new ScheduledThreadPoolExecutor(1, r -> {
      Thread t = new Thread(r, "inferscope-vllm-watchdog-" + n.incrementAndGet());
      t.setDaemon(true);
      return t;
    });
    timers.setRemoveOnCancelPolicy(true); // a stream that ends cancels its timer: drop it at once
    this.watchdog = timers;
    Map<String, String> fixed = new LinkedHashMap<>(headers);
    if (apiKey != null) {
      fixed.put("Authorization", "Bearer " + apiKey);
    }
    this.http = HttpLayer.builder(baseUri, "the server")
        .httpClient(b.httpClient)
        .connectTimeout(b.connectTimeout)
        .sslContext(b.sslContext)
        .directExecutor(true)
        .headers(fixed)
        .maxResponseBytes(b.maxResponseBytes)
        .timers(watchdog)
        .build();
    this.publisherExecutor = b.executor != null ? b.executor : r -> {
      Thread t = new Thread(r, "inferscope-vllm-stream");
      t.setDaemon(true);
      t.start();
    };
    this.host = baseUri.getHost() == null ? "localhost" : baseUri.getHost();
    this.port = baseUri.getPort() > 0 ? baseUri.getPort() : ("https".equals(baseUri.getScheme()) ? 443 : 80);
    this.roundTrip = b.probeInterval.isZero() ? null
        : RoundTripBaseline.probing(watchdog, b.probeInterval.toNanos(), this::probe);
    this.serverMetrics = b.metricsInterval == null ? null
        : new VllmServerMetrics(http.uri("/metrics"), b.metricsInterval, telemetry, system, endpoint, fixed,
            b.metricsModel);
  }

  /** A builder for a client of the server at {@code baseUri} (e.g. {@code http://vllm:8000}). */
  public static Builder builder(URI baseUri) {
    return new Builder(baseUri);
  }

  // ----------------------------------------------------------------------------------------------
  // chat and completions

  /** A chat completion, within the client's default deadline. */
  public Completion chat(ChatRequest request) {
    return chat(request, null);
  }

  /** A chat completion within {@code deadline}. */
  public Completion chat(ChatRequest request, @Nullable Deadline deadline) {
    return complete(descriptor(request, false), "/v1/chat/completions",
        () -> OpenAiCodec.encodeChat(request, false, false), true, request.confidence(), deadline);
  }

  /** A text completion, within the client's default deadline. */
  public Completion complete(CompletionRequest request) {
    return complete(request, null);
  }

  /** A text completion within {@code deadline}. */
  public Completion complete(CompletionRequest request, @Nullable Deadline deadline) {
    return complete(descriptor(request, false), "/v1/completions",
        () -> OpenAiCodec.encodeCompletion(request, false, false), false, request.confidence(), deadline);
  }

  /** An asynchronous chat completion; cancelling the future aborts the HTTP exchange. */
  public CompletableFuture<Completion> chatAsync(ChatRequest request) {
    return chatAsync(request, null);
  }

  /** An asynchronous chat completion within {@code deadline}. */
  public CompletableFuture<Completion> chatAsync(ChatRequest request, @Nullable Deadline deadline) {
    CallDescriptor d = descriptor(request, false);
    Call call = telemetry.start(d);
    byte[] body;
    try {
      body = encodeOrEnd(call, () -> OpenAiCodec.encodeChat(request, false, false));
    } catch (InferenceException e) {
      return CompletableFuture.failedFuture(e);
    }
    Deadline dl = Deadline.resolve(deadline, defaultDeadline, telemetry.clock());
    return call.executeAsync(resilience, dl, (attempt, budget) ->
        http.sendAsync(post("/v1/chat/completions", body, budget, call), budget,
            r -> decode(call, r, true, request.confidence())));
  }

  /** A streamed chat completion. Close or cancel the stream if you stop reading early. */
  public CompletionStream chatStream(ChatRequest request) {
    return chatStream(request, null);
  }

  /** A streamed chat completion within {@code deadline} (which also bounds every wait for a chunk). */
  public CompletionStream chatStream(ChatRequest request, @Nullable Deadline deadline) {
    return stream(descriptor(request, true), "/v1/chat/completions",
        () -> OpenAiCodec.encodeChat(request, true, includeUsage), true, deadline);
  }

  /** A streamed text completion. */
  public CompletionStream completeStream(CompletionRequest request) {
    return completeStream(request, null);
  }

  /** A streamed text completion within {@code deadline}. */
  public CompletionStream completeStream(CompletionRequest request, @Nullable Deadline deadline) {
    return stream(descriptor(request, true), "/v1/completions",
        () -> OpenAiCodec.encodeCompletion(request, true, includeUsage), false, deadline);
  }

  /**
   * A streamed chat completion as a {@link Flow.Publisher} with back-pressure: the connection is opened
   * on subscription, chunks are read only as they are requested, and cancelling the subscription closes
   * the connection. Each subscription reads on a thread of the client's executor.
   */
  public Flow.Publisher<StreamChunk> chatPublisher(ChatRequest request) {
    return new StreamPublisher<>(() -> chatStream(request), publisherExecutor);
  }

  // ----------------------------------------------------------------------------------------------
  // the Responses API

  /** A Responses API call ({@code POST /v1/responses}), within the client's default deadline. */
  public ResponseResult responses(ResponsesRequest request) {
    return responses(request, null);
  }

  /** A Responses API call within {@code deadline}. */
  public ResponseResult responses(ResponsesRequest request, @Nullable Deadline deadline) {
    CallDescriptor d = descriptor(request, false);
    Call call = telemetry.start(d);
    byte[] body = encodeOrEnd(call, () -> ResponsesCodec.encode(request, false));
    return call.execute(resilience, Deadline.resolve(deadline, defaultDeadline, telemetry.clock()),
        (n, dl) -> decodeResponses(call, http.send(post("/v1/responses", body, dl, call), dl)));
  }

  /** An asynchronous Responses API call; cancelling the future aborts the HTTP exchange. */
  public CompletableFuture<ResponseResult> responsesAsync(ResponsesRequest request) {
    CallDescriptor d = descriptor(request, false);
    Call call = telemetry.start(d);
    byte[] body;
    try {
      body = encodeOrEnd(call, () -> ResponsesCodec.encode(request, false));
    } catch (InferenceException e) {
      return CompletableFuture.failedFuture(e);
    }
    Deadline dl = Deadline.resolve(null, defaultDeadline, telemetry.clock());
    return call.executeAsync(resilience, dl, (attempt, budget) ->
        http.sendAsync(post("/v1/responses", body, budget, call), budget, r -> decodeResponses(call, r)));
  }

  /** A streamed Responses API call. Close or cancel the stream if you stop reading early. */
  public ResponseStream responsesStream(ResponsesRequest request) {
    return responsesStream(request, null);
  }

  /** A streamed Responses API call within {@code deadline} (which also bounds every wait for an event). */
  public ResponseStream responsesStream(ResponsesRequest request, @Nullable Deadline deadline) {
    return openStream(descriptor(request, true), "/v1/responses", () -> ResponsesCodec.encode(request, true),
        deadline, (call, resp, dl) -> new ResponseStream(call, resp.body(), resp::arrivalNanos, dl, idleTimeout,
            watchdog, (int) Math.min(MAX_EVENT_BYTES, http.maxResponseBytes()), this::roundTripNanos));
  }

  /** A streamed Responses API call as a {@link Flow.Publisher} with back-pressure (see {@link #chatPublisher}). */
  public Flow.Publisher<ResponseEvent> responsesPublisher(ResponsesRequest request) {
    return new StreamPublisher<>(() -> responsesStream(request), publisherExecutor);
  }

  private ResponseResult decodeResponses(Call call, HttpLayer.Response r) {
    byte[] body = http.ok(call, r).body();
    long t0 = telemetry.clock().nanoTime();
    Map<String, Object> parsed = Json.parseObject(body, "responses response");
    ResponseResult out = ResponsesCodec.decodeResponse(parsed);
    OpenAiCodec.ServerTiming timing = ResponsesCodec.serverTiming(parsed);
    call.recordPhase(Phase.DESERIALIZE, telemetry.clock().nanoTime() - t0);
    applyServerTiming(call, timing, roundTripNanos());
    call.responseId(out.id());
    call.responseModel(out.model());
    if (out.status() != null) {
      call.finishReasons(List.of(out.incompleteReason() != null ? out.incompleteReason() : out.status()));
    }
    call.tokens(out.usage().promptTokens(), out.usage().completionTokens());
    usageDetails(call, out.usage());
    call.responseAttribute(InferenceAttributes.RESPONSE_TOOL_CALLS, (long) out.toolCalls().size());
    return out;
  }

  private CallDescriptor descriptor(ResponsesRequest r, boolean streaming) {
    SamplingParams.Builder p = SamplingParams.builder();
    if (r.maxOutputTokens() != null) {
      p.maxTokens(r.maxOutputTokens());
    }
    if (r.temperature() != null) {
      p.temperature(r.temperature());
    }
    if (r.topP() != null) {
      p.topP(r.topP());
    }
    if (r.seed() != null) {
      p.seed(r.seed());
    }
    CallDescriptor.Builder b = descriptorBuilder("chat", r.model(), p.build(), streaming, r.context(),
        r.requestId(), r.responseFormat(), null);
    b.http("POST", baseUri + "/v1/responses");
    if (!r.tools().isEmpty()) {
      b.requestAttribute(InferenceAttributes.REQUEST_TOOLS, (long) r.tools().size());
    }
    return b.build();
  }

  // ----------------------------------------------------------------------------------------------
  // other endpoints

  /** Embeddings of each input, in order. */
  public Embeddings embeddings(String model, List<String> inputs) {
    return embeddings(model, inputs, CallContext.empty());
  }

  /** Embeddings of each input, in order, with {@code context} for the call's telemetry (never sent). */
  public Embeddings embeddings(String model, List<String> inputs, CallContext context) {
    CallDescriptor d = descriptor("embeddings", model, SamplingParams.defaults(), false, context);
    Call call = telemetry.start(d);
    return call.execute(resilience, Deadline.resolve(null, defaultDeadline, telemetry.clock()), (n, dl) -> {
      byte[] body = encode(call, () -> Json.write(Map.of("model", model, "input", inputs))
          .getBytes(StandardCharsets.UTF_8));
      HttpLayer.Response resp = http.ok(call, http.send(post("/v1/embeddings", body, dl, call), dl));
      long t0 = telemetry.clock().nanoTime();
      Map<String, Object> m = Json.parseObject(resp.body(), "embeddings response");
      List<float[]> vectors = new ArrayList<>();
      for (Object o : Json.array(m, "data")) {
        List<Object> v = Json.array(Json.asObject(o, "embedding entry"), "embedding");
        float[] f = new float[v.size()];
        for (int i = 0; i < f.length; i++) {
          if (!(v.get(i) instanceof Number num)) {
            throw InferenceException.of(ErrorType.PROTOCOL, "embedding value is not a number");
          }
          f[i] = num.floatValue();
        }
        vectors.add(f);
      }
      Map<String, Object> u = Json.object(m, "usage");
      Usage usage = u == null ? Usage.UNKNOWN
          : new Usage(Json.longValue(u, "prompt_tokens", -1), -1, Json.longValue(u, "total_tokens", -1));
      call.recordPhase(Phase.DESERIALIZE, telemetry.clock().nanoTime() - t0);
      call.responseBytes(resp.body().length);
      call.tokens(usage.promptTokens(), -1);
      return new Embeddings(Json.string(m, "model"), vectors, usage);
    });
  }

  /** The models the server serves. */
  public List<ModelInfo> models() {
    return simpleGet("models", "/v1/models", OpenAiCodec::decodeModels);
  }

  /** Whether {@code /health} answers 200. Never throws for an unhealthy server; throws when unreachable. */
  public boolean health() {
    return simpleGet("health", "/health", body -> Boolean.TRUE, true);
  }

  /** The server's version string ({@code /version}). */
  public String version() {
    return simpleGet("version", "/version", body -> {
      String v = Json.string(Json.parseObject(body, "version response"), "version");
      if (v == null) {
        throw InferenceException.of(ErrorType.PROTOCOL, "version response without version");
      }
      return v;
    });
  }

  /** Token ids of {@code text} under {@code model} ({@code /tokenize} of vLLM or llama.cpp's server). */
  public List<Long> tokenize(String model, String text) {
    // vLLM reads the text from "prompt" (vllm-project/vllm vllm/entrypoints/openai/protocol.py,
    // TokenizeCompletionRequest); llama.cpp's server from "content" (ggml-org/llama.cpp
    // tools/server/README.md, POST /tokenize), and answers {"tokens": []} to "prompt" (seen on b11669). The
    // client sends the field this server is known to read; a non-empty text that comes back as no tokens
    // under "prompt" is asked again under "content", and the answer is remembered.
    boolean content = tokenizeWithContent;
    List<Long> out = tokenize(model, text, content);
    if (!content && out.isEmpty() && !text.isEmpty()) {
      List<Long> again = tokenize(model, text, true);
      if (!again.isEmpty()) {
        tokenizeWithContent = true;
        return again;
      }
    }
    return out;
  }

  private volatile boolean tokenizeWithContent;

  private List<Long> tokenize(String model, String text, boolean content) {
    byte[] body = Json.write(Map.of("model", model, content ? "content" : "prompt", text))
        .getBytes(StandardCharsets.UTF_8);
    return simplePost("tokenize", model, "/tokenize", body, resp -> {
      List<Long> out = new ArrayList<>();
      for (Object o : Json.array(Json.parseObject(resp, "tokenize response"), "tokens")) {
        if (!(o instanceof Number n)) {
          throw InferenceException.of(ErrorType.PROTOCOL, "token is not a number");
        }
        out.add(n.longValue());
      }
      return out;
    });
  }

  /**
   * The text of {@code tokens}: vLLM answers {@code {"prompt": ...}}, llama.cpp's server
   * {@code {"content": ...}} (ggml-org/llama.cpp tools/server/README.md, POST /detokenize); either is read.
   */
  public String detokenize(String model, List<Long> tokens) {
    byte[] body = Json.write(Map.of("model", model, "tokens", tokens)).getBytes(StandardCharsets.UTF_8);
    return simplePost("detokenize", model, "/detokenize", body, resp -> {
      Map<String, Object> m = Json.parseObject(resp, "detokenize response");
      String p = Json.string(m, "prompt");
      if (p == null) {
        p = Json.string(m, "content");
      }
      if (p == null) {
        throw InferenceException.of(ErrorType.PROTOCOL, "detokenize response without prompt or content");
      }
      return p;
    });
  }


  // ----------------------------------------------------------------------------------------------
  // pooling models: rerank, score, classify, pooling

  /** The documents ranked by relevance to {@code query} ({@code /v1/rerank}); all of them. */
  public Reranking rerank(String model, String query, List<String> documents) {
    return rerank(model, query, documents, 0);
  }

  /**
   * The {@code topN} documents most relevant to {@code query} ({@code /v1/rerank}; 0 for all). The query
   * and documents are payload; the span records the number of documents ranked.
   */
  public Reranking rerank(String model, String query, List<String> documents, int topN) {
    if (topN < 0) {
      throw new IllegalArgumentException("topN must not be negative");
    }
    Map<String, Object> req = new LinkedHashMap<>();
    req.put("model", model);
    req.put("query", Objects.requireNonNull(query, "query"));
    req.put("documents", List.copyOf(documents));
    if (topN > 0) {
      req.put("top_n", topN);
    }
    return simplePost("rerank", model, "/v1/rerank", Json.write(req).getBytes(StandardCharsets.UTF_8),
        dev.inferscope.vllm.internal.PoolingCodec::rerank, r -> r.results().size(), Reranking::usage);
  }

  /** The similarity of {@code text} to each of {@code others} ({@code /v1/score}, as {@code text_1}, {@code text_2}). */
  public Scores score(String model, String text, List<String> others) {
    Map<String, Object> req = new LinkedHashMap<>();
    req.put("model", model);
    req.put("text_1", Objects.requireNonNull(text, "text"));
    req.put("text_2", List.copyOf(others));
    return simplePost("score", model, "/v1/score", Json.write(req).getBytes(StandardCharsets.UTF_8),
        dev.inferscope.vllm.internal.PoolingCodec::score, r -> r.scores().size(), Scores::usage);
  }

  /** The class of each input ({@code /classify}) with a sequence-classification model. */
  public Classifications classify(String model, List<String> inputs) {
    Map<String, Object> req = new LinkedHashMap<>();
    req.put("model", model);
    req.put("input", List.copyOf(inputs));
    return simplePost("classify", model, "/classify", Json.write(req).getBytes(StandardCharsets.UTF_8),
        dev.inferscope.vllm.internal.PoolingCodec::classify, r -> r.results().size(), Classifications::usage);
  }

  /** The pooler's raw output for each input ({@code /pooling}). */
  public Pooling pooling(String model, List<String> inputs) {
    Map<String, Object> req = new LinkedHashMap<>();
    req.put("model", model);
    req.put("input", List.copyOf(inputs));
    return simplePost("pooling", model, "/pooling", Json.write(req).getBytes(StandardCharsets.UTF_8),
        dev.inferscope.vllm.internal.PoolingCodec::pooling, r -> r.outputs().size(), Pooling::usage);
  }

  /** The server-load monitor fed by {@code /metrics}, or {@code null} when scraping is off. */
  public @Nullable VllmServerMetrics serverMetrics() {
    return serverMetrics;
  }

  /** The base URI. */
  public URI baseUri() {
    return baseUri;
  }

  /** One {@code GET /health}, timed from send to the end of the response; no telemetry. */
  private void probe(java.util.function.LongConsumer done) {
    Deadline dl = Deadline.after(Duration.ofSeconds(2));
    HttpRequest rq = http.request("/health", null, dl).GET()
        .setHeader("User-Agent", "inferscope-probe/" + dev.inferscope.core.Version.VERSION).build();
    long t0 = System.nanoTime();
    http.sendAsync(rq, dl).whenComplete((r, t) ->
        done.accept(t == null && r.status() < 500 ? System.nanoTime() - t0 : -1));
  }

  /** The measured network round trip to the server in nanoseconds, or -1 when unknown or off. */
  public long roundTripNanos() {
    return roundTrip == null ? -1 : roundTrip.nanos();
  }

  @Override
  public void close() {
    if (roundTrip != null) {
      roundTrip.close();
    }
    if (serverMetrics != null) {
      serverMetrics.close();
    }
    http.close(); // the layer closes the HTTP client only if it built it; never a caller's
    watchdog.shutdownNow();
  }

  @Override
  public String toString() {
    return "VllmClient[" + baseUri + ", endpoint=" + endpoint + ", apiKey=" + (apiKey == null ? "none" : "<redacted>")
        + ", headers=" + headers.keySet() + "]";
  }

  // ----------------------------------------------------------------------------------------------
  // internals

  @FunctionalInterface
  private interface Encoder {
    byte[] encode();
  }

  @FunctionalInterface
  private interface BodyDecoder<T> {
    T decode(byte[] body);
  }

  /**
   * A chat call's descriptor, with the request facts that are not content: how many tools were offered, how
   * many media parts the messages hold, choices asked for, seed, JSON output, removed parameters.
   */
  private CallDescriptor descriptor(ChatRequest r, boolean streaming) {
    CallDescriptor.Builder b = descriptorBuilder("chat", r.model(), r.sampling(), streaming, r.context(),
        r.requestId(), r.responseFormat(), r.structuredOutputs());
    if (!r.tools().isEmpty()) {
      b.requestAttribute(InferenceAttributes.REQUEST_TOOLS, (long) r.tools().size());
    }
    long media = 0;
    for (ChatMessage m : r.messages()) {
      for (ContentPart p : m.parts()) {
        if (!(p instanceof ContentPart.Text)) {
          media++;
        }
      }
    }
    if (media > 0) {
      b.requestAttribute(InferenceAttributes.REQUEST_MEDIA_PARTS, media);
    }
    return b.build();
  }

  private CallDescriptor descriptor(CompletionRequest r, boolean streaming) {
    return descriptorBuilder("text_completion", r.model(), r.sampling(), streaming, r.context(), r.requestId(),
        r.responseFormat(), r.structuredOutputs()).build();
  }

  private CallDescriptor.Builder descriptorBuilder(String operation, String model, SamplingParams p,
      boolean streaming, CallContext context, @Nullable String requestId, @Nullable ResponseFormat format,
      @Nullable StructuredOutputs structured) {
    CallDescriptor.Builder b = descriptorBuilder(operation, model, p, streaming, context, requestId);
    if (p.n() != null) {
      b.requestAttribute(InferenceAttributes.GEN_AI_REQUEST_CHOICE_COUNT, (long) p.n());
    }
    b.requestAttribute(InferenceAttributes.GEN_AI_REQUEST_SEED, p.seed());
    if ((format != null && format.json()) || (structured != null && structured.json())) {
      b.requestAttribute(InferenceAttributes.GEN_AI_OUTPUT_TYPE, "json");
    }
    List<String> removed = p.removedGuidedParams();
    if (!removed.isEmpty()) {
      b.requestAttribute(InferenceAttributes.REQUEST_REMOVED_PARAMS, removed);
      RemovedParams.warnOnce(removed);
    }
    return b;
  }

  private CallDescriptor descriptor(String operation, String model, SamplingParams p, boolean streaming,
      CallContext context) {
    return descriptorBuilder(operation, model, p, streaming, context, null).build();
  }

  private CallDescriptor.Builder descriptorBuilder(String operation, String model, SamplingParams p,
      boolean streaming, CallContext context, @Nullable String requestId) {
    return CallDescriptor.builder(system, operation, model)
        .endpoint(endpoint)
        .requestId(requestId != null ? requestId : dev.inferscope.core.internal.RequestIds.next())
        .server(host, port)
        .http("POST", baseUri + pathFor(operation))
        .streaming(streaming)
        .genAi(true)
        .maxTokens(p.maxTokens())
        .temperature(p.temperature())
        .topP(p.topP())
        .gpuIds(gpuIds)
        .gpuSource(gpuSource)
        .context(context);
  }

  private static String pathFor(String operation) {
    return switch (operation) {
      case "chat" -> "/v1/chat/completions";
      case "text_completion" -> "/v1/completions";
      case "embeddings" -> "/v1/embeddings";
      case "rerank" -> "/v1/rerank";
      case "score" -> "/v1/score";
      default -> "/" + operation;
    };
  }

  /** Encodes the body (SERIALIZE); when encoding fails the call ends with it and it is thrown, typed. */
  private byte[] encodeOrEnd(Call call, Encoder encoder) {
    try {
      return encode(call, encoder);
    } catch (RuntimeException e) {
      InferenceException ie = InferenceException.from(e);
      call.end(ie);
      throw ie;
    }
  }

  private byte[] encode(Call call, Encoder encoder) {
    long t0 = telemetry.clock().nanoTime();
    byte[] body = encoder.encode();
    call.recordPhase(Phase.SERIALIZE, telemetry.clock().nanoTime() - t0);
    call.requestBytes(body.length);
    return body;
  }

  private Completion complete(CallDescriptor d, String path, Encoder encoder, boolean chat,
      @Nullable ToDoubleFunction<Completion> confidence, @Nullable Deadline deadline) {
    Call call = telemetry.start(d);
    byte[] body = encodeOrEnd(call, encoder);
    return call.execute(resilience, Deadline.resolve(deadline, defaultDeadline, telemetry.clock()), (n, dl) -> {
      return decode(call, http.send(post(path, body, dl, call), dl), chat, confidence);
    });
  }

  private Completion decode(Call call, HttpLayer.Response r, boolean chat,
      @Nullable ToDoubleFunction<Completion> confidence) {
    byte[] body = http.ok(call, r).body();
    long t0 = telemetry.clock().nanoTime();
    Map<String, Object> parsed = Json.parseObject(body, "completion response");
    Completion c = OpenAiCodec.decodeCompletion(parsed, chat);
    OpenAiCodec.ServerTiming timing = OpenAiCodec.serverTimingOrNone(parsed);
    call.recordPhase(Phase.DESERIALIZE, telemetry.clock().nanoTime() - t0);
    applyServerTiming(call, timing, roundTripNanos());
    if (!timing.known()) {
      estimateFromStatistics(call, c.usage().completionTokens(), c.choices().size(), false);
    }
    call.responseId(c.id());
    call.responseModel(c.model());
    call.finishReasons(c.finishReasons());
    call.tokens(c.usage().promptTokens(), c.usage().completionTokens());
    usageDetails(call, c.usage());
    if (chat) {
      long calls = 0;
      for (Choice ch : c.choices()) {
        calls += ch.toolCalls().size();
      }
      call.responseAttribute(InferenceAttributes.RESPONSE_TOOL_CALLS, calls);
    }
    if (c.choices().size() > 1) {
      call.responseAttribute(InferenceAttributes.RESPONSE_CHOICES, (long) c.choices().size());
    }
    call.confidence(c, confidence);
    return c;
  }

  /**
   * A compute estimate from the server's {@code /metrics} statistics for a call whose answer carried no
   * server timing (vLLM without {@code --enable-per-request-metrics}): the model's mean prefill plus its
   * decode time per token for this call's output tokens ({@link VllmServerMetrics.Load#computeNanos}); the
   * queue is then the remainder after the measured round trip, bounded on streams by the time to first
   * token ({@link ServerTimingSource#STATISTICS}). Needs {@link Builder#scrapeMetrics} and a measured round
   * trip; otherwise nothing is estimated. Nor for {@code n > 1}: the usage then counts every choice, not one
   * generation's tokens (vLLM's own per-request metrics are null then too).
   */
  void estimateFromStatistics(Call call, long outputTokens, int choices, boolean stream) {
    VllmServerMetrics metrics = serverMetrics;
    long rtt = roundTripNanos();
    if (metrics == null || rtt < 0 || choices > 1 || metrics.stale()) {
      return;
    }
    VllmServerMetrics.Load load = metrics.load(call.descriptor().model());
    long compute = load == null ? -1 : load.computeNanos(outputTokens);
    if (compute < 0) {
      return;
    }
    call.serverTimingEstimate(compute, stream ? load.prefillNanos() : -1, rtt, ServerTimingSource.STATISTICS);
  }

  /** Cached prompt tokens and reasoning tokens, when the server's usage details give them. */
  static void usageDetails(Call call, Usage u) {
    if (u.cachedPromptTokens() >= 0) {
      call.responseAttribute(InferenceAttributes.GEN_AI_USAGE_CACHE_READ_INPUT_TOKENS, u.cachedPromptTokens());
    }
    if (u.reasoningTokens() >= 0) {
      call.responseAttribute(InferenceAttributes.GEN_AI_USAGE_REASONING_OUTPUT_TOKENS, u.reasoningTokens());
    }
  }

  /**
   * Server timing into the call: queue and compute reported (vLLM per-request metrics) are exact;
   * compute without a queue (llama.cpp {@code timings}) leaves the queue to be derived from the
   * measured round trip.
   */
  static void applyServerTiming(Call call, OpenAiCodec.ServerTiming t, long roundTripNanos) {
    if (t.queueNanos() >= 0) {
      call.serverTiming(t.queueNanos(), t.computeNanos(), ServerTimingSource.RESPONSE);
    } else if (t.computeNanos() >= 0) {
      call.serverTimingEstimate(t.computeNanos(), t.timeToFirstTokenNanos(), roundTripNanos,
          ServerTimingSource.RESPONSE_COMPUTE);
    }
    call.serverLatency(t.timeToFirstTokenNanos(), t.meanInterTokenNanos());
  }

  private CompletionStream stream(CallDescriptor d, String path, Encoder encoder, boolean chat,
      @Nullable Deadline deadline) {
    return openStream(d, path, encoder, deadline, (call, resp, dl) -> new CompletionStream(call, resp.body(),
        resp::arrivalNanos, chat, dl, idleTimeout, watchdog, (int) Math.min(MAX_EVENT_BYTES, http.maxResponseBytes()),
        this::roundTripNanos, this::estimateFromStatistics));
  }

  @FunctionalInterface
  private interface StreamFactory<S> {
    S open(Call call, HttpLayer.Stream response, @Nullable Deadline deadline);
  }

  private <S extends SseCallStream<?>> S openStream(CallDescriptor d, String path, Encoder encoder,
      @Nullable Deadline deadline, StreamFactory<S> factory) {
    Call call = telemetry.start(d);
    byte[] body = encodeOrEnd(call, encoder);
    Deadline dl = Deadline.resolve(deadline, defaultDeadline, telemetry.clock());
    HttpLayer.Stream resp = null;
    try {
      // Retries only here: before the first byte of the response body.
      resp = resilience.execute(call, dl, (n, budget) -> http.openStream(post(path, body, budget, call), budget, call));
      return factory.open(call, resp, dl);
    } catch (RuntimeException e) {
      InferenceException ie = InferenceException.from(e);
      if (resp != null) {
        resp.close();
      }
      call.end(ie);
      throw ie;
    }
  }

  private <T> T simpleGet(String operation, String path, BodyDecoder<T> decoder) {
    return simpleGet(operation, path, decoder, false);
  }

  private <T> T simpleGet(String operation, String path, BodyDecoder<T> decoder, boolean healthCheck) {
    boolean probe = operation.equals("health") || operation.equals("models");
    CallDescriptor d = CallDescriptor.builder(system, operation, "").endpoint(endpoint).probe(probe)
        .requestId(dev.inferscope.core.internal.RequestIds.next()).server(host, port).http("GET", baseUri + path).build();
    Call call = telemetry.start(d);
    // The health check reports the server's state now: never behind the circuit breaker, the bulkhead or
    // retries. Listing models keeps the policy (its breaker is the endpoint's, no model's).
    return call.execute(healthCheck ? ResiliencePolicy.none() : resilience,
        Deadline.resolve(null, defaultDeadline, telemetry.clock()), (n, dl) -> {
      HttpLayer.Response resp = http.send(request(path, dl, call).GET().build(), dl);
      if (healthCheck && resp.status() != 200) {
        call.httpStatusCode(resp.status());
        @SuppressWarnings("unchecked")
        T unhealthy = (T) Boolean.FALSE;
        return unhealthy;
      }
      http.ok(call, resp);
      return decoder.decode(resp.body());
    });
  }

  private <T> T simplePost(String operation, String model, String path, byte[] body, BodyDecoder<T> decoder) {
    return simplePost(operation, model, path, body, decoder, null, null);
  }

  /** A POST whose answer is decoded whole; {@code results} and {@code usage} (when given) feed the span. */
  private <T> T simplePost(String operation, String model, String path, byte[] body, BodyDecoder<T> decoder,
      java.util.function.@Nullable ToIntFunction<T> results, java.util.function.@Nullable Function<T, Usage> usage) {
    CallDescriptor d = CallDescriptor.builder(system, operation, model).endpoint(endpoint)
        .requestId(dev.inferscope.core.internal.RequestIds.next()).server(host, port).http("POST", baseUri + path)
        .gpuIds(gpuIds).gpuSource(gpuSource).build();
    Call call = telemetry.start(d);
    call.requestBytes(body.length);
    return call.execute(resilience, Deadline.resolve(null, defaultDeadline, telemetry.clock()), (n, dl) -> {
      HttpLayer.Response resp = http.ok(call, http.send(post(path, body, dl, call), dl));
      long t0 = telemetry.clock().nanoTime();
      T out = decoder.decode(resp.body());
      if (results != null) {
        call.recordPhase(Phase.DESERIALIZE, telemetry.clock().nanoTime() - t0);
        call.responseBytes(resp.body().length);
        call.responseAttribute(InferenceAttributes.RESPONSE_RESULTS, (long) results.applyAsInt(out));
      }
      if (usage != null) {
        Usage u = usage.apply(out);
        call.tokens(u.promptTokens(), -1);
      }
      return out;
    });
  }

  private HttpRequest.Builder request(String path, @Nullable Deadline deadline, Call call) {
    HttpRequest.Builder rb = http.request(path, call, deadline);
    if (call.descriptor().requestId() != null) {
      rb.setHeader("X-Request-Id", call.descriptor().requestId());
    }
    return rb;
  }

  private HttpRequest post(String path, byte[] body, @Nullable Deadline deadline, Call call) {
    return request(path, deadline, call).POST(HttpRequest.BodyPublishers.ofByteArray(body))
        .header("Content-Type", "application/json").build();
  }

  /** Builds a {@link VllmClient}. */
  public static final class Builder {
    private final URI baseUri;
    private @Nullable String apiKey;
    private @Nullable Duration defaultDeadline = Duration.ofSeconds(60);
    private Duration idleTimeout = Duration.ofSeconds(30);
    private Duration connectTimeout = Duration.ofSeconds(10);
    private InferenceTelemetry telemetry = InferenceTelemetry.builder().build();
    private ResiliencePolicy resilience = ResiliencePolicy.defaults();
    private final Map<String, String> headers = new LinkedHashMap<>();
    private String endpoint = "default";
    private List<String> gpuIds = List.of();
    private @Nullable GpuStateSource gpuSource;
    private InferenceSystem system = InferenceSystem.VLLM;
    private boolean includeUsage = true;
    private @Nullable HttpClient httpClient;
    private @Nullable SSLContext sslContext;
    private int maxResponseBytes = 64 << 20;
    private @Nullable Executor executor;
    private @Nullable Duration metricsInterval;
    private Duration probeInterval = Duration.ofSeconds(5);
    private String metricsModel = "default";

    private Builder(URI baseUri) {
      this.baseUri = Settings.httpUri("baseUri", baseUri);
    }

    /** The API key, sent as {@code Authorization: Bearer}; never logged or shown. */
    public Builder apiKey(@Nullable String apiKey) {
      this.apiKey = apiKey == null || apiKey.isEmpty() ? null : apiKey;
      return this;
    }

    /**
     * The deadline of calls made without one (default 60 s; {@code null} for none).
     *
     * @throws IllegalArgumentException when not positive or longer than 100 days
     */
    public Builder defaultDeadline(@Nullable Duration deadline) {
      this.defaultDeadline = deadline == null ? null : Settings.positive("defaultDeadline", deadline);
      return this;
    }

    /**
     * The longest wait for the next chunk of a stream (default 30 s).
     *
     * @throws IllegalArgumentException when not positive or longer than 100 days
     */
    public Builder idleTimeout(Duration idleTimeout) {
      this.idleTimeout = Settings.positive("idleTimeout", idleTimeout);
      return this;
    }

    /**
     * The largest response body (and streamed event) accepted, default 64 MiB; a larger one fails the
     * call with PROTOCOL, without retrying. Applied after decompression, on every call path.
     *
     * @throws IllegalArgumentException when not positive
     */
    public Builder maxResponseBytes(int bytes) {
      this.maxResponseBytes = (int) Settings.positive("maxResponseBytes", bytes);
      return this;
    }

    /**
     * The TLS context for {@code https} base URIs (its trust managers decide which server certificates
     * are accepted; its key managers give a client certificate). Without it the JDK's default context
     * is used. Ignored when {@link #httpClient(HttpClient)} supplies the client.
     */
    public Builder sslContext(SSLContext sslContext) {
      this.sslContext = Objects.requireNonNull(sslContext, "sslContext");
      return this;
    }

    /** How long opening a connection may take (default 10 s); ignored with {@link #httpClient(HttpClient)}. */
    public Builder connectTimeout(Duration connectTimeout) {
      this.connectTimeout = Settings.positive("connectTimeout", connectTimeout);
      return this;
    }

    /** Where spans, meters and log lines go (default: the global OpenTelemetry, no meter registry). */
    public Builder telemetry(InferenceTelemetry telemetry) {
      this.telemetry = Objects.requireNonNull(telemetry, "telemetry");
      return this;
    }

    /** Retries, circuit breaker and bulkhead (default {@link ResiliencePolicy#defaults()}). */
    public Builder resilience(ResiliencePolicy resilience) {
      this.resilience = Objects.requireNonNull(resilience, "resilience");
      return this;
    }

    /**
     * An extra header on every request (values are never logged or shown).
     *
     * @throws IllegalArgumentException for a name that is not an HTTP token or a value with a line break
     */
    public Builder header(String name, String value) {
      headers.put(Settings.headerName("header", name), Settings.headerValue("header", name, value));
      return this;
    }

    /** The endpoint name used in telemetry (default {@code default}). */
    public Builder endpoint(String endpoint) {
      this.endpoint = Objects.requireNonNull(endpoint, "endpoint");
      return this;
    }

    /**
     * Where this server's GPU state comes from (for example a {@code RemoteGpuStateSource} over the
     * server's own dcgm-exporter); default the telemetry's source. Calls of this client carry this
     * source's GPU, so a trace never shows another server's GPU on this server's calls.
     */
    public Builder gpuSource(@Nullable GpuStateSource gpuSource) {
      this.gpuSource = gpuSource;
      return this;
    }

    /** UUIDs (or indexes) of the GPUs serving this endpoint, to attach their state to spans. */
    public Builder gpuIds(List<String> gpuIds) {
      this.gpuIds = List.copyOf(gpuIds);
      return this;
    }

    /**
     * {@link InferenceSystem#OPENAI_COMPATIBLE} for other OpenAI-compatible servers (llama-server, SGLang,
     * gateways), {@link InferenceSystem#OPENAI} for OpenAI's own API (default VLLM); it sets
     * {@code inference.system} and {@code gen_ai.provider.name}.
     */
    public Builder system(InferenceSystem system) {
      this.system = Objects.requireNonNull(system, "system");
      return this;
    }

    /** Ask streams for usage ({@code stream_options.include_usage}); default true. */
    public Builder includeUsage(boolean includeUsage) {
      this.includeUsage = includeUsage;
      return this;
    }

    /**
     * A caller-owned HTTP client to use instead of the one the client would build (the caller closes it;
     * {@link #connectTimeout}, {@link #sslContext} do not apply). If it has an executor, every response
     * passes through that executor, and the hand-off shows in the measured time to first token.
     */
    public Builder httpClient(HttpClient httpClient) {
      this.httpClient = Objects.requireNonNull(httpClient, "httpClient");
      return this;
    }

    /** Where {@link #chatPublisher} subscriptions read (default: a new daemon thread each). */
    public Builder executor(Executor executor) {
      this.executor = executor;
      return this;
    }

    /**
     * How often to measure the network round trip to the server with a {@code GET /health} on the same
     * connection pool (default 5 s; {@link Duration#ZERO} turns it off). Servers that report their
     * compute but not their queue (llama.cpp's {@code timings}; vLLM's {@code metrics} with a null
     * queue) get an estimated SERVER_QUEUE of total minus the client's phases, the compute and this
     * round trip, so NETWORK shows the round trip and not the queue. Probes are not inference calls:
     * they make no span, meter or log line.
     */
    public Builder roundTripProbeInterval(Duration interval) {
      this.probeInterval = RoundTripBaseline.checkInterval(interval);
      return this;
    }

    /**
     * The model name that a server whose {@code /metrics} has no model label (llama.cpp's
     * {@code llamacpp:*} series) is reported under (default {@code default}; llama-server's alias, e.g.
     * {@code tiny-llama}, is a good choice).
     */
    public Builder metricsModel(String model) {
      this.metricsModel = Objects.requireNonNull(model, "model");
      return this;
    }

    /** Scrape the server's {@code /metrics} at this interval (off by default). */
    public Builder scrapeMetrics(@Nullable Duration interval) {
      this.metricsInterval = interval == null ? null : Settings.positive("scrapeMetrics interval", interval);
      return this;
    }

    /** Builds the client; it owns what it created (HTTP client, timers) and releases it on close. */
    public VllmClient build() {
      return new VllmClient(this);
    }
  }
}
