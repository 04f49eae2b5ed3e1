package dev.inferscope.vllm;

import java.util.List;
import org.jspecify.annotations.Nullable;

/**
 * The answer of {@code /v1/rerank}: the documents by relevance, most relevant first (vllm-project/vllm
 * {@code vllm/entrypoints/pooling/score/protocol.py}, {@code RerankResponse}: {@code id}, {@code model},
 * {@code usage}, {@code results[{index, document{text}, relevance_score}]}).
 *
 * @param id the response id, when sent
 * @param model the model, when sent
 * @param results the ranked documents
 * @param usage token usage (prompt and total)
 */
public record Reranking(@Nullable String id, @Nullable String model, List<RerankResult> results, Usage usage) {
  public Reranking {
    results = List.copyOf(results);
  }
}
