package dev.inferscope.testkit.vllm;

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
      long firstChunkNanos) {}

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
  private final AtomicLong ids = new AtomicLong();
  private volatile Fault fault = Fault.NONE;
  private volatile int faultCount = Integer.MAX_VALUE;
  private volatile boolean closed;

  private VllmSimulator(Builder b) throws IOException {
    this.config = b;
    this.running = new Semaphore(b.maxRunning, true);
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
          record(ex, path, auth, authorized, 0, false, 0, true, null);
          send(ex, 200, "text/plain", new byte[0]);
        }
        case "/version" -> {
          record(ex, path, auth, authorized, 0, false, 0, true, null);
          sendJson(ex, 200, Map.of("version", config.version));
        }
        case "/metrics" -> send(ex, 200, "text/plain; version=0.0.4", metrics().getBytes(StandardCharsets.UTF_8));
        case "/v1/models" -> {
          record(ex, path, auth, authorized, 0, false, 0, true, null);
          List<Object> data = new ArrayList<>();
          for (String m : config.models) {
            data.add(Map.of("id", m, "object", "model", "owned_by", "vllm", "max_model_len", config.maxContext));
          }
          sendJson(ex, 200, Map.of("object", "list", "data", data));
        }
        case "/tokenize" -> tokenize(ex, auth);
        case "/detokenize" -> detokenize(ex, auth);
        case "/v1/embeddings" -> embeddings(ex, auth);
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

  private void record(HttpExchange ex, String path, @Nullable String auth, boolean authorized, long queueNanos,
      boolean stream, int chunks, boolean completed, @Nullable String model) {
    record(ex, path, auth, authorized, queueNanos, stream, chunks, completed, model, -1);
  }

  private void record(HttpExchange ex, String path, @Nullable String auth, boolean authorized, long queueNanos,
      boolean stream, int chunks, boolean completed, @Nullable String model, long firstChunkNanos) {
    Headers h = ex.getRequestHeaders();
    requests.add(new RecordedRequest(ex.getRequestMethod(), path, h.getFirst("X-Request-Id"),
        h.getFirst("traceparent"), authorized, auth, queueNanos, stream, chunks, completed, model, firstChunkNanos));
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
    sendJson(ex, 200, Map.of("prompt", sb.toString()));
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
      data.add(Map.of("object", "embedding", "index", i, "embedding", vec));
    }
    record(ex, "/v1/embeddings", auth, true, 0, false, 0, true, model);
    sendJson(ex, 200, Map.of("object", "list", "model", model, "data", data,
        "usage", Map.of("prompt_tokens", tokens, "total_tokens", tokens)));
  }

  private void generate(HttpExchange ex, String path, @Nullable String auth, boolean chat) throws IOException {
    Map<String, Object> req = body(ex);
    if (req == null) {
      return;
    }
    String model = Json.string(req, "model");
    boolean stream = Boolean.TRUE.equals(req.get("stream"));
    if (model == null || !config.models.contains(model)) {
      record(ex, path, auth, true, 0, stream, 0, false, model);
      error(ex, 404, "The model `" + model + "` does not exist.", "NotFoundError", "model");
      return;
    }
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
        sendJson(ex, 400, Map.of("object", "error", "message", "invalid sampling parameters",
            "type", "BadRequestError", "param", "temperature", "code", 400));
        return;
      }
      default -> { }
    }
    long maxTokens = Json.longValue(req, "max_tokens", config.tokensPerResponse);
    int tokens = (int) Math.max(1, Math.min(maxTokens, config.tokensPerResponse));

    // Admission and queueing
    long arrived = System.nanoTime();
    if (!running.tryAcquire()) {
      if (waiting.incrementAndGet() > config.maxWaiting) {
        waiting.decrementAndGet();
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
      }
    }
    long queueNanos = System.nanoTime() - arrived;
    queueTime.observe(queueNanos / 1e9);
    String id = (chat ? "chatcmpl-" : "cmpl-") + ids.incrementAndGet();
    long created = System.currentTimeMillis() / 1000;
    try {
      if (stream) {
        boolean includeUsage = false;
        Map<String, Object> so = Json.object(req, "stream_options");
        if (so != null && Boolean.TRUE.equals(so.get("include_usage"))) {
          includeUsage = true;
        }
        streamTokens(ex, path, auth, chat, model, id, created, tokens, promptTokenCount, includeUsage,
            queueNanos, f);
      } else {
        sleep(config.ttft.toNanos() + (tokens - 1) * config.gap.toNanos());
        ttft.observe(config.ttft.toNanos() / 1e9);
        if (f == Fault.MALFORMED_BODY) {
          record(ex, path, auth, true, queueNanos, false, 0, false, model);
          send(ex, 200, "application/json", "{\"id\": \"x\", \"choices\": [".getBytes(StandardCharsets.UTF_8));
          return;
        }
        String text = text(0, tokens);
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
        resp.put("model", model);
        resp.put("choices", List.of(choice));
        resp.put("usage", Map.of("prompt_tokens", promptTokenCount, "completion_tokens", tokens,
            "total_tokens", promptTokenCount + tokens));
        if (config.timings) {
          resp.put("timings", timings(queueNanos, tokens));
        }
        promptTokens.addAndGet(promptTokenCount);
        generationTokens.addAndGet(tokens);
        requestSuccess.incrementAndGet();
        record(ex, path, auth, true, queueNanos, false, 0, true, model);
        sendJson(ex, 200, resp);
      }
    } finally {
      running.release();
    }
  }

  private Map<String, Object> timings(long queueNanos, int tokens) {
    Map<String, Object> t = new LinkedHashMap<>();
    t.put("queue_ms", queueNanos / 1e6);
    t.put("prompt_ms", config.ttft.toNanos() / 1e6);
    t.put("predicted_ms", (tokens - 1) * config.gap.toNanos() / 1e6);
    return t;
  }

  private void streamTokens(HttpExchange ex, String path, @Nullable String auth, boolean chat, String model,
      String id, long created, int tokens, int promptTokenCount, boolean includeUsage, long queueNanos, Fault f)
      throws IOException {
    ex.getResponseHeaders().set("Content-Type", "text/event-stream");
    ex.getResponseHeaders().set("Cache-Control", "no-cache");
    ex.sendResponseHeaders(200, 0);
    int sent = 0;
    boolean completed = false;
    long firstChunk = -1;
    OutputStream out = ex.getResponseBody();
    try {
      out.write(": vllm-simulator keep-alive\n\n".getBytes(StandardCharsets.UTF_8));
      out.flush();
      long arrived = (Long) ex.getAttribute(ARRIVED);
      for (int i = 0; i < tokens; i++) {
        if (i == 0) {
          // time to first token counts from the request's arrival, not from after admission
          sleep(Math.max(0, arrived + queueNanos + config.ttft.toNanos() - System.nanoTime()));
        } else {
          sleep(config.gap.toNanos());
        }
        if (i == 0) {
          ttft.observe(config.ttft.toNanos() / 1e9);
        }
        if (sent == 2 && f == Fault.ERROR_MID_STREAM) {
          writeEvent(out, Json.write(Map.of("error", Map.of("message", "engine failed mid-stream",
              "type", "InternalServerError", "code", 500))));
          return;
        }
        if (sent == 2 && f == Fault.DROP_MID_STREAM) {
          LeanHttpServer.abort(ex); // the connection ends without [DONE] and without the last chunk
          return;
        }
        if (sent == 2 && f == Fault.RESET_MID_STREAM) {
          LeanHttpServer.reset(ex);
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
        Map<String, Object> choice = new LinkedHashMap<>();
        choice.put("index", 0);
        String piece = (i == 0 ? "" : " ") + "tok" + i;
        if (chat) {
          Map<String, Object> delta = new LinkedHashMap<>();
          if (i == 0 && !config.omitRole) {
            delta.put("role", "assistant");
          }
          delta.put("content", piece);
          choice.put("delta", delta);
        } else {
          choice.put("text", piece);
        }
        choice.put("finish_reason", last ? "length" : null);
        Map<String, Object> chunk = new LinkedHashMap<>();
        chunk.put("id", id);
        chunk.put("object", chat ? "chat.completion.chunk" : "text_completion");
        chunk.put("created", created);
        chunk.put("model", model);
        chunk.put("choices", List.of(choice));
        if (last && includeUsage && config.usageInLastChunk) {
          chunk.put("usage", usage(promptTokenCount, tokens));
        }
        if (last && config.timings) {
          chunk.put("timings", timings(queueNanos, tokens));
        }
        String event = Json.write(chunk);
        if (sent == 0) {
          // taken just before the write: a client can never see the chunk earlier than this
          firstChunk = System.nanoTime() - (Long) ex.getAttribute(ARRIVED);
        }
        writeEvent(out, event);
        sent++;
      }
      if (includeUsage && !config.usageInLastChunk) {
        Map<String, Object> usageChunk = new LinkedHashMap<>();
        usageChunk.put("id", id);
        usageChunk.put("object", chat ? "chat.completion.chunk" : "text_completion");
        usageChunk.put("created", created);
        usageChunk.put("model", model);
        usageChunk.put("choices", List.of());
        usageChunk.put("usage", usage(promptTokenCount, tokens));
        writeEvent(out, Json.write(usageChunk));
      }
      out.write("data: [DONE]\n\n".getBytes(StandardCharsets.UTF_8));
      out.flush();
      completed = true;
      promptTokens.addAndGet(promptTokenCount);
      generationTokens.addAndGet(tokens);
      requestSuccess.incrementAndGet();
    } catch (IOException e) {
      // the client went away: stop generating
    } finally {
      record(ex, path, auth, true, queueNanos, true, sent, completed, model, firstChunk);
    }
  }

  private static Map<String, Object> usage(int prompt, int completion) {
    return Map.of("prompt_tokens", prompt, "completion_tokens", completion, "total_tokens", prompt + completion);
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

  private void error(HttpExchange ex, int status, String message, String type, @Nullable String param)
      throws IOException {
    Map<String, Object> err = new LinkedHashMap<>();
    err.put("message", message);
    err.put("type", type);
    err.put("param", param);
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

  private String metrics() {
    StringBuilder sb = new StringBuilder(2048);
    for (String model : config.models) {
      String labels = "engine=\"0\",model_name=\"" + model + "\"";
      gauge(sb, "vllm:num_requests_running", "Number of requests in model execution batches.", labels,
          config.maxRunning - running.availablePermits());
      gauge(sb, "vllm:num_requests_waiting", "Number of requests waiting to be processed.", labels, waiting.get());
      gauge(sb, "vllm:kv_cache_usage_perc", "KV-cache usage. 1 means 100 percent usage.", labels,
          Math.min(1.0, (config.maxRunning - running.availablePermits()) / (double) config.maxRunning));
      counter(sb, "vllm:prompt_tokens_total", "Number of prefill tokens processed.", labels, promptTokens.get());
      counter(sb, "vllm:generation_tokens_total", "Number of generation tokens processed.", labels,
          generationTokens.get());
      counter(sb, "vllm:request_success_total", "Count of successfully processed requests.", labels,
          requestSuccess.get());
      queueTime.write(sb, "vllm:request_queue_time_seconds", "Histogram of time spent in WAITING phase for request.",
          labels);
      ttft.write(sb, "vllm:time_to_first_token_seconds", "Histogram of time to first token in seconds.", labels);
      break; // one engine serves one model in vLLM; the first model carries the engine's metrics
    }
    return sb.toString();
  }

  private static void gauge(StringBuilder sb, String name, String help, String labels, double v) {
    sb.append("# HELP ").append(name).append(' ').append(help).append('\n');
    sb.append("# TYPE ").append(name).append(" gauge\n");
    sb.append(name).append('{').append(labels).append("} ").append(v).append('\n');
  }

  private static void counter(StringBuilder sb, String name, String help, String labels, double v) {
    sb.append("# HELP ").append(name).append(' ').append(help).append('\n');
    sb.append("# TYPE ").append(name).append(" counter\n");
    sb.append(name).append('{').append(labels).append("} ").append(v).append('\n');
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
    private boolean timings;
    private boolean usageInLastChunk;
    private boolean omitRole;
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

    /** Add a per-request {@code timings} object with queue_ms, prompt_ms, predicted_ms. */
    public Builder timings(boolean timings) {
      this.timings = timings;
      return this;
    }

    /** Put usage in the last content chunk instead of a separate empty-choices chunk. */
    public Builder usageInLastChunk(boolean usageInLastChunk) {
      this.usageInLastChunk = usageInLastChunk;
      return this;
    }

    /** Leave the role out of the first chat chunk (as some OpenAI-compatible servers do). */
    public Builder omitRole(boolean omitRole) {
      this.omitRole = omitRole;
      return this;
    }

    /** Require {@code Authorization: Bearer <key>}. */
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
