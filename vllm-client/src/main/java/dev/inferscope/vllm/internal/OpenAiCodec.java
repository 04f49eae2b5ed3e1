package dev.inferscope.vllm.internal;

import dev.inferscope.core.ErrorType;
import dev.inferscope.core.InferenceException;
import dev.inferscope.core.internal.Json;
import dev.inferscope.vllm.ChatMessage;
import dev.inferscope.vllm.ChatRequest;
import dev.inferscope.vllm.Choice;
import dev.inferscope.vllm.Completion;
import dev.inferscope.vllm.CompletionRequest;
import dev.inferscope.vllm.ContentPart;
import dev.inferscope.vllm.ModelInfo;
import dev.inferscope.vllm.ResponseFormat;
import dev.inferscope.vllm.SamplingParams;
import dev.inferscope.vllm.StreamChunk;
import dev.inferscope.vllm.StructuredOutputs;
import dev.inferscope.vllm.TokenLogprob;
import dev.inferscope.vllm.Tool;
import dev.inferscope.vllm.ToolCall;
import dev.inferscope.vllm.ToolCallDelta;
import dev.inferscope.vllm.ToolChoice;
import dev.inferscope.vllm.Usage;
import java.io.ByteArrayOutputStream;
import java.util.ArrayList;
import java.util.LinkedHashMap;
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
        writeMessage(g, m);
      }
      g.writeEndArray();
      if (!r.tools().isEmpty()) {
        g.writeName("tools");
        g.writeStartArray();
        for (Tool t : r.tools()) {
          writeTool(g, t);
        }
        g.writeEndArray();
      }
      ToolChoice choice = r.toolChoice();
      if (choice != null) {
        if (choice.functionName() != null) {
          // ChatCompletionNamedToolChoiceParam: {"type":"function","function":{"name"}}
          g.writeName("tool_choice");
          g.writeStartObject();
          g.writeStringProperty("type", "function");
          g.writeName("function");
          g.writeStartObject();
          g.writeStringProperty("name", choice.functionName());
          g.writeEndObject();
          g.writeEndObject();
        } else {
          g.writeStringProperty("tool_choice", choice.mode());
        }
      }
      if (r.parallelToolCalls() != null) {
        g.writeBooleanProperty("parallel_tool_calls", r.parallelToolCalls());
      }
      writeConstraints(g, r.responseFormat(), r.structuredOutputs());
      writeCommon(g, r.sampling(), stream, includeUsage, true);
      g.writeEndObject();
    }
    return out.toByteArray();
  }

  /**
   * One chat message param (vllm-project/vllm {@code vllm/entrypoints/chat_utils.py}): content as a string,
   * as an array of parts, or null for an assistant turn that only called tools.
   */
  private static void writeMessage(JsonGenerator g, ChatMessage m) {
    g.writeStartObject();
    g.writeStringProperty("role", m.role());
    if (!m.parts().isEmpty()) {
      g.writeName("content");
      g.writeStartArray();
      for (ContentPart p : m.parts()) {
        writePart(g, p);
      }
      g.writeEndArray();
    } else if (m.content().isEmpty() && !m.toolCalls().isEmpty()) {
      g.writeNullProperty("content");
    } else {
      g.writeStringProperty("content", m.content());
    }
    if (m.name() != null) {
      g.writeStringProperty("name", m.name());
    }
    if (!m.toolCalls().isEmpty()) {
      g.writeName("tool_calls");
      g.writeStartArray();
      for (ToolCall c : m.toolCalls()) {
        g.writeStartObject();
        g.writeStringProperty("id", c.id());
        g.writeStringProperty("type", "function");
        g.writeName("function");
        g.writeStartObject();
        g.writeStringProperty("name", c.name());
        g.writeStringProperty("arguments", c.arguments());
        g.writeEndObject();
        g.writeEndObject();
      }
      g.writeEndArray();
    }
    if (m.toolCallId() != null) {
      g.writeStringProperty("tool_call_id", m.toolCallId());
    }
    g.writeEndObject();
  }

  private static void writePart(JsonGenerator g, ContentPart p) {
    g.writeStartObject();
    g.writeStringProperty("type", p.type());
    if (p instanceof ContentPart.Text t) {
      g.writeStringProperty("text", t.text());
    } else if (p instanceof ContentPart.ImageUrl i) {
      g.writeName("image_url");
      g.writeStartObject();
      g.writeStringProperty("url", i.url());
      if (i.detail() != null) {
        g.writeStringProperty("detail", i.detail());
      }
      g.writeEndObject();
    } else if (p instanceof ContentPart.InputAudio a) {
      g.writeName("input_audio");
      g.writeStartObject();
      g.writeStringProperty("data", a.data());
      g.writeStringProperty("format", a.format());
      g.writeEndObject();
    } else if (p instanceof ContentPart.File f) {
      g.writeName("file");
      g.writeStartObject();
      if (f.fileId() != null) {
        g.writeStringProperty("file_id", f.fileId());
      }
      if (f.fileData() != null) {
        g.writeStringProperty("file_data", f.fileData());
      }
      if (f.filename() != null) {
        g.writeStringProperty("filename", f.filename());
      }
      g.writeEndObject();
    }
    g.writeEndObject();
  }

  private static void writeTool(JsonGenerator g, Tool t) {
    g.writeStartObject();
    g.writeStringProperty("type", "function");
    g.writeName("function");
    Json.write(g, functionFields(t));
    g.writeEndObject();
  }

  /**
   * A function tool's fields ({@code name}, {@code description}, {@code parameters}, {@code strict}; unset ones
   * left out): chat nests them under {@code function}, the Responses API puts them beside {@code type}.
   */
  static Map<String, Object> functionFields(Tool t) {
    Map<String, Object> f = new LinkedHashMap<>();
    f.put("name", t.name());
    putIfSet(f, "description", t.description());
    putIfSet(f, "parameters", t.parameters());
    putIfSet(f, "strict", t.strict());
    return f;
  }

  /**
   * A JSON-schema format's fields ({@code name}, {@code description}, {@code schema}, {@code strict}; unset ones
   * left out): chat's {@code response_format.json_schema}, the Responses API's {@code text.format} beside its type.
   */
  static Map<String, Object> schemaFields(ResponseFormat rf) {
    Map<String, Object> f = new LinkedHashMap<>();
    putIfSet(f, "name", rf.name());
    putIfSet(f, "description", rf.description());
    putIfSet(f, "schema", rf.schema());
    putIfSet(f, "strict", rf.strict());
    return f;
  }

  private static void putIfSet(Map<String, Object> m, String key, @Nullable Object value) {
    if (value != null) {
      m.put(key, value);
    }
  }

  /** {@code response_format} and vLLM's {@code structured_outputs}, when set. */
  private static void writeConstraints(JsonGenerator g, @Nullable ResponseFormat rf, @Nullable StructuredOutputs so) {
    if (rf != null) {
      g.writeName("response_format");
      g.writeStartObject();
      g.writeStringProperty("type", rf.type());
      if (rf.type().equals("json_schema")) {
        // JsonSchemaResponseFormat: name, description, schema (pydantic alias of json_schema), strict
        g.writeName("json_schema");
        Json.write(g, schemaFields(rf));
      }
      g.writeEndObject();
    }
    if (so != null) {
      g.writeName("structured_outputs");
      g.writeStartObject();
      g.writeName(so.kind());
      Json.write(g, so.value());
      g.writeEndObject();
    }
  }

  public static byte[] encodeCompletion(CompletionRequest r, boolean stream, boolean includeUsage) {
    ByteArrayOutputStream out = new ByteArrayOutputStream(256);
    try (JsonGenerator g = Json.factory().createGenerator(ObjectWriteContext.empty(), out)) {
      g.writeStartObject();
      g.writeStringProperty("model", r.model());
      g.writeStringProperty("prompt", r.prompt());
      writeConstraints(g, r.responseFormat(), r.structuredOutputs());
      writeCommon(g, r.sampling(), stream, includeUsage, false);
      g.writeEndObject();
    }
    return out.toByteArray();
  }

  private static void writeCommon(JsonGenerator g, SamplingParams p, boolean stream, boolean includeUsage,
      boolean chat) {
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
      if (chat) {
        // chat: logprobs is a boolean and top_logprobs the number of alternatives (ChatCompletionRequest)
        g.writeBooleanProperty("logprobs", true);
        if (p.logprobs() > 0) {
          g.writeNumberProperty("top_logprobs", p.logprobs());
        }
      } else {
        g.writeNumberProperty("logprobs", p.logprobs()); // text completions: the number (CompletionRequest)
      }
    }
    if (p.user() != null) {
      g.writeStringProperty("user", p.user());
    }
    if (p.priority() != null) {
      g.writeNumberProperty("priority", p.priority());
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
    return decodeCompletion(Json.parseObject(body, "completion response"), chat);
  }

  /** Decodes a non-streaming chat or text completion already parsed (its server timing is read from the same map). */
  public static Completion decodeCompletion(Map<String, Object> m, boolean chat) {
    errorInBody(m, 0);
    List<Choice> choices = new ArrayList<>();
    for (Object o : Json.array(m, "choices")) {
      choices.add(choice(Json.asObject(o, "choice"), chat, "message", choices.size()));
    }
    if (choices.isEmpty() && !m.containsKey("choices")) {
      throw InferenceException.of(ErrorType.PROTOCOL, "completion response has no choices");
    }
    return new Completion(Json.string(m, "id"), Json.string(m, "model"), choices, usage(m));
  }

  /**
   * One choice of a response ({@code message}) or of a chunk ({@code delta}): text, role, reasoning,
   * tool calls (complete in a message, fragments in a delta), log probabilities and the finish reason.
   */
  private static Choice choice(Map<String, Object> c, boolean chat, String messageKey, int position) {
    String text;
    String role = null;
    String reasoning = "";
    List<ToolCall> calls = List.of();
    List<ToolCallDelta> deltas = List.of();
    if (chat) {
      Map<String, Object> msg = Json.object(c, messageKey);
      text = msg == null ? "" : nullToEmpty(Json.string(msg, "content"));
      role = msg == null ? null : Json.string(msg, "role");
      if (msg != null) {
        reasoning = reasoning(msg);
        if (messageKey.equals("delta")) {
          deltas = toolCallDeltas(msg);
        } else {
          calls = toolCalls(msg);
        }
      }
    } else {
      text = nullToEmpty(Json.string(c, "text"));
    }
    return new Choice((int) Json.longValue(c, "index", position), text, role, Json.string(c, "finish_reason"),
        reasoning, calls, deltas, logprobs(c, chat));
  }

  /**
   * The reasoning text: vLLM's {@code reasoning} (vllm-project/vllm
   * {@code vllm/entrypoints/openai/chat_completion/protocol.py}, {@code ChatMessage} and {@code DeltaMessage});
   * {@code reasoning_content}, which vLLM sent before and llama.cpp's server sends
   * ({@code --reasoning-format deepseek}), when that is what the server wrote.
   */
  private static String reasoning(Map<String, Object> msg) {
    String r = Json.string(msg, "reasoning");
    if (r == null) {
      r = Json.string(msg, "reasoning_content");
    }
    return nullToEmpty(r);
  }

  /** {@code tool_calls} of a message: {@code [{"id","type","function":{"name","arguments"}}]}. */
  private static List<ToolCall> toolCalls(Map<String, Object> msg) {
    Object raw = msg.get("tool_calls");
    if (raw == null) {
      return List.of();
    }
    List<ToolCall> out = new ArrayList<>();
    for (Object o : Json.array(msg, "tool_calls")) {
      Map<String, Object> t = Json.asObject(o, "tool call");
      Map<String, Object> f = Json.object(t, "function");
      if (f == null || Json.string(f, "name") == null) {
        throw InferenceException.of(ErrorType.PROTOCOL, "tool call without a function name");
      }
      out.add(new ToolCall(out.size(), nullToEmpty(Json.string(t, "id")), Json.string(f, "name"), arguments(f)));
    }
    return out;
  }

  /** {@code tool_calls} of a delta: {@code [{"index","id"?,"function":{"name"?,"arguments"?}}]}. */
  private static List<ToolCallDelta> toolCallDeltas(Map<String, Object> delta) {
    if (delta.get("tool_calls") == null) {
      return List.of();
    }
    List<ToolCallDelta> out = new ArrayList<>();
    for (Object o : Json.array(delta, "tool_calls")) {
      Map<String, Object> t = Json.asObject(o, "tool call delta");
      Map<String, Object> f = Json.object(t, "function");
      out.add(new ToolCallDelta((int) Json.longValue(t, "index", out.size()), Json.string(t, "id"),
          f == null ? null : Json.string(f, "name"), f == null ? "" : arguments(f)));
    }
    return out;
  }

  /** Arguments are a JSON text; a server that sends an object gets it written back as one. */
  private static String arguments(Map<String, Object> f) {
    Object a = f.get("arguments");
    if (a == null) {
      return "";
    }
    return a instanceof String s ? s : Json.write(a);
  }

  /**
   * Log probabilities: chat's {@code logprobs.content[]} of {@code {token, logprob, top_logprobs[]}}, or
   * text completions' {@code {tokens[], token_logprobs[], top_logprobs[{token: logprob}]}}
   * (vllm-project/vllm {@code ChatCompletionLogProbs}, {@code CompletionLogProbs}; llama-server b11669 sends
   * the chat shape, seen with {@code "logprobs":true,"top_logprobs":2}).
   */
  private static List<TokenLogprob> logprobs(Map<String, Object> c, boolean chat) {
    Map<String, Object> lp = Json.object(c, "logprobs");
    if (lp == null) {
      return List.of();
    }
    List<TokenLogprob> out = new ArrayList<>();
    if (lp.get("content") != null || chat) {
      for (Object o : Json.array(lp, "content")) {
        Map<String, Object> t = Json.asObject(o, "token logprob");
        List<TokenLogprob.Alternative> top = new ArrayList<>();
        for (Object a : Json.array(t, "top_logprobs")) {
          Map<String, Object> alt = Json.asObject(a, "top logprob");
          top.add(new TokenLogprob.Alternative(nullToEmpty(Json.string(alt, "token")), logprob(alt, "logprob")));
        }
        out.add(new TokenLogprob(nullToEmpty(Json.string(t, "token")), logprob(t, "logprob"), top));
      }
      return out;
    }
    List<Object> tokens = Json.array(lp, "tokens");
    List<Object> values = Json.array(lp, "token_logprobs");
    List<Object> tops = lp.get("top_logprobs") == null ? List.of() : Json.array(lp, "top_logprobs");
    for (int i = 0; i < tokens.size(); i++) {
      if (!(tokens.get(i) instanceof String tok)) {
        throw InferenceException.of(ErrorType.PROTOCOL, "logprobs token is not a string");
      }
      double v = i < values.size() && values.get(i) instanceof Number n ? n.doubleValue() : Double.NaN;
      List<TokenLogprob.Alternative> top = new ArrayList<>();
      if (i < tops.size() && tops.get(i) instanceof Map<?, ?> alts) {
        for (Map.Entry<?, ?> e : alts.entrySet()) {
          if (e.getValue() instanceof Number n) {
            top.add(new TokenLogprob.Alternative(String.valueOf(e.getKey()), n.doubleValue()));
          }
        }
        top.sort((a, b) -> Double.compare(b.logprob(), a.logprob()));
      }
      out.add(new TokenLogprob(tok, v, top));
    }
    return out;
  }

  /** A log probability; NaN when absent or null. */
  private static double logprob(Map<String, Object> m, String key) {
    return Json.doubleValue(m, key);
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
   * unexpected type, malformed JSON, tool calls, log probabilities, token details) returns null, and
   * {@link #decodeChunkGeneric} then decides with the same rules as for every other body, so both paths
   * give the same answers.
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
      choices.add(choice(Json.asObject(o, "choice"), chat, "delta", choices.size()));
    }
    Usage u = m.get("usage") == null ? null : usage(m);
    return new StreamChunk(Json.string(m, "id"), Json.string(m, "model"), choices, u);
  }

  /** Server timing from a response or chunk: vLLM's {@code metrics} object or llama.cpp's {@code timings}. */
  public static ServerTiming serverTiming(byte[] body) {
    try {
      return serverTimingOrNone(Json.parseObject(body, "response"));
    } catch (RuntimeException e) {
      return ServerTiming.NONE; // malformed timing is unknown timing, never a failed call
    }
  }

  /** {@link #serverTiming(Map)}, with mistyped timing read as unknown timing: never a failed call. */
  public static ServerTiming serverTimingOrNone(Map<String, Object> m) {
    try {
      return serverTiming(m);
    } catch (RuntimeException e) {
      return ServerTiming.NONE;
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

  static Usage usage(Map<String, Object> m) {
    Map<String, Object> u = Json.object(m, "usage");
    if (u == null) {
      return Usage.UNKNOWN;
    }
    Map<String, Object> prompt = Json.object(u, "prompt_tokens_details");
    Map<String, Object> completion = Json.object(u, "completion_tokens_details");
    return new Usage(Json.longValue(u, "prompt_tokens", -1), Json.longValue(u, "completion_tokens", -1),
        Json.longValue(u, "total_tokens", -1), prompt == null ? -1 : Json.longValue(prompt, "cached_tokens", -1),
        completion == null ? -1 : Json.longValue(completion, "reasoning_tokens", -1));
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
