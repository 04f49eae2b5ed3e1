package dev.inferscope.vllm;

import java.util.List;
import org.jspecify.annotations.Nullable;

/**
 * The answer of vLLM's {@code /pooling}: the pooler's raw output per input (vllm-project/vllm
 * {@code vllm/entrypoints/pooling/pooling/protocol.py}, {@code PoolingResponse} and
 * {@code PoolingResponseData}: {@code data} is a vector or a matrix, e.g. one vector per token).
 *
 * @param model the model, when sent
 * @param outputs per input, its output as rows (a vector is one row)
 * @param usage token usage
 */
public record Pooling(@Nullable String model, List<float[][]> outputs, Usage usage) {
  public Pooling {
    outputs = List.copyOf(outputs);
  }
}
