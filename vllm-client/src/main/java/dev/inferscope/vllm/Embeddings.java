package dev.inferscope.vllm;

import java.util.List;
import org.jspecify.annotations.Nullable;

/**
 * Embedding vectors, one per input, in input order.
 *
 * @param model the model, when sent
 * @param vectors the vectors
 * @param usage token usage
 */
public record Embeddings(@Nullable String model, List<float[]> vectors, Usage usage) {
  public Embeddings {
    vectors = List.copyOf(vectors);
  }
}
