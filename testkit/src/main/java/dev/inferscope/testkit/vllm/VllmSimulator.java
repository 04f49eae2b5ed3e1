package dev.inferscope.testkit.vllm;

import dev.inferscope.testkit.http.LeanHttpServer;
import com.sun.net.httpserver.Headers;
import com.sun.net.httpserver.HttpExchange;
import dev.inferscope.core.InferenceException;
import dev.inferscope.core.internal.Json;
import java.io.IOException;
import java.io.OutputStream;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.URI;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Objects;
import java.util.Set;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Semaphore;
import java.util.concurrent.ThreadFactory;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.locks.LockSupport;
import javax.net.ssl.SSLContext;
import org.jspecify.annotations.Nullable;

/**
 * An OpenAI-compatible HTTP server shaped like vLLM, on 127.0.0.1 and an ephemeral port.
 *
 * <p>Serves {@code /v1/chat/completions} and {@code /v1/completions} (streaming over server-sent
 * events and not), {@code /v1/embeddings}, {@code /v1/models}, {@code /health}, {@code /version},
 * {@code /tokenize}, {@code /detokenize} and {@code /metrics} with vLLM's metric names. Requests take a
 * running slot (at most {@link Builder#maxRunning}) or wait in a FIFO queue (at most
 * {@link Builder#maxWaiting}; beyond that they are rejected with 503 or 429 and {@code Retry-After}).
 * Tokens are generated with a configurable time to first token and inter-token gap. Faults can be
 * switched on at any time with {@link #fault(Fault)}. Every request is recorded (headers of interest,
 * path, queue time) for assertions. {@link #close()} stops every thread.
 *
 * <p>The completion text is made of the words {@code tok0 tok1 ...}; prompts are never echoed except by
 * the deliberate "context too long" error, which quotes the prompt as vLLM does.
 */
public final class VllmSimulator implements AutoCloseable {
  /** The OpenAI-compatible shapes' source. */
  static final String PROTOCOL = "vllm-project/vllm vllm/entrypoints/openai/protocol.py @0052bed";


  /** Faults that can be injected into the next requests. */
  public enum Fault {
    /** No fault. */
    NONE,
    /** Answer 503 with Retry-After before anything else. */
    UNAVAILABLE_503,
    /** Answer 429 with Retry-After before anything else. */
    RATE_LIMITED_429,
    /** Streams: send an error event after two chunks. */
    ERROR_MID_STREAM,
    /** Streams: close the connection after two chunks, without [DONE] or the end of the chunked body. */
    DROP_MID_STREAM,
    /** Streams: reset the connection (TCP RST) after two chunks. */
    RESET_MID_STREAM,
    /** Streams: send a chunk that is not JSON after one chunk. */
    MALFORMED_CHUNK,
    /** Streams: stop sending after one chunk, keeping the connection open. */
    STALL_MID_STREAM,
    /** Non-streaming: answer 200 with a body that is not JSON. */
    MALFORMED_BODY,
    /** Answer with the older flat error shape ({"object":"error",...}) and status 400. */
    FLAT_ERROR_400
  }

  /** What the simulator saw of one request. */
  public record RecordedRequest(
      String method,
      String path,
      @Nullable String requestId,
      @Nullable String traceparent,
      boolean authorized,
      @Nullable String authorization,
      long queueNanos,
      boolean stream,
      int chunksSent,
      boolean completed,
      @Nullable String model,
      long firstChunkNanos,
      long computeNanos) {

    /**
     * Ground truth for estimate tests: the time the request really waited for a running slot
     * ({@link #queueNanos}) and really spent generating ({@link #computeNanos}, from admission to its
     * last token; -1 where nothing was generated).
     */
    public long trueQueueNanos() {
      return queueNanos;
    }
  }

  /**
   * Which server's wire shapes to play. Each shape is what that server sends; nothing is invented.
   */
  public enum Flavor {
    /**
     * vLLM's OpenAI-compatible server (vllm-project/vllm {@code vllm/entrypoints/openai/}): the role in
     * the first content chunk, a separate {@code choices: []} usage chunk when
     * {@code stream_options.include_usage} is set, and, with {@link Builder#perRequestMetrics}, the
     * {@code metrics} object of {@code docs/features/per_request_metrics.md} (commit 0377ba9).
     */
    VLLM,
    /**
     * llama.cpp's {@code llama-server}, as captured from build b11669-Debian (Debian sid
     * {@code llama.cpp-tools}, {@code ../shared/peers/README.md}): a role-only first chunk
     * ({@code "delta":{"role":"assistant","content":null}}), one chunk per token, a finish chunk with an
     * empty delta; with {@code include_usage} on chat a separate {@code choices: []} chunk with
     * {@code usage} and {@code timings}, otherwise {@code timings} on the finish chunk (text completions:
     * {@code usage} and {@code timings} always on the finish chunk, which has {@code "text":""});
     * {@code system_fingerprint}; {@code /health} answers {@code {"status":"ok"}}; {@code /metrics} uses
     * the {@code llamacpp:} names.
     */
    LLAMA_CPP
  }

  private static final String ARRIVED = "inferscope.arrived";
  private final LeanHttpServer server;
  private final Builder config;
  private final Semaphore running;
  private final AtomicInteger waiting = new AtomicInteger();
  private final AtomicInteger inFlight = new AtomicInteger();
  private final ConcurrentLinkedQueue<RecordedRequest> requests = new ConcurrentLinkedQueue<>();
  private final AtomicLong promptTokens = new AtomicLong();
  private final AtomicLong generationTokens = new AtomicLong();
  private final AtomicLong requestSuccess = new AtomicLong();
  private final Histogram queueTime = new Histogram(0.005, 0.01, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10);
  private final Histogram ttft = new Histogram(0.005, 0.01, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10);
  private final Histogram itl = new Histogram(0.001, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1);
  private final Histogram prefillTime = new Histogram(0.005, 0.01, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10);
  private final Histogram decodeTime = new Histogram(0.005, 0.01, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10);
  private final Histogram generationTokensPerRequest = new Histogram(1, 2, 5, 10, 20, 50, 100, 200, 500, 1000);
  private final AtomicInteger[] waitingPerEngine;
  private final AtomicInteger[] runningPerEngine;
  private final AtomicLong admissions = new AtomicLong();
  private final AtomicLong ids = new AtomicLong();
  private volatile Fault fault = Fault.NONE;
  private volatile int faultCount = Integer.MAX_VALUE;
  private volatile boolean closed;

  private VllmSimulator(Builder b) throws IOException {
    this.config = b;
    this.running = new Semaphore(b.maxRunning, true);
    this.waitingPerEngine = new AtomicInteger[b.engines];
    this.runningPerEngine = new AtomicInteger[b.engines];
    for (int e = 0; e < b.engines; e++) {
      waitingPerEngine[e] = new AtomicInteger();
      runningPerEngine[e] = new AtomicInteger();
    }
    this.server = new LeanHttpServer(b.tls, 1024, "vllm-simulator-", this::handle);
  }

  /** A builder with one model, {@code sim-llm}. */
  public static Builder builder() {
    return new Builder();
  }

  /** Starts a simulator with default settings. */
  public static VllmSimulator start() {
    return builder().start();
  }

  /** The base URL, e.g. {@code http://127.0.0.1:41234} ({@code https} when started with TLS). */
  public URI baseUri() {
    return URI.create((config.tls == null ? "http" : "https") + "://127.0.0.1:" + server.port());
  }

  /** The port. */
  public int port() {
    return server.port();
  }

  /** Connections accepted since the start (a client that reuses connections keeps this low). */
  public int acceptedConnections() {
    return server.acceptedConnections();
  }

  /** Connections open now. */
  public int openConnections() {
    return server.openConnections();
  }

  /** Injects a fault into every following request until reset with {@link Fault#NONE}. */
  public void fault(Fault fault) {
    fault(fault, Integer.MAX_VALUE);
  }

  /** Injects a fault into the next {@code count} requests. */
  public void fault(Fault fault, int count) {
    this.faultCount = count;
    this.fault = Objects.requireNonNull(fault, "fault");
  }

  private Fault takeFault() {
    Fault f = fault;
    if (f == Fault.NONE) {
      return f;
    }
    synchronized (this) {
      if (faultCount <= 0) {
        fault = Fault.NONE;
        return Fault.NONE;
      }
      faultCount--;
      return f;
    }
  }

  /** Every request seen so far, in arrival order of completion. */
  public List<RecordedRequest> requests() {
    return new ArrayList<>(requests);
  }

  /** Requests of one path. */
  public List<RecordedRequest> requests(String path) {
    List<RecordedRequest> out = new ArrayList<>();
    for (RecordedRequest r : requests) {
      if (r.path().equals(path)) {
        out.add(r);
      }
    }
    return out;
  }

  /** Requests waiting for a running slot now. */
  public int waiting() {
    return waiting.get();
  }

  /** Requests being handled now (any endpoint). */
  public int inFlight() {
    return inFlight.get();
  }

  /** The configured time to first token. */
  public Duration timeToFirstToken() {
    return config.ttft;
  }

  @Override
  public void close() {
    if (closed) {
      return;
    }
    closed = true;
    server.close();
  }

  // ---------------------------------------------------------------------------------------------

  private void handle(HttpExchange ex) throws IOException {
    ex.setAttribute(ARRIVED, System.nanoTime());
    inFlight.incrementAndGet();
    try {
      String path = ex.getRequestURI().getPath();
      String method = ex.getRequestMethod();
      Headers h = ex.getRequestHeaders();
      String auth = h.getFirst("Authorization");
      boolean authorized = config.apiKey == null || ("Bearer " + config.apiKey).equals(auth);
      if (!authorized && !path.equals("/health") && !path.equals("/metrics")) {
        record(ex, path, auth, false, 0, false, 0, false, null);
        error(ex, 401, "Unauthorized", "authentication_error", null);
        return;
      }
      switch (path) {
        case "/health" -> {
          if (!isProbe(ex)) {
            record(ex, path, auth, authorized, 0, false, 0, true, null);
          }
          if (config.flavor == Flavor.LLAMA_CPP) {
            // llama-server b11669: {"status":"ok"} (../shared/peers/README.md)
            sendJson(ex, 200, Map.of("status", "ok"));
          } else {
            // vLLM: an empty 200 (vllm-project/vllm vllm/entrypoints/openai/api_server.py, health())
            send(ex, 200, "text/plain", new byte[0]);
          }
        }
        case "/version" -> {
          record(ex, path, auth, authorized, 0, false, 0, true, null);
          // vLLM: {"version": ...} (vllm/entrypoints/openai/api_server.py, show_version)
          sendJson(ex, 200, Map.of("version", config.version));
        }
        case "/metrics" -> metricsEndpoint(ex);
        case "/v1/models" -> {
          record(ex, path, auth, authorized, 0, false, 0, true, null);
          List<Object> data = new ArrayList<>();
          for (String m : config.models) {
            // ModelCard / ModelList (vllm-project/vllm vllm/entrypoints/openai/protocol.py @0052bed): a subset of their fields
            data.add(Map.of("id", m, "object", "model", "owned_by", "vllm", "max_model_len", config.maxContext));
          }
          sendJson(ex, 200, Map.of("object", "list", "data", data));
        }
        case "/tokenize" -> tokenize(ex, auth);
        case "/detokenize" -> detokenize(ex, auth);
        case "/v1/embeddings" -> embeddings(ex, auth);
        case "/v1/rerank", "/v1/score", "/classify", "/pooling" -> pooling(ex, path, auth);
        case "/v1/responses" -> responses(ex, auth);
        case "/v1/chat/completions", "/v1/completions" -> {
          if (!method.equals("POST")) {
            error(ex, 405, "Method Not Allowed", "invalid_request_error", null);
            return;
          }
          generate(ex, path, auth, path.equals("/v1/chat/completions"));
        }
        default -> error(ex, 404, "Not Found", "NotFoundError", null);
      }
    } catch (RuntimeException e) {
      try {
        error(ex, 500, "internal simulator error", "InternalServerError", null);
      } catch (IOException ignored) {
        // connection gone
      }
    } finally {
      inFlight.decrementAndGet();
      ex.close();
    }
  }

  /** Inferscope's round-trip probes say so in their User-Agent; they are not recorded as requests. */
  private static boolean isProbe(HttpExchange ex) {
    String ua = ex.getRequestHeaders().getFirst("User-Agent");
    return ua != null && ua.startsWith("inferscope-probe");
  }

  private void record(HttpExchange ex, String path, @Nullable String auth, boolean authorized, long queueNanos,
      boolean stream, int chunks, boolean completed, @Nullable String model) {
    record(ex, path, auth, authorized, queueNanos, stream, chunks, completed, model, -1, -1);
  }

  private RecordedRequest record(HttpExchange ex, String path, @Nullable String auth, boolean authorized,
      long queueNanos, boolean stream, int chunks, boolean completed, @Nullable String model, long firstChunkNanos,
      long computeNanos) {
    Headers h = ex.getRequestHeaders();
    RecordedRequest r = new RecordedRequest(ex.getRequestMethod(), path, h.getFirst("X-Request-Id"),
        h.getFirst("traceparent"), authorized, auth, queueNanos, stream, chunks, completed, model, firstChunkNanos,
        computeNanos);
    requests.add(r);
    return r;
  }

  /** The last write of a stream that was recorded as complete failed: the record says it did not complete. */
  private void markIncomplete(@Nullable RecordedRequest r) {
    if (r != null && requests.remove(r)) {
      requests.add(new RecordedRequest(r.method(), r.path(), r.requestId(), r.traceparent(), r.authorized(),
          r.authorization(), r.queueNanos(), r.stream(), r.chunksSent(), false, r.model(), r.firstChunkNanos(),
          r.computeNanos()));
    }
  }

  private @Nullable Map<String, Object> body(HttpExchange ex) throws IOException {
    byte[] bytes = ex.getRequestBody().readAllBytes();
    try {
      return Json.parseObject(bytes, "request body");
    } catch (InferenceException e) {
      error(ex, 400, "request body is not valid JSON", "BadRequestError", null);
      return null;
    }
  }

  private void tokenize(HttpExchange ex, @Nullable String auth) throws IOException {
    Map<String, Object> req = body(ex);
    if (req == null) {
      return;
    }
    String prompt = Objects.toString(req.get("prompt"), "");
    List<Object> tokens = new ArrayList<>();
    for (String w : words(prompt)) {
      tokens.add((long) (w.hashCode() & 0x7fff));
    }
    record(ex, "/tokenize", auth, true, 0, false, 0, true, Json.string(req, "model"));
    // TokenizeResponse (vllm-project/vllm vllm/entrypoints/openai/protocol.py @0052bed): count, max_model_len, tokens
    sendJson(ex, 200, Map.of("count", tokens.size(), "max_model_len", config.maxContext, "tokens", tokens));
  }

  private void detokenize(HttpExchange ex, @Nullable String auth) throws IOException {
    Map<String, Object> req = body(ex);
    if (req == null) {
      return;
    }
    StringBuilder sb = new StringBuilder();
    for (Object t : Json.array(req, "tokens")) {
      if (sb.length() > 0) {
        sb.append(' ');
      }
      sb.append("tok").append(t);
    }
    record(ex, "/detokenize", auth, true, 0, false, 0, true, Json.string(req, "model"));
    sendJson(ex, 200, Map.of("prompt", sb.toString())); // DetokenizeResponse (vllm-project/vllm vllm/entrypoints/openai/protocol.py @0052bed)
  }

  private void embeddings(HttpExchange ex, @Nullable String auth) throws IOException {
    Map<String, Object> req = body(ex);
    if (req == null) {
      return;
    }
    String model = Json.string(req, "model");
    if (model == null || !config.models.contains(model)) {
      record(ex, "/v1/embeddings", auth, true, 0, false, 0, false, model);
      error(ex, 404, "The model does not exist.", "NotFoundError", "model");
      return;
    }
    Object input = req.get("input");
    List<Object> inputs = input instanceof List<?> l ? new ArrayList<>(l) : List.of(Objects.toString(input, ""));
    List<Object> data = new ArrayList<>();
    long tokens = 0;
    for (int i = 0; i < inputs.size(); i++) {
      String text = Objects.toString(inputs.get(i), "");
      tokens += words(text).size();
      List<Object> vec = new ArrayList<>();
      int seed = text.hashCode();
      for (int d = 0; d < config.embeddingDims; d++) {
        vec.add(((seed * 31 + d * 17) % 1000) / 1000.0);
      }
      // EmbeddingResponseData / EmbeddingResponse (vllm-project/vllm vllm/entrypoints/openai/protocol.py @0052bed): a subset (no id, created)
      data.add(Map.of("object", "embedding", "index", i, "embedding", vec));
    }
    record(ex, "/v1/embeddings", auth, true, 0, false, 0, true, model);
    sendJson(ex, 200, Map.of("object", "list", "model", model, "data", data,
        "usage", Map.of("prompt_tokens", tokens, "total_tokens", tokens)));
  }

  /**
   * The pooling-model endpoints (vllm-project/vllm vllm/entrypoints/pooling/): {@code /v1/rerank}
   * ({@code RerankResponse}: id, model, usage{prompt_tokens,total_tokens}, results[{index, document{text},
   * relevance_score}], most relevant first), {@code /v1/score} ({@code ScoreResponse}: data[{index,
   * object:"score", score}]), {@code /classify} ({@code ClassificationResponse}: data[{index, label, probs,
   * num_classes}]) and {@code /pooling} ({@code PoolingResponse}: data[{index, object:"pooling", data}]).
   * Scores are the share of the query's words a document holds, so tests can predict the order.
   */
  private void pooling(HttpExchange ex, String path, @Nullable String auth) throws IOException {
    Map<String, Object> req = body(ex);
    if (req == null) {
      return;
    }
    String model = Json.string(req, "model");
    if (model == null || !config.models.contains(model)) {
      record(ex, path, auth, true, 0, false, 0, false, model);
      error(ex, 404, "The model does not exist.", "NotFoundError", "model");
      return;
    }
    Map<String, Object> resp = new LinkedHashMap<>();
    resp.put("id", "pool-" + ids.incrementAndGet());
    resp.put("object", "list");
    resp.put("created", System.currentTimeMillis() / 1000);
    resp.put("model", model);
    long tokens = 0;
    List<Object> out = new ArrayList<>();
    switch (path) {
      case "/v1/rerank" -> {
        String query = Objects.toString(req.get("query"), "");
        List<Object> docs = Json.array(req, "documents");
        List<Map<String, Object>> results = new ArrayList<>();
        for (int i = 0; i < docs.size(); i++) {
          String doc = Objects.toString(docs.get(i), "");
          tokens += words(query).size() + words(doc).size();
          Map<String, Object> r = new LinkedHashMap<>();
          r.put("index", i);
          r.put("document", Map.of("text", doc));
          r.put("relevance_score", overlap(query, doc));
          results.add(r);
        }
        results.sort((a, b) -> Double.compare((Double) b.get("relevance_score"), (Double) a.get("relevance_score")));
        long topN = Json.longValue(req, "top_n", 0);
        resp.remove("object");
        resp.remove("created");
        resp.put("usage", Map.of("prompt_tokens", tokens, "total_tokens", tokens));
        resp.put("results", topN > 0 ? results.subList(0, (int) Math.min(topN, results.size())) : results);
        record(ex, path, auth, true, 0, false, 0, true, model);
        sendJson(ex, 200, resp);
        return;
      }
      case "/v1/score" -> {
        String first = Objects.toString(req.get("text_1"), "");
        Object second = req.get("text_2");
        List<Object> others = second instanceof List<?> l ? new ArrayList<>(l) : List.of(Objects.toString(second, ""));
        for (int i = 0; i < others.size(); i++) {
          String o = Objects.toString(others.get(i), "");
          tokens += words(first).size() + words(o).size();
          out.add(Map.of("index", i, "object", "score", "score", overlap(first, o)));
        }
      }
      case "/classify" -> {
        for (Object in : inputs(req)) {
          String text = Objects.toString(in, "");
          tokens += words(text).size();
          double positive = text.contains("good") ? 0.9 : 0.2;
          out.add(Map.of("index", out.size(), "label", positive > 0.5 ? "positive" : "negative",
              "probs", List.of(1 - positive, positive), "num_classes", 2));
        }
      }
      default -> {
        for (Object in : inputs(req)) {
          String text = Objects.toString(in, "");
          List<Object> rows = new ArrayList<>();
          for (String w : words(text)) {
            tokens++;
            rows.add(List.of((w.hashCode() % 100) / 100.0, w.length() / 10.0));
          }
          out.add(Map.of("index", out.size(), "object", "pooling", "data", rows));
        }
      }
    }
    resp.put("data", out);
    resp.put("usage", usage((int) tokens, 0));
    record(ex, path, auth, true, 0, false, 0, true, model);
    sendJson(ex, 200, resp);
  }

  /**
   * {@code POST /v1/responses}. Non-streaming: one response object ({@code id}, {@code object:"response"},
   * {@code status}, {@code model}, {@code output} items, {@code usage} with {@code input_tokens},
   * {@code output_tokens}, {@code total_tokens}, {@code input_tokens_details}, and vLLM's
   * {@code output_tokens_details}; vllm-project/vllm vllm/entrypoints/openai/responses/protocol.py
   * {@code ResponseUsage}); vLLM adds {@code metrics} at the top level with per-request metrics
   * (docs/features/per_request_metrics.md, "Responses API"). Streaming: the event sequence llama-server
   * b11669 sends (captured: created, in_progress, output_item.added, content_part.added, output_text.delta...,
   * output_text.done, content_part.done, output_item.done, completed; {@code event:} lines; no {@code [DONE]};
   * its {@code timings} at the top level of the completed event), with reasoning and function-call items in
   * the OpenAI event shapes vLLM writes (vllm/entrypoints/openai/responses/streaming_events.py:
   * reasoning_text.delta, function_call_arguments.delta/done); vLLM puts {@code metrics} in the completed
   * event's response.
   */
  private void responses(HttpExchange ex, @Nullable String auth) throws IOException {
    String path = "/v1/responses";
    Map<String, Object> req = servedRequest(ex, path, auth);
    if (req == null) {
      return;
    }
    String model = Json.string(req, "model");
    boolean stream = Boolean.TRUE.equals(req.get("stream"));
    boolean llama = config.flavor == Flavor.LLAMA_CPP;
    Object input = req.get("input");
    String prompt = input instanceof String str ? str : String.valueOf(input);
    int promptTokenCount = words(prompt).size();
    long max = Json.longValue(req, "max_output_tokens", config.tokensPerResponse);
    int tokens = (int) Math.max(1, Math.min(max, config.tokensPerResponse));
    String respId = "resp_" + ids.incrementAndGet();
    List<Object> toolsOffered = req.get("tools") == null ? List.of() : Json.array(req, "tools");
    boolean lastIsToolOutput = input instanceof List<?> items && !items.isEmpty()
        && items.get(items.size() - 1) instanceof Map<?, ?> last && "function_call_output".equals(last.get("type"));
    Map<String, Object> tool = !toolsOffered.isEmpty() && !"none".equals(req.get("tool_choice")) && !lastIsToolOutput
        ? Json.asObject(toolsOffered.get(0), "tool") : null;
    List<String> think = config.reasoning ? ChatFeatures.thoughts(config.reasoningWord) : List.of();
    List<String> pieces = new ArrayList<>();
    String arguments = tool == null ? null : Json.write(ChatFeatures.instance(Json.object(tool, "parameters")));
    if (tool == null) {
      for (int i = 0; i < tokens; i++) {
        pieces.add((i == 0 ? "" : " ") + "tok" + i);
      }
    } else {
      pieces.addAll(ChatFeatures.pieces(arguments, 4));
    }
    int outputTokens = think.size() + pieces.size();
    long arrived = (Long) ex.getAttribute(ARRIVED);
    long admitted = System.nanoTime();
    // ids: resp_ and msg_ as llama-server b11669 sends them (captured); rs_, fc_ and call_ are the prefixes of
    // OpenAI's reasoning items, function-call items and call ids (openai/openai-python
    // src/openai/types/responses/response_reasoning_item.py, response_function_tool_call.py examples)
    String msgId = "msg_" + respId.substring(5);
    String callId = "call_" + respId.substring(5);
    // the output items as the final response lists them
    // items: the OpenAI types vLLM builds on (vllm/entrypoints/openai/responses/protocol.py imports them):
    // ResponseReasoningItem {type, id, summary, content[{type:"reasoning_text", text}]}, ResponseFunctionToolCall
    // {type, id, call_id, name, arguments, status}; the message item as llama-server b11669 sends it (captured)
    List<Object> output = new ArrayList<>();
    if (!think.isEmpty()) {
      output.add(Map.of("type", "reasoning", "id", "rs_" + respId.substring(5), "summary", List.of(),
          "content", List.of(Map.of("type", "reasoning_text", "text", String.join("", think)))));
    }
    if (tool != null) {
      output.add(Map.of("type", "function_call", "id", "fc_" + respId.substring(5), "call_id", callId,
          "name", Json.string(tool, "name"), "arguments", arguments, "status", "completed"));
    } else {
      output.add(Map.of("type", "message", "id", msgId, "role", "assistant", "status", "completed",
          "content", List.of(Map.of("type", "output_text", "annotations", List.of(), "logprobs", List.of(),
              "text", String.join("", pieces)))));
    }
    Map<String, Object> usage = new LinkedHashMap<>();
    usage.put("input_tokens", promptTokenCount);
    usage.put("output_tokens", outputTokens);
    usage.put("total_tokens", promptTokenCount + outputTokens);
    usage.put("input_tokens_details", Map.of("cached_tokens", 0));
    if (!llama) {
      // vLLM's OutputTokensDetails (vllm/entrypoints/openai/responses/protocol.py): reasoning_tokens,
      // tool_output_tokens; llama-server b11669 sends input_tokens_details only (captured)
      usage.put("output_tokens_details", Map.of("reasoning_tokens", think.size(), "tool_output_tokens", 0));
    }
    // "completed" even when max_output_tokens cut the answer: what llama-server b11669 sends (captured); the
    // simulator plays no response.incomplete, for which it has no captured server shape
    boolean incomplete = false;
    Map<String, Object> resp = new LinkedHashMap<>();
    resp.put("id", respId);
    resp.put("object", "response");
    resp.put("created_at", System.currentTimeMillis() / 1000); // id, object, created_at, status, model, output,
    // usage: the fields llama-server b11669's response object has (captured; it also sends completed_at)
    resp.put("status", incomplete ? "incomplete" : "completed");
    if (incomplete) {
      resp.put("incomplete_details", Map.of("reason", "max_output_tokens"));
    }
    resp.put("model", responseModel(model));
    resp.put("output", output);
    resp.put("usage", usage);
    if (!stream) {
      sleep(Math.max(0, admitted + config.ttft.toNanos() - System.nanoTime()));
      long first = System.nanoTime();
      sleep(Math.max(0, outputTokens - 1) * config.gap.toNanos());
      long last = System.nanoTime();
      if (!llama) { // llama-server b11669 sends no timings on a non-streamed response
        serverTiming(resp, req, 0, admitted, first, last, promptTokenCount, outputTokens);
      }
      record(ex, path, auth, true, 0, false, 0, true, model, -1, last - admitted);
      sendJson(ex, 200, resp);
      return;
    }
    openEventStream(ex);
    OutputStream out = ex.getResponseBody();
    int sent = 0;
    boolean completed = false;
    RecordedRequest doneRecord = null;
    long firstChunk = -1;
    long first = -1;
    long last = -1;
    int[] seq = {0};
    try {
      Map<String, Object> shell = Map.of("id", respId, "object", "response", "status", "in_progress");
      responseEvent(out, seq, "response.created", Map.of("response", shell));
      responseEvent(out, seq, "response.in_progress", Map.of("response", shell));
      int outputIndex = 0;
      List<String[]> deltas = new ArrayList<>(); // {event type, item id, delta}
      if (!think.isEmpty()) {
        String rs = "rs_" + respId.substring(5);
        responseEvent(out, seq, "response.output_item.added", Map.of("output_index", outputIndex,
            "item", Map.of("type", "reasoning", "id", rs, "summary", List.of(), "content", List.of())));
        for (String t : think) {
          deltas.add(new String[] {"response.reasoning_text.delta", rs, t});
        }
      }
      for (int i = 0; i < Math.max(pieces.size(), 0); i++) {
        deltas.add(new String[] {tool == null ? "response.output_text.delta" : "response.function_call_arguments.delta",
            tool == null ? msgId : "fc_" + respId.substring(5), pieces.get(i)});
      }
      boolean openedMain = false;
      for (int i = 0; i < deltas.size(); i++) {
        String[] d = deltas.get(i);
        if (!openedMain && !d[0].equals("response.reasoning_text.delta")) {
          if (!think.isEmpty()) {
            responseEvent(out, seq, "response.reasoning_text.done", Map.of("item_id", "rs_" + respId.substring(5),
                "text", String.join("", think)));
            responseEvent(out, seq, "response.output_item.done", Map.of("output_index", outputIndex,
                "item", output.get(0)));
            outputIndex++;
          }
          if (tool != null) {
            responseEvent(out, seq, "response.output_item.added", Map.of("output_index", outputIndex,
                "item", Map.of("type", "function_call", "id", "fc_" + respId.substring(5), "call_id", callId,
                    "name", Json.string(tool, "name"), "arguments", "", "status", "in_progress")));
          } else {
            responseEvent(out, seq, "response.output_item.added", Map.of("output_index", outputIndex,
                "item", Map.of("content", List.of(), "id", msgId, "role", "assistant", "status", "in_progress",
                    "type", "message")));
            responseEvent(out, seq, "response.content_part.added", Map.of("item_id", msgId,
                "part", Map.of("type", "output_text", "text", "")));
          }
          openedMain = true;
        }
        sleep(i == 0 ? Math.max(0, admitted + config.ttft.toNanos() - System.nanoTime()) : config.gap.toNanos());
        if (sent == 0) {
          firstChunk = System.nanoTime() - arrived;
          first = System.nanoTime();
        }
        last = System.nanoTime();
        responseEvent(out, seq, d[0], Map.of("item_id", d[1], "output_index", outputIndex, "delta", d[2]));
        sent++;
      }
      Object mainItem = output.get(output.size() - 1);
      if (tool != null) {
        responseEvent(out, seq, "response.function_call_arguments.done", Map.of("item_id", "fc_" + respId.substring(5),
            "arguments", arguments));
      } else {
        String text = String.join("", pieces);
        responseEvent(out, seq, "response.output_text.done", Map.of("item_id", msgId, "text", text));
        responseEvent(out, seq, "response.content_part.done", Map.of("item_id", msgId,
            "part", Map.of("type", "output_text", "annotations", List.of(), "logprobs", List.of(), "text", text)));
      }
      responseEvent(out, seq, "response.output_item.done", Map.of("output_index", outputIndex, "item", mainItem));
      Map<String, Object> done = new LinkedHashMap<>();
      if (llama) {
        done.put("response", resp);
        serverTiming(done, req, 0, admitted, first, last, promptTokenCount, outputTokens); // top-level timings
      } else {
        serverTiming(resp, req, 0, admitted, first, last, promptTokenCount, outputTokens); // response.metrics
        done.put("response", resp);
      }
      // recorded before the terminal event goes out (see streamTokens)
      doneRecord = record(ex, path, auth, true, 0, true, sent, true, model, firstChunk, last < 0 ? -1 : last - admitted);
      responseEvent(out, seq, incomplete ? "response.incomplete" : "response.completed", done);
      completed = true;
    } catch (IOException e) {
      // the client went away
      markIncomplete(doneRecord);
    } finally {
      if (doneRecord == null) {
        record(ex, path, auth, true, 0, true, sent, completed, model, firstChunk, last < 0 ? -1 : last - admitted);
      }
    }
  }

  /** One Responses event: an {@code event:} line and its data, {@code type} first (vLLM adds {@code sequence_number}). */
  private void responseEvent(OutputStream out, int[] seq, String type, Map<String, Object> fields) throws IOException {
    Map<String, Object> data = new LinkedHashMap<>();
    data.put("type", type);
    data.putAll(fields);
    if (config.flavor != Flavor.LLAMA_CPP) {
      data.put("sequence_number", seq[0]++);
    }
    out.write(("event: " + type + "\ndata: " + Json.write(data) + "\n\n").getBytes(StandardCharsets.UTF_8));
    out.flush();
  }

  private static List<Object> inputs(Map<String, Object> req) {
    Object input = req.get("input");
    return input instanceof List<?> l ? new ArrayList<>(l) : List.of(Objects.toString(input, ""));
  }

  private static double overlap(String query, String doc) {
    List<String> q = words(query.toLowerCase(Locale.ROOT));
    if (q.isEmpty()) {
      return 0;
    }
    List<String> d = words(doc.toLowerCase(Locale.ROOT));
    long hits = q.stream().filter(d::contains).count();
    return (double) hits / q.size();
  }

  /**
   * The request's JSON body when it names a served model; otherwise the 404 vLLM answers (its message names the
   * model) is sent, the request recorded, and null returned.
   */
  private @Nullable Map<String, Object> servedRequest(HttpExchange ex, String path, @Nullable String auth)
      throws IOException {
    Map<String, Object> req = body(ex);
    if (req == null) {
      return null;
    }
    String model = Json.string(req, "model");
    if (model == null || !config.models.contains(model)) {
      record(ex, path, auth, true, 0, Boolean.TRUE.equals(req.get("stream")), 0, false, model);
      error(ex, 404, "The model `" + model + "` does not exist.", "NotFoundError", "model");
      return null;
    }
    return req;
  }

  private void generate(HttpExchange ex, String path, @Nullable String auth, boolean chat) throws IOException {
    Map<String, Object> req = servedRequest(ex, path, auth);
    if (req == null) {
      return;
    }
    String model = Json.string(req, "model");
    boolean stream = Boolean.TRUE.equals(req.get("stream"));
    String prompt = promptOf(req, chat);
    int promptTokenCount = words(prompt).size();
    if (prompt.length() > config.maxContext) {
      record(ex, path, auth, true, 0, stream, 0, false, model);
      // vLLM quotes the request in some of its errors: so does the simulator, on purpose.
      error(ex, 400, "This model's maximum context length is " + config.maxContext
          + " tokens. However, you requested " + promptTokenCount + " tokens in the messages: '" + prompt + "'",
          "BadRequestError", "messages");
      return;
    }
    Fault f = takeFault();
    switch (f) {
      case UNAVAILABLE_503 -> {
        record(ex, path, auth, true, 0, stream, 0, false, model);
        ex.getResponseHeaders().set("Retry-After", "0");
        error(ex, 503, "The server is overloaded", "ServiceUnavailableError", null);
        return;
      }
      case RATE_LIMITED_429 -> {
        record(ex, path, auth, true, 0, stream, 0, false, model);
        ex.getResponseHeaders().set("Retry-After", "1");
        error(ex, 429, "Too many requests", "RateLimitError", null);
        return;
      }
      case FLAT_ERROR_400 -> {
        record(ex, path, auth, true, 0, stream, 0, false, model);
        // the flat ErrorResponse of vLLM releases before ErrorInfo (protocol.py: object "error", message, type,
        // param, code at the top level), which older servers still send
        sendJson(ex, 400, Map.of("object", "error", "message", "invalid sampling parameters",
            "type", "BadRequestError", "param", "temperature", "code", 400));
        return;
      }
      default -> { }
    }
    long maxTokens = Json.longValue(req, "max_tokens", config.tokensPerResponse);
    int tokens = (int) Math.max(1, Math.min(maxTokens, config.tokensPerResponse));

    // Admission and queueing; data-parallel engines take requests in turn
    int engine = (int) (admissions.getAndIncrement() % config.engines);
    long arrived = System.nanoTime();
    if (!running.tryAcquire()) {
      waitingPerEngine[engine].incrementAndGet();
      if (waiting.incrementAndGet() > config.maxWaiting) {
        waiting.decrementAndGet();
        waitingPerEngine[engine].decrementAndGet();
        record(ex, path, auth, true, 0, stream, 0, false, model);
        ex.getResponseHeaders().set("Retry-After", "1");
        error(ex, config.rejectWith429 ? 429 : 503, "waiting queue is full", "ServiceUnavailableError", null);
        return;
      }
      try {
        running.acquire();
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
        return;
      } finally {
        waiting.decrementAndGet();
        waitingPerEngine[engine].decrementAndGet();
      }
    }
    runningPerEngine[engine].incrementAndGet();
    long admitted = System.nanoTime();
    long queueNanos = admitted - arrived;
    queueTime.observe(queueNanos / 1e9);
    String id = (chat ? "chatcmpl-" : "cmpl-") + ids.incrementAndGet();
    long created = System.currentTimeMillis() / 1000;
    try {
      if (f == Fault.NONE && ChatFeatures.applies(req, chat, config.reasoning)) {
        Map<String, Object> so = Json.object(req, "stream_options");
        boolean includeUsage = so != null && Boolean.TRUE.equals(so.get("include_usage"));
        playFeatures(ex, req, path, auth, chat, model, id, created, tokens, promptTokenCount, stream, includeUsage,
            queueNanos, admitted);
        return;
      }
      if (stream) {
        boolean includeUsage = false;
        Map<String, Object> so = Json.object(req, "stream_options");
        if (so != null && Boolean.TRUE.equals(so.get("include_usage"))) {
          includeUsage = true;
        }
        streamTokens(ex, req, path, auth, chat, model, id, created, tokens, promptTokenCount, includeUsage,
            queueNanos, admitted, f);
      } else {
        long scheduled = admitted;
        sleep(Math.max(0, admitted + config.ttft.toNanos() - System.nanoTime()));
        long firstToken = System.nanoTime();
        sleep((tokens - 1) * config.gap.toNanos());
        long lastToken = System.nanoTime();
        ttft.observe(config.ttft.toNanos() / 1e9);
        if (f == Fault.MALFORMED_BODY) {
          record(ex, path, auth, true, queueNanos, false, 0, false, model);
          send(ex, 200, "application/json", "{\"id\": \"x\", \"choices\": [".getBytes(StandardCharsets.UTF_8));
          return;
        }
        String text = text(0, tokens);
        // ChatCompletionResponse / CompletionResponse and their choices (vllm-project/vllm vllm/entrypoints/openai/protocol.py @0052bed); llama-server b11669 sends the
        // same fields (../shared/peers/README.md) plus timings
        Map<String, Object> choice = new LinkedHashMap<>();
        choice.put("index", 0);
        if (chat) {
          choice.put("message", Map.of("role", "assistant", "content", text));
        } else {
          choice.put("text", text);
        }
        choice.put("finish_reason", tokens >= maxTokens ? "length" : "stop");
        Map<String, Object> resp = new LinkedHashMap<>();
        resp.put("id", id);
        resp.put("object", chat ? "chat.completion" : "text_completion");
        resp.put("created", created);
        resp.put("model", responseModel(model));
        resp.put("choices", List.of(choice));
        resp.put("usage", usage(promptTokenCount, tokens));
        serverTiming(resp, req, queueNanos, scheduled, firstToken, lastToken, promptTokenCount, tokens);
        promptTokens.addAndGet(promptTokenCount);
        generationTokens.addAndGet(tokens);
        finished(scheduled, firstToken, lastToken, tokens);
        requestSuccess.incrementAndGet();
        record(ex, path, auth, true, queueNanos, false, 0, true, model, -1, lastToken - scheduled);
        sendJson(ex, 200, resp);
      }
    } finally {
      runningPerEngine[engine].decrementAndGet();
      running.release();
    }
  }

  /**
   * Plays a {@link ChatFeatures} script: tool calls, reasoning, several choices, log probabilities,
   * constrained output. Non-streaming: one response whose messages carry {@code reasoning} (llama-server:
   * {@code reasoning_content}), {@code tool_calls} and {@code logprobs}. Streaming: vLLM's order (a role chunk
   * per choice, then per step one chunk per choice: reasoning deltas, content deltas, a tool call's opening
   * delta with id and name and then its argument fragments; the finish reason on each choice's last chunk),
   * and the usage chunk when asked for.
   */
  private void playFeatures(HttpExchange ex, Map<String, Object> req, String path, @Nullable String auth, boolean chat,
      String model, String id, long created, int tokens, int promptTokenCount, boolean stream, boolean includeUsage,
      long queueNanos, long admitted) throws IOException {
    boolean llama = config.flavor == Flavor.LLAMA_CPP;
    List<ChatFeatures.Script> scripts = ChatFeatures.scripts(req, chat,
        config.reasoning ? config.reasoningWord : null, tokens, ids.incrementAndGet());
    Object lp = req.get("logprobs");
    boolean logprobs = lp != null && !Boolean.FALSE.equals(lp);
    int top = chat ? (int) Json.longValue(req, "top_logprobs", 0) : (lp instanceof Number num ? num.intValue() : 0);
    int completionTokens = 0;
    for (ChatFeatures.Script sc : scripts) {
      completionTokens += sc.tokens();
    }
    String reasoningKey = llama ? "reasoning_content" : "reasoning";
    if (!stream) {
      sleep(Math.max(0, admitted + config.ttft.toNanos() - System.nanoTime()));
      long firstToken = System.nanoTime();
      sleep(Math.max(0, completionTokens / scripts.size() - 1) * config.gap.toNanos());
      long lastToken = System.nanoTime();
      List<Object> choices = new ArrayList<>();
      for (int c = 0; c < scripts.size(); c++) {
        ChatFeatures.Script sc = scripts.get(c);
        String text = String.join("", sc.content());
        Map<String, Object> choice = new LinkedHashMap<>();
        choice.put("index", c);
        if (chat) {
          Map<String, Object> msg = new LinkedHashMap<>();
          msg.put("role", "assistant");
          msg.put("content", text.isEmpty() && !sc.tools().isEmpty() ? null : text);
          if (!sc.reasoning().isEmpty()) {
            msg.put(reasoningKey, String.join("", sc.reasoning()));
          }
          if (!sc.tools().isEmpty()) {
            List<Object> calls = new ArrayList<>();
            for (ChatFeatures.ToolScript t : sc.tools()) {
              calls.add(Map.of("id", t.id(), "type", "function",
                  "function", Map.of("name", t.name(), "arguments", t.arguments())));
            }
            msg.put("tool_calls", calls);
          }
          choice.put("message", msg);
        } else {
          choice.put("text", text);
        }
        choice.put("logprobs", !logprobs ? null : chat || llama ? ChatFeatures.chatLogprobs(sc.content(), top)
            : ChatFeatures.completionLogprobs(sc.content(), top));
        choice.put("finish_reason", sc.finishReason());
        choices.add(choice);
      }
      Map<String, Object> resp = new LinkedHashMap<>();
      resp.put("id", id);
      resp.put("object", chat ? "chat.completion" : "text_completion");
      resp.put("created", created);
      resp.put("model", responseModel(model));
      resp.put("choices", choices);
      resp.put("usage", featureUsage(promptTokenCount, completionTokens, scripts));
      serverTiming(resp, req, queueNanos, admitted, firstToken, lastToken, promptTokenCount, completionTokens);
      promptTokens.addAndGet(promptTokenCount);
      generationTokens.addAndGet(completionTokens);
      finished(admitted, firstToken, lastToken, completionTokens);
      requestSuccess.incrementAndGet();
      record(ex, path, auth, true, queueNanos, false, 0, true, model, -1, lastToken - admitted);
      sendJson(ex, 200, resp);
      return;
    }
    openEventStream(ex);
    OutputStream out = ex.getResponseBody();
    int sent = 0;
    boolean completed = false;
    RecordedRequest doneRecord = null;
    long firstChunk = -1;
    long firstToken = -1;
    long lastToken = -1;
    try {
      if (chat) {
        for (int c = 0; c < scripts.size(); c++) {
          Map<String, Object> delta = new LinkedHashMap<>();
          delta.put("role", "assistant");
          delta.put("content", llama ? null : ""); // vLLM's first chunk per choice: role and empty content
          writeEvent(out, Json.write(chunk(chat, id, created, model, choice(c, chat, delta, null, null))));
        }
      }
      // each choice's steps: reasoning pieces, content pieces, then per tool an opening delta and its arguments
      List<List<Map<String, Object>>> steps = new ArrayList<>();
      for (ChatFeatures.Script sc : scripts) {
        List<Map<String, Object>> deltas = new ArrayList<>();
        for (String r : sc.reasoning()) {
          deltas.add(new LinkedHashMap<>(Map.of(reasoningKey, r)));
        }
        for (String piece : sc.content()) {
          Map<String, Object> d = new LinkedHashMap<>();
          d.put("content", piece);
          deltas.add(d);
        }
        for (int k = 0; k < sc.tools().size(); k++) {
          ChatFeatures.ToolScript t = sc.tools().get(k);
          Map<String, Object> open = new LinkedHashMap<>();
          open.put("index", k);
          open.put("id", t.id());
          open.put("type", "function");
          open.put("function", new LinkedHashMap<>(Map.of("name", t.name(), "arguments", "")));
          deltas.add(new LinkedHashMap<>(Map.of("tool_calls", List.of(open))));
          for (String piece : t.argumentPieces()) {
            Map<String, Object> frag = new LinkedHashMap<>();
            frag.put("index", k);
            frag.put("function", Map.of("arguments", piece));
            deltas.add(new LinkedHashMap<>(Map.of("tool_calls", List.of(frag))));
          }
        }
        steps.add(deltas);
      }
      int longest = 0;
      for (List<Map<String, Object>> d : steps) {
        longest = Math.max(longest, d.size());
      }
      for (int i = 0; i < longest; i++) {
        sleep(i == 0 ? Math.max(0, admitted + config.ttft.toNanos() - System.nanoTime()) : config.gap.toNanos());
        for (int c = 0; c < scripts.size(); c++) {
          List<Map<String, Object>> deltas = steps.get(c);
          if (i >= deltas.size()) {
            continue;
          }
          Map<String, Object> delta = deltas.get(i);
          boolean last = i == deltas.size() - 1;
          String text = chat ? null : (String) delta.getOrDefault("content", "");
          Map<String, Object> choice = choice(c, chat, delta, text, last && !llama ? scripts.get(c).finishReason() : null);
          if (logprobs && delta.get("content") instanceof String piece) {
            choice.put("logprobs", ChatFeatures.chatLogprobs(List.of(piece), top));
          }
          if (sent == 0) {
            firstChunk = System.nanoTime() - (Long) ex.getAttribute(ARRIVED);
            firstToken = System.nanoTime();
          }
          lastToken = System.nanoTime();
          writeEvent(out, Json.write(chunk(chat, id, created, model, choice)));
          sent++;
        }
      }
      if (llama) {
        for (int c = 0; c < scripts.size(); c++) {
          writeEvent(out, Json.write(chunk(chat, id, created, model,
              choice(c, chat, new LinkedHashMap<>(), "", scripts.get(c).finishReason()))));
        }
      }
      if (includeUsage) {
        Map<String, Object> usageChunk = chunk(chat, id, created, model, null);
        usageChunk.put("usage", featureUsage(promptTokenCount, completionTokens, scripts));
        serverTiming(usageChunk, req, queueNanos, admitted, firstToken, lastToken, promptTokenCount, completionTokens);
        writeEvent(out, Json.write(usageChunk));
      }
      // recorded and counted before the last line goes out (see streamTokens)
      finished(admitted, firstToken, lastToken, completionTokens);
      requestSuccess.incrementAndGet();
      doneRecord = record(ex, path, auth, true, queueNanos, true, sent, true, model, firstChunk,
          lastToken < 0 ? -1 : lastToken - admitted);
      out.write("data: [DONE]\n\n".getBytes(StandardCharsets.UTF_8));
      out.flush();
      completed = true;
    } catch (IOException e) {
      // the client went away
      markIncomplete(doneRecord);
    } finally {
      if (doneRecord == null) {
        record(ex, path, auth, true, queueNanos, true, sent, completed, model, firstChunk,
            lastToken < 0 ? -1 : lastToken - admitted);
      }
    }
  }

  /**
   * Usage of a scripted answer; vLLM adds {@code completion_tokens_details.reasoning_tokens} for a reasoning
   * model (the "existing reasoning-token usage field" of vllm-project/vllm docs/features/per_request_metrics.md).
   */
  private Map<String, Object> featureUsage(int prompt, int completion, List<ChatFeatures.Script> scripts) {
    Map<String, Object> u = usage(prompt, completion);
    int reasoning = 0;
    for (ChatFeatures.Script sc : scripts) {
      reasoning += sc.reasoning().size();
    }
    if (reasoning > 0 && config.flavor == Flavor.VLLM) {
      u.put("completion_tokens_details", Map.of("reasoning_tokens", reasoning));
    }
    return u;
  }

  /**
   * A request's phases into vLLM's per-request histograms (vllm-project/vllm vllm/v1/metrics/loggers.py:
   * histogram_prefill_time_request "Histogram of time spent in PREFILL phase for request.",
   * histogram_decode_time_request, histogram_num_generation_tokens_request): the times the simulator really
   * spent, from admission to the first token and from the first token to the last.
   */
  private void finished(long scheduled, long firstToken, long lastToken, int tokens) {
    if (firstToken < 0 || lastToken < 0) {
      return;
    }
    prefillTime.observe((firstToken - scheduled) / 1e9);
    decodeTime.observe((lastToken - firstToken) / 1e9);
    generationTokensPerRequest.observe(tokens);
  }

  /** A 200 with {@code text/event-stream} and no length: the body is the events that follow. */
  private static void openEventStream(HttpExchange ex) throws IOException {
    ex.getResponseHeaders().set("Content-Type", "text/event-stream");
    ex.getResponseHeaders().set("Cache-Control", "no-cache");
    ex.sendResponseHeaders(200, 0);
  }

  /** llama-server answers with its alias whatever model was asked for; vLLM with the served name. */
  private String responseModel(String requested) {
    return config.flavor == Flavor.LLAMA_CPP ? config.models.iterator().next() : requested;
  }

  /**
   * Adds the server's own timing of one request, in the shape of the flavour: vLLM's {@code metrics}
   * (with {@link Builder#perRequestMetrics} only; null for {@code n > 1}) or llama.cpp's
   * {@code timings}. Times are what the simulator really spent, so they are the ground truth.
   */
  private void serverTiming(Map<String, Object> target, Map<String, Object> req, long queueNanos, long scheduled,
      long firstToken, long lastToken, int promptTokenCount, int tokens) {
    if (config.flavor == Flavor.LLAMA_CPP) {
      // llama-server b11669 `timings` (../shared/peers/README.md): no queue time in it
      Map<String, Object> t = new LinkedHashMap<>();
      double promptMs = (firstToken - scheduled) / 1e6;
      double predictedMs = (lastToken - firstToken) / 1e6;
      t.put("cache_n", 0);
      t.put("prompt_n", promptTokenCount);
      t.put("prompt_ms", promptMs);
      t.put("prompt_per_token_ms", promptTokenCount == 0 ? promptMs : promptMs / promptTokenCount);
      t.put("prompt_per_second", promptMs == 0 ? 0 : promptTokenCount * 1000.0 / promptMs);
      t.put("predicted_n", tokens);
      t.put("predicted_ms", predictedMs);
      t.put("predicted_per_token_ms", predictedMs / tokens);
      t.put("predicted_per_second", predictedMs == 0 ? 0 : tokens * 1000.0 / predictedMs);
      target.put("timings", t);
      return;
    }
    if (!config.perRequestMetrics) {
      return;
    }
    // vllm-project/vllm docs/features/per_request_metrics.md (commit 0377ba9): null for n > 1
    if (Json.longValue(req, "n", 1) > 1) {
      target.put("metrics", null);
      return;
    }
    Map<String, Object> m = new LinkedHashMap<>();
    double generationMs = (lastToken - firstToken) / 1e6;
    m.put("time_to_first_token_ms", (firstToken - scheduled) / 1e6);
    m.put("generation_time_ms", generationMs);
    m.put("queue_time_ms", queueNanos / 1e6);
    m.put("mean_itl_ms", tokens > 1 ? generationMs / (tokens - 1) : null); // null for one token
    double inferenceSeconds = (lastToken - scheduled) / 1e9;
    m.put("tokens_per_second", inferenceSeconds > 0 ? tokens / inferenceSeconds : null);
    target.put("metrics", m);
  }

  private void streamTokens(HttpExchange ex, Map<String, Object> req, String path, @Nullable String auth,
      boolean chat, String model, String id, long created, int tokens, int promptTokenCount, boolean includeUsage,
      long queueNanos, long admitted, Fault f) throws IOException {
    boolean llama = config.flavor == Flavor.LLAMA_CPP;
    openEventStream(ex);
    int sent = 0;
    boolean completed = false;
    boolean recorded = false;
    RecordedRequest doneRecord = null;
    long firstChunk = -1;
    long scheduled = admitted; // vLLM: queue time ends and prefill starts when the scheduler admits it
    long firstToken = -1;
    long lastToken = -1;
    OutputStream out = ex.getResponseBody();
    try {
      if (!llama) {
        // an SSE comment line; clients must skip it (WHATWG HTML, server-sent events: lines starting ':')
        out.write(": vllm-simulator keep-alive\n\n".getBytes(StandardCharsets.UTF_8));
        out.flush();
      }
      if (llama && chat) {
        // llama-server b11669: the first chunk carries only the role, content null
        Map<String, Object> delta = new LinkedHashMap<>();
        delta.put("role", "assistant");
        delta.put("content", null);
        writeEvent(out, Json.write(chunk(chat, id, created, model, choice(0, chat, delta, null, null))));
      }
      for (int i = 0; i < tokens; i++) {
        if (i == 0) {
          // prefill takes the configured time to first token from admission
          sleep(Math.max(0, admitted + config.ttft.toNanos() - System.nanoTime()));
        } else {
          sleep(config.gap.toNanos());
          itl.observe(config.gap.toNanos() / 1e9);
        }
        if (i == 0) {
          ttft.observe(config.ttft.toNanos() / 1e9);
        }
        if (sent == 2 && f == Fault.ERROR_MID_STREAM) {
          // an error event inside the stream, as vLLM's serving_chat.py writes one (ErrorResponse as data)
          writeEvent(out, Json.write(Map.of("error", Map.of("message", "engine failed mid-stream",
              "type", "InternalServerError", "code", 500))));
          return;
        }
        if (sent == 2 && (f == Fault.DROP_MID_STREAM || f == Fault.RESET_MID_STREAM)) {
          // recorded before the connection ends, so a test that saw the failure also sees the request
          record(ex, path, auth, true, queueNanos, true, sent, false, model, firstChunk, -1);
          recorded = true;
          if (f == Fault.DROP_MID_STREAM) {
            LeanHttpServer.abort(ex); // the connection ends without [DONE] and without the last chunk
          } else {
            LeanHttpServer.reset(ex);
          }
          return;
        }
        if (sent == 1 && f == Fault.MALFORMED_CHUNK) {
          writeEvent(out, "{\"id\": \"" + id + "\", \"choices\": [{\"delta\": ");
          continue;
        }
        if (sent == 1 && f == Fault.STALL_MID_STREAM) {
          sleep(TimeUnit.SECONDS.toNanos(30));
          return;
        }
        boolean last = i == tokens - 1;
        String piece = (i == 0 ? "" : " ") + "tok" + i;
        Map<String, Object> delta = new LinkedHashMap<>();
        if (chat) {
          if (i == 0 && !config.omitRole && !llama) {
            delta.put("role", "assistant"); // vLLM: the role rides on the first content chunk
          }
          delta.put("content", piece);
        }
        // vLLM puts the finish reason on the last content chunk; llama-server sends a chunk of its own
        Map<String, Object> chunk = chunk(chat, id, created, model,
            choice(0, chat, delta, piece, last && !llama ? "length" : null));
        if (last && includeUsage && config.usageInLastChunk && !llama) {
          chunk.put("usage", usage(promptTokenCount, tokens));
        }
        String event = Json.write(chunk);
        if (sent == 0) {
          // taken just before the write: a client can never see the chunk earlier than this
          firstChunk = System.nanoTime() - (Long) ex.getAttribute(ARRIVED);
          firstToken = System.nanoTime();
        }
        lastToken = System.nanoTime();
        writeEvent(out, event);
        sent++;
      }
      if (llama) {
        Map<String, Object> finish = chunk(chat, id, created, model,
            choice(0, chat, new LinkedHashMap<>(), "", "length"));
        boolean separateUsage = chat && includeUsage;
        if (!separateUsage) {
          if (!chat) {
            finish.put("usage", usage(promptTokenCount, tokens)); // text completions: always, on this chunk
          }
          serverTiming(finish, req, queueNanos, scheduled, firstToken, lastToken, promptTokenCount, tokens);
        }
        writeEvent(out, Json.write(finish));
        if (separateUsage) {
          Map<String, Object> usageChunk = chunk(chat, id, created, model, null);
          usageChunk.put("usage", usage(promptTokenCount, tokens));
          serverTiming(usageChunk, req, queueNanos, scheduled, firstToken, lastToken, promptTokenCount, tokens);
          writeEvent(out, Json.write(usageChunk));
        }
      } else if (includeUsage && !config.usageInLastChunk) {
        // vLLM: a final chunk with no choices holds usage and, with per-request metrics, `metrics`
        Map<String, Object> usageChunk = chunk(chat, id, created, model, null);
        usageChunk.put("usage", usage(promptTokenCount, tokens));
        serverTiming(usageChunk, req, queueNanos, scheduled, firstToken, lastToken, promptTokenCount, tokens);
        writeEvent(out, Json.write(usageChunk));
      }
      // Recorded (and counted) before the last line goes out, so a test that saw [DONE] also sees the request;
      // if that write fails after all, the record is replaced by one that says the stream did not complete.
      promptTokens.addAndGet(promptTokenCount);
      generationTokens.addAndGet(tokens);
      finished(scheduled, firstToken, lastToken, tokens);
      requestSuccess.incrementAndGet();
      doneRecord = record(ex, path, auth, true, queueNanos, true, sent, true, model, firstChunk,
          lastToken - scheduled);
      recorded = true;
      out.write("data: [DONE]\n\n".getBytes(StandardCharsets.UTF_8));
      out.flush();
      completed = true;
    } catch (IOException e) {
      // the client went away: stop generating
      markIncomplete(doneRecord);
    } finally {
      if (!recorded) {
        record(ex, path, auth, true, queueNanos, true, sent, completed, model, firstChunk,
            lastToken < 0 ? -1 : lastToken - scheduled);
      }
    }
  }

  /**
   * A streamed choice: ChatCompletionResponseStreamChoice (delta, finish_reason) or CompletionResponseStreamChoice
   * (text, logprobs, finish_reason), {@value #PROTOCOL}.
   */
  private static Map<String, Object> choice(int index, boolean chat, Map<String, Object> delta, @Nullable String text,
      @Nullable String finishReason) {
    Map<String, Object> choice = new LinkedHashMap<>();
    choice.put("index", index);
    if (chat) {
      choice.put("delta", delta);
    } else {
      choice.put("text", text);
      choice.put("logprobs", null);
    }
    choice.put("finish_reason", finishReason);
    return choice;
  }

  /**
   * One chunk (ChatCompletionStreamResponse / CompletionStreamResponse, {@value #PROTOCOL}; llama-server adds
   * system_fingerprint, ../shared/peers/README.md); {@code choice} null makes the {@code choices: []} usage
   * chunk both servers send.
   */
  private Map<String, Object> chunk(boolean chat, String id, long created, String model,
      @Nullable Map<String, Object> choice) {
    Map<String, Object> chunk = new LinkedHashMap<>();
    chunk.put("id", id);
    chunk.put("object", chat ? "chat.completion.chunk" : "text_completion");
    chunk.put("created", created);
    chunk.put("model", responseModel(model));
    if (config.flavor == Flavor.LLAMA_CPP) {
      chunk.put("system_fingerprint", "b11669-Debian");
    }
    chunk.put("choices", choice == null ? List.of() : List.of(choice));
    return chunk;
  }

  /**
   * UsageInfo ({@value #PROTOCOL}); with {@code prompt_tokens_details.cached_tokens} where the server sends it:
   * llama-server b11669 always, vLLM with {@code --enable-prompt-tokens-details}
   * ({@link Builder#promptTokensDetails}; {@code PromptTokenUsageInfo} in
   * vllm/entrypoints/openai/engine/protocol.py). The simulator has no prefix cache: the count is 0.
   */
  private Map<String, Object> usage(int prompt, int completion) {
    Map<String, Object> u = new LinkedHashMap<>();
    u.put("prompt_tokens", prompt);
    u.put("completion_tokens", completion);
    u.put("total_tokens", prompt + completion);
    if (config.promptTokensDetails || config.flavor == Flavor.LLAMA_CPP) {
      u.put("prompt_tokens_details", Map.of("cached_tokens", 0));
    }
    return u;
  }

  private static void writeEvent(OutputStream out, String data) throws IOException {
    out.write(("data: " + data + "\n\n").getBytes(StandardCharsets.UTF_8));
    out.flush();
  }

  private void sleep(long nanos) {
    long until = System.nanoTime() + nanos;
    long left;
    while ((left = until - System.nanoTime()) > 0 && !closed) {
      LockSupport.parkNanos(left);
      if (Thread.currentThread().isInterrupted()) {
        return;
      }
    }
  }

  private static String text(int from, int tokens) {
    StringBuilder sb = new StringBuilder();
    for (int i = from; i < tokens; i++) {
      if (sb.length() > 0) {
        sb.append(' ');
      }
      sb.append("tok").append(i);
    }
    return sb.toString();
  }

  private static String promptOf(Map<String, Object> req, boolean chat) {
    if (!chat) {
      Object p = req.get("prompt");
      return p instanceof List<?> l ? String.valueOf(l) : Objects.toString(p, "");
    }
    StringBuilder sb = new StringBuilder();
    for (Object m : Json.array(req, "messages")) {
      if (m instanceof Map<?, ?> mm) {
        Object c = mm.get("content");
        if (c != null) {
          if (sb.length() > 0) {
            sb.append('\n');
          }
          sb.append(c);
        }
      }
    }
    return sb.toString();
  }

  private static List<String> words(String s) {
    List<String> out = new ArrayList<>();
    for (String w : s.split("\\s+")) {
      if (!w.isEmpty()) {
        out.add(w);
      }
    }
    return out;
  }

  /**
   * An error body: vLLM's ErrorResponse {"error": ErrorInfo {message, type, param, code}} ({@value #PROTOCOL});
   * llama-server's is {"error": {code, message, type}}, without param (../shared/peers/README.md).
   */
  private void error(HttpExchange ex, int status, String message, String type, @Nullable String param)
      throws IOException {
    Map<String, Object> err = new LinkedHashMap<>();
    err.put("message", message);
    err.put("type", type);
    if (config.flavor != Flavor.LLAMA_CPP) {
      err.put("param", param);
    }
    err.put("code", status);
    sendJson(ex, status, Map.of("error", err));
  }

  private static void sendJson(HttpExchange ex, int status, Object body) throws IOException {
    send(ex, status, "application/json", Json.write(body).getBytes(StandardCharsets.UTF_8));
  }

  private static void send(HttpExchange ex, int status, String contentType, byte[] body) throws IOException {
    ex.getResponseHeaders().set("Content-Type", contentType);
    ex.sendResponseHeaders(status, body.length == 0 ? -1 : body.length);
    if (body.length > 0) {
      try (OutputStream out = ex.getResponseBody()) {
        out.write(body);
      }
    }
  }

  /**
   * {@code /metrics}. vLLM serves it with prometheus_client, which answers OpenMetrics whenever the
   * {@code Accept} header offers it; from 0.23.0 its OpenMetrics sample lines then spell {@code vllm:}
   * as {@code vllm_} while HELP and TYPE keep the colon (prometheus/client_python issue #1177). Otherwise
   * text format 0.0.4. llama-server always answers text 0.0.4.
   */
  private void metricsEndpoint(HttpExchange ex) throws IOException {
    String accept = Objects.toString(ex.getRequestHeaders().getFirst("Accept"), "");
    boolean openMetrics = config.flavor == Flavor.VLLM && accept.contains("application/openmetrics-text");
    String text = config.flavor == Flavor.LLAMA_CPP ? llamaMetrics() : metrics(openMetrics);
    send(ex, 200, openMetrics ? "application/openmetrics-text; version=1.0.0; charset=utf-8"
        : "text/plain; version=0.0.4; charset=utf-8", text.getBytes(StandardCharsets.UTF_8));
  }

  /**
   * vLLM V1's names (vllm-project/vllm {@code vllm/v1/metrics/loggers.py}): every series has
   * {@code model_name} and {@code engine} labels; with {@link Builder#engines} data-parallel engines each
   * engine has its own series.
   */
  private String metrics(boolean openMetrics) {
    StringBuilder sb = new StringBuilder(4096);
    String model = config.models.iterator().next(); // one vLLM server serves one model
    for (int e = 0; e < config.engines; e++) {
      String labels = "engine=\"" + e + "\",model_name=\"" + model + "\"";
      int runningNow = runningPerEngine[e].get();
      gauge(sb, "vllm:num_requests_running", "Number of requests in model execution batches.", labels, runningNow);
      gauge(sb, "vllm:num_requests_waiting", "Number of requests waiting to be processed.", labels,
          waitingPerEngine[e].get());
      gauge(sb, "vllm:kv_cache_usage_perc", "KV-cache usage. 1 means 100 percent usage.", labels,
          Math.min(1.0, runningNow / (double) config.maxRunning));
      counter(sb, "vllm:prefix_cache_queries_total", "Prefix cache queries, in terms of number of queried tokens.",
          labels, e == 0 ? promptTokens.get() : 0);
      counter(sb, "vllm:prefix_cache_hits_total", "Prefix cache hits, in terms of number of cached tokens.", labels,
          0);
      counter(sb, "vllm:num_preemptions_total", "Cumulative number of preemption from the engine.", labels, 0);
      counter(sb, "vllm:prompt_tokens_total", "Number of prefill tokens processed.", labels,
          e == 0 ? promptTokens.get() : 0);
      counter(sb, "vllm:generation_tokens_total", "Number of generation tokens processed.", labels,
          e == 0 ? generationTokens.get() : 0);
      counter(sb, "vllm:request_success_total", "Count of successfully processed requests.", labels,
          e == 0 ? requestSuccess.get() : 0);
      Histogram empty = new Histogram(0.005, 0.01, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10);
      (e == 0 ? queueTime : empty).write(sb, "vllm:request_queue_time_seconds",
          "Histogram of time spent in WAITING phase for request.", labels);
      (e == 0 ? ttft : empty).write(sb, "vllm:time_to_first_token_seconds",
          "Histogram of time to first token in seconds.", labels);
      (e == 0 ? itl : empty).write(sb, "vllm:inter_token_latency_seconds",
          "Histogram of inter-token latency in seconds.", labels);
      (e == 0 ? prefillTime : empty).write(sb, "vllm:request_prefill_time_seconds",
          "Histogram of time spent in PREFILL phase for request.", labels);
      (e == 0 ? decodeTime : empty).write(sb, "vllm:request_decode_time_seconds",
          "Histogram of time spent in DECODE phase for request.", labels);
      (e == 0 ? generationTokensPerRequest : empty).write(sb, "vllm:request_generation_tokens",
          "Number of generation tokens processed.", labels);
    }
    if (!openMetrics) {
      return sb.toString();
    }
    StringBuilder om = new StringBuilder(sb.length() + 16);
    for (String line : sb.toString().split("\n")) {
      om.append(line.startsWith("#") ? line : line.replaceFirst("^vllm:", "vllm_")).append('\n');
    }
    return om.append("# EOF\n").toString();
  }

  /** llama-server b11669's {@code /metrics} (needs {@code --metrics}; ../shared/peers/README.md). */
  private String llamaMetrics() {
    StringBuilder sb = new StringBuilder(2048);
    counter(sb, "llamacpp:prompt_tokens_total", "Number of prompt tokens processed, excluding cached tokens", null,
        promptTokens.get());
    counter(sb, "llamacpp:tokens_predicted_total", "Number of generation tokens processed", null,
        generationTokens.get());
    gauge(sb, "llamacpp:requests_processing", "Number of requests processing", null,
        config.maxRunning - running.availablePermits());
    gauge(sb, "llamacpp:requests_deferred", "Number of requests deferred", null, waiting.get());
    return sb.toString();
  }

  private static void gauge(StringBuilder sb, String name, String help, @Nullable String labels, double v) {
    series(sb, name, "gauge", help, labels, v);
  }

  private static void counter(StringBuilder sb, String name, String help, @Nullable String labels, double v) {
    series(sb, name, "counter", help, labels, v);
  }

  private static void series(StringBuilder sb, String name, String type, String help, @Nullable String labels,
      double v) {
    sb.append("# HELP ").append(name).append(' ').append(help).append('\n');
    sb.append("# TYPE ").append(name).append(' ').append(type).append('\n');
    sb.append(name);
    if (labels != null) {
      sb.append('{').append(labels).append('}');
    }
    sb.append(' ').append(v).append('\n');
  }

  private static final class Histogram {
    private final double[] bounds;
    private final long[] counts;
    private long count;
    private double sum;

    Histogram(double... bounds) {
      this.bounds = bounds;
      this.counts = new long[bounds.length];
    }

    synchronized void observe(double v) {
      for (int i = 0; i < bounds.length; i++) {
        if (v <= bounds[i]) {
          counts[i]++;
        }
      }
      count++;
      sum += v;
    }

    synchronized void write(StringBuilder sb, String name, String help, String labels) {
      sb.append("# HELP ").append(name).append(' ').append(help).append('\n');
      sb.append("# TYPE ").append(name).append(" histogram\n");
      for (int i = 0; i < bounds.length; i++) {
        sb.append(name).append("_bucket{").append(labels).append(",le=\"").append(bounds[i]).append("\"} ")
            .append((double) counts[i]).append('\n');
      }
      sb.append(name).append("_bucket{").append(labels).append(",le=\"+Inf\"} ").append((double) count).append('\n');
      sb.append(name).append("_count{").append(labels).append("} ").append((double) count).append('\n');
      sb.append(name).append("_sum{").append(labels).append("} ").append(sum).append('\n');
    }
  }

  /** Builds and starts a {@link VllmSimulator}. */
  public static final class Builder {
    private final Set<String> models = new HashSet<>(Set.of("sim-llm"));
    private Duration ttft = Duration.ofMillis(20);
    private Duration gap = Duration.ofMillis(5);
    private int tokensPerResponse = 8;
    private int maxRunning = 8;
    private int maxWaiting = 256;
    private int maxContext = 4096;
    private int embeddingDims = 8;
    private boolean rejectWith429;
    private boolean perRequestMetrics;
    private Flavor flavor = Flavor.VLLM;
    private int engines = 1;
    private boolean usageInLastChunk;
    private boolean omitRole;
    private boolean reasoning;
    private String reasoningWord = "think";
    private boolean promptTokensDetails;
    private @Nullable SSLContext tls;
    private @Nullable String apiKey;
    private String version = "0.11.0-sim";

    private Builder() {}

    /** The served model names (replaces the default {@code sim-llm}). */
    public Builder models(String... names) {
      models.clear();
      models.addAll(List.of(names));
      return this;
    }

    /** Serves HTTPS with this context (e.g. one holding a self-signed certificate made by a test). */
    public Builder tls(SSLContext context) {
      this.tls = Objects.requireNonNull(context, "context");
      return this;
    }

    public Builder timeToFirstToken(Duration ttft) {
      this.ttft = ttft;
      return this;
    }

    public Builder interTokenGap(Duration gap) {
      this.gap = gap;
      return this;
    }

    public Builder tokensPerResponse(int tokens) {
      this.tokensPerResponse = tokens;
      return this;
    }

    /** Requests generating at once. */
    public Builder maxRunning(int maxRunning) {
      this.maxRunning = maxRunning;
      return this;
    }

    /** Requests allowed to wait for a slot; beyond that they are rejected. */
    public Builder maxWaiting(int maxWaiting) {
      this.maxWaiting = maxWaiting;
      return this;
    }

    /** Prompts longer than this many characters are rejected with 400, quoting the prompt. */
    public Builder maxContext(int maxContext) {
      this.maxContext = maxContext;
      return this;
    }

    /** Reject admissions with 429 instead of 503. */
    public Builder rejectWith429(boolean rejectWith429) {
      this.rejectWith429 = rejectWith429;
      return this;
    }

    /**
     * Plays vLLM started with {@code --enable-per-request-metrics}: a {@code metrics} object on
     * non-streaming responses and on the final usage chunk of a stream (only when the request sets
     * {@code stream_options.include_usage}). Off by default, as in vLLM.
     */
    public Builder perRequestMetrics(boolean on) {
      this.perRequestMetrics = on;
      return this;
    }

    /**
     * Data-parallel engines ({@code --data-parallel-size}): each has its own {@code engine}-labelled
     * series in {@code /metrics}, and requests go to them in turn. Default 1.
     */
    public Builder engines(int engines) {
      if (engines < 1) {
        throw new IllegalArgumentException("engines must be at least 1: " + engines);
      }
      this.engines = engines;
      return this;
    }

    /** Which server's wire shapes to play (default {@link Flavor#VLLM}). */
    public Builder flavor(Flavor flavor) {
      this.flavor = Objects.requireNonNull(flavor, "flavor");
      return this;
    }

    /**
     * Put usage in the last content chunk instead of a separate empty-choices chunk, as llama-server's
     * older builds did (b4747; the differences are listed in {@code ../shared/peers/README.md}).
     */
    public Builder usageInLastChunk(boolean usageInLastChunk) {
      this.usageInLastChunk = usageInLastChunk;
      return this;
    }

    /**
     * Leave the role out of the first chat chunk, as llama-server's older builds did (b4747; see
     * {@code ../shared/peers/README.md}: the role chunk is one of the differences of b11669).
     */
    public Builder omitRole(boolean omitRole) {
      this.omitRole = omitRole;
      return this;
    }

    /** Require {@code Authorization: Bearer <key>}. */
    /**
     * Play a reasoning model: chat answers carry reasoning text before the content, in vLLM's
     * {@code reasoning} field (llama-server: {@code reasoning_content}), streamed as reasoning deltas.
     */
    public Builder reasoning(boolean reasoning) {
      this.reasoning = reasoning;
      return this;
    }

    /** A reasoning model whose thoughts are made of {@code word} (for canary tests); turns reasoning on. */
    public Builder reasoningWord(String word) {
      this.reasoningWord = Objects.requireNonNull(word, "word");
      this.reasoning = true;
      return this;
    }

    /** Send {@code usage.prompt_tokens_details.cached_tokens} as vLLM does with {@code --enable-prompt-tokens-details}. */
    public Builder promptTokensDetails(boolean on) {
      this.promptTokensDetails = on;
      return this;
    }

    public Builder apiKey(@Nullable String apiKey) {
      this.apiKey = apiKey;
      return this;
    }

    public Builder embeddingDims(int dims) {
      this.embeddingDims = dims;
      return this;
    }

    /** Starts the simulator. */
    public VllmSimulator start() {
      try {
        return new VllmSimulator(this);
      } catch (IOException e) {
        throw new IllegalStateException("could not start the vLLM simulator on 127.0.0.1", e);
      }
    }
  }

  @Override
  public String toString() {
    return "VllmSimulator[" + baseUri() + ", models=" + config.models + "]";
  }

  static String lower(String s) {
    return s.toLowerCase(Locale.ROOT);
  }
}
