package dev.inferscope.vllm.internal;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.catchThrowableOfType;

import dev.inferscope.core.ErrorType;
import dev.inferscope.core.InferenceException;
import dev.inferscope.core.internal.Json;
import dev.inferscope.vllm.ChatMessage;
import dev.inferscope.vllm.ChatRequest;
import dev.inferscope.vllm.Completion;
import dev.inferscope.vllm.CompletionRequest;
import dev.inferscope.vllm.ContentPart;
import dev.inferscope.vllm.ResponseFormat;
import dev.inferscope.vllm.SamplingParams;
import dev.inferscope.vllm.StreamChunk;
import dev.inferscope.vllm.StructuredOutputs;
import dev.inferscope.vllm.Tool;
import dev.inferscope.vllm.ToolCall;
import dev.inferscope.vllm.ToolChoice;
import java.nio.charset.StandardCharsets;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

/** The request shapes the encoder writes and the response shapes real servers send, field by field. */
class OpenAiCodecShapesTest {
  private static Map<String, Object> json(byte[] body) {
    return Json.parseObject(body, "test");
  }

  @SuppressWarnings("unchecked")
  private static <T> T at(Object o, Object... path) {
    Object cur = o;
    for (Object p : path) {
      cur = p instanceof Integer i ? ((List<Object>) cur).get(i) : ((Map<String, Object>) cur).get(p);
    }
    return (T) cur;
  }

  @Test
  void chatRequestsCarryPartsToolsChoicesAndConstraintsInTheOpenAiShapes() {
    Map<String, Object> schema = Map.of("type", "object");
    ChatRequest r = ChatRequest.builder("m")
        .message(ChatMessage.developer("be brief").withName("ops"))
        .user(ContentPart.text("look"), ContentPart.imageUrl("https://x/a.png", "high"),
            ContentPart.inputAudio(new byte[] {1, 2}, "mp3"), ContentPart.file("file-1"))
        .message(ChatMessage.assistantToolCalls(List.of(ToolCall.of("c1", "f", "{\"a\":1}"))))
        .message(ChatMessage.tool("c1", "42"))
        .tool(new Tool("f", "does f", schema, true))
        .toolChoice(ToolChoice.function("f"))
        .parallelToolCalls(false)
        .responseFormat(ResponseFormat.jsonSchema("out", null, schema, true))
        .structuredOutputs(StructuredOutputs.regex("[a-z]+"))
        .sampling(SamplingParams.builder().n(3).logprobs(2).user("u-1").priority(-1).seed(5).build())
        .build();
    Map<String, Object> m = json(OpenAiCodec.encodeChat(r, true, true));
    List<Object> msgs = at(m, "messages");
    assertThat(at(msgs, 0, "role").equals("developer") && at(msgs, 0, "name").equals("ops")).isTrue();
    assertThat((Object) at(msgs, 1, "content", 0)).isEqualTo(Map.of("type", "text", "text", "look"));
    assertThat((Object) at(msgs, 1, "content", 1, "image_url")).isEqualTo(Map.of("url", "https://x/a.png", "detail", "high"));
    assertThat((Object) at(msgs, 1, "content", 2, "input_audio")).isEqualTo(Map.of("data", "AQI=", "format", "mp3"));
    assertThat((Object) at(msgs, 1, "content", 3)).isEqualTo(Map.of("type", "file", "file", Map.of("file_id", "file-1")));
    assertThat(((Map<?, ?>) msgs.get(2)).containsKey("content")).isTrue();
    assertThat((Object) at(msgs, 2, "content")).isNull();
    assertThat((Object) at(msgs, 2, "tool_calls", 0)).isEqualTo(
        Map.of("id", "c1", "type", "function", "function", Map.of("name", "f", "arguments", "{\"a\":1}")));
    assertThat((Object) at(msgs, 3)).isEqualTo(Map.of("role", "tool", "content", "42", "tool_call_id", "c1"));
    assertThat((Object) at(m, "tools", 0)).isEqualTo(Map.of("type", "function",
        "function", Map.of("name", "f", "description", "does f", "parameters", schema, "strict", true)));
    assertThat((Object) at(m, "tool_choice")).isEqualTo(Map.of("type", "function", "function", Map.of("name", "f")));
    assertThat((Object) at(m, "parallel_tool_calls")).isEqualTo(false);
    assertThat((Object) at(m, "response_format")).isEqualTo(Map.of("type", "json_schema",
        "json_schema", Map.of("name", "out", "schema", schema, "strict", true)));
    assertThat((Object) at(m, "structured_outputs")).isEqualTo(Map.of("regex", "[a-z]+"));
    // chat: logprobs is a boolean, the alternatives are top_logprobs
    assertThat((Object) at(m, "logprobs")).isEqualTo(true);
    assertThat(((Number) at(m, "top_logprobs")).intValue()).isEqualTo(2);
    assertThat(((Number) at(m, "n")).intValue()).isEqualTo(3);
    assertThat((Object) at(m, "user")).isEqualTo("u-1");
    assertThat(((Number) at(m, "priority")).intValue()).isEqualTo(-1);
    assertThat((Object) at(m, "stream_options")).isEqualTo(Map.of("include_usage", true));
  }

  @Test
  void textCompletionsSendLogprobsAsANumberAndTheirConstraints() {
    Map<String, Object> m = json(OpenAiCodec.encodeCompletion(CompletionRequest.of("m", "p",
        SamplingParams.builder().logprobs(3).build()).withResponseFormat(ResponseFormat.jsonObject()), false, false));
    assertThat(((Number) at(m, "logprobs")).intValue()).isEqualTo(3);
    assertThat(m).doesNotContainKey("top_logprobs");
    assertThat((Object) at(m, "response_format")).isEqualTo(Map.of("type", "json_object"));
  }

  @Test
  void responsesWithToolCallsReasoningLogprobsAndUsageDetails() {
    // the OpenAI usage shape with completion details (openai/openai-python src/openai/types/completion_usage.py:
    // completion_tokens_details.reasoning_tokens, prompt_tokens_details.cached_tokens)
    String body = "{\"id\":\"x\",\"choices\":[{\"index\":0,\"finish_reason\":\"tool_calls\",\"message\":{\"role\":\"assistant\","
        + "\"content\":null,\"reasoning\":\"plan\",\"tool_calls\":[{\"id\":\"c\",\"type\":\"function\","
        + "\"function\":{\"name\":\"f\",\"arguments\":{\"a\":[1,2]}}}]},\"logprobs\":null}],"
        + "\"usage\":{\"prompt_tokens\":10,\"completion_tokens\":7,\"total_tokens\":17,"
        + "\"prompt_tokens_details\":{\"cached_tokens\":8},\"completion_tokens_details\":{\"reasoning_tokens\":5}}}";
    Completion c = OpenAiCodec.decodeCompletion(body.getBytes(StandardCharsets.UTF_8), true);
    assertThat(c.reasoning()).isEqualTo("plan");
    assertThat(c.text()).isEmpty();
    assertThat(c.toolCalls()).hasSize(1);
    // an object where a string belongs is written back as the JSON text
    assertThat(Json.parseObject(c.toolCalls().get(0).arguments(), "a")).isEqualTo(Map.of("a", List.of(1L, 2L)));
    assertThat(c.usage().cachedPromptTokens()).isEqualTo(8);
    assertThat(c.usage().reasoningTokens()).isEqualTo(5);

    // llama-server b11669 text completion with "logprobs":2: the chat shape under logprobs.content
    String llama = "{\"choices\":[{\"text\":\" said\",\"index\":0,\"logprobs\":{\"content\":[{\"id\":448,\"token\":\" said\","
        + "\"bytes\":[32,115,97,105,100],\"logprob\":-3.52,\"top_logprobs\":[{\"id\":367,\"token\":\" is\",\"bytes\":[32,105,115],"
        + "\"logprob\":-1.90},{\"id\":2,\"token\":\"\",\"bytes\":[],\"logprob\":-2.55}]}]},\"finish_reason\":\"length\"}],"
        + "\"usage\":{\"completion_tokens\":1,\"prompt_tokens\":2,\"total_tokens\":3,\"prompt_tokens_details\":{\"cached_tokens\":1}}}";
    Completion t = OpenAiCodec.decodeCompletion(llama.getBytes(StandardCharsets.UTF_8), false);
    assertThat(t.choices().get(0).logprobs()).hasSize(1);
    assertThat(t.choices().get(0).logprobs().get(0).logprob()).isEqualTo(-3.52);
    assertThat(t.choices().get(0).logprobs().get(0).top()).extracting(a -> a.token()).containsExactly(" is", "");
    assertThat(t.usage().cachedPromptTokens()).isEqualTo(1);
  }

  @Test
  void streamedToolFragmentsDecodeOnTheGenericPathAndBadOnesFailAsProtocol() {
    StreamChunk open = OpenAiCodec.decodeChunk("{\"choices\":[{\"index\":0,\"delta\":{\"tool_calls\":[{\"index\":1,"
        + "\"id\":\"c\",\"type\":\"function\",\"function\":{\"name\":\"f\",\"arguments\":\"\"}}]}}]}", true, 0);
    assertThat(open.choices().get(0).toolCallDeltas()).hasSize(1);
    assertThat(open.choices().get(0).toolCallDeltas().get(0).index()).isEqualTo(1);
    assertThat(open.choices().get(0).toolCallDeltas().get(0).name()).isEqualTo("f");
    assertThat(open.choices().get(0).hasOutput()).isTrue();
    InferenceException bad = catchThrowableOfType(InferenceException.class, () -> OpenAiCodec.decodeCompletion(
        "{\"choices\":[{\"message\":{\"tool_calls\":[{\"id\":\"c\"}]}}]}".getBytes(StandardCharsets.UTF_8), true));
    assertThat(bad.errorType()).isEqualTo(ErrorType.PROTOCOL);
    InferenceException notList = catchThrowableOfType(InferenceException.class, () -> OpenAiCodec.decodeChunk(
        "{\"choices\":[{\"delta\":{\"tool_calls\":7}}]}", true, 3));
    assertThat(notList.errorType()).isEqualTo(ErrorType.PROTOCOL);
  }
}
