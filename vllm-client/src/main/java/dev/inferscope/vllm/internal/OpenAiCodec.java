package dev.inferscope.vllm.internal;

import dev.inferscope.core.ErrorType;
import dev.inferscope.core.InferenceException;
import dev.inferscope.core.internal.Json;
import dev.inferscope.vllm.ChatMessage;
import dev.inferscope.vllm.ChatRequest;
import dev.inferscope.vllm.Choice;
import dev.inferscope.vllm.Completion;
import dev.inferscope.vllm.CompletionRequest;
import dev.inferscope.vllm.ModelInfo;
import dev.inferscope.vllm.SamplingParams;
import dev.inferscope.vllm.StreamChunk;
import dev.inferscope.vllm.Usage;
import java.io.ByteArrayOutputStream;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import org.jspecify.annotations.Nullable;
import tools.jackson.core.JsonGenerator;
import tools.jackson.core.ObjectWriteContext;

/**
 * Encodes OpenAI-compatible requests and decodes responses, chunks and error bodies. Tolerant of what
 * servers leave out (no role in the first chunk, no ids, usage in any chunk); strict about what they
 * send wrong (malformed JSON and wrong types become {@link ErrorType#PROTOCOL}).
 * Internal API: not for use outside Inferscope, may change without notice.
 */
public final class OpenAiCodec {
  private OpenAiCodec() {}

  /**
   * Server-reported timing of one request, in nanoseconds (-1 = unknown).
   *
   * @param queueNanos time waiting in the server's scheduler queue
   * @param computeNanos prefill + decode on the server
   * @param timeToFirstTokenNanos the server's own time to first token, counted from scheduling: its
   *     prefill (vLLM {@code time_to_first_token_ms}; llama.cpp {@code prompt_ms})
   * @param meanInterTokenNanos the server's mean inter-token latency
   */
  public record ServerTiming(long queueNanos, long computeNanos, long timeToFirstTokenNanos,
      long meanInterTokenNanos) {
    static final ServerTiming NONE = new ServerTiming(-1, -1, -1, -1);

    public boolean known() {
      return queueNanos >= 0 || computeNanos >= 0;
    }
  }

  public static byte[] encodeChat(ChatRequest r, boolean stream, boolean includeUsage) {
    ByteArrayOutputStream out = new ByteArrayOutputStream(256);
    try (JsonGenerator g = Json.factory().createGenerator(ObjectWriteContext.empty(), out)) {
      g.writeStartObject();
      g.writeStringProperty("model", r.model());
      g.writeName("messages");
      g.writeStartArray();
      for (ChatMessage m : r.messages()) {
        g.writeStartObject();
        g.writeStringProperty("role", m.role());
        g.writeStringProperty("content", m.content());
        g.writeEndObject();
      }
      g.writeEndArray();
      writeCommon(g, r.sampling(), stream, includeUsage);
      g.writeEndObject();
    }
    return out.toByteArray();
  }

  public static byte[] encodeCompletion(CompletionRequest r, boolean stream, boolean includeUsage) {
    ByteArrayOutputStream out = new ByteArrayOutputStream(256);
    try (JsonGenerator g = Json.factory().createGenerator(ObjectWriteContext.empty(), out)) {
      g.writeStartObject();
      g.writeStringProperty("model", r.model());
      g.writeStringProperty("prompt", r.prompt());
      writeCommon(g, r.sampling(), stream, includeUsage);
      g.writeEndObject();
    }
    return out.toByteArray();
  }

  private static void writeCommon(JsonGenerator g, SamplingParams p, boolean stream, boolean includeUsage) {
    if (p.maxTokens() != null) {
      g.writeNumberProperty("max_tokens", p.maxTokens());
    }
    if (p.temperature() != null) {
      g.writeNumberProperty("temperature", p.temperature());
    }
    if (p.topP() != null) {
      g.writeNumberProperty("top_p", p.topP());
    }
    if (!p.stop().isEmpty()) {
      g.writeName("stop");
      Json.write(g, p.stop());
    }
    if (p.seed() != null) {
      g.writeNumberProperty("seed", p.seed());
    }
    if (p.n() != null) {
      g.writeNumberProperty("n", p.n());
    }
    if (p.logprobs() != null) {
      g.writeNumberProperty("logprobs", p.logprobs());
    }
    for (Map.Entry<String, Object> e : p.extra().entrySet()) {
      g.writeName(e.getKey());
      Json.write(g, e.getValue());
    }
    if (stream) {
      g.writeBooleanProperty("stream", true);
      if (includeUsage) {
        g.writeName("stream_options");
        g.writeStartObject();
        g.writeBooleanProperty("include_usage", true);
        g.writeEndObject();
      }
    }
  }

  /** Decodes a non-streaming chat or text completion. */
  public static Completion decodeCompletion(byte[] body, boolean chat) {
    Map<String, Object> m = Json.parseObject(body, "completion response");
    errorInBody(m, 0);
    List<Choice> choices = new ArrayList<>();
    for (Object o : Json.array(m, "choices")) {
      Map<String, Object> c = Json.asObject(o, "choice");
      String text;
      String role = null;
      if (chat) {
        Map<String, Object> msg = Json.object(c, "message");
        text = msg == null ? "" : nullToEmpty(Json.string(msg, "content"));
        role = msg == null ? null : Json.string(msg, "role");
      } else {
        text = nullToEmpty(Json.string(c, "text"));
      }
      choices.add(new Choice((int) Json.longValue(c, "index", choices.size()), text, role,
          Json.string(c, "finish_reason")));
    }
    if (choices.isEmpty() && !m.containsKey("choices")) {
      throw InferenceException.of(ErrorType.PROTOCOL, "completion response has no choices");
    }
    return new Completion(Json.string(m, "id"), Json.string(m, "model"), choices, usage(m));
  }

  /**
   * Decodes one streamed chunk's data. An {@code error} object in the chunk becomes an exception that
   * says how many chunks had arrived before it.
   */
  public static StreamChunk decodeChunk(String data, boolean chat, long chunksBefore) {
    StreamChunk fast = fastChunk(data, chat);
    return fast != null ? fast : decodeChunkGeneric(data, chat, chunksBefore);
  }

  /**
   * The common chunk read straight from its text by {@link ChunkScanner}, with no parser or map per
   * chunk (building a map of each chunk was about a quarter of a streaming client's CPU, creating a
   * parser per chunk most of its allocation). Anything unusual (an error object, a field of an
   * unexpected type, malformed JSON) returns null, and {@link #decodeChunkGeneric} then decides with
   * the same rules as for every other body, so both paths give the same answers.
   */
  static @Nullable StreamChunk fastChunk(String data, boolean chat) {
    return ChunkScanner.scan(data, chat);
  }

  /** Decodes a chunk through a map of the whole document (errors, odd shapes). */
  static StreamChunk decodeChunkGeneric(String data, boolean chat, long chunksBefore) {
    Map<String, Object> m = Json.parseObject(data, "stream chunk");
    errorInBody(m, chunksBefore);
    List<Choice> choices = new ArrayList<>(1);
    for (Object o : Json.array(m, "choices")) {
      Map<String, Object> c = Json.asObject(o, "choice");
      String text;
      String role = null;
      if (chat) {
        Map<String, Object> delta = Json.object(c, "delta");
        text = delta == null ? "" : nullToEmpty(Json.string(delta, "content"));
        role = delta == null ? null : Json.string(delta, "role");
      } else {
        text = nullToEmpty(Json.string(c, "text"));
      }
      choices.add(new Choice((int) Json.longValue(c, "index", choices.size()), text, role,
          Json.string(c, "finish_reason")));
    }
    Usage u = m.get("usage") == null ? null : usage(m);
    return new StreamChunk(Json.string(m, "id"), Json.string(m, "model"), choices, u);
  }

  /** Server timing from a response or chunk: vLLM's {@code metrics} object or llama.cpp's {@code timings}. */
  public static ServerTiming serverTiming(byte[] body) {
    try {
      return serverTiming(Json.parseObject(body, "response"));
    } catch (RuntimeException e) {
      return ServerTiming.NONE; // malformed or mistyped timing is unknown timing, never a failed call
    }
  }

  /**
   * Reads what servers really send.
   *
   * <p>vLLM with {@code --enable-per-request-metrics} (vllm-project/vllm
   * {@code docs/features/per_request_metrics.md}, commit 0377ba9): a {@code metrics} object on
   * non-streaming responses and on the final usage chunk of a stream, with {@code queue_time_ms},
   * {@code time_to_first_token_ms} (from scheduling to the first token: prefill),
   * {@code generation_time_ms} (first to last token: decode), {@code mean_itl_ms} and
   * {@code tokens_per_second}; the object is null for {@code n > 1} and each field may be null. Compute
   * is prefill + decode.
   *
   * <p>llama.cpp's {@code llama-server} (build b11669, see {@code ../shared/peers/README.md}): a
   * {@code timings} object with {@code prompt_n}, {@code prompt_ms}, {@code predicted_n},
   * {@code predicted_ms}, {@code cache_n} and no queue time. Compute is {@code prompt_ms +
   * predicted_ms}; the queue stays unknown (the client estimates it).
   */
  public static ServerTiming serverTiming(Map<String, Object> m) {
    if (m.get("metrics") instanceof Map<?, ?> raw) {
      @SuppressWarnings("unchecked")
      Map<String, Object> mm = (Map<String, Object>) raw;
      long queue = millis(Json.doubleValue(mm, "queue_time_ms"));
      long prefill = millis(Json.doubleValue(mm, "time_to_first_token_ms"));
      long decode = millis(Json.doubleValue(mm, "generation_time_ms"));
      long itl = millis(Json.doubleValue(mm, "mean_itl_ms"));
      long compute = prefill < 0 && decode < 0 ? -1 : Math.max(0, prefill) + Math.max(0, decode);
      if (queue >= 0 || compute >= 0 || itl >= 0) {
        return new ServerTiming(queue, compute, prefill, itl);
      }
    }
    if (m.get("timings") instanceof Map<?, ?> raw) {
      @SuppressWarnings("unchecked")
      Map<String, Object> t = (Map<String, Object>) raw;
      long prompt = millis(Json.doubleValue(t, "prompt_ms"));
      long predicted = millis(Json.doubleValue(t, "predicted_ms"));
      long compute = prompt < 0 && predicted < 0 ? -1 : Math.max(0, prompt) + Math.max(0, predicted);
      return new ServerTiming(-1, compute, prompt, -1);
    }
    return ServerTiming.NONE;
  }

  /** Milliseconds to nanoseconds; NaN (absent or null), negative or absurd (over a day) is unknown. */
  private static long millis(double ms) {
    return Double.isNaN(ms) || ms < 0 || ms > 86_400_000d ? -1 : Math.round(ms * 1e6);
  }

  private static Usage usage(Map<String, Object> m) {
    Map<String, Object> u = Json.object(m, "usage");
    if (u == null) {
      return Usage.UNKNOWN;
    }
    return new Usage(Json.longValue(u, "prompt_tokens", -1), Json.longValue(u, "completion_tokens", -1),
        Json.longValue(u, "total_tokens", -1));
  }

  private static String nullToEmpty(@Nullable String s) {
    return s == null ? "" : s;
  }

  /** Throws when a 200 body or chunk carries an error object (both shapes). */
  private static void errorInBody(Map<String, Object> m, long chunksBefore) {
    Object err = m.get("error");
    boolean flat = "error".equals(m.get("object"));
    if (err == null && !flat) {
      return;
    }
    Map<String, Object> e = err instanceof Map<?, ?> ? Json.asObject(err, "error") : m;
    Object code = e.get("code");
    ErrorType type = code instanceof Number n ? dev.inferscope.core.internal.http.HttpErrors.forStatus(n.intValue()) : ErrorType.INTERNAL;
    throw InferenceException.builder(type, chunksBefore > 0 ? "server sent an error mid-stream" : "server sent an error")
        .serverCode(code == null ? null : String.valueOf(code))
        .serverMessage(err instanceof String s ? s : Json.string(e, "message"))
        .chunksReceived(chunksBefore)
        .retryable(false)
        .build();
  }

  /** Decodes {@code /v1/models}. */
  /**
   * The context length a model is served with: vLLM's {@code max_model_len} (vllm-project/vllm
   * vllm/entrypoints/openai/protocol.py, ModelCard); llama.cpp's {@code meta.n_ctx} (the per-slot context
   * it serves; seen on b11669: {@code "meta":{"n_ctx":1024,"n_ctx_train":4096,...}}), else
   * {@code meta.n_ctx_train}; -1 when neither is sent.
   */
  static long contextLength(Map<String, Object> model) {
    long vllm = Json.longValue(model, "max_model_len", -1);
    if (vllm > 0) {
      return vllm;
    }
    Map<String, Object> meta = Json.object(model, "meta");
    if (meta == null) {
      return -1;
    }
    long served = Json.longValue(meta, "n_ctx", -1);
    return served > 0 ? served : Json.longValue(meta, "n_ctx_train", -1);
  }

  public static List<ModelInfo> decodeModels(byte[] body) {
    Map<String, Object> m = Json.parseObject(body, "models response");
    List<ModelInfo> out = new ArrayList<>();
    for (Object o : Json.array(m, "data")) {
      Map<String, Object> d = Json.asObject(o, "model");
      String id = Json.string(d, "id");
      if (id == null) {
        throw InferenceException.of(ErrorType.PROTOCOL, "model entry without id");
      }
      out.add(new ModelInfo(id, Json.string(d, "owned_by"), contextLength(d)));
    }
    return out;
  }
}
