package dev.inferscope.vllm.internal;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.catchThrowableOfType;

import dev.inferscope.core.ErrorType;
import dev.inferscope.core.InferenceException;
import dev.inferscope.vllm.StreamChunk;
import java.util.List;
import org.junit.jupiter.api.Test;

/** The fast chunk decoder answers the common shapes exactly as the generic one and leaves the rest to it. */
class ChunkDecodingTest {
  private static final List<String> COMMON = List.of(
      "{\"id\":\"chatcmpl-1\",\"object\":\"chat.completion.chunk\",\"created\":1,\"model\":\"m\","
          + "\"choices\":[{\"index\":0,\"delta\":{\"role\":\"assistant\",\"content\":\"Hel\"},\"logprobs\":null,"
          + "\"finish_reason\":null}]}",
      "{\"id\":\"c\",\"model\":\"m\",\"choices\":[{\"index\":0,\"delta\":{\"content\":\"lo\"},\"finish_reason\":\"stop\","
          + "\"stop_reason\":null}],\"usage\":{\"prompt_tokens\":3,\"completion_tokens\":2,\"total_tokens\":5}}",
      "{\"id\":\"c\",\"model\":\"m\",\"choices\":[],\"usage\":{\"prompt_tokens\":3,\"completion_tokens\":2}}",
      "{\"choices\":[{\"delta\":{}},{\"index\":1.9,\"delta\":null,\"finish_reason\":\"length\"}]}",
      "{\"id\":\"cmpl-1\",\"object\":\"text_completion\",\"choices\":[{\"index\":0,\"text\":\" tok\",\"logprobs\":null}]}",
      // vLLM's DeltaMessage.reasoning, and reasoning_content as older vLLM and llama-server send it
      "{\"id\":\"c\",\"choices\":[{\"index\":0,\"delta\":{\"reasoning\":\"think\"},\"finish_reason\":null}]}",
      "{\"id\":\"c\",\"choices\":[{\"index\":0,\"delta\":{\"reasoning_content\":\"hm\",\"content\":null}}]}",
      "{\"choices\":[{\"delta\":{\"reasoning_content\":\"a\",\"reasoning\":\"b\",\"tool_calls\":null}}]}",
      " \r\n{ \"id\" : \"a\\\"b\\\\c\\/\\u00e9\\n\" , \"choices\" : [ { \"index\" : -0 , \"delta\" : { \"content\" : \"\\t\" } } ] } \n",
      "{\"choices\":[{\"index\":2e0,\"delta\":{\"content\":\"x\"},\"finish_reason\":\"stop\"}],\"x\":[true,false,null,{\"a\":[1.5e-3,-2]}]}",
      "{\"choices\":[{\"index\":12345678901234567890,\"delta\":{\"content\":null,\"role\":null,\"function_call\":[{}]}}],"
          + "\"usage\":null,\"timings\":{\"queue_ms\":1.5}}");

  @Test
  void commonChunksDecodeTheSameOnBothPaths() {
    for (String data : COMMON) {
      for (boolean chat : new boolean[] {true, false}) {
        StreamChunk fast = OpenAiCodec.fastChunk(data, chat);
        assertThat(fast).as(data).isNotNull().isEqualTo(OpenAiCodec.decodeChunkGeneric(data, chat, 0));
      }
    }
    StreamChunk c = OpenAiCodec.decodeChunk(COMMON.get(1), true, 1);
    assertThat(c.text()).isEqualTo("lo");
    assertThat(c.choices().get(0).finishReason()).isEqualTo("stop");
    assertThat(c.usage().completionTokens()).isEqualTo(2);
  }

  @Test
  void errorsOddTypesAndBadJsonGoToTheGenericPath() {
    List<String> unusual = List.of(
        "{\"error\":{\"message\":\"boom\",\"code\":500}}",
        "{\"object\":\"error\",\"message\":\"flat\",\"code\":400}",
        "{\"choices\":5}",
        "{\"choices\":[{\"delta\":{\"content\":7}}]}",
        "{\"id\":1}",
        "{\"usage\":[]}",
        "{\"choices\":[]} trailing",
        "{\"choices\":[",
        "[1,2]",
        "{\"choices\":[{\"index\":01}]}",
        "{\"id\":\"a\u0001b\"}",
        "{\"id\":\"\\ud83d\\ude00\"}",
        "{\"id\":\"\\x\"}",
        "{\"a\":1,}",
        "{\"choices\":[{},]}",
        "{\"a\":nul}",
        "{\"a\":-}",
        "{\"a\":1.}",
        "{'a':1}",
        // shapes the fast path leaves to the generic one: tool-call fragments, log probabilities, token details
        "{\"choices\":[{\"delta\":{\"tool_calls\":[{\"index\":0,\"function\":{\"arguments\":\"{\"}}]}}]}",
        "{\"choices\":[{\"delta\":{\"content\":\"a\"},\"logprobs\":{\"content\":[]}}]}",
        "{\"choices\":[],\"usage\":{\"prompt_tokens\":1,\"prompt_tokens_details\":{\"cached_tokens\":1}}}");
    for (String data : unusual) {
      assertThat(OpenAiCodec.fastChunk(data, true)).as(data).isNull();
    }
    InferenceException midStream = catchThrowableOfType(InferenceException.class,
        () -> OpenAiCodec.decodeChunk(unusual.get(0), true, 3));
    assertThat(midStream.errorType()).isEqualTo(ErrorType.INTERNAL);
    assertThat(midStream.chunksReceived()).isEqualTo(3);
    assertThat(catchThrowableOfType(InferenceException.class, () -> OpenAiCodec.decodeChunk(unusual.get(3), true, 0))
        .errorType()).isEqualTo(ErrorType.PROTOCOL);
  }
}
