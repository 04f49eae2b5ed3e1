package dev.inferscope.vllm.internal;

import dev.inferscope.core.ErrorType;
import dev.inferscope.core.InferenceException;
import dev.inferscope.core.internal.Json;
import dev.inferscope.core.internal.http.HttpErrors;
import dev.inferscope.vllm.ChatMessage;
import dev.inferscope.vllm.ContentPart;
import dev.inferscope.vllm.ResponseEvent;
import dev.inferscope.vllm.ResponseFormat;
import dev.inferscope.vllm.ResponseResult;
import dev.inferscope.vllm.ResponsesRequest;
import dev.inferscope.vllm.Tool;
import dev.inferscope.vllm.ToolCall;
import dev.inferscope.vllm.ToolChoice;
import dev.inferscope.vllm.Usage;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.jspecify.annotations.Nullable;

/**
 * Encodes Responses API requests and decodes responses and stream events. Shapes: vLLM's
 * {@code ResponsesRequest}, {@code ResponseUsage} (vllm-project/vllm
 * {@code vllm/entrypoints/openai/responses/protocol.py}: {@code input_tokens}, {@code output_tokens},
 * {@code input_tokens_details.cached_tokens}, {@code output_tokens_details.reasoning_tokens}) and the OpenAI
 * response items it builds on ({@code message} with {@code output_text} parts, {@code reasoning} with
 * {@code reasoning_text} content, {@code function_call} with {@code call_id}, {@code name},
 * {@code arguments}); llama-server b11669 answers in the same shapes (captured on {@code /v1/responses},
 * streaming and not). Internal API: not for use outside Inferscope, may change without notice.
 */
public final class ResponsesCodec {
  private ResponsesCodec() {}

  public static byte[] encode(ResponsesRequest r, boolean stream) {
    Map<String, Object> m = new LinkedHashMap<>();
    m.put("model", r.model());
    if (r.input() != null) {
      m.put("input", r.input());
    } else {
      List<Object> items = new ArrayList<>();
      for (ChatMessage msg : r.messages()) {
        addItems(items, msg);
      }
      m.put("input", items);
    }
    if (r.instructions() != null) {
      m.put("instructions", r.instructions());
    }
    if (r.maxOutputTokens() != null) {
      m.put("max_output_tokens", r.maxOutputTokens());
    }
    if (r.temperature() != null) {
      m.put("temperature", r.temperature());
    }
    if (r.topP() != null) {
      m.put("top_p", r.topP());
    }
    if (r.seed() != null) {
      m.put("seed", r.seed());
    }
    if (!r.tools().isEmpty()) {
      List<Object> tools = new ArrayList<>();
      for (Tool t : r.tools()) {
        // the Responses function tool is flat: {"type":"function","name","description","parameters","strict"}
        Map<String, Object> tool = new LinkedHashMap<>();
        tool.put("type", "function");
        tool.putAll(OpenAiCodec.functionFields(t));
        tools.add(tool);
      }
      m.put("tools", tools);
    }
    ToolChoice choice = r.toolChoice();
    if (choice != null) {
      m.put("tool_choice", choice.functionName() != null
          ? Map.of("type", "function", "name", choice.functionName()) : choice.mode());
    }
    if (r.parallelToolCalls() != null) {
      m.put("parallel_tool_calls", r.parallelToolCalls());
    }
    ResponseFormat rf = r.responseFormat();
    if (rf != null) {
      // text.format: {"type":"text"|"json_object"|"json_schema","name","schema","strict"}
      Map<String, Object> format = new LinkedHashMap<>();
      format.put("type", rf.type());
      format.putAll(OpenAiCodec.schemaFields(rf));
      m.put("text", Map.of("format", format));
    }
    if (r.reasoningEffort() != null) {
      m.put("reasoning", Map.of("effort", r.reasoningEffort()));
    }
    if (stream) {
      m.put("stream", true);
    }
    return Json.write(m).getBytes(java.nio.charset.StandardCharsets.UTF_8);
  }

  /** A message as input items: a message, {@code function_call} items, or a {@code function_call_output}. */
  private static void addItems(List<Object> items, ChatMessage msg) {
    if (msg.role().equals("tool")) {
      items.add(Map.of("type", "function_call_output", "call_id", msg.toolCallId(), "output", msg.content()));
      return;
    }
    for (ToolCall c : msg.toolCalls()) {
      items.add(Map.of("type", "function_call", "call_id", c.id(), "name", c.name(), "arguments", c.arguments()));
    }
    if (!msg.toolCalls().isEmpty() && msg.content().isEmpty() && msg.parts().isEmpty()) {
      return;
    }
    Map<String, Object> item = new LinkedHashMap<>();
    item.put("role", msg.role());
    if (msg.parts().isEmpty()) {
      item.put("content", msg.content());
    } else {
      List<Object> parts = new ArrayList<>();
      for (ContentPart p : msg.parts()) {
        Map<String, Object> part = new LinkedHashMap<>();
        if (p instanceof ContentPart.Text t) {
          part.put("type", "input_text");
          part.put("text", t.text());
        } else if (p instanceof ContentPart.ImageUrl i) {
          part.put("type", "input_image");
          part.put("image_url", i.url());
          if (i.detail() != null) {
            part.put("detail", i.detail());
          }
        } else if (p instanceof ContentPart.File f) {
          part.put("type", "input_file");
          if (f.fileId() != null) {
            part.put("file_id", f.fileId());
          }
          if (f.fileData() != null) {
            part.put("file_data", f.fileData());
          }
          if (f.filename() != null) {
            part.put("filename", f.filename());
          }
        }
        parts.add(part);
      }
      item.put("content", parts);
    }
    items.add(item);
  }

  public static ResponseResult decodeResponse(byte[] body) {
    return decodeResponse(Json.parseObject(body, "responses response"));
  }

  /** Decodes a response already parsed (its server timing is read from the same map). */
  public static ResponseResult decodeResponse(Map<String, Object> m) {
    failedOrError(m, 0);
    return response(m);
  }

  /** A response object (top level of a non-streamed answer, or the {@code response} of an event). */
  static ResponseResult response(Map<String, Object> m) {
    StringBuilder text = new StringBuilder();
    StringBuilder reasoning = new StringBuilder();
    List<ToolCall> calls = new ArrayList<>();
    if (m.get("output") != null) {
      for (Object o : Json.array(m, "output")) {
        Map<String, Object> item = Json.asObject(o, "output item");
        String type = Json.string(item, "type");
        if ("message".equals(type)) {
          for (Object p : content(item)) {
            Map<String, Object> part = Json.asObject(p, "content part");
            if ("output_text".equals(part.get("type"))) {
              text.append(nullToEmpty(Json.string(part, "text")));
            }
          }
        } else if ("reasoning".equals(type)) {
          for (Object p : content(item)) {
            Map<String, Object> part = Json.asObject(p, "reasoning content");
            reasoning.append(nullToEmpty(Json.string(part, "text")));
          }
        } else if ("function_call".equals(type)) {
          String name = Json.string(item, "name");
          if (name == null) {
            throw InferenceException.of(ErrorType.PROTOCOL, "function_call item without a name");
          }
          String id = Json.string(item, "call_id");
          calls.add(new ToolCall(calls.size(), id == null ? nullToEmpty(Json.string(item, "id")) : id, name,
              nullToEmpty(Json.string(item, "arguments"))));
        }
      }
    }
    Map<String, Object> incomplete = Json.object(m, "incomplete_details");
    return new ResponseResult(Json.string(m, "id"), Json.string(m, "model"), Json.string(m, "status"),
        incomplete == null ? null : Json.string(incomplete, "reason"), text.toString(), reasoning.toString(), calls,
        usage(m));
  }

  private static List<Object> content(Map<String, Object> item) {
    return item.get("content") == null ? List.of() : Json.array(item, "content");
  }

  private static Usage usage(Map<String, Object> m) {
    Map<String, Object> u = Json.object(m, "usage");
    if (u == null) {
      return Usage.UNKNOWN;
    }
    Map<String, Object> in = Json.object(u, "input_tokens_details");
    Map<String, Object> out = Json.object(u, "output_tokens_details");
    return new Usage(Json.longValue(u, "input_tokens", -1), Json.longValue(u, "output_tokens", -1),
        Json.longValue(u, "total_tokens", -1), in == null ? -1 : Json.longValue(in, "cached_tokens", -1),
        out == null ? -1 : Json.longValue(out, "reasoning_tokens", -1));
  }

  /**
   * One stream event. {@code response.failed} and {@code error} events become an exception that says how
   * many output chunks had arrived before them.
   */
  public static ResponseEvent decodeEvent(String data, long chunksBefore) {
    return decodeEvent(Json.parseObject(data, "responses event"), chunksBefore);
  }

  /** One stream event already parsed. */
  public static ResponseEvent decodeEvent(Map<String, Object> m, long chunksBefore) {
    String type = Json.string(m, "type");
    if (type == null) {
      throw InferenceException.of(ErrorType.PROTOCOL, "responses event without a type");
    }
    failedOrError(m, chunksBefore);
    ResponseEvent.Kind kind = ResponseEvent.Kind.of(type);
    Map<String, Object> resp = Json.object(m, "response");
    String itemId = Json.string(m, "item_id");
    Map<String, Object> item = Json.object(m, "item");
    if (itemId == null && item != null) {
      itemId = Json.string(item, "id");
    }
    return new ResponseEvent(kind, type, itemId, nullToEmpty(Json.string(m, "delta")),
        resp == null ? null : response(resp));
  }

  /** The server timing of a completed event or response: llama-server's top-level {@code timings}, vLLM's {@code response.metrics}. */
  public static OpenAiCodec.ServerTiming serverTiming(Map<String, Object> m) {
    // timing a server got wrong is unknown timing, never a failed call (as for chat)
    OpenAiCodec.ServerTiming top = OpenAiCodec.serverTimingOrNone(m);
    if (top.known() || !(m.get("response") instanceof Map<?, ?>)) {
      return top;
    }
    return OpenAiCodec.serverTimingOrNone(Json.object(m, "response"));
  }

  /** The function call an {@code output_item.added} event opens, or {@code null}. */
  public static @Nullable ToolCall openedCall(Map<String, Object> m) {
    Map<String, Object> item = Json.object(m, "item");
    if (item == null || !"function_call".equals(item.get("type"))) {
      return null;
    }
    String callId = Json.string(item, "call_id");
    String id = Json.string(item, "id");
    return new ToolCall(0, callId != null ? callId : nullToEmpty(id), nullToEmpty(Json.string(item, "name")),
        nullToEmpty(id));
  }

  private static void failedOrError(Map<String, Object> m, long chunksBefore) {
    Object type = m.get("type");
    Map<String, Object> e = null;
    if ("error".equals(type)) {
      e = m; // {"type":"error","code","message","param"}
    } else if ("response.failed".equals(type)) {
      Map<String, Object> resp = Json.object(m, "response");
      e = resp == null ? Map.of() : Json.object(resp, "error");
      if (e == null) {
        e = Map.of();
      }
    } else if (m.get("error") instanceof Map<?, ?> && !"response.completed".equals(type)) {
      e = Json.object(m, "error");
    }
    if (e == null) {
      return;
    }
    Object code = e.get("code");
    ErrorType et = code instanceof Number n ? HttpErrors.forStatus(n.intValue()) : ErrorType.INTERNAL;
    throw InferenceException.builder(et, chunksBefore > 0 ? "server sent an error mid-stream" : "server sent an error")
        .serverCode(code == null ? null : String.valueOf(code))
        .serverMessage(Json.string(e, "message"))
        .chunksReceived(chunksBefore)
        .retryable(false)
        .build();
  }

  private static String nullToEmpty(@Nullable String s) {
    return s == null ? "" : s;
  }
}
