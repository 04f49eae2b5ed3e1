package dev.inferscope.testkit.vllm;

import dev.inferscope.core.internal.Json;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.jspecify.annotations.Nullable;

/**
 * What the simulator answers to requests that use tools, reasoning, several choices, log probabilities or
 * constrained output: a script per choice (reasoning pieces, content pieces, tool calls with their argument
 * pieces) that {@link VllmSimulator} plays as one response or as a stream. The shapes it is played into are
 * vLLM's (vllm-project/vllm {@code vllm/entrypoints/openai/chat_completion/protocol.py} and
 * {@code vllm/entrypoints/generate/base/protocol.py}: {@code ChatMessage.reasoning}, {@code tool_calls},
 * {@code DeltaToolCall}, {@code ChatCompletionLogProbs}) and llama-server b11669's (its
 * {@code reasoning_content}; {@code logprobs.content} on chat and text completions alike, seen with
 * {@code "logprobs":true,"top_logprobs":2}).
 */
final class ChatFeatures {
  private ChatFeatures() {}

  /** One tool call: its id, the function's name and its arguments in the pieces they stream in. */
  record ToolScript(String id, String name, List<String> argumentPieces) {
    String arguments() {
      return String.join("", argumentPieces);
    }
  }

  /** One choice's output. */
  record Script(List<String> reasoning, List<String> content, List<ToolScript> tools, String finishReason) {
    int tokens() {
      int n = reasoning.size() + content.size();
      for (ToolScript t : tools) {
        n += t.argumentPieces().size();
      }
      return n;
    }
  }

  /** Whether the request asks for anything the plain token script does not play. */
  static boolean applies(Map<String, Object> req, boolean chat, boolean reasoning) {
    return (chat && reasoning) || callsTools(req, chat) || Json.longValue(req, "n", 1) > 1
        || (req.get("logprobs") != null && !Boolean.FALSE.equals(req.get("logprobs")))
        || jsonSchema(req) != null || req.get("response_format") != null || req.get("structured_outputs") != null;
  }

  /**
   * Whether the model calls a tool: tools were offered, the choice is not {@code none}, and the last message
   * is not a tool result (after one, the model answers in text, as a tool-calling loop expects).
   */
  static boolean callsTools(Map<String, Object> req, boolean chat) {
    if (!chat || req.get("tools") == null || Json.array(req, "tools").isEmpty()) {
      return false;
    }
    Object choice = req.get("tool_choice");
    if ("none".equals(choice)) {
      return false;
    }
    List<Object> messages = Json.array(req, "messages");
    Object last = messages.isEmpty() ? null : messages.get(messages.size() - 1);
    return !(last instanceof Map<?, ?> m && "tool".equals(m.get("role")));
  }

  /** A reasoning model's thoughts: three pieces of {@code word} ("think0", " think1", " think2"). */
  static List<String> thoughts(String word) {
    List<String> out = new ArrayList<>(3);
    for (int i = 0; i < 3; i++) {
      out.add((i == 0 ? "" : " ") + word + i);
    }
    return out;
  }

  static List<Script> scripts(Map<String, Object> req, boolean chat, @Nullable String reasoningWord, int tokens,
      long callIds) {
    boolean reasoning = reasoningWord != null;
    int n = (int) Math.max(1, Json.longValue(req, "n", 1));
    List<Script> out = new ArrayList<>(n);
    for (int c = 0; c < n; c++) {
      List<String> think = chat && reasoning ? thoughts(reasoningWord) : new ArrayList<>();
      List<ToolScript> tools = new ArrayList<>();
      List<String> content = new ArrayList<>();
      String finish = "length";
      if (callsTools(req, chat)) {
        for (Map<String, Object> fn : calledFunctions(req)) {
          String args = Json.write(instance(Json.object(fn, "parameters")));
          // vLLM's ids: "chatcmpl-tool-" + a random uuid (vllm/entrypoints/chat_utils.py, make_tool_call_id)
          tools.add(new ToolScript("chatcmpl-tool-" + callIds + c + tools.size(), Json.string(fn, "name"),
              pieces(args, 4)));
        }
        finish = "tool_calls";
      } else {
        Map<String, Object> schema = jsonSchema(req);
        String constrained = constrained(req, schema);
        if (constrained != null) {
          content.addAll(pieces(constrained, 4));
          finish = "stop";
        } else {
          for (int i = 0; i < tokens; i++) {
            content.add((i == 0 ? "" : " ") + (c == 0 ? "tok" : "c" + c + "tok") + i);
          }
        }
      }
      out.add(new Script(think, content, tools, finish));
    }
    return out;
  }

  /** The functions the model calls: the named one, all offered ones with {@code required} and parallel calls, else the first. */
  private static List<Map<String, Object>> calledFunctions(Map<String, Object> req) {
    List<Map<String, Object>> all = new ArrayList<>();
    for (Object o : Json.array(req, "tools")) {
      Map<String, Object> fn = Json.object(Json.asObject(o, "tool"), "function");
      if (fn != null) {
        all.add(fn);
      }
    }
    Object choice = req.get("tool_choice");
    if (choice instanceof Map<?, ?> named && named.get("function") instanceof Map<?, ?> f) {
      for (Map<String, Object> fn : all) {
        if (fn.get("name").equals(f.get("name"))) {
          return List.of(fn);
        }
      }
    }
    boolean parallel = !Boolean.FALSE.equals(req.get("parallel_tool_calls"));
    if ("required".equals(choice) && parallel && all.size() > 1) {
      return all.subList(0, 2);
    }
    return all.subList(0, 1);
  }

  /** The JSON schema a request constrains its output to, if any (response_format or structured_outputs). */
  static @Nullable Map<String, Object> jsonSchema(Map<String, Object> req) {
    Map<String, Object> rf = Json.object(req, "response_format");
    if (rf != null && "json_schema".equals(rf.get("type"))) {
      Map<String, Object> js = Json.object(rf, "json_schema");
      return js == null ? Map.of() : nullToEmpty(Json.object(js, "schema"));
    }
    Map<String, Object> so = Json.object(req, "structured_outputs");
    if (so != null && so.get("json") instanceof Map<?, ?>) {
      return Json.object(so, "json");
    }
    return null;
  }

  private static Map<String, Object> nullToEmpty(@Nullable Map<String, Object> m) {
    return m == null ? Map.of() : m;
  }

  /** The output a constrained request gets: a JSON instance of the schema, a choice, any JSON object; else null. */
  private static @Nullable String constrained(Map<String, Object> req, @Nullable Map<String, Object> schema) {
    if (schema != null) {
      return Json.write(instance(schema));
    }
    Map<String, Object> rf = Json.object(req, "response_format");
    if (rf != null && "json_object".equals(rf.get("type"))) {
      return "{\"answer\":\"sim\"}";
    }
    Map<String, Object> so = Json.object(req, "structured_outputs");
    if (so != null) {
      if (so.get("choice") instanceof List<?> choices && !choices.isEmpty()) {
        return String.valueOf(choices.get(0));
      }
      if (Boolean.TRUE.equals(so.get("json_object"))) {
        return "{\"answer\":\"sim\"}";
      }
    }
    return null; // regex and grammar: the plain script (the simulator does not run a grammar)
  }

  /** A value that matches a (simple) JSON schema: objects with every property, strings, numbers, booleans. */
  static Object instance(@Nullable Map<String, Object> schema) {
    if (schema == null) {
      return Map.of();
    }
    Object type = schema.get("type");
    if (schema.get("enum") instanceof List<?> values && !values.isEmpty()) {
      return values.get(0);
    }
    if ("object".equals(type) || schema.get("properties") != null) {
      Map<String, Object> out = new LinkedHashMap<>();
      Map<String, Object> props = Json.object(schema, "properties");
      if (props != null) {
        for (Map.Entry<String, Object> e : props.entrySet()) {
          out.put(e.getKey(), instance(e.getValue() instanceof Map<?, ?> ? Json.asObject(e.getValue(), "schema") : null));
        }
      }
      return out;
    }
    if ("array".equals(type)) {
      return List.of(instance(Json.object(schema, "items")));
    }
    if ("integer".equals(type) || "number".equals(type)) {
      return 1;
    }
    if ("boolean".equals(type)) {
      return true;
    }
    return "sim";
  }

  /** {@code s} cut into pieces of at most {@code size} characters, as a model emits tokens. */
  static List<String> pieces(String s, int size) {
    List<String> out = new ArrayList<>();
    for (int i = 0; i < s.length(); i += size) {
      out.add(s.substring(i, Math.min(s.length(), i + size)));
    }
    if (out.isEmpty()) {
      out.add("");
    }
    return out;
  }

  /** Chat log probabilities of one piece: {@code {"content":[{token, logprob, bytes, top_logprobs}]}}. */
  static Map<String, Object> chatLogprobs(List<String> tokens, int top) {
    List<Object> content = new ArrayList<>();
    for (int i = 0; i < tokens.size(); i++) {
      String t = tokens.get(i);
      double lp = -0.25 - 0.01 * i;
      List<Object> alts = new ArrayList<>();
      for (int k = 0; k < top; k++) {
        String alt = k == 0 ? t : t + "~" + k;
        alts.add(logprob(alt, k == 0 ? lp : lp - k));
      }
      Map<String, Object> entry = logprob(t, lp);
      entry.put("top_logprobs", alts);
      content.add(entry);
    }
    Map<String, Object> out = new LinkedHashMap<>();
    out.put("content", content);
    return out;
  }

  private static Map<String, Object> logprob(String token, double lp) {
    Map<String, Object> m = new LinkedHashMap<>();
    m.put("token", token);
    m.put("logprob", lp);
    List<Integer> bytes = new ArrayList<>();
    for (byte b : token.getBytes(java.nio.charset.StandardCharsets.UTF_8)) {
      bytes.add(b & 0xff);
    }
    m.put("bytes", bytes);
    return m;
  }

  /**
   * vLLM's text-completion log probabilities ({@code CompletionLogProbs}: {@code text_offset},
   * {@code token_logprobs}, {@code tokens}, {@code top_logprobs} as token-to-logprob maps).
   */
  static Map<String, Object> completionLogprobs(List<String> tokens, int top) {
    List<Object> offsets = new ArrayList<>();
    List<Object> values = new ArrayList<>();
    List<Object> tops = new ArrayList<>();
    int offset = 0;
    for (int i = 0; i < tokens.size(); i++) {
      String t = tokens.get(i);
      double lp = -0.25 - 0.01 * i;
      offsets.add(offset);
      offset += t.length();
      values.add(lp);
      Map<String, Object> alts = new LinkedHashMap<>();
      for (int k = 0; k < top; k++) {
        alts.put(k == 0 ? t : t + "~" + k, k == 0 ? lp : lp - k);
      }
      tops.add(alts);
    }
    Map<String, Object> out = new LinkedHashMap<>();
    out.put("text_offset", offsets);
    out.put("token_logprobs", values);
    out.put("tokens", new ArrayList<>(tokens));
    out.put("top_logprobs", tops);
    return out;
  }
}
