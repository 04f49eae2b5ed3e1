package dev.inferscope.vllm.internal;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.catchThrowableOfType;

import dev.inferscope.core.ErrorType;
import dev.inferscope.core.InferenceException;
import dev.inferscope.core.internal.Json;
import dev.inferscope.vllm.ChatMessage;
import dev.inferscope.vllm.ContentPart;
import dev.inferscope.vllm.ResponseEvent;
import dev.inferscope.vllm.ResponseFormat;
import dev.inferscope.vllm.ResponseResult;
import dev.inferscope.vllm.ResponsesRequest;
import dev.inferscope.vllm.Tool;
import dev.inferscope.vllm.ToolCall;
import dev.inferscope.vllm.ToolChoice;
import java.nio.charset.StandardCharsets;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

/** The Responses API's request items, response objects and stream events, and their failure shapes. */
class ResponsesCodecTest {
  @Test
  void requestsCarryItemsFlatToolsAndTheTextFormat() {
    Map<String, Object> schema = Map.of("type", "object");
    ResponsesRequest r = ResponsesRequest.builder("m")
        .message(ChatMessage.user(ContentPart.text("look"), ContentPart.imageUrl("https://x/a.png", "low")))
        .message(ChatMessage.assistantToolCalls(List.of(ToolCall.of("call_1", "f", "{}"))))
        .message(ChatMessage.tool("call_1", "42"))
        .instructions("brief").maxOutputTokens(9).seed(3)
        .tool(Tool.function("f", "does f", schema)).toolChoice(ToolChoice.function("f"))
        .responseFormat(ResponseFormat.jsonSchema("out", schema)).reasoningEffort("low").build();
    Map<String, Object> m = Json.parseObject(ResponsesCodec.encode(r, true), "test");
    List<Object> input = Json.array(m, "input");
    assertThat(input.get(0)).isEqualTo(Map.of("role", "user", "content", List.of(
        Map.of("type", "input_text", "text", "look"),
        Map.of("type", "input_image", "image_url", "https://x/a.png", "detail", "low"))));
    assertThat(input.get(1)).isEqualTo(Map.of("type", "function_call", "call_id", "call_1", "name", "f", "arguments", "{}"));
    assertThat(input.get(2)).isEqualTo(Map.of("type", "function_call_output", "call_id", "call_1", "output", "42"));
    assertThat(Json.array(m, "tools").get(0)).isEqualTo(Map.of("type", "function", "name", "f", "description", "does f",
        "parameters", schema));
    assertThat(m.get("tool_choice")).isEqualTo(Map.of("type", "function", "name", "f"));
    assertThat(m.get("text")).isEqualTo(Map.of("format", Map.of("type", "json_schema", "name", "out", "schema", schema)));
    assertThat(m.get("reasoning")).isEqualTo(Map.of("effort", "low"));
    assertThat(m).containsEntry("instructions", "brief").containsEntry("stream", true);
    assertThat(((Number) m.get("max_output_tokens")).intValue()).isEqualTo(9);
  }

  @Test
  void responsesReadTextReasoningCallsAndUsageDetails() {
    // vLLM's ResponseUsage (vllm/entrypoints/openai/responses/protocol.py) and the OpenAI output items
    String body = "{\"id\":\"resp_1\",\"object\":\"response\",\"status\":\"incomplete\","
        + "\"incomplete_details\":{\"reason\":\"max_output_tokens\"},\"model\":\"m\",\"output\":["
        + "{\"type\":\"reasoning\",\"id\":\"rs\",\"summary\":[],\"content\":[{\"type\":\"reasoning_text\",\"text\":\"hm\"}]},"
        + "{\"type\":\"function_call\",\"id\":\"fc\",\"call_id\":\"call_9\",\"name\":\"f\",\"arguments\":\"{\\\"a\\\":1}\"},"
        + "{\"type\":\"message\",\"id\":\"msg\",\"role\":\"assistant\",\"content\":[{\"type\":\"output_text\",\"text\":\"hi\"}]}],"
        + "\"usage\":{\"input_tokens\":5,\"output_tokens\":7,\"total_tokens\":12,\"input_tokens_details\":{\"cached_tokens\":2},"
        + "\"output_tokens_details\":{\"reasoning_tokens\":3}}}";
    ResponseResult r = ResponsesCodec.decodeResponse(body.getBytes(StandardCharsets.UTF_8));
    assertThat(r.text()).isEqualTo("hi");
    assertThat(r.reasoning()).isEqualTo("hm");
    assertThat(r.toolCalls()).singleElement().satisfies(c -> {
      assertThat(c.id()).isEqualTo("call_9");
      assertThat(c.arguments()).isEqualTo("{\"a\":1}");
    });
    assertThat(r.incompleteReason()).isEqualTo("max_output_tokens");
    assertThat(r.usage().promptTokens()).isEqualTo(5);
    assertThat(r.usage().cachedPromptTokens()).isEqualTo(2);
    assertThat(r.usage().reasoningTokens()).isEqualTo(3);
  }

  @Test
  void failedAndErrorEventsAndBadShapesAreTypedErrors() {
    InferenceException failed = catchThrowableOfType(InferenceException.class, () -> ResponsesCodec.decodeEvent(
        "{\"type\":\"response.failed\",\"response\":{\"status\":\"failed\",\"error\":{\"code\":\"server_error\","
            + "\"message\":\"engine died\"}}}", 4));
    assertThat(failed.errorType()).isEqualTo(ErrorType.INTERNAL);
    assertThat(failed.chunksReceived()).isEqualTo(4);
    assertThat(failed.serverMessage()).isEqualTo("engine died");
    InferenceException error = catchThrowableOfType(InferenceException.class, () -> ResponsesCodec.decodeEvent(
        "{\"type\":\"error\",\"code\":429,\"message\":\"slow down\"}", 0));
    assertThat(error.errorType()).isEqualTo(ErrorType.RESOURCE_EXHAUSTED);
    assertThat(catchThrowableOfType(InferenceException.class, () -> ResponsesCodec.decodeEvent("{\"delta\":\"x\"}", 0))
        .errorType()).isEqualTo(ErrorType.PROTOCOL);
    assertThat(catchThrowableOfType(InferenceException.class, () -> ResponsesCodec.decodeEvent("{\"type\":", 0))
        .errorType()).isEqualTo(ErrorType.PROTOCOL);
    assertThat(catchThrowableOfType(InferenceException.class, () -> ResponsesCodec.decodeResponse(
        "{\"output\":[{\"type\":\"function_call\",\"call_id\":\"c\"}]}".getBytes(StandardCharsets.UTF_8)))
        .errorType()).isEqualTo(ErrorType.PROTOCOL);
    ResponseEvent unknown = ResponsesCodec.decodeEvent("{\"type\":\"response.web_search_call.searching\"}", 0);
    assertThat(unknown.kind()).isEqualTo(ResponseEvent.Kind.OTHER);
    assertThat(unknown.isOutput()).isFalse();
  }
}
