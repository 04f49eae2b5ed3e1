package dev.inferscope.vllm.internal;

import static org.assertj.core.api.Assertions.assertThat;

import dev.inferscope.vllm.ModelInfo;
import java.nio.charset.StandardCharsets;
import java.util.List;
import org.junit.jupiter.api.Test;

/** The context length from either server's {@code /v1/models}. */
class ModelListingTest {
  @Test
  void vllmSendsMaxModelLen() {
    // vllm-project/vllm vllm/entrypoints/openai/protocol.py, ModelCard (max_model_len)
    List<ModelInfo> m = OpenAiCodec.decodeModels(("{\"object\":\"list\",\"data\":[{\"id\":\"llama\",\"object\":\"model\","
        + "\"owned_by\":\"vllm\",\"max_model_len\":8192}]}").getBytes(StandardCharsets.UTF_8));
    assertThat(m).containsExactly(new ModelInfo("llama", "vllm", 8192));
  }

  @Test
  void llamaCppSendsItsServedContextInMeta() {
    // captured from llama-server b11669-Debian started by ../shared/peers/llama/start.sh (-c 4096 -np 4)
    String body = "{\"models\":[{\"name\":\"tiny-llama\"}],\"object\":\"list\",\"data\":[{\"id\":\"tiny-llama\","
        + "\"aliases\":[\"tiny-llama\"],\"tags\":[],\"object\":\"model\",\"created\":1796167941,\"owned_by\":\"llamacpp\","
        + "\"meta\":{\"vocab_type\":1,\"n_vocab\":877,\"n_ctx\":1024,\"n_ctx_train\":4096,\"n_embd\":64,"
        + "\"n_params\":194496,\"size\":777984,\"ftype\":\"all F32\"}}]}";
    assertThat(OpenAiCodec.decodeModels(body.getBytes(StandardCharsets.UTF_8)))
        .containsExactly(new ModelInfo("tiny-llama", "llamacpp", 1024));
    String older = "{\"data\":[{\"id\":\"m\",\"meta\":{\"n_ctx_train\":4096}}]}";
    assertThat(OpenAiCodec.decodeModels(older.getBytes(StandardCharsets.UTF_8)).get(0).maxModelLen()).isEqualTo(4096);
    assertThat(OpenAiCodec.decodeModels("{\"data\":[{\"id\":\"m\"}]}".getBytes(StandardCharsets.UTF_8)).get(0)
        .maxModelLen()).isEqualTo(-1);
  }
}
